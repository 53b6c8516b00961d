// Package bench holds recsim's benchmark harness (behind `recsim bench`)
// and the Go benchmarks of the hot paths. README.md beside this file says
// how every figure is measured and how to read the table.
//
// Run measures four sections (throughput per core, real-time concurrency
// on runner.Runner, server load through engine/server over loopback, and
// scaling) and returns a Report that prints as tables (WriteText) or JSON
// (WriteJSON), and that WriteCompare sets against an earlier one.
//
// Units: throughput in samples per second and × real time; latencies in
// milliseconds; memory in bytes.
//
// Buffers: the harness owns all audio it generates.
//
// Concurrency: a harness run is driven from one goroutine; the realtime
// runner's workers and the server's handlers run beside it.
package bench
