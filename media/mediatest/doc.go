// Package mediatest holds test helpers shared by recsim's packages:
// chunking invariance (docs/audio.md) above all.
//
// Units: samples; a chunk's start is the index of its first sample in the
// whole stream.
//
// Buffers: the helpers slice the caller's PCM without copying it; a
// processor under test must not retain a chunk after it returns.
// [ChunkSizes] returns a new slice on every call, the caller's to change.
//
// Concurrency: the package has no state; the helpers are safe to call from
// parallel tests.
package mediatest
