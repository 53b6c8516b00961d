package dtmf

import "math"

// unmix turns the row and column resonators' outputs (u, v) for one full
// block into the two tones' complex amplitudes a and β, referred to the
// block's first sample (see newUnmix). It is a real 4×4 matrix acting on
// (Re u, Im u, Re v, Im v) and giving (Re a, Im a, Re β, Im β).
type unmix [4][4]float64

// newUnmix returns the unmix for a row tone at wr+dr and a column tone at
// wc+dc radians per sample, where wr and wc are the two resonators'
// frequencies, over blocks of m samples. A block holding
// Re(a·e^{j(wr+dr)n}) + Re(β·e^{j(wc+dc)n}) gives
//
//	2u = G(dr)·a + G(−2wr−dr)·ā + G(wc+dc−wr)·β + G(−wc−dc−wr)·β̄
//	2v = G(wr+dr−wc)·a + G(−wr−dr−wc)·ā + G(dc)·β + G(−2wc−dc)·β̄
//
// with G(ν) = Σ_{n<m} e^{jνn}: each tone, the leakage of the other, and
// both negative-frequency images. Solving it exactly matters in 5 ms
// blocks: a 941 Hz tone reaches the 1209 Hz resonator at −13.6 dB (only
// 5.6 dB below the column tone at −8 dB twist), and an image can reach
// 4 % of a tone's own amplitude. The system is linear in the real and
// imaginary parts of a and β, not in a and β as complex numbers.
func newUnmix(wr, wc, dr, dc float64, m int) unmix {
	cu := [4]complex128{geometric(dr, m), geometric(-2*wr-dr, m), geometric(wc+dc-wr, m), geometric(-wc-dc-wr, m)}
	cv := [4]complex128{geometric(wr+dr-wc, m), geometric(-wr-dr-wc, m), geometric(dc, m), geometric(-2*wc-dc, m)}
	var a [4][4]float64
	for row, c := range [2][4]complex128{cu, cv} {
		// Tone k (0: a, 1: β) enters through c[2k]·z and c[2k+1]·z̄.
		for k := range 2 {
			g, h := c[2*k], c[2*k+1]
			// Re(g·z + h·z̄) and Im(g·z + h·z̄) in terms of Re z, Im z.
			a[2*row][2*k] = (real(g) + real(h)) / 2
			a[2*row][2*k+1] = (-imag(g) + imag(h)) / 2
			a[2*row+1][2*k] = (imag(g) + imag(h)) / 2
			a[2*row+1][2*k+1] = (real(g) - real(h)) / 2
		}
	}
	return invert4(a)
}

// apply returns a and β from the resonator outputs u and v.
func (um *unmix) apply(u, v complex128) (a, beta complex128) {
	x := [4]float64{real(u), imag(u), real(v), imag(v)}
	var y [4]float64
	for i := range 4 {
		y[i] = um[i][0]*x[0] + um[i][1]*x[1] + um[i][2]*x[2] + um[i][3]*x[3]
	}
	return complex(y[0], y[1]), complex(y[2], y[3])
}

// invert4 inverts a 4×4 matrix by Gauss-Jordan elimination with partial
// pivoting. The matrices here are diagonally dominant (each tone's own
// response is M/2, every cross term at most a quarter of that), so they
// are far from singular.
func invert4(a [4][4]float64) unmix {
	var inv unmix
	for i := range 4 {
		inv[i][i] = 1
	}
	for col := range 4 {
		p := col
		for r := col + 1; r < 4; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		a[col], a[p] = a[p], a[col]
		inv[col], inv[p] = inv[p], inv[col]
		f := 1 / a[col][col]
		for c := range 4 {
			a[col][c] *= f
			inv[col][c] *= f
		}
		for r := range 4 {
			if r == col || a[r][col] == 0 {
				continue
			}
			g := a[r][col]
			for c := range 4 {
				a[r][c] -= g * a[col][c]
				inv[r][c] -= g * inv[col][c]
			}
		}
	}
	return inv
}

// geometric returns Σ_{n<m} e^{jνn} = e^{jν(m−1)/2}·sin(mν/2)/sin(ν/2).
func geometric(nu float64, m int) complex128 {
	half := math.Sin(nu / 2)
	if math.Abs(half) < 1e-12 {
		return complex(float64(m), 0)
	}
	return expj(nu*float64(m-1)/2) * complex(math.Sin(float64(m)*nu/2)/half, 0)
}

// amps returns the complex amplitudes (peak, in sample units, referred to
// the block's first sample) of the row and column tones in block b, with
// the leakage between them and their images undone by um.
func (d *Detector) amps(b int64, row, col int, um *unmix) (a, beta complex128) {
	r := &d.ring[b&(ringBlocks-1)]
	return um.apply(d.blockOut(r, row), d.blockOut(r, 4+col))
}

// blockOut returns resonator i's output for the stored block r without
// the block's constant part (whose contribution is exactly r.mean·dc).
func (d *Detector) blockOut(r *blockRec, i int) complex128 {
	return d.bank.res[i].output(r.s1[i], r.s2[i]) - complex(r.mean, 0)*d.bank.res[i].dc
}
