// Package bench holds recsim's benchmark harness (behind `recsim bench`)
// and the Go benchmarks of the hot paths.
//
// Units: throughput in samples per second and × real time; latencies in
// milliseconds.
//
// Buffers: the harness owns all audio it generates.
//
// Concurrency: a harness run is driven from one goroutine.
package bench
