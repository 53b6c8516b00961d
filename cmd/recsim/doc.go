// Command recsim is the one binary of the recsim project: demo, record,
// dtmf, vad, gen, plot, serve and bench (docs/cli.md fixes the forms scripts
// rely on).
//
// Units: command-line durations and JSON times are milliseconds or seconds,
// converted to sample indices at once; inside, everything is samples.
//
// Buffers: each command owns its audio buffers for its lifetime.
//
// Concurrency: commands run one at a time in the calling goroutine; run()
// takes its output streams as arguments so tests can call it in parallel.
//
// Exit codes: 0 success (an operation that ran, failed status included); 2
// bad input or usage, with one line on stderr naming the file, field and
// value; 1 a failure that is not the input's fault.
package main
