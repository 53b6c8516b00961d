package vad

import "math"

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

// covariance fills p with Φ of one sub-frame from its running lag sums
// r[d] = Σ_{n in sub-frame} x[n]·x[n−d] and the last tailLen samples of the
// previous sub-frame (prev) and of this one (cur), oldest first. The
// recursion walks each diagonal: Φ(i,i+d) = Φ(i−1,i−1+d) − x[e−i+1]·x[e−i+1−d]
// + x[s−i]·x[s−i−d], s and e being the first and last index of the
// sub-frame. All terms are integers below 2⁵³, so the float64 arithmetic is
// exact and Φ does not depend on how the stream was chunked. load is added to the diagonal.
func covariance(p *mat, r *[dim]float64, prev, cur *[tailLen]float64, load float64) {
	for d := 0; d < dim; d++ {
		v := r[d]
		p[0][d] = v
		for i := 1; i+d < dim; i++ {
			v += prev[tailLen-i]*prev[tailLen-i-d] - cur[tailLen-i]*cur[tailLen-i-d]
			p[i][i+d] = v
		}
	}
	for i := 0; i < dim; i++ {
		p[i][i] += load
		for j := 0; j < i; j++ {
			p[i][j] = p[j][i]
		}
	}
}

// quad returns e'·P·e.
func quad(p *mat, e *vec) float64 {
	var s float64
	for i := 0; i < dim; i++ {
		t := p[i][i] * e[i]
		for j := i + 1; j < dim; j++ {
			t += 2 * p[i][j] * e[j]
		}
		s += e[i] * t
	}
	return s
}

// predict solves the covariance-method normal equations of the sub-frame,
// Φ[1…4][1…4]·a = Φ[1…4][0], by Cholesky, and returns the prediction-error
// filter e = [1, −a] and the residual energy e'·Φ·e. ok is false if the
// matrix is not numerically positive definite (the caller's diagonal load
// prevents that for any real input).
func predict(p *mat) (e vec, res float64, ok bool) {
	const n = order
	var l [n][n]float64
	var y [n]float64
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			s := p[i+1][j+1]
			for k := 0; k < j; k++ {
				s -= l[i][k] * l[j][k]
			}
			if i == j {
				if s <= 0 {
					return e, 0, false
				}
				l[i][i] = math.Sqrt(s)
			} else {
				l[i][j] = s / l[j][j]
			}
		}
		s := p[i+1][0]
		for k := 0; k < i; k++ {
			s -= l[i][k] * y[k]
		}
		y[i] = s / l[i][i]
	}
	var a [n]float64
	for i := n - 1; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < n; k++ {
			s -= l[k][i] * a[k]
		}
		a[i] = s / l[i][i]
	}
	e[0] = 1
	res = p[0][0]
	for i := 0; i < n; i++ {
		e[i+1] = -a[i]
		res -= y[i] * y[i]
	}
	if res <= 0 {
		// Rounding on a perfectly predictable frame; the diagonal load
		// keeps the true residual positive, so clamp to a tiny value.
		res = p[0][0] * 1e-12
	}
	return e, res, true
}
