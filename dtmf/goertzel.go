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
// (see output), and its power |Z|² = s1² + s2² − c·s1·s2 needs no phase at all.
type bank struct {
	c  [nTones]float64 // 2·cos ω per resonator
	s1 [nTones]float64 // s[n−1]
	s2 [nTones]float64 // s[n−2]
}

// run feeds pcm through the eight resonators and returns Σ x² over pcm.
//
// The loop is unrolled by two so that the two state variables of each
// resonator swap roles instead of being copied; both the unrolled and the
// single-sample step evaluate (x − s2) + c·s1 in the same order, so the
// result does not depend on where a caller's chunk boundaries fall. The
// explicit float64 conversions forbid fused multiply-adds (Go may fuse
// x*y+z on some architectures), which keeps results bit-identical on every
// platform. Sixteen float64 states do not all fit in amd64's fifteen usable
// vector registers, so the compiler spills a few; it is still the fastest
// arrangement measured (two passes of four resonators are latency-bound).
func (g *bank) run(pcm []int16) int64 {
	c0, c1, c2, c3, c4, c5, c6, c7 := g.c[0], g.c[1], g.c[2], g.c[3], g.c[4], g.c[5], g.c[6], g.c[7]
	a0, a1, a2, a3, a4, a5, a6, a7 := g.s1[0], g.s1[1], g.s1[2], g.s1[3], g.s1[4], g.s1[5], g.s1[6], g.s1[7]
	b0, b1, b2, b3, b4, b5, b6, b7 := g.s2[0], g.s2[1], g.s2[2], g.s2[3], g.s2[4], g.s2[5], g.s2[6], g.s2[7]
	var e int64
	for len(pcm) >= 2 {
		vx, vy := int64(pcm[0]), int64(pcm[1])
		pcm = pcm[2:]
		e += vx*vx + vy*vy
		x, y := float64(vx), float64(vy)
		// b ← s[n] from (a = s[n−1], b = s[n−2]); then a ← s[n+1].
		b0 = (x - b0) + float64(c0*a0)
		b1 = (x - b1) + float64(c1*a1)
		b2 = (x - b2) + float64(c2*a2)
		b3 = (x - b3) + float64(c3*a3)
		b4 = (x - b4) + float64(c4*a4)
		b5 = (x - b5) + float64(c5*a5)
		b6 = (x - b6) + float64(c6*a6)
		b7 = (x - b7) + float64(c7*a7)
		a0 = (y - a0) + float64(c0*b0)
		a1 = (y - a1) + float64(c1*b1)
		a2 = (y - a2) + float64(c2*b2)
		a3 = (y - a3) + float64(c3*b3)
		a4 = (y - a4) + float64(c4*b4)
		a5 = (y - a5) + float64(c5*b5)
		a6 = (y - a6) + float64(c6*b6)
		a7 = (y - a7) + float64(c7*b7)
	}
	if len(pcm) == 1 {
		v := int64(pcm[0])
		e += v * v
		x := float64(v)
		a0, b0 = (x-b0)+float64(c0*a0), a0
		a1, b1 = (x-b1)+float64(c1*a1), a1
		a2, b2 = (x-b2)+float64(c2*a2), a2
		a3, b3 = (x-b3)+float64(c3*a3), a3
		a4, b4 = (x-b4)+float64(c4*a4), a4
		a5, b5 = (x-b5)+float64(c5*a5), a5
		a6, b6 = (x-b6)+float64(c6*a6), a6
		a7, b7 = (x-b7)+float64(c7*a7), a7
	}
	g.s1 = [nTones]float64{a0, a1, a2, a3, a4, a5, a6, a7}
	g.s2 = [nTones]float64{b0, b1, b2, b3, b4, b5, b6, b7}
	return e
}

// clear zeroes the states for a new block.
func (g *bank) clear() {
	g.s1 = [nTones]float64{}
	g.s2 = [nTones]float64{}
}

// resonator holds the per-frequency constants that turn a block's final
// states into its complex spectrum.
type resonator struct {
	hz    float64    // nominal frequency
	omega float64    // 2π·hz/rate, radians per sample
	p, q  complex128 // e^{−jω(M−1)} and e^{−jωM} for a full block of M samples
	e1    complex128 // e^{−jω}
}

func newResonator(hz float64, rate, m int) resonator {
	w := 2 * math.Pi * hz / float64(rate)
	return resonator{hz: hz, omega: w, p: expj(-w * float64(m-1)), q: expj(-w * float64(m)), e1: expj(-w)}
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
