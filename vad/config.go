package vad

import "fmt"

// Config holds the detector's parameters. Start from [DefaultConfig]; every
// default says where it comes from ("measured" means on the committed
// espeak-ng speech fixtures and the synthetic noises, tones and clicks of
// this package's tests). Levels are dBFS under recsim's convention (a
// full-scale sine is 0 dBFS, other signals by equal power), measured in the
// ~0–4 kHz band the detector analyses.
type Config struct {
	// Rate is the sample rate in Hz, 8000…48000.
	Rate int

	// SpeechMarginDB is how far a sub-frame's noise-whitened energy must
	// rise above the noise floor to count as speech-like. Default 4 dB:
	// whitened by the noise model, 10 ms sub-frames of stationary white,
	// pink or brown noise stay within −2.6…+1.9 dB of their mean
	// (0.1st–99.9th percentile, measured) and the floor sits ~0.3 dB under
	// that mean, while 90 % of the active speech sub-frames at 10 dB SNR
	// clear 4 dB (measured: 10th percentile 4.6 dB in white noise, 3.5 dB in
	// pink).
	SpeechMarginDB float64

	// SustainMarginDB: three consecutive sub-frames that all rise this far
	// above the floor are speech-like too. Weak consonants and vowels at
	// low SNR stay a few dB up for tens of milliseconds; noise does not.
	// Default 2 dB: a noise sub-frame exceeds it with probability ~1.5 %
	// (measured), three in a row ~3·10⁻⁶.
	SustainMarginDB float64

	// TailMarginDB is the margin of the weak sub-frames that extend a
	// confirmed segment over its edges (the decay of the last syllable, a
	// soft first phoneme), and the limit under which a sub-frame may update
	// the noise model. Default 2.5 dB: above the 99.9th percentile of noise
	// sub-frames (+1.9 dB over their mean, measured).
	TailMarginDB float64

	// MinFrameLevel is the level under which a sub-frame never counts as
	// speech, whatever the floor. Default −80 dBFS: 40 dB under the
	// quietest speech docs/detectors.md#vad requires (−40 dBFS active
	// level), which keeps the faint first and last phonemes of such speech
	// (down to ~33 dB under the active level in the fixtures), while ±1 LSB
	// dither after digital silence (−95 dBFS) never counts.
	MinFrameLevel float64

	// MinOnsetLevel is the level at least one sub-frame of a confirmation
	// window must reach. Default −55 dBFS: the vowels of the quietest
	// required speech (−40 dBFS active level) lie within ±10 dB of its
	// active level, while comfort noise that creeps in under it after
	// digital silence never starts speech.
	MinOnsetLevel float64

	// ConfirmMs and ConfirmWindowMs: speech is confirmed once ConfirmMs of
	// speech-like sub-frames fall within the last ConfirmWindowMs.
	// Defaults 50 ms within 80 ms: a click shorter than 30 ms touches at
	// most four 10 ms sub-frames, so five are needed
	// (docs/detectors.md#vad), and a 30 ms allowance for a soft or
	// interrupted first phoneme still confirms within the 100 ms of the
	// onset that page allows.
	ConfirmMs       int
	ConfirmWindowMs int

	// BridgeMs is the longest gap after confirmed speech across which a
	// speech-like sub-frame continues the segment without a new
	// confirmation, and how far weak sub-frames may extend a segment past
	// its last strong one. Default 100 ms: the longest stop-consonant
	// closure inside a word (reasoning: voiceless stops close for
	// 50–100 ms). A burst after a longer gap is confirmed like an onset, so
	// a click during the hangover does not move the end of speech.
	BridgeMs int

	// HangoverMs is how long the detector waits after the last speech
	// before it reports SpeechEnd. Default 500 ms: pauses inside a sentence
	// of up to ~400 ms (docs/detectors.md#vad; 200 ms at most in the
	// fixtures) plus up to 100 ms of weak edges lost in noise do not split
	// a sentence, and the engine still learns the end well before a 1 s maxSilence timeout
	// would fire (docs/timeline.md measures silence from SpeechEnd.Sample,
	// not from At).
	HangoverMs int

	// FloorWindowMs is the minimum-statistics window: when the background
	// grows louder, the detector adopts the new floor once a whole window
	// has stayed above the old one, steadily. Default 800 ms: a step of
	// noise is absorbed within the 1 s docs/detectors.md#vad allows
	// (measured: a false segment on a 30 dB step ends 0.89–0.91 s after
	// it), while a word (≤ ~500 ms without a dip) is never taken for noise.
	FloorWindowMs int

	// TonalResidualDB and TonalGainDB define a tonal sub-frame (a beep, a
	// DTMF pair, hum): order-4 prediction removes more than TonalGainDB of
	// its noise-whitened energy and leaves a residual within
	// TonalResidualDB of what the background alone would leave through the
	// same predictor, with this sub-frame's predictor and the previous
	// one's. Defaults 2.5 dB and 5 dB, measured: single tones 10–40 dB over
	// white, pink or brown noise are flagged in ≥ 94 % of their
	// sub-frames, while 0.3–3 % of the active speech sub-frames are in
	// clean, pink, brown or 30 dB white noise, 11–12 % at 10–20 dB SNR in
	// white noise (resonant vowels, which the confirmation tolerates).
	TonalResidualDB float64
	TonalGainDB     float64

	// TonalAbsGainDB: a sub-frame whose order-4 prediction removes this
	// much of its noise-whitened energy is tonal whatever its residual.
	// Default 40 dB: speech stays under 35 dB (measured maximum over all
	// active sub-frames of the fixtures, clean), while tones, DTMF and hum
	// over digital silence exceed 45 dB; there the residual is rounding
	// noise, whose estimate scatters by ±3 dB.
	TonalAbsGainDB float64

	// ShapeDB and ShapeFrames reject a level step of stationary noise
	// (comfort noise that changes level, a noise switched on): at least
	// ShapeFrames of the speech-like sub-frames in a confirmation window
	// must be whitened ShapeDB worse by the noise model than by their own
	// predictor, i.e. their spectrum must differ from the noise's. Defaults
	// 2 dB and 2: noise sub-frames stay under 1.2 dB (99.9th percentile,
	// white, pink and brown, measured), half the active speech sub-frames
	// at 10 dB SNR exceed 2 dB.
	ShapeDB     float64
	ShapeFrames int

	// ShapeWaiveDB: the shape test is waived when a speech-like sub-frame
	// of the window rises ShapeWaiveDB above the floor. Default 25 dB:
	// speech in a quiet room rises far more and may open with noise-like
	// fricatives (measured: the /θ/ of "thirty" whitens within 1.5 dB of
	// white noise), while a 20 dB step of the background is never taken for
	// speech (measured, white, pink and brown); a larger step is, until the
	// floor adapts (FloorWindowMs).
	ShapeWaiveDB float64
}

