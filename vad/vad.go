package vad

import (
	"fmt"
	"math"
)

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

	// staleModel (20 dB): a noise sub-frame whose power is this far under
	// the model's replaces the model instead of blending into it. The raw
	// power of 10 ms sub-frames of brown noise, the most fluctuating of the
	// noises, stays within 17 dB of its mean (0.1st percentile, measured);
	// a beep that seeded the model stays 40 dB over the noise after the
	// floor has followed the noise down (whiteningDepth).
	staleModel = 100

	// warmupFrames: the first sub-frames of a stream initialise the noise
	// model unconditionally (running mean), so that a file that starts with
	// noise or hum starts with the right floor (30 ms).
	warmupFrames = 3

	// refreshEvery: the noise-whitening filter is recomputed every fourth
	// noise update (40 ms); with updateRate 0.1 the model moves by a few
	// percent in between, and the floor is recomputed with the filter in use
	// at every update, so the two always agree.
	refreshEvery = 4

	// smoothFrames: the floor follows the mean whitened energy of the last
	// three sub-frames (30 ms) down at once (minimum statistics), which
	// damps the ±2 dB fluctuation of single 10 ms sub-frames.
	smoothFrames = 3

	// floorSubwindows: the minimum-statistics window is kept as this many
	// sub-window minima (Martin 2001's U), so a rise is noticed with a
	// resolution of 1/8 of the window.
	floorSubwindows = 8

	// floorBias (1 dB) corrects the minimum of a window of smoothed noise
	// energies for lying under their mean: the minimum of 80 smoothed
	// 10 ms sub-frames of white, pink or brown noise is 0.9–1.0 dB under
	// their mean (median, measured).
	floorBias = 1.259

	// floorSpread (6 dB): the floor rises only if the minima of all
	// sub-windows agree within 6 dB, i.e. the background is stationary. The
	// minima of eight 100 ms sub-windows of white, pink or brown noise agree
	// within 1.5 dB (maximum over 60 s, measured); inside an utterance they range over 10 dB and more, from
	// a weak consonant to the middle of a vowel, so continuous speech
	// longer than the window does not lift the floor into itself.
	floorSpread = 3.981

	// overloadDBFS: a sub-frame whose power reaches −2 dBFS is overload,
	// no evidence of speech. Speech gets there only clipped: the loudest
	// 10 ms sub-frame of the fixtures, each normalised to a −3 dBFS peak, is
	// at −5.5 dBFS (measured). A DTMF pair at −3 dBFS per tone clips for
	// any twist over −2 dB (peaks up to +3 dBFS) and then sits at
	// −1.4…+0.3 dBFS (measured), a broadband signal (order-4 prediction gain
	// 8–14 dB, measured) that the tonal test cannot recognise.
	overloadDBFS = -2.0

	// steadySpread (1 dB), steadyResidual (6 dB) and steadyGain (25 dB)
	// define the steady-tone case of the tonal test (see tonality). Over 5
	// consecutive sub-frames the whitened energy of DTMF 10–30 dB over
	// white, pink or brown noise varies by less than 0.9 dB in 90 % of
	// runs, that of speech in 1–3 % of runs (measured); 4 coefficients
	// leave up to 5 dB of a DTMF pair 20 dB over white noise, and up to
	// 8 dB over brown noise while still removing 27–42 dB (measured), which
	// speech in noise never does (its gain stays under 24 dB at 30 dB SNR
	// and less below, measured).
	steadySpread   = 1.259
	steadyResidual = 3.981
	steadyGain     = 316.2

	// weakGap is the widest gap, in sub-frames, that weak speech-like
	// sub-frames may leave in a segment's tail: the faint end of a word
	// hovers around the floor (±0.7 dB per sub-frame for noise, measured)
	// and drops under it for a sub-frame now and then.
	weakGap = 3

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

// String returns the kind's name (for logs and test messages).
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

// String describes the event in one line: its kind, sample and decision
// sample.
func (e Event) String() string {
	return fmt.Sprintf("%v{Sample: %d, At: %d}", e.Kind, e.Sample, e.At)
}

// frameRec is what the detector remembers of one sub-frame.
type frameRec struct {
	ew     float64 // noise-whitened energy
	q      float64 // ew over the floor at the time
	sl     bool    // speech-like
	ok     bool    // loud enough and neither tonal, overload nor next to either: may extend a segment
	shaped bool    // spectrum differs from the noise model's
	loud   bool    // level ≥ MinOnsetLevel
}

