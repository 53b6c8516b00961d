package vad

import "math"

// endFrame analyses the sub-frame just completed: it classifies it
// (speech-like, tonal, shaped, loud), updates the noise model and runs the
// segmentation, appending the events decided.
func (d *Detector) endFrame(dst []Event) []Event {
	p := &d.phi // every entry read is written by covariance: no zeroing
	covariance(p, &d.r, &d.prevTail, &d.tail, d.load)
	d.prevTail = d.tail
	d.r = [dim]float64{}
	d.pos = 0
	k := d.frame
	d.frame++
	if d.nUpd == 0 {
		d.setModel(p, 1) // the first sub-frame of a stream is the first noise estimate
	}

	ew := quad(p, &d.an) // energy whitened by the noise model
	q := ew / d.floor    // … over what the noise alone gives
	sig := p[0][0] - d.load
	levelOK := sig >= d.minR0
	// The record is written in place, field by field, and read back
	// through pointers: a struct copied right after its fields were stored
	// one by one waits for the stores (no store-to-load forwarding).
	rec := &d.ring[k&d.mask]
	rec.ew, rec.q, rec.loud = ew, q, sig >= d.minOnsetR
	rec.shaped, rec.sl, rec.ok = false, false, false
	tonal := false
	if q >= d.tailQ && levelOK { // only sub-frames that could matter pay for prediction
		tonal, rec.shaped = d.tonality(p, k, ew)
	} else {
		d.prevOK = false
	}

	// Tonal and overload sub-frames are no evidence of speech, nor are the
	// sub-frames right before and after them: the onset and offset of a
	// tone cut through a sub-frame, which is then not predictable, and a
	// sub-frame inside a tone whose residual estimate strays over the
	// threshold follows a tonal one.
	blocked := tonal || sig >= d.overloadR
	if blocked && k > 0 {
		prev := &d.ring[(k-1)&d.mask]
		d.count(prev, -1) // it is in the confirmation window
		prev.sl, prev.ok = false, false
	}
	usable := levelOK && !blocked && !d.prevBlocked
	d.prevBlocked = blocked

	// Speech-like: SpeechMarginDB over the floor, or SustainMarginDB over
	// it in this sub-frame and the two before.
	qs := q
	if !usable {
		qs = 0
	}
	sustained := min(d.qHist[0], d.qHist[1], qs) >= d.sustainQ
	d.qHist[0], d.qHist[1] = d.qHist[1], qs
	rec.sl = usable && (q >= d.speechQ || sustained)
	rec.ok = usable

	d.trackFloor(p, k, ew, q)
	return d.segment(dst, k, rec)
}

// tonality runs the order-4 prediction of sub-frame k (Φ = p, whitened
// energy ew) and reports whether it is tonal and whether its spectrum
// differs from the noise model's (shaped).
//
// The prediction gain g = ew / residual says how much of the sub-frame's
// whitened energy four coefficients remove; the residual excess v =
// residual / (noise model through the same predictor) says whether what
// remains is more than the background. A sub-frame is tonal if
//   - g ≥ TonalAbsGainDB, or prediction removes that much of the raw
//     sub-frame (a tone, DTMF or hum over digital silence, or a tone the
//     noise model learned because it opened the stream), or
//   - g > TonalGainDB and v < TonalResidualDB with this sub-frame's
//     predictor and with the previous one's (a tone over noise: its
//     spectrum holds still from one sub-frame to the next), or
//   - g > TonalGainDB, the sub-frame is steady (its whitened energy and the
//     two before it agree within 1 dB) and v < 6 dB or g ≥ 25 dB: a DTMF
//     pair over noise, which four coefficients notch only partly.
func (d *Detector) tonality(p *mat, k int64, ew float64) (tonal, shaped bool) {
	// The filters of this sub-frame and the previous one alternate
	// between two slots: no copies.
	e := &d.filters[1-d.prevE]
	res, ok := predict(p, e)
	if !ok {
		d.prevOK = false
		return false, false
	}
	prev, prevOK := &d.filters[d.prevE], d.prevOK
	d.prevE, d.prevOK = 1-d.prevE, true
	gain := ew / res
	shaped = gain >= d.shapeD
	if max(ew, p[0][0]) >= d.tonalAbs*res {
		// Also on the raw sub-frame: a tone that seeded the noise model is
		// whitened away, but prediction still removes it.
		return true, shaped
	}
	if gain <= d.tonalD {
		return false, shaped
	}
	v := res / d.noiseThrough(e)
	h1, h2 := d.ewHist[smoothFrames-1], d.ewHist[smoothFrames-2]
	steady := k >= 2 && max(ew, h1, h2) <= min(ew, h1, h2)*steadySpread
	switch {
	case steady && (v < steadyResidual || gain >= steadyGain):
		return true, shaped
	case v < d.tonalV:
		vx := v
		if prevOK {
			vx = quad(p, prev) / d.noiseThrough(prev)
		}
		return vx < d.tonalV, shaped
	}
	return false, shaped
}

