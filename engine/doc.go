// Package engine runs Microsoft Graph's recordResponse operation on caller
// audio (SPEC §1–§5): the request ([ParseRecordRequest]), the synchronous
// state machine of one operation ([Operation]: prompt, beep, listen; stop
// tones, silence timers, duration cap), the call with its media queue
// ([Call]: playPrompt and recordResponse in order, cancel, barge-in,
// hang-up, end of media), the one results table ([ResultOf]), the
// recordOperation wire types ([OperationView.Wire]) and the runner that
// paces many calls in real time or runs them as fast as the CPU allows
// ([Runner]).
//
// Units: time is a sample index (int64) on the caller stream's clock; a
// timer fires at an exact sample. time.Duration and seconds appear only in
// requests, options and JSON.
//
// Buffers: Operation.Process and Call.Advance take caller-owned samples,
// copy what they record and never retain the caller's slice. Events are
// appended to caller-supplied slices (dst = x.Advance(n, dst[:0])).
// Recording, Timeline and Outbound return slices that alias the
// operation's own buffers: copy them to keep them past the operation.
//
// Concurrency: Operation and Call read no clock, start no goroutine and are
// not safe for concurrent use. Runner is safe for concurrent use: each call
// under it has its own lock (RunCall.Do, RunCall.View); in realtime mode
// Run ticks every 20 ms and may spread the calls over several workers.
//
// Zero allocations: Operation.Process and Call.Advance do not allocate per
// frame in steady state (asserted by tests).
package engine
