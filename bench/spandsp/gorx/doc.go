// Command gorx times recsim's DTMF detector alone over one audio file, the
// Go half of the side-by-side comparison with spandsp's dtmf_rx that
// bench/spandsp/run.sh runs (README.md beside run.sh holds the figures).
//
//	gorx [-min-cpu 1s] [-block N] FILE     time dtmf.Detector over FILE
//	gorx -write mix.wav [-input mix]       write the main input: speech, a key press after each clip
//	gorx -write tones.wav -input tones     write the tone-dense input: key presses back to back
//
// FILE is a WAV file recsim reads, or headerless signed 16-bit little-endian
// mono PCM at 8000 Hz (any file that does not start with "RIFF"). The
// detector is dtmf.New(dtmf.DefaultConfig(rate)) at the file's rate; the
// comparison runs at 8000 Hz because dtmf_rx handles nothing else.
//
// Units: audio is int16 samples; throughput is samples per second of thread
// CPU time (CLOCK_THREAD_CPUTIME_ID, Linux) and of monotonic wall time;
// "× real time" is that figure divided by the sample rate.
//
// Timing: after one warm-up pass, passes over the whole file follow until
// their CPU time reaches -min-cpu. A pass feeds the file to Process in
// blocks of -block samples (default 20 ms: 160 at 8 kHz; the last block
// shorter), then calls Flush; only those calls are timed. Reset, between
// passes, and turning events into digits are not.
//
// Output: the same lines, in the same format, as the C driver
// (c/dtmf_rx_bench.c), so that run.sh reads both alike. "digits" lists the
// KeyDown digits of one pass; every pass must hear the same ones, or gorx
// fails.
//
// Buffers and concurrency: the file is read into memory once and owned by
// the program; everything runs on one goroutine locked to its OS thread.
package main
