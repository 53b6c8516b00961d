// Package dtmf is a streaming DTMF (touch-tone) detector: the stop-tone
// detector of recsim's record operation, after ITU-T Q.24 (AT&T/Bellcore
// column) and ETSI ES 201 235-3 (docs/detectors.md#dtmf).
//
//	det, err := dtmf.New(dtmf.DefaultConfig(8000))
//	events = det.Process(events[:0], frame) // for every frame, in order
//	events = det.Flush(events)              // at the end of the stream
//
// To run many streams with one Config, build the shared tables once and
// make a Detector per stream from them:
//
//	bank, err := dtmf.NewBank(dtmf.DefaultConfig(8000))
//	det := bank.New() // per stream
//
// The keypad itself (digits and frequencies) is package
// [github.com/recsim/recsim/dtmf/keypad].
//
// # Units
//
// Time is samples at Config.Rate (samples per second, 8000–48000; see
// docs/audio.md). Every position in an Event is an int64 sample index
// counted from 0 at the start of the stream: when the Detector is made
// ([New], [Bank.New]) and again after [Detector.Reset] or
// [Detector.Flush]. Config's durations are in samples or blocks of
// Config.Block samples; levels are dBFS as package media defines them (a
// sine of L dBFS has a peak of 32767·10^(L/20)).
//
// # Events
//
// A digit gives a KeyDown when it is accepted and a KeyUp when it ends. Both
// carry Onset, the estimated first sample of the tone; KeyUp also carries
// Release, one past its last sample. At is the number of samples consumed
// when the event was decided: always a block boundary (or the end of the
// stream for Flush), so events, including At, do not depend on how the
// stream is cut into frames. A digit is decided before its KeyDown: a tone
// that will be rejected (too short, wrong frequency…) never produces one.
// Every KeyDown is followed by its KeyUp, at the latest from Flush.
//
// # Buffers
//
// The caller owns pcm and dst: Process reads pcm and appends to dst
// (strconv.Append style, dst = d.Process(dst[:0], pcm)) and retains
// neither; Flush appends to dst likewise. With a dst of sufficient
// capacity Process, Flush and Reset allocate nothing
// (TestProcessAllocatesNothingInSteadyState); Bank.New allocates the
// Detector and nothing else.
//
// # Concurrency
//
// A Detector is not safe for concurrent use: one per stream, used by one
// goroutine at a time. A Bank is read-only once NewBank returns: any number
// of detectors, on any goroutines, may share it. Detectors share nothing
// but their Bank, and the package has no mutable state, so detectors of
// different streams may run in parallel.
//
// How the detector works and how it measures (conformance, talk-off,
// speed) is in this directory's README.md; Config documents every
// threshold and where its default comes from.
package dtmf
