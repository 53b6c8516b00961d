package vad

// Per-sub-frame linear-prediction analysis.
//
// Every quantity the detector uses is a quadratic form of the sub-frame's
// covariance matrix Φ(i,j) = Σ x[n−i]·x[n−j] (n over the sub-frame, lags
// 0…order), so the per-sample work is the five products of [Detector.Process]
// and everything else runs once per sub-frame on 5×5 matrices.

// order is the linear-prediction order. Four coefficients predict any sum of
// two sinusoids exactly (the beep, other single tones, DTMF pairs) and any
// signal far below the Nyquist frequency almost exactly (50/60 Hz hum and its
// first harmonics at 8 kHz), while speech at 8 kHz keeps a prediction gain
// below ~30 dB (measured on the espeak-ng fixtures: 99.9th percentile 28.8 dB
// over active 10 ms frames). Five lags cost five multiply-adds per sample.
const order = 4

// dim is the size of Φ: lags 0…order.
const dim = order + 1

// tailLen is how many samples of each sub-frame's end the boundary
// corrections of Φ need: for Φ(i,j) with i ≤ j ≤ order, the corrections use
// x[m] and x[m−(j−i)] for the last i samples of the sub-frame and of the
// previous one, i.e. at most 2·order samples back.
const tailLen = 2 * order

// mat is a symmetric dim×dim matrix.
type mat [dim][dim]float64

// vec is a prediction-error filter [1, −a1, …, −a_order] or an
// autocorrelation vector r[0…order].
type vec [dim]float64

// covariance fills the upper triangle (j ≥ i) of p with Φ of one sub-frame
// from its running lag sums r[d] = Σ_{n in sub-frame} x[n]·x[n−d] and the
// last tailLen samples of the previous sub-frame (prev) and of this one
// (cur), oldest first. The recursion walks each diagonal: Φ(i,i+d) =
// Φ(i−1,i−1+d) − x[e−i+1]·x[e−i+1−d] + x[s−i]·x[s−i−d], s and e being the
// first and last index of the sub-frame. All terms are integers below 2⁵³,
// so the float64 arithmetic is exact and Φ does not depend on how the
// stream was chunked. load is added to the diagonal. Only the upper
// triangle is ever read.
func covariance(p *mat, r *[dim]float64, prev, cur *[tailLen]float64, load float64) {
	// Written out: for each diagonal d, v = r[d] and then, for i = 1…order−d,
	// v += prev[t−i]·prev[t−i−d] − cur[t−i]·cur[t−i−d] gives Φ(i, i+d).
	const t = tailLen
	a1, a2, a3, a4 := prev[t-1], prev[t-2], prev[t-3], prev[t-4]
	c1, c2, c3, c4 := cur[t-1], cur[t-2], cur[t-3], cur[t-4]

	v := r[0]
	p[0][0] = v + load
	v += a1*a1 - c1*c1
	p[1][1] = v + load
	v += a2*a2 - c2*c2
	p[2][2] = v + load
	v += a3*a3 - c3*c3
	p[3][3] = v + load
	v += a4*a4 - c4*c4
	p[4][4] = v + load

	v = r[1]
	p[0][1] = v
	v += a1*a2 - c1*c2
	p[1][2] = v
	v += a2*a3 - c2*c3
	p[2][3] = v
	v += a3*a4 - c3*c4
	p[3][4] = v

	v = r[2]
	p[0][2] = v
	v += a1*a3 - c1*c3
	p[1][3] = v
	v += a2*a4 - c2*c4
	p[2][4] = v

	v = r[3]
	p[0][3] = v
	v += a1*a4 - c1*c4
	p[1][4] = v

	p[0][4] = r[4]
}

// quad returns e'·P·e, reading the upper triangle of P.
func quad(p *mat, e *vec) float64 {
	e0, e1, e2, e3, e4 := e[0], e[1], e[2], e[3], e[4]
	return e0*(p[0][0]*e0+2*(p[0][1]*e1+p[0][2]*e2+p[0][3]*e3+p[0][4]*e4)) +
		e1*(p[1][1]*e1+2*(p[1][2]*e2+p[1][3]*e3+p[1][4]*e4)) +
		e2*(p[2][2]*e2+2*(p[2][3]*e3+p[2][4]*e4)) +
		e3*(p[3][3]*e3+2*p[3][4]*e4) +
		e4*p[4][4]*e4
}

// predict solves the covariance-method normal equations of the sub-frame,
// Φ[1…4][1…4]·a = Φ[1…4][0], by an LDLᵀ factorisation (no square roots,
// written out for order 4), stores the prediction-error filter e = [1, −a]
// and returns the residual energy e'·Φ·e = Φ00 − Σ zᵢ²/Dᵢ. ok is false, and
// e untouched, if the matrix is not numerically positive definite (the
// caller's diagonal load prevents that for any real input).
func predict(p *mat, e *vec) (res float64, ok bool) {
	// A = L·D·Lᵀ with A[i][j] = p[i+1][j+1]; z = L⁻¹·b with b[i] = p[0][i+1].
	d0 := p[1][1]
	if !(d0 > 0) {
		return 0, false
	}
	i0 := 1 / d0
	l10 := p[1][2] * i0
	l20 := p[1][3] * i0
	l30 := p[1][4] * i0
	d1 := p[2][2] - l10*l10*d0
	if !(d1 > 0) {
		return 0, false
	}
	i1 := 1 / d1
	l21 := (p[2][3] - l20*l10*d0) * i1
	l31 := (p[2][4] - l30*l10*d0) * i1
	d2 := p[3][3] - l20*l20*d0 - l21*l21*d1
	if !(d2 > 0) {
		return 0, false
	}
	i2 := 1 / d2
	l32 := (p[3][4] - l30*l20*d0 - l31*l21*d1) * i2
	d3 := p[4][4] - l30*l30*d0 - l31*l31*d1 - l32*l32*d2
	if !(d3 > 0) {
		return 0, false
	}
	i3 := 1 / d3
	z0 := p[0][1]
	z1 := p[0][2] - l10*z0
	z2 := p[0][3] - l20*z0 - l21*z1
	z3 := p[0][4] - l30*z0 - l31*z1 - l32*z2
	w0, w1, w2, w3 := z0*i0, z1*i1, z2*i2, z3*i3
	res = p[0][0] - z0*w0 - z1*w1 - z2*w2 - z3*w3
	// a = L⁻ᵀ·w, e = [1, −a].
	a3 := w3
	a2 := w2 - l32*a3
	a1 := w1 - l21*a2 - l31*a3
	a0 := w0 - l10*a1 - l20*a2 - l30*a3
	e[0], e[1], e[2], e[3], e[4] = 1, -a0, -a1, -a2, -a3
	if !(res > 0) {
		// Rounding on a perfectly predictable frame; the diagonal load
		// keeps the true residual positive, so clamp to a tiny value.
		res = p[0][0] * 1e-12
	}
	return res, true
}