// Model is what a detector derives from its Config before it sees a
// sample: sub-frame and window sizes, thresholds in linear units, and
// whether this CPU runs the AVX2 kernels. NewModel computes it once;
// [Model.New] then builds detectors that differ only in their stream state.
// A Model is never modified after NewModel returns: it may be shared by
// pointer and used from any number of goroutines at once.
type Model struct {
	p params
}

// params is the read-only part of a Detector: its Model's, shared by
// pointer with every detector of the Model.
type params struct {
	cfg Config

	// avx2 selects the AVX2 path of the per-sample work (see lags.go): set
	// from the CPU's features by NewModel; tests switch it on a detector
	// to compare both paths.
	avx2 bool

	// Derived sizes, in sub-frames unless noted.
	dec      int     // decimation factor D
	n        int     // decimated samples per sub-frame
	frameLen int64   // input samples per sub-frame (n·D)
	load     float64 // quantisation-noise energy of one sub-frame (diagonal load)
	confirmN int
	windowN  int
	bridgeN  int
	hangN    int
	subN     int   // sub-frames per minimum-statistics sub-window
	mask     int64 // ring size − 1 (the ring's size is a power of two)

	// Thresholds in linear units.
	speechQ, tailQ   float64
	sustainQ         float64
	tonalV, tonalD   float64
	tonalAbs         float64
	shapeD, waiveQ   float64
	minR0, minOnsetR float64
	overloadR        float64
}

// Detector is an energy-based voice activity detector for one stream at a
// time. It is not safe for concurrent use.
type Detector struct {
	*params // the Model's, shared and read-only: a detector holds only its stream state

	// Per-sample state.
	r        [dim]float64     // lag sums of the current sub-frame (exact integers)
	tail     [tailLen]float64 // last decimated samples, oldest first
	prevTail [tailLen]float64 // tail at the start of the current sub-frame
	pos      int              // decimated samples in the current sub-frame
	acc      int              // partial decimation sum
	sub      int              // input samples in acc

	phi mat       // Φ of the sub-frame being analysed (scratch)
	xs  []float64 // decimated samples (scratch of the AVX2 path, see lags.go)

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
	filters     [2]vec // prediction-error filters of the last two predicted sub-frames
	prevE       int    // the slot of the previous one
	prevOK      bool
	qHist       [2]float64 // q of the two previous sub-frames (0 if tonal)
	prevBlocked bool       // the previous sub-frame was tonal or overload

	// Segmentation.
	ring       []frameRec
	inSpeech   bool
	lastConf   int64                               // last confirmed speech sub-frame, −1 if none
	lastStrong int64                               // last confirmed strong sub-frame, −1 if none
	peakQ      float64                             // highest q of the open segment's strong sub-frames
	win        struct{ sl, shaped, loud, big int } // tallies of the confirmation window's speech-like sub-frames
	endLimit   int64                               // sample a new onset may not precede (previous SpeechEnd.Sample)

}

