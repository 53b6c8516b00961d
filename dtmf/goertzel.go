package dtmf

import (
	"math"
	"unsafe"
)

// goertzel runs eight Goertzel resonators side by side,
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
// All eight resonators run in float64 at every rate, each step computed
// as (x − s[n−2]) + c·s[n−1]: a rounded subtraction, product and sum,
// never a fused multiply-add, so that the AVX2 kernel (goertzel_amd64.s)
// and the pure-Go loop (runGo, used elsewhere) give bit-identical states.
// Σ x² and Σ x are exact int64 sums.
//
// A resonator is latency-bound: a multiply then an add (6 cycles) lie on
// the path from one sample to the next. The kernel holds a block's eight
// states in two YMM registers (rows, columns) and runs three blocks side
// by side ("lanes"): six independent chains, as many as the sixteen YMM
// registers hold and about as many as the two add pipes serve within that
// latency (each step of a chain is a subtraction and an addition). The
// states are cleared at every block boundary, so the complete
// blocks of a chunk are independent: blocks hands up to six of them to
// the kernel at once, following a plan that spreads them over the lanes
// (newPlan). A block that a chunk holds only part of runs through run,
// on one lane, with the same arithmetic, so results do not depend on how
// a stream is cut into chunks.
//
// Measured on the reference machine (AMD EPYC, Zen 3 at 3.1 GHz, Go 1.26,
// best of repeated runs): a step of the kernel's three lanes takes about
// 6.8 cycles; blocks takes 0.8–0.9 ns per sample for six blocks and
// 1.0 ns for the four 5 ms blocks of a 20 ms frame at 8 kHz (converting
// the samples and switching lanes between stretches take the rest); one
// lane alone (run) takes 2.3–2.6 ns per sample and runGo 5.5–6.3. The
// pure-Go bank this replaced, rows in float64 and columns in int64 fixed
// point (to spare registers), took 4.1–4.4 ns per sample.
//
// A goertzel is read-only once built (it is part of a Bank and shared by
// its detectors); what changes while a detector runs is in its lanes.
type goertzel struct {
	c     [8]float64     // 2·cos ω: rows 0–3, columns 4–7
	m     int            // block length
	group int            // the most blocks blocks takes at once
	plans [maxGroup]plan // blocks' schedules for 1 to group blocks
	simd  bool           // use the AVX2 kernel (detectAVX2; tests clear it to compare with runGo)
}

// lanes is one detector's part of the resonator bank: the block in
// progress and the kernel's per-call inputs and outputs. Its zero value is
// ready for use.
type lanes struct {
	cur state // the block in progress (run)
}

// state is one block's progress through the bank: every resonator's
// s[n−1] (a), s[n−2] (b) and power |Z|² from them (pow), and the block's
// exact Σ x² (e) and Σ x (sum). The kernel relies on this layout: a at
// byte 0, b at 64, pow at 128, e at 192, sum at 200.
type state struct {
	a, b, pow [8]float64
	e, sum    int64
}

// maxGroup is the most complete blocks blocks takes at once: six fill the
// three lanes exactly, and four (a 20 ms frame) take 4/3 of a block's
// steps (newPlan).
const maxGroup = 6

// newGoertzel returns the resonators for the row frequencies wr and column
// frequencies wc (radians per sample) and blocks of m samples; simd says
// whether to run the AVX2 kernel (only where detectAVX2 is true).
func newGoertzel(wr, wc [4]float64, m int, simd bool) goertzel {
	g := goertzel{m: m, group: min(maxGroup, maxSamples/m), simd: simd}
	for i := range 4 {
		g.c[i] = 2 * math.Cos(wr[i])
		g.c[4+i] = 2 * math.Cos(wc[i])
	}
	for nb := 1; nb <= g.group; nb++ {
		g.plans[nb-1] = newPlan(nb, m)
	}
	return g
}

// run feeds pcm through the eight resonators, continuing the block in
// progress in w, and returns Σ x² and Σ x over pcm.
func (g *goertzel) run(w *lanes, pcm []int16) (energy, sum int64) {
	st := &w.cur
	st.e, st.sum = 0, 0
	if !g.simd {
		runGo(&g.c, st, pcm)
		return st.e, st.sum
	}
	// Lane 0 alone; the other two idle (a lone block is latency-bound:
	// they cost nothing).
	var single plan // on the stack: a detector's state is what outlives the call
	for len(pcm) > 0 {
		n := min(len(pcm), maxSamples)
		single.n, single.samples = 1, n
		single.s[0] = stretch{n: n, st: [3]int{0, -1, -1}}
		planAVX2(&g.c, st, &pcm[0], &single)
		pcm = pcm[n:]
	}
	return st.e, st.sum
}

