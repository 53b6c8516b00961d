package dtmf

import "math"

// bank runs eight Goertzel resonators side by side,
//
//	s[n] = x[n] + c·s[n−1] − s[n−2],  c = 2·cos ω,
//
// one per DTMF frequency. After the samples x[0..L−1] of a block (states
// cleared before x[0]) the block's spectrum at ω, referred to the block's
// first sample, is
//
//	Z = Σ x[m]·e^{−jωm} = e^{−jω(L−1)}·s[L−1] − e^{−jωL}·s[L−2]
//
// (see resonator.output), and its power |Z|² = s1² + s2² − c·s1·s2.
//
// Up to 16 kHz the four row resonators run in float64 and the four column
// resonators in exact int64 fixed point (coefficients in Q30, input scaled
// by 2^fixShift, the rows' input too so that one conversion serves both).
// Sixteen float64 states do not fit in amd64's fifteen usable vector
// registers: with all eight in float64 the compiler keeps spilling states
// on the recurrences' critical path. Split this way the two halves use
// both register files and both sets of execution units: 4.1 ns/sample
// against 5.6 ns for the all-float loop on the reference machine (AMD
// EPYC, Go 1.26, minimum of repeated runs). Each fixed-point resonator's
// frequency is taken from its quantised coefficient, so the output formula
// matches the recurrence, and the rounding error left is below 3e-7 of a
// full-scale block's spectrum. At higher rates the longer blocks leave too
// little int64 headroom for that (newBank), and all eight resonators run
// in float64; the speed there matters less.
type bank struct {
	fixed bool       // columns in int64 (else float64)
	shift uint       // input scale of both halves in bits: fixShift, or 0 when !fixed
	scale float64    // 2^−shift (exact)
	c     [8]float64 // 2·cos ω (rows; columns too when !fixed)
	k     [4]int64   // columns when fixed: 2·cos ω in Q30
	cf    [8]float64 // every resonator's 2·cos ω as a float64 (for power)
	fa    [8]float64 // float states s[n−1] (after an even number of samples)
	fb    [8]float64 // float states s[n−2]
	ia    [4]int64   // fixed column states s[n−1]
	ib    [4]int64   // fixed column states s[n−2]
}

// coefQ is the fraction bits of the fixed-point coefficients: a resonator
// is then tuned within 2^−31/sin ω ≤ 3e-9 rad of its frequency.
const coefQ = 30

// fixShift is the input scale, in bits, of the fixed-point columns. A
// constant, so that the shift is an immediate (a variable one ties up a
// register the loop is short of); 8 bits keep the rounding error below
// 3e-7 of a full-scale block's spectrum (TestGoertzelMatchesFFT; 5 bits,
// all that 48 kHz would allow, gave 2e-6, hence float64 there).
const fixShift = 8

// newBank returns a bank for the row frequencies wr and column frequencies
// wc (radians per sample) and blocks of up to m samples. It returns the
// column frequencies the resonators really tune to (quantised
// coefficients in fixed point).
//
// Overflow bound: a resonator's state after n samples is Σ x[i]·U(n−i)
// with |U(j)| = |sin((j+1)ω)/sin ω| ≤ min(j+1, 1/sin ω), so after a block
// of m samples |s| < 2^15·2^shift·m·min(m, 1/sin ω); its product with
// the coefficient (< 2^31) must stay below 2^62, one bit short of int64's
// limit. With 5 ms blocks that leaves room for 10 bits at 8 kHz and 8 at
// 16 kHz; the fixed-point columns are used wherever fixShift fits.
func newBank(wr, wc [4]float64, m int) (bank, [4]float64) {
	var g bank
	worst := 0.0
	var k [4]int64
	for i := range 4 {
		g.c[i] = 2 * math.Cos(wr[i])
		g.c[4+i] = 2 * math.Cos(wc[i])
		k[i] = int64(math.Round(g.c[4+i] * (1 << coefQ)))
		worst = max(worst, math.Min(float64(m), 1/math.Sin(wc[i])))
	}
	g.cf, g.scale = g.c, 1
	bits := math.Floor(62 - (coefQ + 1) - 15 - math.Log2(float64(m)*worst))
	if bits < fixShift {
		return g, wc
	}
	g.fixed, g.shift, g.k = true, fixShift, k
	g.scale = 1 / float64(int64(1)<<g.shift)
	for i := range 4 {
		g.cf[4+i] = float64(k[i]) / (1 << coefQ)
		wc[i] = math.Acos(g.cf[4+i] / 2)
	}
	return g, wc
}

