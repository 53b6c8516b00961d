// Package vad is recsim's voice activity detector: it tells the record
// operation's silence timers (SPEC §3) where the caller's speech starts and
// ends. It is energy-based and cheap, and built to ignore what fixed
// threshold detectors take for speech: stationary noise of any level and
// colour, mains hum, the beep, DTMF and other tones, clicks, and comfort
// noise that changes level.
//
// # Units
//
// Time is a sample index on the stream's own clock, from 0 at [New] or
// [Detector.Reset]. An [Event] carries two: Sample, where the speech starts
// (its first sample) or ends (one past its last sample, hangover excluded),
// and At, the number of samples consumed when the detector decided
// (SpeechStart: when the onset was confirmed; SpeechEnd: when the hangover
// ran out). At does not depend on how the stream was chunked. Levels are
// dBFS (a full-scale sine is 0 dBFS), measured in the ~0–4 kHz band the
// detector analyses.
//
// # Buffers and concurrency
//
// The caller owns pcm and dst: [Detector.Process] reads pcm and appends to
// dst (dst = d.Process(dst[:0], pcm)) and keeps neither. A Detector is not
// safe for concurrent use; use one per stream. It allocates only in [New]:
// Process, Flush and Reset allocate nothing once dst has room.
//
// # Design
//
// The input is summed in groups of D = round(Rate/8000) samples, so the
// analysis always runs at 5.3–11 kHz on the telephone band, and cut into
// 10 ms sub-frames. The only per-sample work is five multiply-adds: the lag
// products x[n]·x[n−d], d = 0…4 (with AVX2, for two sub-frames at a time,
// bit for bit as in plain Go). Per sub-frame, exact boundary corrections
// turn them into the covariance matrix Φ, and everything else is a few
// hundred flops on 5×5 matrices:
//
//   - Noise model and floor. The background is modelled by an average of the
//     covariance matrices of noise sub-frames, from which an order-4
//     noise-whitening filter and the floor (the whitened energy of a noise
//     sub-frame) follow. A sub-frame's excess q is its whitened energy over
//     the floor: white, pink and brown noise, hum and any stationary
//     coloured noise look alike, flat, once whitened, and speech stands out
//     by the same margin in all of them. The model learns from sub-frames
//     within TailMarginDB of the floor outside speech; the floor follows the
//     30 ms-smoothed whitened energy down at once and rises to the minimum
//     of the last FloorWindowMs when all of that window stayed above it,
//     steadily (minimum statistics, Martin 2001): a louder background is
//     adopted within 0.8–0.9 s, and a long utterance never lifts the floor
//     into itself. The first 30 ms of a stream seed the model, so a stream
//     that opens with noise or hum opens with the right floor; a model
//     seeded by something louder than the noise that follows (the beep,
//     speech) is replaced by the first noise sub-frame 20 dB under it.
//   - Speech-like sub-frames rise SpeechMarginDB over the floor, or
//     SustainMarginDB over it three sub-frames running.
//   - Tones. Four prediction coefficients fit any sum of two sinusoids and
//     hum; speech keeps an order-4 prediction gain under 35 dB and a
//     residual well over what the background leaves through the same
//     predictor. A sub-frame is tonal if prediction removes ≥ 40 dB of it,
//     or leaves no more than the noise would (with its own and the previous
//     sub-frame's predictor), or if it is steady and nearly so (DTMF over
//     noise). Tonal sub-frames, those next to them and overloaded ones
//     (−2 dBFS and more: clipped DTMF) are no evidence of speech.
//   - Level steps. A sub-frame whose spectrum the noise model whitens as
//     well as its own predictor does is "shaped" like the noise: a level
//     step of the background. Confirmation needs two sub-frames shaped like
//     speech, unless one rises 25 dB over the floor.
//   - Confirmation: 5 speech-like sub-frames (50 ms) within 8 (80 ms), one
//     of them at −55 dBFS or more. A click under 30 ms touches at most four.
//     The onset is the first strong sub-frame of the window, extended back
//     over weak ones; At is the end of the confirming sub-frame.
//   - Continuation and end. Strong sub-frames continue the segment across
//     gaps up to 100 ms, weak ones across gaps of ≤ 20 ms and for ≤ 100 ms
//     past the last strong one. The noise model does not learn during
//     speech and its hangover. The segment ends 500 ms (HangoverMs) after
//     its last speech; the end is then re-extended over weak sub-frames
//     against the current floor and moved on by the median length of the
//     decay hidden under the noise at that SNR (0 at 30 dB SNR and more,
//     up to 43 ms at 10 dB, measured on the fixtures).
//
// # Measured figures
//
// On the 56 espeak-ng fixtures (18 scenes of 3 clips per class and rate,
// 47 utterances, pauses 0.3–8 s, leading silence 0.5–10 s; speech at
// −26 dBFS active level unless said; SNR = active level − noise level), at
// 8 and 16 kHz; onset = SpeechStart.At − first sample of the clip, end =
// SpeechEnd.Sample − last sample; decisions = the timer SPEC §3 fires first
// and its sample (±50 ms) for initial and max silence timeouts of 1, 2 and
// 5 s, against the same rule applied to the clip positions:
//
//	class (8 kHz | 16 kHz)     onset max/p95 ms      |end| max/p95 ms      decisions
//	clean −26 dBFS             90/50 | 50/50         10/9 | 10/9          100 | 100 %
//	quiet −40 dBFS             110/86 | 110/70       10/9 | 9/9           100 | 100 %
//	white noise 30 dB SNR      140/102 | 123/95      20/14 | 26/16        100 | 100 %
//	white noise 20 dB SNR      200/132 | 140/124     181/104 | 127/86     88 | 93 %
//	white noise 10 dB SNR      170/145 | 280/132     529/76 | 540/120     92 | 85 %
//	pink noise 30 dB SNR       110/70 | 88/57        52/12 | 92/20        96 | 96 %
//	pink noise 20 dB SNR       150/100 | 140/98      102/86 | 170/86      97 | 88 %
//	pink noise 10 dB SNR       600/290 | 786/502     773/383 | 777/528    75 | 73 %
//	brown noise 30 dB SNR      50/50 | 80/50         38/14 | 19/11        100 | 100 %
//	brown noise 20 dB SNR      70/50 | 80/70         55/10 | 19/15        96 | 100 %
//	brown noise 10 dB SNR      130/82 | 130/90       100/24 | 102/69      93 | 94 %
//	50 Hz hum −20 dBFS         110/90 | 90/83        280/48 | 330/33      99 | 99 %
//	beep at sample 0, pink −60 110/60 | 88/50        55/14 | 96/17        96 | 100 %
//	comfort noise in pauses    120/80 | 88/59        112/107 | 110/104    80 | 80 %
//
// The beep before the speech, clicks and DTMF in the pauses and 60 Hz hum
// at −30 dBFS change nothing from clean speech. At 5 dB SNR (reported only)
// utterances split and onsets come up to 0.3–1.3 s late. Speech resampled
// to 11.025, 22.05, 32, 44.1 and 48 kHz behaves as at 8 and 16 kHz.
//
// No speech was ever confirmed on stationary white, pink or brown noise
// from −70 to −10 dBFS, 50/60 Hz hum from −50 to −10 dBFS (from the first
// sample or switched on), the beep, 426 DTMF digits of 40–200 ms at −3 to
// −30 dBFS (clipped at −3 dBFS, and 25 dB over pink noise), call-progress
// and SIT tones, single-sample pops and 1–20 ms bursts, or comfort noise
// stepping ±6 dB, at 8, 11.025, 16, 22.05, 44.1 and 48 kHz. A 20 dB step of
// the background is never taken for speech; a 30 dB step is, for
// 0.89–0.91 s. Throughput on one core of the 2-core build machine (AMD
// EPYC with AVX2, under load from other jobs): 2.9–4.5×10⁸ samples/s at
// 8 kHz, 5.6–8.9×10⁸ at 16 kHz (BenchmarkDetector, BenchmarkDetector16k),
// 35 000–55 000× real time; on the pure-Go path at most 3.1×10⁸ and
// 5.5×10⁸.
//
// Known limits: at 10 dB SNR and below, weak first and last phonemes sink
// under the noise (onsets up to ~0.3 s late in white noise, more for nasal
// openings in pink noise, and utterances may split); DTMF 10 dB over white
// noise, or 200 ms digits 10–20 dB over brown noise, can be confirmed as
// speech; a stream that starts in the middle of speech takes its first
// 30 ms for noise and confirms that utterance 0.1–0.44 s late.
package vad
