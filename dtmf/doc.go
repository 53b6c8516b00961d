// Package dtmf is a streaming DTMF (touch-tone) detector: the stop-tone
// detector of recsim's record operation, after ITU-T Q.24 (AT&T/Bellcore
// column) and ETSI ES 201 235-3 as SPEC §7 states them.
//
//	det, err := dtmf.New(dtmf.DefaultConfig(8000))
//	events = det.Process(events[:0], frame) // for every frame, in order
//	events = det.Flush(events)              // at the end of the stream
//
// # Units
//
// Time is samples. Every position in an Event is an int64 sample index
// counted from 0 at New or Reset; the rate (Config.Rate, samples per
// second, 8000–48000) only converts it at the edges. Every constant is
// derived from the rate (5 ms blocks are Rate/200 samples). Levels are
// dBFS as package media defines them: a sine of L dBFS has a peak of
// 32767·10^(L/20).
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
//
// # Buffers and concurrency
//
// The caller owns pcm and dst: Process reads pcm and appends to dst
// (strconv.Append style, dst = d.Process(dst[:0], pcm)) and retains
// neither. With a dst of sufficient capacity Process and Flush allocate
// nothing (asserted by TestProcessAllocatesNothingInSteadyState). A
// Detector is not safe for concurrent use; Detectors share nothing (the
// package has no mutable state), so one per stream may run in parallel.
//
// # Design
//
// One pass over the samples runs eight Goertzel resonators (one per DTMF
// frequency) over 5 ms blocks; at each block's end it keeps their final
// states, the block's power at each frequency, its energy and its mean.
// All eight run in float64; on amd64 with AVX2 an assembly kernel runs
// three blocks side by side, bit-identical to the pure-Go loop used
// elsewhere (1.0 against 4.1 ns/sample for the previous pure-Go bank on
// the reference machine). Everything else is per block, and most of it
// only when a block is a candidate:
//
//   - Pre-gates: each block, and a 30 ms window of 6 blocks, must carry
//     most of its energy at one row and one column frequency (incoherent
//     powers, thresholds far below what true digits give).
//   - Exact block model: a block's row and column outputs are a linear
//     function of the two tones' complex amplitudes, including the leakage
//     of each tone into the other's resonator and both negative-frequency
//     images. Inverting that 4×4 real system gives leakage-free amplitudes
//     per block (in 5 ms blocks 941 Hz reaches the 1209 Hz resonator at
//     −13.6 dB, which at −8 dB twist would otherwise swamp the weak tone).
//   - Frequency: Goertzel magnitude over 30 ms cannot tell 1.5 % from
//     3.5 % (resolution ≈ 33 Hz; 17 Hz separate them at 697 Hz), so each
//     tone's frequency comes from the phase its amplitude turns by from
//     block to block (coarse, unambiguous within ±100 Hz), refined by the
//     phase between the two halves of the window. Measured error ≤ 0.13 %
//     of nominal. The block model is then solved again at the measured
//     frequencies, which makes it exact for two pure tones.
//   - Window tests: deviation within 2.5 %, twist −10…+6 dB, the stronger
//     tone ≥ −48 dBFS, the two tones (as steady sinusoids over the window)
//     ≥ 80 % of the window's energy without its DC, every block at least
//     60 % filled, and the column/row ratio not within 0.5 % of 2/1 or 3/2
//     (a note and its octave, or a harmonic pair: DTMF pairs never stand
//     in those ratios, and music does otherwise get through as '2', '6',
//     'C' or '4').
//   - Onset and release: the tone's amplitudes, phases and frequencies
//     predict what each neighbouring block would show for every possible
//     sliver length; a least-squares fit (exact for clean tones) places the
//     edges to a fraction of a millisecond.
//   - Acceptance: a valid window and a tone that has lasted 31.5 ms from
//     its estimated onset (midway between the 23 ms to reject and the 40 ms
//     to accept, whatever the alignment to the blocks).
//   - Holding: each tone, followed by a smoothed phasor advanced at its
//     measured frequency, must keep half its level and its frequency
//     (within 1 rad per block; a neighbouring DTMF frequency turns 2.3 rad
//     more). 5 blocks (25 ms) without them release the digit: gaps of up
//     to 18 ms are bridged, 28 ms and longer split it, whether the tone
//     resumes in phase or not; a digit that changes without a pause is
//     released and the next one found.
//   - Constant offsets (DC) are removed exactly, per block, from the energy
//     and from the resonator outputs.
//
// Config documents every threshold and where its default comes from;
// TestMargins re-measures the margins.
//
// # Measured performance
//
// Conformance battery (TestConformance: 1130 cases per rate at 8000 and
// 16000 Hz, every digit, random block alignment and tone phases, exact
// digit strings; TestOtherRates covers 11025–48000 Hz), all passing:
//
//	frequency deviation  ±1.5 % accepted; ±3.5 %, ±5 % rejected: row, column,
//	                     both, opposite directions
//	duration             40, 45, 60, 100 ms accepted; 10, 20, 23 ms rejected
//	                     (the threshold sits at 31.5 ms ± 1.5 ms)
//	twist                −8…+4 dB accepted (also with ±1.5 % offsets);
//	                     −14, −12, +8, +10 dB rejected
//	level                −40…−3 dBFS per tone accepted (−3 dBFS clips);
//	                     −55, −60, −65 dBFS rejected
//	noise                white noise at 15 dB SNR per tone: no missed, extra
//	                     or split digit
//	pauses and dropouts  "11##**00" and others at 40 ms/40 ms give every
//	                     digit; a 5 or 10 ms dropout does not split a digit,
//	                     a 40 ms gap does (the split falls at 22 ± 4 ms)
//	timing               onset within 0.94 ms, release within 1.38 ms,
//	                     KeyDown within 37.3 ms of the onset (with 5 ms
//	                     raised-cosine ramps: within 3.1 ms of the ramps'
//	                     outer ends, KeyDown within 38.6 ms)
//	also                 ramped tones, DC offsets up to 3 % of full scale,
//	                     digits changing without a pause, harmonic pairs
//
// Talk-off (TestTalkOff, TestTalkOffPitchShifted): no digit in 7.1 minutes
// of speech and 6.0 minutes of music per rate (fixtures at their own level
// and 20 dB down), nor in 160 minutes per rate of the same material
// pitch-shifted by 0.85–1.15 (-long). Talk-down (TestMargins): a 100 ms
// digit keyed over speech is always found when the speech (its mean level)
// is at least 9 dB below one tone, 97 % of the time at 6 dB, 88–92 % at
// 3 dB, and never split or mistaken.
//
// Speed (BenchmarkDetector: 3.5 minutes of speech with 112 digits in 20 ms
// frames, one core of the shared reference machine, best of repeated runs):
// 2.5 ns per sample at 8 kHz (4.0·10^8 samples/s, 50 000 times real time),
// 1.8 ns at 16 kHz, of which the resonator bank takes 1.0 and 0.9 (it took
// 4.1–4.3 of 6.1 and 5.0 before the AVX2 kernel); zero allocations.
package dtmf
