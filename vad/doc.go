// Package vad is recsim's voice activity detector: it tells the record
// operation's silence timers (docs/timeline.md) where the caller's speech
// starts and ends. It is energy-based and built to ignore stationary noise,
// hum, the beep, DTMF and other tones, clicks and comfort noise; the
// behaviour it is held to is in docs/detectors.md#vad, its design and the
// figures measured on the fixtures in the package's README.md.
//
//	m, err := vad.NewModel(vad.DefaultConfig(8000)) // once per Config
//	d := m.New()                                    // once per stream
//	events = d.Process(events[:0], frame)           // every frame, in order
//	events = d.Flush(events)                        // at the end of the stream
//
// [New] does both steps for a caller that builds few detectors.
//
// # Units
//
// Time is a sample index on the stream's own clock, from 0 at the start of
// the stream (after [New], [Model.New], [Detector.Flush] or
// [Detector.Reset]). An [Event] carries two: Sample, where the speech
// starts (its first sample) or ends (one past its last sample, hangover
// excluded), and At, the number of samples consumed when the detector
// decided (SpeechStart: when the onset was confirmed; SpeechEnd: when the
// hangover ran out, or at Flush). Neither depends on how the stream was cut
// into Process calls. Rates are samples per second (Config.Rate,
// 8000–48000). Levels are dBFS (a full-scale sine is 0 dBFS), measured in
// the ~0–4 kHz band the detector analyses.
//
// # Events and streams
//
// Events alternate, SpeechStart first, in the order of both Sample and At.
// [Detector.Flush] ends a stream: it appends the SpeechEnd of speech still
// open and resets the detector, so every stream's events end closed and the
// next stream starts as on a new detector. [Detector.Reset] starts a new
// stream without closing the old one.
//
// # Buffers and concurrency
//
// The caller owns pcm and dst: [Detector.Process] reads pcm and appends to
// dst (dst = d.Process(dst[:0], pcm), strconv.Append style) and keeps
// neither. A Detector is not safe for concurrent use; use one per stream.
// Detectors share nothing mutable, so detectors on different goroutines
// run in parallel. A [Model] is read-only once [NewModel] returns: it may
// be shared by pointer and [Model.New] called from any goroutine.
//
// Allocation: [NewModel] allocates the Model, [Model.New] the detector's
// own state, [New] both. Process, Flush and Reset allocate nothing once dst
// has room.
//
// The package has no mutable package-level state and imports only the
// standard library.
package vad