// setModel replaces (w = 1) or blends (w < 1) the noise model with the
// covariance of the sub-frame p. The model is an average of covariance
// matrices, each a Gram matrix, so it stays positive semi-definite and the
// energy it predicts through any filter is never negative.
func (d *Detector) setModel(p *mat, w float64) {
	for i := 0; i < dim; i++ {
		for j := i; j < dim; j++ {
			v := p[i][j]
			if i == j {
				v -= d.load
			}
			d.pn[i][j] = (1-w)*d.pn[i][j] + w*v
		}
	}
	d.nUpd++
	if d.nUpd <= warmupFrames || d.nUpd%refreshEvery == 0 {
		d.refreshModel()
		return
	}
	d.pnl = d.pn
	for i := 0; i < dim; i++ {
		d.pnl[i][i] += d.load
	}
	d.floor = quad(&d.pnl, &d.an)
}

// refreshModel recomputes the whitening filter and the floor from pn.
func (d *Detector) refreshModel() {
	d.pnl = d.pn
	reg := d.pn
	for i := 0; i < dim; i++ {
		d.pnl[i][i] += d.load
		reg[i][i] += d.load + d.pn[0][0]*whiteningDepth
	}
	if _, ok := predict(&reg, &d.an); !ok {
		d.an = vec{1}
	}
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
		d.refreshModel()
		return
	}
	// Scaling the model leaves its whitening filter as it is (up to the
	// regularisation, which the next noise update refreshes).
	s := max(target-fq, 0) / fs
	for i := range d.pn {
		for j := i; j < dim; j++ {
			d.pn[i][j] *= s
		}
	}
	d.pnl = d.pn
	for i := 0; i < dim; i++ {
		d.pnl[i][i] += d.load
	}
	d.floor = quad(&d.pnl, &d.an)
}

// trackFloor updates the noise model after sub-frame k: noise-like
// sub-frames refine it, the smoothed whitened energy pulls it down at once,
// and a whole minimum-statistics window above it pulls it up.
func (d *Detector) trackFloor(p *mat, k int64, ew, q float64) {
	h := &d.ewHist
	h[0], h[1], h[2] = h[1], h[2], ew
	var ews float64
	switch k {
	case 0:
		ews = ew
	case 1:
		ews = (h[1] + h[2]) / 2
	default:
		ews = (h[0] + h[1] + h[2]) / 3
	}

	switch {
	case !consistent(p):
		// A transient at the end of the previous sub-frame sits in the
		// lagged rows of this one's Φ: keep it out of the model.
	case k > 0 && k < warmupFrames:
		d.setModel(p, 1/float64(d.nUpd+1))
	case q < d.tailQ && k >= warmupFrames && !d.inSpeech:
		// Not during speech and its hangover: the faint end of a word sits
		// within the tail margin and would lift the floor over itself.
		w := max(updateRate, 1/float64(d.nUpd+1))
		if d.pn[0][0] > staleModel*(p[0][0]-d.load) {
			// The model holds a component far louder than the noise it
			// whitens (a tone or speech that seeded it, since notched out
			// by the whitening filter): start again from this sub-frame.
			w = 1
		}
		d.setModel(p, w)
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
		d.scaleModel(wmin * floorBias)
	}
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

// consistent reports whether the diagonal of Φ is that of a stationary
// sub-frame: Φ(i,i) differs from Φ(0,0) only by the energy of the i samples
// before the sub-frame and the i last samples in it, a few percent of it for
// noise. A factor of 2 either way means a transient at the boundary (a click,
// the end of a word in the previous sub-frame).
func consistent(p *mat) bool {
	for i := 1; i < dim; i++ {
		if p[i][i] > 2*p[0][0] || 2*p[i][i] < p[0][0] {
			return false
		}
	}
	return true
}
