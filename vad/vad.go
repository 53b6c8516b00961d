package vad

import (
	"fmt"
	"math"
)

// Config holds the detector's parameters. Start from [DefaultConfig]; every
// default below says where it comes from. Levels are dBFS under recsim's
// convention (a full-scale sine is 0 dBFS; other signals by equal power),
// measured in the 0–4 kHz band the detector analyses.
type Config struct {
	// Rate is the sample rate in Hz, 8000…48000.
	Rate int

	// SpeechMarginDB is how far a sub-frame's noise-whitened energy must
	// rise above the noise floor to count as speech-like. Default 4 dB:
	// with the noise model of a stationary white, pink or brown noise the
	// whitened energy of 10 ms noise sub-frames stays within −2.6…+1.9 dB of
	// its mean (0.1st–99.9th percentile, measured), and the floor sits
	// about 1 dB under that mean; 4 dB keeps ~90 % of the active speech
	// sub-frames at 10 dB SNR (measured on the fixtures: 10th percentile
	// 4.6 dB in white noise, 3.5 dB in pink).
	SpeechMarginDB float64

	// SustainMarginDB is the margin three consecutive sub-frames must all
	// exceed to count as speech-like even when none reaches SpeechMarginDB:
	// weak consonants and vowels at low SNR stay a few dB above the floor
	// for tens of milliseconds, which noise does not. Default 2 dB: a noise
	// sub-frame exceeds it with probability ~1.5 % (measured), three in a
	// row ~3·10⁻⁶.
	SustainMarginDB float64

	// TailMarginDB is the lower margin used to extend a confirmed segment
	// over its weak edges (the decay of the last syllable, a soft onset)
	// and the limit under which a sub-frame may update the noise model.
	// Default 2.5 dB: above the 99.9th percentile of noise sub-frames
	// (+1.9 dB over the mean, measured), so noise rarely extends a segment.
	TailMarginDB float64

	// MinFrameLevel is the level under which a sub-frame never counts as
	// speech, whatever the noise floor. Default −75 dBFS: 35 dB under the
	// quietest speech the spec requires (−40 dBFS active level), which keeps
	// the faint word-final tails of such speech (measured down to ~28 dB
	// under the active level in the fixtures), while ±1 LSB dither
	// (−95 dBFS) after digital silence is ignored.
	MinFrameLevel float64

	// MinOnsetLevel is the level at least one sub-frame of the confirmation
	// window must reach. Default −55 dBFS: the vowels of the quietest
	// required speech (−40 dBFS active level) lie within about ±10 dB of
	// it; comfort noise and line noise that creep in under it never start
	// speech.
	MinOnsetLevel float64

	// ConfirmMs and ConfirmWindowMs: speech is confirmed once ConfirmMs of
	// speech-like sub-frames fall within the last ConfirmWindowMs.
	// Defaults 50 ms within 80 ms: a click shorter than 30 ms touches at
	// most four 10 ms sub-frames, so five are needed (SPEC §7: clicks
	// < 30 ms are not speech), and a 30 ms allowance for a soft first
	// phoneme still confirms within the spec's 100 ms of the onset.
	ConfirmMs       int
	ConfirmWindowMs int

	// BridgeMs is the longest gap after confirmed speech across which a
	// speech-like sub-frame continues the segment without a new
	// confirmation. Default 100 ms: the longest stop-consonant closures
	// inside words (reasoning: voiceless stops close for ~50–100 ms). A
	// burst after a longer gap must be confirmed like an onset, so a click
	// during the hangover does not move the end of speech.
	BridgeMs int

	// HangoverMs is how long the detector waits after the last speech
	// before it reports SpeechEnd. Default 500 ms: word gaps and pauses
	// inside a sentence of up to ~400 ms (the spec; 200 ms at most in the
	// fixtures) plus up to 100 ms of weak edges lost in noise do not split
	// a sentence, and the engine still learns the end well before a 1 s
	// maxSilence timeout would fire (SPEC §3 measures silence from
	// SpeechEnd.Sample, not from At).
	HangoverMs int

	// FloorWindowMs is the minimum-statistics window: when the noise
	// floor rises, the detector adopts the new floor once a whole window has
	// stayed above the old one. Default 800 ms, so that a 20 dB step of
	// noise is absorbed within the 1 s the spec allows, while a single word
	// (≤ ~500 ms without a dip to the floor) is never taken for noise.
	FloorWindowMs int

	// TonalResidualDB and TonalGainDB define a tonal sub-frame (a beep, a
	// DTMF pair, hum): its order-4 prediction residual is within
	// TonalResidualDB of what the background noise alone leaves through the
	// same predictor, in this sub-frame and with the previous sub-frame's
	// predictor, while prediction removes more than TonalGainDB of its
	// noise-whitened energy. Defaults 1.5 dB and 5 dB, measured: single
	// tones at 10–40 dB above white, pink or brown noise give a residual
	// excess under 1.5 dB in 95 % of sub-frames and a gain ≥ 5.3 dB, while
	// active speech sub-frames are flagged ≤ 4.4 % of the time at 10–30 dB
	// SNR.
	TonalResidualDB float64
	TonalGainDB     float64

	// TonalAbsGainDB: a sub-frame whose order-4 prediction removes this
	// much of its noise-whitened energy is tonal whatever its residual.
	// Default 40 dB: speech at 8 kHz stays under 35 dB (measured maximum
	// over the fixtures' active sub-frames: 34.5 dB; 99.9th percentile
	// 28.8 dB), while tones, DTMF and hum over digital silence exceed 45 dB;
	// there the residual is rounding noise, whose estimate scatters by
	// ±3 dB, too much for TonalResidualDB.
	TonalAbsGainDB float64

	// ShapeDB and ShapeFrames reject a step in the level of stationary
	// noise (comfort noise that changes level, noise switched on): at
	// least ShapeFrames of the speech-like sub-frames in the confirmation
	// window must be whitened worse by the noise model than by their own
	// predictor by ShapeDB, i.e. their spectrum must differ from the
	// noise's. Defaults 2 dB and 2 sub-frames: noise sub-frames stay under
	// 1.2 dB (99.9th percentile, measured, white/pink/brown), half of the
	// active speech sub-frames exceed 2 dB at 10 dB SNR.
	ShapeDB     float64
	ShapeFrames int

	// ShapeWaiveDB: the spectral-shape test is waived when a speech-like
	// sub-frame of the window rises ShapeWaiveDB above the floor. Default
	// 20 dB: comfort noise and line noise change level by a few dB (RFC
	// 3389 comfort noise follows the background it replaces), while speech
	// in quiet rooms rises far more and may open with noise-like
	// fricatives that the shape test would hold back (measured: the /θ/ of
	// "thirty" whitens within 1.5 dB of white noise). A larger step is
	// taken for speech until the floor has adapted (FloorWindowMs).
	ShapeWaiveDB float64
}