// NewModel validates cfg and derives the Model its detectors share. It
// fails, naming the field and its value, if cfg is invalid.
func NewModel(cfg Config) (*Model, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m := &Model{}
	p := &m.p
	p.cfg = cfg
	p.avx2 = detectAVX2()
	p.dec = max((cfg.Rate+analysisRate/2)/analysisRate, 1)
	fs := float64(cfg.Rate) / float64(p.dec)
	p.n = int(math.Round(fs * frameMs / 1000))
	p.frameLen = int64(p.n * p.dec)
	p.load = float64(p.n) * float64(p.dec) / 12
	ms := func(v int) int { return max(int(math.Round(float64(v)*float64(cfg.Rate)/1000/float64(p.frameLen))), 1) }
	p.confirmN = ms(cfg.ConfirmMs)
	p.windowN = max(ms(cfg.ConfirmWindowMs), p.confirmN)
	p.bridgeN = ms(cfg.BridgeMs)
	p.hangN = max(ms(cfg.HangoverMs), p.bridgeN+1)
	p.subN = max(ms(cfg.FloorWindowMs)/floorSubwindows, 1)
	size := 1
	for size < max(p.hangN, p.windowN+p.bridgeN)+2 {
		size *= 2
	}
	p.mask = int64(size - 1)
	db := func(x float64) float64 { return math.Pow(10, x/10) }
	p.speechQ = db(cfg.SpeechMarginDB)
	p.tailQ = db(cfg.TailMarginDB)
	p.sustainQ = db(cfg.SustainMarginDB)
	p.tonalV = db(cfg.TonalResidualDB)
	p.tonalD = db(cfg.TonalGainDB)
	p.tonalAbs = db(cfg.TonalAbsGainDB)
	p.shapeD = db(cfg.ShapeDB)
	p.waiveQ = db(cfg.ShapeWaiveDB)
	// Level L dBFS ↔ sub-frame energy: a 0–4 kHz signal of power P per
	// input sample sums to D²·P per decimated sample.
	energy := func(l float64) float64 {
		return float64(p.n) * float64(p.dec*p.dec) * fullScale * fullScale / 2 * db(l)
	}
	p.minR0 = energy(cfg.MinFrameLevel)
	p.minOnsetR = energy(cfg.MinOnsetLevel)
	p.overloadR = energy(overloadDBFS)
	return m, nil
}

// New returns a detector of m's Config in its initial state. It allocates
// the detector's own state (its sub-frame history and scratch buffer) and
// reads m only.
func (m *Model) New() *Detector {
	d := &Detector{params: &m.p}
	d.ring = make([]frameRec, d.mask+1)
	d.xs = make([]float64, 2*(order+d.n))
	d.Reset()
	return d
}

// New returns a detector for cfg: [NewModel] and [Model.New] in one call,
// for a caller that builds few detectors. It fails, naming the field and
// its value, if cfg is invalid.
func New(cfg Config) (*Detector, error) {
	m, err := NewModel(cfg)
	if err != nil {
		return nil, err
	}
	return m.New(), nil
}

// Rate returns the sample rate the detector was built for.
func (d *Detector) Rate() int { return d.cfg.Rate }

// InSpeech reports whether speech has been confirmed and not yet ended.
func (d *Detector) InSpeech() bool { return d.inSpeech }

// Reset starts a new stream: the detector returns to the state New gave
// it. Sample indices count from 0 again, the noise model is forgotten (the
// next samples seed it, as at the start of any stream), and speech still
// open is dropped without a SpeechEnd ([Detector.Flush] closes it first).
// Reset does not allocate.
func (d *Detector) Reset() {
	ring, xs := d.ring, d.xs
	clear(ring)
	*d = Detector{
		params: d.params,
		ring:   ring, xs: xs, lastConf: -1, lastStrong: -1, curMin: math.Inf(1),
	}
}

// Process analyses pcm, the next samples of the stream, and appends to dst
// the events decided while doing so. It does not retain pcm or dst.
func (d *Detector) Process(dst []Event, pcm []int16) []Event {
	pair := 2 * int(d.frameLen)
	for len(pcm) > 0 {
		if d.avx2 && d.pos == 0 && d.sub == 0 && len(pcm) >= pair {
			dst = d.framePair(dst, pcm[:pair])
			pcm = pcm[pair:]
			continue
		}
		need := (d.n-d.pos)*d.dec - d.sub
		k := min(need, len(pcm))
		if d.avx2 {
			d.accumulateAVX2(pcm[:k])
		} else {
			d.accumulateGo(pcm[:k])
		}
		pcm = pcm[k:]
		if k == need {
			dst = d.endFrame(dst)
		}
	}
	return dst
}

// Flush ends the stream. If speech is open it appends its SpeechEnd,
// decided at the current position: At is the number of samples consumed,
// and Sample is where the speech ends as far as the sub-frames analysed
// show (a trailing partial sub-frame, under 10 ms, is counted in At but
// not analysed). Then the detector is [Detector.Reset]: ready for a new
// stream whose sample indices start from 0 and whose first samples seed a
// fresh noise model. With no speech open Flush appends nothing and only
// resets. Flush does not allocate once dst has room.
func (d *Detector) Flush(dst []Event) []Event {
	if d.inSpeech {
		consumed := d.frame*d.frameLen + int64(d.pos*d.dec+d.sub)
		dst = d.end(dst, d.frame-1, consumed)
	}
	d.Reset()
	return dst
}