// blocks runs the len(out) ≤ g.group consecutive blocks of g.m samples
// at the start of pcm, each from cleared states, and leaves each block's
// final state in out.
func (g *goertzel) blocks(pcm []int16, out []state) {
	m := g.m
	if !g.simd {
		clear(out)
		for j := range out {
			runGo(&g.c, &out[j], pcm[j*m:(j+1)*m])
		}
		return
	}
	p := &g.plans[len(out)-1]
	_ = pcm[p.samples-1] // the plan stays within pcm
	planAVX2(&g.c, &out[0], &pcm[0], p)
}

// plan is a schedule for the kernel: n stretches over the first samples
// samples of pcm. The kernel reads it at fixed offsets (goertzel_amd64.s).
type plan struct {
	n       int
	samples int
	s       [maxStretches]stretch
}

// stretch is part of a plan: n steps in which lane k runs the state at
// byte offset st[k] from the kernel's out (−1: the lane idles), from
// cleared states if fresh[k] is 1 (a block's first piece), over the
// samples of pcm from index x[k] on (an idle lane repeats lane 0's).
type stretch struct {
	n     int
	x     [3]int
	st    [3]int
	fresh [3]int
}

// maxSamples is the most samples one kernel call takes (six 5 ms blocks at
// 32 kHz): it converts them all to float64 in its stack frame first, so
// that no step waits for a conversion. The 7.5 KiB frame makes a
// goroutine's stack grow once, on its first Process.
const maxSamples = 960

// maxStretches bounds a plan's stretches: six for every block length
// Config allows (TestPlansCoverEveryBlockInOrder tries them all).
const maxStretches = 6

// newPlan spreads nb blocks of m samples over the three lanes by
// McNaughton's wrap-around rule: each lane gets T = max(m, ⌈nb·m/3⌉)
// steps, filled with the blocks in order; a block that does not fit at the
// end of lane l runs its first part at the start of lane l+1 and the rest
// at the end of lane l, which comes later since T ≥ m. The plan cuts a
// stretch wherever a lane changes block. Four blocks of 40 samples (a
// 20 ms frame at 8 kHz) take 54 steps instead of 80 for three then one:
//
//	steps   0–11  12–25  26–39  40–51  52–53
//	lane 0  b0     b0     b0     b1     b1
//	lane 1  b1     b1     b2     b2     b2
//	lane 2  b2     b3     b3     b3     idle
func newPlan(nb, m int) plan {
	// A piece: block j's samples from first on, on one lane over steps
	// [t0, t1). A lane holds at most three pieces, in order of time.
	type piece struct{ j, first, t0, t1 int }
	var lanes [3][3]piece
	var count [3]int
	t := max(m, (nb*m+2)/3)
	l, pos := 0, 0
	for j := range nb {
		if pos == t {
			l, pos = l+1, 0
		}
		if pos+m <= t {
			lanes[l][count[l]] = piece{j, 0, pos, pos + m}
			count[l]++
			pos += m
			continue
		}
		x := m - (t - pos) // the first x samples run at the start of lane l+1
		lanes[l][count[l]] = piece{j, x, pos, t}
		lanes[l+1][0] = piece{j, 0, 0, x}
		count[l]++
		count[l+1] = 1
		l, pos = l+1, x
	}
	const size = int(unsafe.Sizeof(state{}))
	p := plan{samples: nb * m}
	for t0 := 0; t0 < t; p.n++ {
		t1 := t
		s := stretch{st: [3]int{-1, -1, -1}}
		for l := range 3 {
			for _, pc := range lanes[l][:count[l]] {
				if pc.t0 <= t0 && t0 < pc.t1 {
					s.st[l], s.x[l] = pc.j*size, pc.j*m+pc.first+t0-pc.t0
					if pc.first == 0 && t0 == pc.t0 {
						s.fresh[l] = 1
					}
					t1 = min(t1, pc.t1)
				} else if pc.t0 > t0 {
					t1 = min(t1, pc.t0)
				}
			}
		}
		for l := range 3 {
			if s.st[l] < 0 {
				s.x[l] = s.x[0]
			}
		}
		s.n = t1 - t0
		p.s[p.n] = s
		t0 = t1
	}
	return p
}