// DefaultConfig returns the default configuration for rate.
func DefaultConfig(rate int) Config {
	return Config{
		Rate:            rate,
		SpeechMarginDB:  4,
		SustainMarginDB: 2,
		TailMarginDB:    2.5,
		MinFrameLevel:   -80,
		MinOnsetLevel:   -55,
		ConfirmMs:       50,
		ConfirmWindowMs: 80,
		BridgeMs:        100,
		HangoverMs:      500,
		FloorWindowMs:   800,
		TonalResidualDB: 2.5,
		TonalGainDB:     5,
		TonalAbsGainDB:  40,
		ShapeDB:         2,
		ShapeFrames:     2,
		ShapeWaiveDB:    25,
	}
}

// validate checks c field by field; the error names the field, its value and
// the rule.
func (c Config) validate() error {
	bad := func(field string, v any, rule string) error {
		return fmt.Errorf("vad: Config.%s = %v: %s", field, v, rule)
	}
	in := func(v, lo, hi float64) bool { return v >= lo && v <= hi } // false for NaN
	switch {
	case c.Rate < 8000 || c.Rate > 48000:
		return bad("Rate", c.Rate, "must be 8000–48000")
	case !(c.SpeechMarginDB > 0 && c.SpeechMarginDB <= 40):
		return bad("SpeechMarginDB", c.SpeechMarginDB, "must be in (0, 40]")
	case !(c.SustainMarginDB > 0 && c.SustainMarginDB <= c.SpeechMarginDB):
		return bad("SustainMarginDB", c.SustainMarginDB, fmt.Sprintf("must be in (0, SpeechMarginDB = %v]", c.SpeechMarginDB))
	case !(c.TailMarginDB > 0 && c.TailMarginDB <= c.SpeechMarginDB):
		return bad("TailMarginDB", c.TailMarginDB, fmt.Sprintf("must be in (0, SpeechMarginDB = %v]", c.SpeechMarginDB))
	case !in(c.MinFrameLevel, -120, 0):
		return bad("MinFrameLevel", c.MinFrameLevel, "must be −120…0 dBFS")
	case !in(c.MinOnsetLevel, c.MinFrameLevel, 0):
		return bad("MinOnsetLevel", c.MinOnsetLevel, fmt.Sprintf("must be MinFrameLevel (%v)…0 dBFS", c.MinFrameLevel))
	case c.ConfirmMs < frameMs || c.ConfirmMs > 1000:
		return bad("ConfirmMs", c.ConfirmMs, "must be 10–1000")
	case c.ConfirmWindowMs < c.ConfirmMs || c.ConfirmWindowMs > 2000:
		return bad("ConfirmWindowMs", c.ConfirmWindowMs, fmt.Sprintf("must be ConfirmMs (%d)–2000", c.ConfirmMs))
	case c.BridgeMs < frameMs || c.BridgeMs > 1000:
		return bad("BridgeMs", c.BridgeMs, "must be 10–1000")
	case c.HangoverMs <= c.BridgeMs || c.HangoverMs > 5000:
		return bad("HangoverMs", c.HangoverMs, fmt.Sprintf("must be above BridgeMs (%d) and at most 5000", c.BridgeMs))
	case c.FloorWindowMs < 100 || c.FloorWindowMs > 10000:
		return bad("FloorWindowMs", c.FloorWindowMs, "must be 100–10000")
	case !in(c.TonalResidualDB, 0, 20):
		return bad("TonalResidualDB", c.TonalResidualDB, "must be 0–20")
	case !in(c.TonalGainDB, 0, 60):
		return bad("TonalGainDB", c.TonalGainDB, "must be 0–60")
	case !in(c.TonalAbsGainDB, c.TonalGainDB, 100):
		return bad("TonalAbsGainDB", c.TonalAbsGainDB, fmt.Sprintf("must be TonalGainDB (%v)–100", c.TonalGainDB))
	case !in(c.ShapeDB, 0, 20):
		return bad("ShapeDB", c.ShapeDB, "must be 0–20")
	case c.ShapeFrames < 0 || c.ShapeFrames*frameMs > c.ConfirmMs:
		return bad("ShapeFrames", c.ShapeFrames, fmt.Sprintf("must be 0–%d (ConfirmMs / 10 ms)", c.ConfirmMs/frameMs))
	case !in(c.ShapeWaiveDB, c.SpeechMarginDB, 100):
		return bad("ShapeWaiveDB", c.ShapeWaiveDB, fmt.Sprintf("must be SpeechMarginDB (%v)–100", c.SpeechMarginDB))
	}
	return nil
}
