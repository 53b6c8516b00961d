// Package engine runs Microsoft Graph's recordResponse operation on caller
// audio: the request, the synchronous state machine (prompt, beep, listen;
// stop tones, silence timers, duration cap), the results table and the
// recordOperation wire types.
//
// Units: time is a sample index (int64) on the caller stream's clock;
// time.Duration and seconds appear only in requests and JSON.
//
// Buffers: Process takes caller-owned frames and copies what it records; it
// never retains a frame. Events are appended to caller-supplied slices.
//
// Concurrency: an operation is not safe for concurrent use; it reads no
// clock and starts no goroutine.
package engine