// runGo is the kernel's arithmetic in Go, for one block: it continues st
// over pcm.
//
// The loop is unrolled by two so that the two state variables of each
// resonator swap roles instead of being copied; the unrolled and the
// single-sample step do the same arithmetic in the same order. The
// explicit float64 conversions forbid fused multiply-adds (Go may fuse
// x*y+z on some architectures). Coefficients are read through c on every
// use so that they become memory operands rather than occupy registers.
func runGo(c *[8]float64, st *state, pcm []int16) {
	a0, a1, a2, a3, a4, a5, a6, a7 := st.a[0], st.a[1], st.a[2], st.a[3], st.a[4], st.a[5], st.a[6], st.a[7]
	b0, b1, b2, b3, b4, b5, b6, b7 := st.b[0], st.b[1], st.b[2], st.b[3], st.b[4], st.b[5], st.b[6], st.b[7]
	e, sx := st.e, st.sum
	n := len(pcm) &^ 1
	even := pcm[:n:n]
	for i := 1; i < n; i += 2 { // [i−1] and [i]: no bounds checks
		vx, vy := int64(even[i-1]), int64(even[i])
		e += vx*vx + vy*vy
		sx += vx + vy
		x, y := float64(vx), float64(vy)
		// b ← s[n] from (a = s[n−1], b = s[n−2]); then a ← s[n+1].
		b0 = (x - b0) + float64(c[0]*a0)
		b1 = (x - b1) + float64(c[1]*a1)
		b2 = (x - b2) + float64(c[2]*a2)
		b3 = (x - b3) + float64(c[3]*a3)
		b4 = (x - b4) + float64(c[4]*a4)
		b5 = (x - b5) + float64(c[5]*a5)
		b6 = (x - b6) + float64(c[6]*a6)
		b7 = (x - b7) + float64(c[7]*a7)
		a0 = (y - a0) + float64(c[0]*b0)
		a1 = (y - a1) + float64(c[1]*b1)
		a2 = (y - a2) + float64(c[2]*b2)
		a3 = (y - a3) + float64(c[3]*b3)
		a4 = (y - a4) + float64(c[4]*b4)
		a5 = (y - a5) + float64(c[5]*b5)
		a6 = (y - a6) + float64(c[6]*b6)
		a7 = (y - a7) + float64(c[7]*b7)
	}
	if len(pcm) > n {
		v := int64(pcm[n])
		e += v * v
		sx += v
		x := float64(v)
		a0, b0 = (x-b0)+float64(c[0]*a0), a0
		a1, b1 = (x-b1)+float64(c[1]*a1), a1
		a2, b2 = (x-b2)+float64(c[2]*a2), a2
		a3, b3 = (x-b3)+float64(c[3]*a3), a3
		a4, b4 = (x-b4)+float64(c[4]*a4), a4
		a5, b5 = (x-b5)+float64(c[5]*a5), a5
		a6, b6 = (x-b6)+float64(c[6]*a6), a6
		a7, b7 = (x-b7)+float64(c[7]*a7), a7
	}
	st.a = [8]float64{a0, a1, a2, a3, a4, a5, a6, a7}
	st.b = [8]float64{b0, b1, b2, b3, b4, b5, b6, b7}
	for i := range 8 {
		st.pow[i] = power(c[i], st.a[i], st.b[i])
	}
	st.e, st.sum = e, sx
}

// states returns resonator i's s[n−1] and s[n−2] in the block in progress
// (resonators 0–3 are the rows, 4–7 the columns).
func (w *lanes) states(i int) (s1, s2 float64) { return w.cur.a[i], w.cur.b[i] }

// coef returns resonator i's 2·cos ω.
func (g *goertzel) coef(i int) float64 { return g.c[i] }

// store writes every resonator's s[n−1], s[n−2] and |Z|² in st into s1,
// s2 and pow.
func store(st *state, s1, s2, pow *[nTones]float64) {
	*s1 = st.a
	*s2 = st.b
	*pow = st.pow
}

// clear zeroes the block in progress.
func (w *lanes) clear() { w.cur = state{} }

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

// power returns |Z|² of a block from its final states; c = 2·cos ω. The
// explicit conversions forbid fused multiply-adds, so that it rounds like
// the kernel's (goertzel_amd64.s) on every platform.
func power(c, s1, s2 float64) float64 {
	return float64(float64(s1*s1)+float64(s2*s2)) - float64(float64(c*s1)*s2)
}

func expj(x float64) complex128 {
	s, c := math.Sincos(x)
	return complex(c, s)
}
