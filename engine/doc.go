// Package engine is recsim's synchronous core: it runs Microsoft Graph's
// recordResponse operation on caller audio — play a prompt, beep, record
// the caller until a stop tone, a silence timeout or the duration cap —
// and says how it ended.
//
// # One operation
//
// Build a RecordRequest (DefaultRecordRequest, or package graph's
// ParseRecordRequest for the JSON a bot sends), make an Operation with
// NewOperation and feed it the caller's audio with Process, frame by
// frame, until Done. Result is its row of the results table (completion
// reason, failed or completed, code, subcode, message, whether there is a
// recording: docs/results.md); RecordingParts is what was recorded;
// Timeline lists what happened, in samples; Span says where the phases and
// timers fell. ProcessAll does the feeding loop for audio held in memory,
// with an EndOfMedia policy for audio that ends first. Stop ends an
// operation from outside (cancel, hang-up, stall); Release gives back its
// audio once it has been read.
//
// # A call
//
// A Call is one caller stream and its media queue (docs/call.md): Record
// and PlayPrompt queue operations that run in order on the same continuous
// stream, CancelMedia and barge-in cancel them, Hangup ends the call,
// SetMedia says what the caller sends from now on, SubscribeTones reports
// every digit the caller presses. Advance moves the stream on and reports
// what happened as CallEvents; State says what the call is doing.
//
// Many calls in real time are package runner's (engine/runner); the JSON a
// bot sends and receives is package graph's (engine/graph).
//
// Units: time is a sample index (int64) on the caller stream's clock; a
// timer fires at an exact sample. time.Duration and seconds appear only in
// requests and options.
//
// Buffers: Process and Advance take caller-owned samples, copy what they
// record and never retain the caller's slice. Events are appended to
// caller-supplied slices (ev = c.Advance(n, ev[:0])). RecordingParts,
// Timeline and Outbound return slices that alias the operation's own
// buffers: copy them to keep them past Release or past the operation. A
// Cache in the Options shares read-only tables and beeps and recycles
// recording chunks and detectors; its owner keeps it for as long as its
// operations run.
//
// Concurrency: Operation and Call read no clock, start no goroutine and
// are not safe for concurrent use. A Cache is safe for concurrent use.
//
// Zero allocations: Process and Advance do not allocate per frame in
// steady state (asserted by tests).
package engine
