// Package runner paces many engine.Calls: in Realtime mode it advances
// every call that has work a frame per tick of a clock (Runner.Pace),
// spreading the calls over worker goroutines; in Fast mode a call's
// operations run to their end as soon as they start (PacedCall.Do). The
// same calls give the same results, timelines and recordings in both
// (docs/server.md).
//
// It is the one part of the simulation with a clock and goroutines:
// package engine stays synchronous, and this package drives it.
//
// Units: Options.Frame and ReceiveTimeout are wall-clock durations; a
// frame advances each call by Frame's worth of samples at its own rate.
// Lateness (Options.FrameLateness, Stats) is how long after its tick was
// due a frame's work finished.
//
// Buffers: events reach Options.OnEvent one at a time; the CallEvent and
// the engine values it points to belong to the call, so read them during
// the callback and copy what must outlive the call's next step.
//
// Concurrency: Runner is safe for concurrent use. Calls are locked in
// batches of up to 64 (a call keeps its batch from Add to Remove):
// PacedCall.Do and PacedCall.View hold the call's batch lock while their
// function runs, and a Pace worker holds it while it steps the batch's
// calls one after another, so a tick takes one lock per batch, not per
// call frame. OnEvent therefore runs with the call's batch locked: it must
// not call Do or View on any call, and a Do or View function must not
// either. Batches on different workers step in parallel; calls with the
// same worker never overlap.
package runner
