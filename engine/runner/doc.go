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
// Concurrency: Runner is safe for concurrent use. Each call has its own
// lock: PacedCall.Do and PacedCall.View hold it while their function
// runs, and Pace's workers hold it while they step the call, so OnEvent
// runs with the call locked and must not call back into the same call.
// Calls on different workers step in parallel; calls with the same
// worker never overlap.
package runner
