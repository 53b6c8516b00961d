// Package picture draws the timeline of a record operation as a PNG: the
// caller's waveform with the phases (prompt, beep, listen), the VAD's
// speech, the digits, the timers and the completion point labelled with its
// completionReason and subcode, and the outbound prompt and beep on a
// second lane. It takes the engine's operation and audio, not files, so a
// server can call it.
//
// Units: the picture's axis is seconds from the operation's start; the
// Scene holds the same values rounded to the millisecond.
//
// Buffers: the audio slices are read, never retained or modified.
//
// Concurrency: the functions are safe for concurrent use on distinct
// operations.
package picture