// run feeds pcm through the eight resonators and returns Σ x² and Σ x
// over pcm.
//
// The loop is unrolled by two so that the two state variables of each
// resonator swap roles instead of being copied; the unrolled and the
// single-sample step do the same arithmetic in the same order, so results
// do not depend on where a caller's chunk boundaries fall. The explicit
// float64 conversions forbid fused multiply-adds (Go may fuse x*y+z on some
// architectures), which keeps results bit-identical on every platform; the
// int64 half is exact everywhere. Coefficients are read through g on every
// use so that they become memory operands rather than occupy registers.
func (g *bank) run(pcm []int16) (energy, sum int64) {
	if !g.fixed {
		return g.runFloat(pcm)
	}
	a0, a1, a2, a3 := g.fa[0], g.fa[1], g.fa[2], g.fa[3]
	b0, b1, b2, b3 := g.fb[0], g.fb[1], g.fb[2], g.fb[3]
	p0, p1, p2, p3 := g.ia[0], g.ia[1], g.ia[2], g.ia[3]
	q0, q1, q2, q3 := g.ib[0], g.ib[1], g.ib[2], g.ib[3]
	const sh = fixShift
	// Σ x² is summed in float64 on the scaled samples, off the integer
	// multiplier the four column resonators keep busy. It is exact: every
	// term is an integer times 2^2·shift and the sum stays below 2^53 such
	// units (a block holds at most 480 samples of at most 2^30 each).
	var e, sx float64 // sx: Σ x, exact for the same reason
	n := len(pcm) &^ 1
	even := pcm[:n:n]
	for i := 1; i < n; i += 2 { // [i−1] and [i]: no bounds checks
		xs, ys := int64(even[i-1])<<sh, int64(even[i])<<sh
		x, y := float64(xs), float64(ys)
		e += float64(x*x) + float64(y*y)
		sx += x + y
		// b ← s[n] from (a = s[n−1], b = s[n−2]); then a ← s[n+1]. The
		// column products are floored (>>): the bias is a constant input
		// of −2^−shift−1 samples, whose response at the column frequencies
		// is below 1e-7 of a full-scale block's spectrum.
		b0 = (x - b0) + float64(g.c[0]*a0)
		b1 = (x - b1) + float64(g.c[1]*a1)
		b2 = (x - b2) + float64(g.c[2]*a2)
		b3 = (x - b3) + float64(g.c[3]*a3)
		q0 = (xs - q0) + (g.k[0]*p0)>>coefQ
		q1 = (xs - q1) + (g.k[1]*p1)>>coefQ
		q2 = (xs - q2) + (g.k[2]*p2)>>coefQ
		q3 = (xs - q3) + (g.k[3]*p3)>>coefQ
		a0 = (y - a0) + float64(g.c[0]*b0)
		a1 = (y - a1) + float64(g.c[1]*b1)
		a2 = (y - a2) + float64(g.c[2]*b2)
		a3 = (y - a3) + float64(g.c[3]*b3)
		p0 = (ys - p0) + (g.k[0]*q0)>>coefQ
		p1 = (ys - p1) + (g.k[1]*q1)>>coefQ
		p2 = (ys - p2) + (g.k[2]*q2)>>coefQ
		p3 = (ys - p3) + (g.k[3]*q3)>>coefQ
	}
	if len(pcm) > n {
		xs := int64(pcm[n]) << sh
		x := float64(xs)
		e += float64(x * x)
		sx += x
		a0, b0 = (x-b0)+float64(g.c[0]*a0), a0
		a1, b1 = (x-b1)+float64(g.c[1]*a1), a1
		a2, b2 = (x-b2)+float64(g.c[2]*a2), a2
		a3, b3 = (x-b3)+float64(g.c[3]*a3), a3
		p0, q0 = (xs-q0)+(g.k[0]*p0)>>coefQ, p0
		p1, q1 = (xs-q1)+(g.k[1]*p1)>>coefQ, p1
		p2, q2 = (xs-q2)+(g.k[2]*p2)>>coefQ, p2
		p3, q3 = (xs-q3)+(g.k[3]*p3)>>coefQ, p3
	}
	g.fa[0], g.fa[1], g.fa[2], g.fa[3] = a0, a1, a2, a3
	g.fb[0], g.fb[1], g.fb[2], g.fb[3] = b0, b1, b2, b3
	g.ia, g.ib = [4]int64{p0, p1, p2, p3}, [4]int64{q0, q1, q2, q3}
	return int64(e) >> (2 * sh), int64(sx) >> sh
}