// DefaultConfig returns the default configuration for rate.
func DefaultConfig(rate int) Config {
	return Config{
		Rate:            rate,
		SpeechMarginDB:  4,
		SustainMarginDB: 2,
		TailMarginDB:    2.5,
		MinFrameLevel:   -75,
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
		ShapeWaiveDB:    20,
	}
}

// Internal constants that are not worth a knob.
const (
	// frameMs is the sub-frame length: every decision is taken on 10 ms.
	frameMs = 10

	// analysisRate is the rate the analysis runs at: inputs are decimated
	// by the integer factor D nearest to Rate/8000 (boxcar sums of D
	// samples), so that the predictor sees about the 0–4 kHz telephone band
	// (analysis rates 5.3–11 kHz) and its gains mean the same at every input
	// rate.
	analysisRate = 8000

	// updateRate is the weight of one noise sub-frame in the running noise
	// model: a 100 ms time constant (10 sub-frames), fast enough to follow
	// comfort noise, slow enough to average the spectral estimate of
	// 10 ms sub-frames over ~10 of them.
	updateRate = 0.1

	// warmupFrames: the first sub-frames of a stream initialise the noise
	// model unconditionally (running mean), so that a file that starts with
	// noise or hum starts with the right floor (30 ms).
	warmupFrames = 3

	// smoothFrames: the floor follows the mean whitened energy of the last
	// three sub-frames (30 ms) down at once (minimum statistics), which
	// damps the ±2 dB fluctuation of single 10 ms sub-frames.
	smoothFrames = 3

	// floorSubwindows: the minimum-statistics window is kept as this many
	// sub-window minima (Martin 2001's U), so a rise is noticed with a
	// resolution of 1/8 of the window.
	floorSubwindows = 8

	// floorBiasDB corrects the minimum of a window of smoothed noise
	// energies for being under their mean: the minimum of 80 smoothed
	// sub-frames is ~1.5 dB under the mean (measured, white/pink/brown).
	floorBiasDB = 1.5

	// floorSpread: the floor rises only if the minima of all sub-windows
	// agree within 6 dB, i.e. the background is stationary. The minima of
	// 100 ms sub-windows of a stationary noise agree within ~2 dB
	// (measured); inside an utterance they range over 10 dB and more, from
	// a weak consonant to the middle of a vowel, so continuous speech
	// longer than the window does not lift the floor into itself.
	floorSpread = 3.981 // 6 dB

	// clipFraction: a sub-frame with at least 1/16 of its samples at full
	// scale (±32767, −32768) is clipped; its spectrum is the clipper's, not
	// the source's. Heavy clipping turns a DTMF pair at −3 dBFS per tone
	// (peaks at +3 dBFS) into a broadband signal (order-4 prediction gain
	// 8–14 dB, measured) that the tonal test cannot recognise; speech at
	// any sane level clips far less than 1/16 of a 10 ms sub-frame.
	clipFraction = 16

	// whiteningDepth limits the dynamic range of the noise-whitening
	// filter to 40 dB (a white-noise load of −40 dB on the noise model), so
	// that hum or a tone in the background model does not yield notches
	// deeper than the arithmetic can carry.
	whiteningDepth = 1e-4

	// fullScale is the peak of a 0 dBFS sine.
	fullScale = 32767.0
)