// runFloat is run with all eight resonators in float64.
func (g *bank) runFloat(pcm []int16) (energy, sum int64) {
	a0, a1, a2, a3, a4, a5, a6, a7 := g.fa[0], g.fa[1], g.fa[2], g.fa[3], g.fa[4], g.fa[5], g.fa[6], g.fa[7]
	b0, b1, b2, b3, b4, b5, b6, b7 := g.fb[0], g.fb[1], g.fb[2], g.fb[3], g.fb[4], g.fb[5], g.fb[6], g.fb[7]
	var e, sx int64
	n := len(pcm) &^ 1
	even := pcm[:n:n]
	for i := 1; i < n; i += 2 {
		vx, vy := int64(even[i-1]), int64(even[i])
		e += vx*vx + vy*vy
		sx += vx + vy
		x, y := float64(vx), float64(vy)
		b0 = (x - b0) + float64(g.c[0]*a0)
		b1 = (x - b1) + float64(g.c[1]*a1)
		b2 = (x - b2) + float64(g.c[2]*a2)
		b3 = (x - b3) + float64(g.c[3]*a3)
		b4 = (x - b4) + float64(g.c[4]*a4)
		b5 = (x - b5) + float64(g.c[5]*a5)
		b6 = (x - b6) + float64(g.c[6]*a6)
		b7 = (x - b7) + float64(g.c[7]*a7)
		a0 = (y - a0) + float64(g.c[0]*b0)
		a1 = (y - a1) + float64(g.c[1]*b1)
		a2 = (y - a2) + float64(g.c[2]*b2)
		a3 = (y - a3) + float64(g.c[3]*b3)
		a4 = (y - a4) + float64(g.c[4]*b4)
		a5 = (y - a5) + float64(g.c[5]*b5)
		a6 = (y - a6) + float64(g.c[6]*b6)
		a7 = (y - a7) + float64(g.c[7]*b7)
	}
	if len(pcm) > n {
		v := int64(pcm[n])
		e += v * v
		sx += v
		x := float64(v)
		a0, b0 = (x-b0)+float64(g.c[0]*a0), a0
		a1, b1 = (x-b1)+float64(g.c[1]*a1), a1
		a2, b2 = (x-b2)+float64(g.c[2]*a2), a2
		a3, b3 = (x-b3)+float64(g.c[3]*a3), a3
		a4, b4 = (x-b4)+float64(g.c[4]*a4), a4
		a5, b5 = (x-b5)+float64(g.c[5]*a5), a5
		a6, b6 = (x-b6)+float64(g.c[6]*a6), a6
		a7, b7 = (x-b7)+float64(g.c[7]*a7), a7
	}
	g.fa = [8]float64{a0, a1, a2, a3, a4, a5, a6, a7}
	g.fb = [8]float64{b0, b1, b2, b3, b4, b5, b6, b7}
	return e, sx
}

// states returns resonator i's s[n−1] and s[n−2] in sample units
// (resonators 0–3 are the rows, 4–7 the columns).
func (g *bank) states(i int) (s1, s2 float64) {
	scale := g.scale
	if i >= 4 && g.fixed {
		return float64(g.ia[i-4]) * scale, float64(g.ib[i-4]) * scale
	}
	return g.fa[i] * scale, g.fb[i] * scale
}

// coef returns resonator i's 2·cos ω as a float64.
func (g *bank) coef(i int) float64 { return g.cf[i] }

// store writes every resonator's s[n−1] and s[n−2] in sample units and
// |Z|² (power) into s1, s2 and pow.
func (g *bank) store(s1, s2, pow *[nTones]float64) {
	scale := g.scale
	for i := range 4 {
		s1[i], s2[i] = g.fa[i]*scale, g.fb[i]*scale
	}
	if g.fixed {
		for i := range 4 {
			s1[4+i], s2[4+i] = float64(g.ia[i])*scale, float64(g.ib[i])*scale
		}
	} else {
		for i := 4; i < nTones; i++ {
			s1[i], s2[i] = g.fa[i]*scale, g.fb[i]*scale
		}
	}
	for i := range nTones {
		pow[i] = power(g.cf[i], s1[i], s2[i])
	}
}

// clear zeroes the states for a new block.
func (g *bank) clear() {
	g.fa, g.fb = [8]float64{}, [8]float64{}
	g.ia, g.ib = [4]int64{}, [4]int64{}
}

// resonator holds the per-frequency constants that turn a block's final
// states into its complex spectrum.
type resonator struct {
	hz    float64    // nominal frequency
	omega float64    // 2π·hz/rate, radians per sample
	p, q  complex128 // e^{−jω(M−1)} and e^{−jωM} for a full block of M samples
	dc    complex128 // Σ_{m<M} e^{−jωm}: what a block's constant part adds to its Z, per unit
}

func newResonator(hz float64, rate, m int) resonator {
	return newResonatorW(hz, 2*math.Pi*hz/float64(rate), m)
}

// newResonatorW is newResonator for a resonator tuned to w radians per
// sample (a quantised coefficient's own frequency).
func newResonatorW(hz, w float64, m int) resonator {
	return resonator{hz: hz, omega: w, p: expj(-w * float64(m-1)), q: expj(-w * float64(m)), dc: geometric(-w, m)}
}

// output returns Σ x[m]·e^{−jωm} over a full block from its final states.
func (r *resonator) output(s1, s2 float64) complex128 {
	return complex(real(r.p)*s1-real(r.q)*s2, imag(r.p)*s1-imag(r.q)*s2)
}

// outputN returns Σ x[m]·e^{−jωm} over a block of n samples (n ≥ 1) from
// its final states.
func (r *resonator) outputN(s1, s2 float64, n int) complex128 {
	return expj(-r.omega*float64(n-1))*complex(s1, 0) - expj(-r.omega*float64(n))*complex(s2, 0)
}

// power returns |Z|² of a block from its final states; c = 2·cos ω.
func power(c, s1, s2 float64) float64 { return s1*s1 + s2*s2 - c*s1*s2 }

func expj(x float64) complex128 {
	s, c := math.Sincos(x)
	return complex(c, s)
}