// EventKind says what an [Event] reports.
type EventKind uint8

// Event kinds.
const (
	SpeechStart EventKind = iota + 1
	SpeechEnd
)

func (k EventKind) String() string {
	switch k {
	case SpeechStart:
		return "SpeechStart"
	case SpeechEnd:
		return "SpeechEnd"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is a speech boundary.
type Event struct {
	Kind EventKind
	// Sample is, for SpeechStart, the index of the first speech sample; for
	// SpeechEnd, the index one past the last speech sample, hangover
	// excluded.
	Sample int64
	// At is the number of samples consumed when the decision was taken
	// (confirmation of the onset, end of the hangover). It does not depend
	// on how the stream was chunked.
	At int64
}

func (e Event) String() string {
	return fmt.Sprintf("%v{Sample: %d, At: %d}", e.Kind, e.Sample, e.At)
}

// frameRec is what the detector remembers of one sub-frame.
type frameRec struct {
	ew     float64 // noise-whitened energy
	q      float64 // ew over the floor at the time
	sl     bool    // speech-like
	ok     bool    // level ≥ MinFrameLevel and not tonal: may extend a segment if above the tail margin
	shaped bool    // spectrum differs from the noise model's
	loud   bool    // level ≥ MinOnsetLevel
}

// Detector is an energy-based voice activity detector. It is not safe for
// concurrent use.
type Detector struct {
	cfg Config

	// Derived sizes, in sub-frames unless noted.
	dec      int     // decimation factor D
	n        int     // decimated samples per sub-frame
	frameLen int64   // input samples per sub-frame (n·D)
	load     float64 // quantisation-noise energy of one sub-frame (diagonal load)
	confirmN int
	windowN  int
	bridgeN  int
	hangN    int
	subN     int // sub-frames per minimum-statistics sub-window
	mask     int64

	// Thresholds in linear units.
	speechQ, tailQ   float64
	sustainQ         float64
	tonalV, tonalD   float64
	tonalAbs         float64
	shapeD, waiveQ   float64
	minR0, minOnsetR float64

	// Per-sample state.
	r        [dim]float64     // lag sums of the current sub-frame (exact integers)
	tail     [tailLen]float64 // last decimated samples, oldest first
	prevTail [tailLen]float64 // tail at the start of the current sub-frame
	pos      int              // decimated samples in the current sub-frame
	acc      int              // partial decimation sum
	sub      int              // input samples in acc

	// Noise model.
	frame       int64   // index of the next sub-frame
	pn          mat     // noise covariance (per sub-frame, without load)
	pnl         mat     // pn with the quantisation load
	an          vec     // noise-whitening filter
	floor       float64 // expected whitened energy of a noise sub-frame
	nUpd        int     // noise sub-frames averaged so far
	ewHist      [smoothFrames]float64
	curMin      float64
	subPos      int
	subMins     [floorSubwindows]float64
	subCount    int
	prevE       vec
	prevOK      bool
	qHist       [2]float64 // q of the two previous sub-frames (0 if tonal)
	clip        int        // samples at full scale in the current sub-frame
	prevBlocked bool       // the previous sub-frame was tonal or clipped

	// Segmentation.
	ring     []frameRec
	inSpeech bool
	lastConf int64 // last confirmed speech sub-frame, −1 if none
	endLimit int64 // sample a new onset may not precede (previous SpeechEnd.Sample)

	trace func(k int64, t traceInfo)
}

type traceInfo struct {
	q, v, vx, gain, level, floor float64
	sl, tonal, shaped, loud      bool
}

// New returns a detector for cfg. It fails, naming the field and its value,
// if cfg is invalid.
func New(cfg Config) (*Detector, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := &Detector{cfg: cfg}
	d.dec = max((cfg.Rate+analysisRate/2)/analysisRate, 1)
	fs := float64(cfg.Rate) / float64(d.dec)
	d.n = int(math.Round(fs * frameMs / 1000))
	d.frameLen = int64(d.n * d.dec)
	d.load = float64(d.n) * float64(d.dec) / 12
	ms := func(v int) int { return max(int(math.Round(float64(v)*float64(cfg.Rate)/1000/float64(d.frameLen))), 1) }
	d.confirmN = ms(cfg.ConfirmMs)
	d.windowN = max(ms(cfg.ConfirmWindowMs), d.confirmN)
	d.bridgeN = ms(cfg.BridgeMs)
	d.hangN = max(ms(cfg.HangoverMs), d.bridgeN+1)
	d.subN = max(ms(cfg.FloorWindowMs)/floorSubwindows, 1)
	size := 1
	for size < max(d.hangN, d.windowN+d.bridgeN)+2 {
		size *= 2
	}
	d.ring = make([]frameRec, size)
	d.mask = int64(size - 1)
	db := func(x float64) float64 { return math.Pow(10, x/10) }
	d.speechQ = db(cfg.SpeechMarginDB)
	d.tailQ = db(cfg.TailMarginDB)
	d.sustainQ = db(cfg.SustainMarginDB)
	d.tonalV = db(cfg.TonalResidualDB)
	d.tonalD = db(cfg.TonalGainDB)
	d.tonalAbs = db(cfg.TonalAbsGainDB)
	d.shapeD = db(cfg.ShapeDB)
	d.waiveQ = db(cfg.ShapeWaiveDB)
	// Level L dBFS ↔ sub-frame energy: a 0–4 kHz signal of power P per
	// input sample sums to D²·P per decimated sample.
	energy := func(l float64) float64 {
		return float64(d.n) * float64(d.dec*d.dec) * fullScale * fullScale / 2 * db(l)
	}
	d.minR0 = energy(cfg.MinFrameLevel)
	d.minOnsetR = energy(cfg.MinOnsetLevel)
	d.Reset()
	return d, nil
}

func (c Config) validate() error {
	bad := func(field string, v any, rule string) error {
		return fmt.Errorf("vad: Config.%s = %v: %s", field, v, rule)
	}
	switch {
	case c.Rate < 8000 || c.Rate > 48000:
		return bad("Rate", c.Rate, "must be 8000–48000")
	case !(c.SpeechMarginDB > 0 && c.SpeechMarginDB <= 40):
		return bad("SpeechMarginDB", c.SpeechMarginDB, "must be in (0, 40]")
	case !(c.SustainMarginDB > 0 && c.SustainMarginDB <= c.SpeechMarginDB):
		return bad("SustainMarginDB", c.SustainMarginDB, fmt.Sprintf("must be in (0, SpeechMarginDB = %v]", c.SpeechMarginDB))
	case !(c.TailMarginDB > 0 && c.TailMarginDB <= c.SpeechMarginDB):
		return bad("TailMarginDB", c.TailMarginDB, fmt.Sprintf("must be in (0, SpeechMarginDB = %v]", c.SpeechMarginDB))
	case !(c.MinFrameLevel >= -120 && c.MinFrameLevel <= 0):
		return bad("MinFrameLevel", c.MinFrameLevel, "must be −120…0 dBFS")
	case !(c.MinOnsetLevel >= c.MinFrameLevel && c.MinOnsetLevel <= 0):
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
	case !(c.TonalResidualDB >= 0 && c.TonalResidualDB <= 20):
		return bad("TonalResidualDB", c.TonalResidualDB, "must be 0–20")
	case !(c.TonalGainDB >= 0 && c.TonalGainDB <= 60):
		return bad("TonalGainDB", c.TonalGainDB, "must be 0–60")
	case !(c.TonalAbsGainDB >= c.TonalGainDB && c.TonalAbsGainDB <= 100):
		return bad("TonalAbsGainDB", c.TonalAbsGainDB, fmt.Sprintf("must be TonalGainDB (%v)–100", c.TonalGainDB))
	case !(c.ShapeDB >= 0 && c.ShapeDB <= 20):
		return bad("ShapeDB", c.ShapeDB, "must be 0–20")
	case !(c.ShapeWaiveDB >= c.SpeechMarginDB && c.ShapeWaiveDB <= 100):
		return bad("ShapeWaiveDB", c.ShapeWaiveDB, fmt.Sprintf("must be SpeechMarginDB (%v)–100", c.SpeechMarginDB))
	case c.ShapeFrames < 0 || c.ShapeFrames*frameMs > c.ConfirmMs:
		return bad("ShapeFrames", c.ShapeFrames, fmt.Sprintf("must be 0–%d (ConfirmMs / 10 ms)", c.ConfirmMs/frameMs))
	}
	return nil
}

// Rate returns the sample rate the detector was built for.
func (d *Detector) Rate() int { return d.cfg.Rate }

// InSpeech reports whether speech has been confirmed and not yet ended.
func (d *Detector) InSpeech() bool { return d.inSpeech }

// Reset returns the detector to its state after New: sample indices count
// from 0 again and the noise model is forgotten.
func (d *Detector) Reset() {
	ring := d.ring
	clear(ring)
	*d = Detector{
		cfg: d.cfg, dec: d.dec, n: d.n, frameLen: d.frameLen, load: d.load,
		confirmN: d.confirmN, windowN: d.windowN, bridgeN: d.bridgeN, hangN: d.hangN,
		subN: d.subN, mask: d.mask,
		speechQ: d.speechQ, tailQ: d.tailQ, sustainQ: d.sustainQ, tonalV: d.tonalV, tonalD: d.tonalD, tonalAbs: d.tonalAbs,
		shapeD: d.shapeD, waiveQ: d.waiveQ, minR0: d.minR0, minOnsetR: d.minOnsetR,
		ring: ring, lastConf: -1, curMin: math.Inf(1), trace: d.trace,
	}
}

// Process analyses pcm, the next samples of the stream, and appends to dst
// the events decided while doing so. It does not retain pcm or dst.
func (d *Detector) Process(dst []Event, pcm []int16) []Event {
	for len(pcm) > 0 {
		need := (d.n-d.pos)*d.dec - d.sub
		k := min(need, len(pcm))
		if d.dec == 1 {
			d.accumulate(pcm[:k])
		} else {
			d.accumulateDecimated(pcm[:k])
		}
		pcm = pcm[k:]
		if k == need {
			dst = d.endFrame(dst)
		}
	}
	return dst
}

// Flush ends the stream: it appends a SpeechEnd for speech still open. A
// trailing partial sub-frame (< 10 ms) is not analysed.
func (d *Detector) Flush(dst []Event) []Event {
	if !d.inSpeech {
		return dst
	}
	consumed := d.frame*d.frameLen + int64(d.pos*d.dec+d.sub)
	return d.end(dst, d.frame-1, consumed)
}

// accumulate adds the lag products of seg (no decimation) to the running
// sums. This loop is the detector's only per-sample work. The products of
// 16-bit samples and their sums over a sub-frame are integers below 2⁵³, so
// float64 holds them exactly: the sums do not depend on how the stream was
// chunked (and float64 leaves the loop enough registers).
func (d *Detector) accumulate(seg []int16) {
	r0, r1, r2, r3, r4 := d.r[0], d.r[1], d.r[2], d.r[3], d.r[4]
	x1, x2, x3, x4 := d.tail[7], d.tail[6], d.tail[5], d.tail[4]
	clip := 0
	i := 0
	// Four samples per iteration: the history rotates through the named
	// variables instead of being shifted.
	for ; i+4 <= len(seg); i += 4 {
		q := seg[i : i+4 : i+4]
		clip += clipped(q[0]) + clipped(q[1]) + clipped(q[2]) + clipped(q[3])
		a, b, c, e := float64(q[0]), float64(q[1]), float64(q[2]), float64(q[3])
		r0 += a*a + b*b + c*c + e*e
		r1 += a*x1 + b*a + c*b + e*c
		r2 += a*x2 + b*x1 + c*a + e*b
		r3 += a*x3 + b*x2 + c*x1 + e*a
		r4 += a*x4 + b*x3 + c*x2 + e*x1
		x4, x3, x2, x1 = a, b, c, e
	}
	for _, s := range seg[i:] {
		clip += clipped(s)
		x := float64(s)
		r0 += x * x
		r1 += x * x1
		r2 += x * x2
		r3 += x * x3
		r4 += x * x4
		x4, x3, x2, x1 = x3, x2, x1, x
	}
	d.r = [dim]float64{r0, r1, r2, r3, r4}
	d.clip += clip
	m := len(seg)
	if m >= tailLen {
		for i := range d.tail {
			d.tail[i] = float64(seg[m-tailLen+i])
		}
	} else {
		copy(d.tail[:], d.tail[m:])
		for i, s := range seg {
			d.tail[tailLen-m+i] = float64(s)
		}
	}
	d.pos += m
}

// accumulateDecimated is accumulate for D > 1: it sums D input samples into
// one analysis sample first.
func (d *Detector) accumulateDecimated(seg []int16) {
	r0, r1, r2, r3, r4 := d.r[0], d.r[1], d.r[2], d.r[3], d.r[4]
	x1, x2, x3, x4 := d.tail[7], d.tail[6], d.tail[5], d.tail[4]
	acc, sub, dec := d.acc, d.sub, d.dec
	var hist [tailLen]float64
	h, clip := 0, 0
	for _, s := range seg {
		clip += clipped(s)
		acc += int(s)
		sub++
		if sub < dec {
			continue
		}
		x := float64(acc)
		acc, sub = 0, 0
		r0 += x * x
		r1 += x * x1
		r2 += x * x2
		r3 += x * x3
		r4 += x * x4
		x4, x3, x2, x1 = x3, x2, x1, x
		hist[h&(tailLen-1)] = x
		h++
	}
	d.r = [dim]float64{r0, r1, r2, r3, r4}
	d.acc, d.sub = acc, sub
	d.clip += clip
	m := min(h, tailLen)
	copy(d.tail[:], d.tail[m:])
	for i := 0; i < m; i++ {
		d.tail[tailLen-m+i] = hist[(h-m+i)&(tailLen-1)]
	}
	d.pos += h
}

// endFrame analyses the sub-frame just completed, updates the noise model
// and the segmentation, and appends the resulting events.
func (d *Detector) endFrame(dst []Event) []Event {
	var p mat
	covariance(&p, &d.r, &d.prevTail, &d.tail, d.load)
	d.prevTail = d.tail
	d.r = [dim]float64{}
	d.pos = 0
	clipped := d.clip*clipFraction >= int(d.frameLen)
	d.clip = 0
	k := d.frame
	d.frame++

	if d.nUpd == 0 {
		d.setModel(&p, 1)
	}
	ew := quad(&p, &d.an)
	q := ew / d.floor
	sig := p[0][0] - d.load
	rec := frameRec{ew: ew, q: q, loud: sig >= d.minOnsetR}
	levelOK := sig >= d.minR0
	tonal := false
	var v, vx, gain float64
	if q >= d.tailQ && levelOK {
		if e, res, ok := predict(&p); ok {
			v = res / d.noiseThrough(&e)
			gain = ew / res
			vx = v
			if d.prevOK {
				vx = quad(&p, &d.prevE) / d.noiseThrough(&d.prevE)
			}
			tonal = gain >= d.tonalAbs || (v < d.tonalV && vx < d.tonalV && gain > d.tonalD)
			rec.shaped = gain >= d.shapeD
			d.prevE, d.prevOK = e, true
		} else {
			d.prevOK = false
		}
	} else {
		d.prevOK = false
	}
	// Tonal and clipped sub-frames are no evidence of speech, nor are the
	// sub-frames right before and after them: the edges of a tone (its
	// onset and offset cut through a sub-frame) are not predictable, and a
	// sub-frame inside a tone whose residual estimate strays over the
	// threshold follows a tonal one.
	blocked := tonal || clipped
	if blocked && k > 0 {
		prev := &d.ring[(k-1)&d.mask]
		prev.sl, prev.ok = false, false
	}
	usable := levelOK && !blocked && !d.prevBlocked
	d.prevBlocked = blocked
	// A sub-frame is speech-like if it rises SpeechMarginDB above the floor,
	// or if it and the two before it all rise SustainMarginDB above it.
	qs := q
	if !usable {
		qs = 0
	}
	sustained := min(d.qHist[0], d.qHist[1], qs) >= d.sustainQ
	d.qHist[0], d.qHist[1] = d.qHist[1], qs
	rec.sl = usable && (q >= d.speechQ || sustained)
	rec.ok = usable
	d.ring[k&d.mask] = rec
	if d.trace != nil {
		d.trace(k, traceInfo{q: q, v: v, vx: vx, gain: gain, level: sig, floor: d.floor, sl: rec.sl, tonal: tonal, shaped: rec.shaped, loud: rec.loud})
	}

	d.trackFloor(&p, k, ew, q)
	return d.segment(dst, k)
}

// setModel replaces (w = 1) or blends (w < 1) the noise model with the
// covariance of the sub-frame p. The model is an average of covariance
// matrices, each a Gram matrix, so it stays positive semi-definite and the
// energy it predicts through any filter is never negative.
func (d *Detector) setModel(p *mat, w float64) {
	for i := 0; i < dim; i++ {
		for j := 0; j < dim; j++ {
			v := p[i][j]
			if i == j {
				v -= d.load
			}
			d.pn[i][j] = (1-w)*d.pn[i][j] + w*v
		}
	}
	d.nUpd++
	d.refreshModel()
}

// refreshModel recomputes the whitening filter and the floor from pn.
func (d *Detector) refreshModel() {
	d.pnl = d.pn
	reg := d.pn
	for i := 0; i < dim; i++ {
		d.pnl[i][i] += d.load
		reg[i][i] += d.load + d.pn[0][0]*whiteningDepth
	}
	an, _, ok := predict(&reg)
	if !ok {
		an = vec{1}
	}
	d.an = an
	d.floor = quad(&d.pnl, &d.an)
}

// scaleModel rescales the noise model's level so that the floor becomes
// target (shape unchanged).
func (d *Detector) scaleModel(target float64) {
	var fq float64 // quantisation part of the floor
	for _, a := range d.an {
		fq += a * a * d.load
	}
	fs := d.floor - fq
	if fs <= target*1e-9 {
		// No signal in the model (digital silence): start from white noise.
		d.pn = mat{}
		for i := 0; i < dim; i++ {
			d.pn[i][i] = max(target-d.load, 0)
		}
	} else {
		s := max(target-fq, 0) / fs
		for i := range d.pn {
			for j := range d.pn[i] {
				d.pn[i][j] *= s
			}
		}
	}
	d.refreshModel()
}

// trackFloor updates the noise model after sub-frame k: noise-like
// sub-frames refine it, the smoothed whitened energy pulls it down at once,
// and a whole minimum-statistics window above it pulls it up.
func (d *Detector) trackFloor(p *mat, k int64, ew, q float64) {
	copy(d.ewHist[:], d.ewHist[1:])
	d.ewHist[smoothFrames-1] = ew
	nh := min(int(k)+1, smoothFrames)
	var ews float64
	for _, v := range d.ewHist[smoothFrames-nh:] {
		ews += v
	}
	ews /= float64(nh)

	switch {
	case k > 0 && k < warmupFrames:
		d.setModel(p, 1/float64(d.nUpd+1))
	case q < d.tailQ && k >= warmupFrames:
		d.setModel(p, max(updateRate, 1/float64(d.nUpd+1)))
	}
	if ews < d.floor {
		d.scaleModel(ews)
	}

	d.curMin = min(d.curMin, ews)
	d.subPos++
	if d.subPos < d.subN {
		return
	}
	d.subMins[d.subCount%floorSubwindows] = d.curMin
	d.subCount++
	d.curMin, d.subPos = math.Inf(1), 0
	if d.subCount < floorSubwindows {
		return
	}
	wmin, wmax := math.Inf(1), 0.0
	for _, v := range d.subMins {
		wmin = min(wmin, v)
		wmax = max(wmax, v)
	}
	if wmin > d.floor && wmax <= wmin*floorSpread {
		d.scaleModel(wmin * math.Pow(10, floorBiasDB/10))
	}
}

// segment runs the onset confirmation, continuation and hangover logic for
// sub-frame k.
func (d *Detector) segment(dst []Event, k int64) []Event {
	rec := d.ring[k&d.mask]
	if rec.sl && d.lastConf >= 0 && k-d.lastConf <= int64(d.bridgeN) {
		d.lastConf = k // continuation of a confirmed segment
	} else {
		count, shaped, loud, big := 0, 0, false, false
		first, last := int64(-1), int64(-1)
		for j := max(k-int64(d.windowN)+1, 0); j <= k; j++ {
			r := d.ring[j&d.mask]
			if !r.sl {
				continue
			}
			count++
			if first < 0 {
				first = j
			}
			last = j
			if r.shaped {
				shaped++
			}
			loud = loud || r.loud
			big = big || r.q >= d.waiveQ
		}
		if count >= d.confirmN && (big || shaped >= d.cfg.ShapeFrames) && loud {
			if !d.inSpeech {
				// Extend the onset back over weak sub-frames.
				lo := max(k-int64(len(d.ring))+2, first-int64(d.bridgeN), (d.endLimit+d.frameLen-1)/d.frameLen)
				for first > lo && d.edge(first-1) {
					first--
				}
				d.inSpeech = true
				dst = append(dst, Event{Kind: SpeechStart, Sample: max(first*d.frameLen, d.endLimit), At: (k + 1) * d.frameLen})
			}
			d.lastConf = max(d.lastConf, last)
		}
	}
	if d.inSpeech && k-d.lastConf >= int64(d.hangN) {
		dst = d.end(dst, k, (k+1)*d.frameLen)
	}
	return dst
}

// end closes the open segment at sub-frame k (the last analysed one),
// extending it over weak trailing sub-frames, and appends SpeechEnd.
func (d *Detector) end(dst []Event, k, at int64) []Event {
	last := d.lastConf
	for j := last + 1; j <= k && j <= d.lastConf+int64(d.bridgeN); j++ {
		if !d.edge(j) {
			break
		}
		last = j
	}
	sample := (last + 1) * d.frameLen
	d.inSpeech = false
	d.endLimit = sample
	return append(dst, Event{Kind: SpeechEnd, Sample: sample, At: at})
}

// edge reports whether sub-frame j may extend a confirmed segment: not
// tonal, loud enough, and above the tail margin over the current floor (which
// may have fallen since j was analysed, when the floor had risen during a
// long utterance).
func (d *Detector) edge(j int64) bool {
	r := d.ring[j&d.mask]
	return r.ok && r.ew >= d.tailQ*d.floor
}

// noiseThrough returns the energy the background alone would leave through
// the filter e: the noise model plus the sub-frame's own rounding noise. The
// latter matters only over digital silence, where the model holds no
// rounding noise but any signal brings its own (1/12 LSB² per sample).
func (d *Detector) noiseThrough(e *vec) float64 {
	var ee float64
	for _, v := range e {
		ee += v * v
	}
	return quad(&d.pnl, e) + d.load*ee
}

// clipped returns 1 if s sits at full scale (32767 or −32768), else 0.
func clipped(s int16) int {
	if uint16(s+32767) >= 65534 {
		return 1
	}
	return 0
}
