package dtmf

import (
	"math"
	"math/cmplx"

	"github.com/recsim/recsim/dtmf/keypad"
)

// window is the result of analysing one window.
type window struct {
	row, col     int
	refLo, refHi float64 // mean block amplitudes
	unmix        unmix
	wr, wc       float64 // measured frequencies, radians per sample
}

// analyse tests the window ending with block b and returns the digit it
// holds (0 if none), with its analysis in w.
func (d *Detector) analyse(b int64, w *window) byte {
	k, m := d.bank.k, d.bank.m
	first := b - int64(k) + 1
	if first < 0 {
		return 0
	}
	var ew float64
	var pk [nTones]float64
	for j := range k {
		r := &d.ring[(first+int64(j))&(ringBlocks-1)]
		ew += r.e
		for i := range nTones {
			pk[i] += r.pow[i]
		}
	}
	if ew < d.bank.eFloor {
		return 0
	}
	row, row2 := top2(pk[0:4])
	col, col2 := top2(pk[4:8])
	// Incoherent pre-gate on the whole window (looser than the final test).
	if 2*(pk[row]+pk[4+col]) < d.bank.gateWin*float64(m)*ew {
		return 0
	}

	// First pass, leakage undone at the nominal frequencies. The coarse
	// frequencies come first: they are cheap, and most speech and music
	// windows fail on them.
	var al, ah [maxWindow]complex128
	d.windowAmps(first, row, col, &d.bank.pairs[row][col], &al, &ah)
	fl, fh := d.bank.coarseHz(al[:k]), d.bank.coarseHz(ah[:k])
	// Selecting by block power can pick the neighbour of an off-nominal
	// tone (5 ms blocks cannot tell 697 from 770 Hz apart by power alone);
	// the estimated frequency can, so re-analyse with the nearest nominal
	// frequencies if they differ.
	rows, cols := keypad.Rows(), keypad.Cols()
	if r, c := nearest(rows[:], rows[row]+fl), nearest(cols[:], cols[col]+fh); r != row || c != col {
		row, col = r, c
		d.windowAmps(first, row, col, &d.bank.pairs[row][col], &al, &ah)
		fl, fh = d.bank.coarseHz(al[:k]), d.bank.coarseHz(ah[:k])
	}
	// Block power can also favour the wrong resonator when the other
	// group's tone leaks into it and beats with the tone at a whole number
	// of cycles per block (941 Hz at −8 dB twist against 1316 Hz: 1.95
	// cycles per 5 ms), and the phase advance then aliases (±100 Hz range).
	// If a group's deviation is implausible, try its runner-up.
	if badLo, badHi := math.Abs(fl) > 2*d.bank.devMax[row], math.Abs(fh) > 2*d.bank.devMax[4+col]; badLo || badHi {
		r, c := row, col
		if badLo {
			r = row2
		}
		if badHi {
			c = col2
		}
		var bl, bh [maxWindow]complex128
		d.windowAmps(first, r, c, &d.bank.pairs[r][c], &bl, &bh)
		gl, gh := d.bank.coarseHz(bl[:k]), d.bank.coarseHz(bh[:k])
		if math.Abs(gl) > 2*d.bank.devMax[r] || math.Abs(gh) > 2*d.bank.devMax[4+c] {
			return 0
		}
		row, col, al, ah = r, c, bl, bh
	}
	pe := d.bank.pairEstimate(al[:k], ah[:k], false)
	// First pass, leakage undone at the nominal frequencies: drop what is
	// clearly not a digit before paying for the exact model. The slack
	// (twice the deviation, 0.15 of purity and fill, 3 dB of twist) is
	// well beyond how far the first pass falls short of the exact one on
	// true pairs: at most 0.1 % of deviation, 0.05 of purity and of fill,
	// 0.8 dB of twist (TestMargins).
	if !pe.plausible(d.bank, row, col, 2, 0.15, 0.15, 3, ew) {
		d.report(b, row, col, pe, false, false, ew)
		return 0
	}
	// Second pass: the leakage model at the measured frequencies is exact
	// for two pure tones (amplitudes come out without the block's sinc
	// loss, so that is not divided out again).
	var first1 *diag
	if d.trace != nil {
		first1 = d.diagOf(b, row, col, pe, false, false, ew)
	}
	exact := newUnmix(d.bank.res[row].omega, d.bank.res[4+col].omega, d.bank.radPerSample(pe.lo.hz), d.bank.radPerSample(pe.hi.hz), m)
	d.windowAmps(first, row, col, &exact, &al, &ah)
	pe = d.bank.pairEstimate(al[:k], ah[:k], true)
	ok := pe.plausible(d.bank, row, col, 1, 0, 0, 0, ew) && !d.harmonic(first, row, col, pe, &exact, al[:k], ah[:k])
	if d.trace != nil {
		g := d.diagOf(b, row, col, pe, ok, true, ew)
		g.first = first1
		g.spill = d.spill(first, row, col, &exact, d.bank.res[row].omega+d.bank.radPerSample(pe.lo.hz), d.bank.res[4+col].omega+d.bank.radPerSample(pe.hi.hz))
		g.glideLo, g.glideHi = d.bank.glide(al[:k], rows[row]+pe.lo.hz), d.bank.glide(ah[:k], cols[col]+pe.hi.hz)
		d.trace(*g)
	}
	if !ok {
		return 0
	}
	*w = window{row: row, col: col, refLo: pe.refLo, refHi: pe.refHi, unmix: exact,
		wr: d.bank.res[row].omega + d.bank.radPerSample(pe.lo.hz), wc: d.bank.res[4+col].omega + d.bank.radPerSample(pe.hi.hz)}
	return keypad.Digits[4*row+col]
}

// pairEst is the analysis of one row/column pair over a window.
type pairEst struct {
	lo, hi         tone
	okLo, okHi     bool
	refLo, refHi   float64 // mean block amplitudes
	fill           float64 // smallest block amplitude of the pair / window mean
	fillLo, fillHi float64 // the same for each tone alone
}

// windowAmps sets al and ah to the row and column tones' complex
// amplitudes in each block of the window of d.bank.k blocks starting with block
// first, leakage and images undone with um, each block turned to the
// window's phase reference: a pure tone at exactly the nominal frequency
// gives the same value in every block.
func (d *Detector) windowAmps(first int64, row, col int, um *unmix, al, ah *[maxWindow]complex128) {
	for j := range d.bank.k {
		a, h := d.amps(first+int64(j), row, col, um)
		al[j] = a * d.bank.qpow[row][j]
		ah[j] = h * d.bank.qpow[4+col][j]
	}
}

// pairEstimate analyses the row and column tones whose per-block
// amplitudes are al and ah; exact says they came from the model at the
// tones' own frequencies.
func (b *Bank) pairEstimate(al, ah []complex128, exact bool) pairEst {
	k := len(al)
	var ml, mh [maxWindow]float64
	var sumLo, sumHi float64
	for j := range k {
		ml[j], mh[j] = abs(al[j]), abs(ah[j])
		sumLo += ml[j]
		sumHi += mh[j]
	}
	pe := pairEst{refLo: sumLo / float64(k), refHi: sumHi / float64(k), fill: math.Inf(1), fillLo: math.Inf(1), fillHi: math.Inf(1)}
	for j := range k {
		pe.fill = min(pe.fill, (ml[j]+mh[j])/(pe.refLo+pe.refHi))
		pe.fillLo, pe.fillHi = min(pe.fillLo, ml[j]/pe.refLo), min(pe.fillHi, mh[j]/pe.refHi)
	}
	pe.lo, pe.okLo = b.estimate(al, exact)
	pe.hi, pe.okHi = b.estimate(ah, exact)
	return pe
}

// plausible applies the window tests to pe, each loosened by the given
// slack: deviation limit multiplied by devX, purity and fill lowered by
// purity and fill, twist limits widened by twist dB.
func (pe *pairEst) plausible(b *Bank, row, col int, devX, purity, fill, twist float64, ew float64) bool {
	tl, th := pe.lo, pe.hi
	tw := math.Pow(10, twist/20)
	return pe.okLo && pe.okHi &&
		// Each tone alone may dip to half the MinFill bound (reasoning:
		// one tone of a pair must not fade while the other holds).
		pe.fill >= b.cfg.MinFill-fill && pe.fillLo >= 0.5*(b.cfg.MinFill-fill) && pe.fillHi >= 0.5*(b.cfg.MinFill-fill) &&
		math.Abs(tl.hz) <= devX*b.devMax[row] && math.Abs(th.hz) <= devX*b.devMax[4+col] &&
		max(tl.amp, th.amp) >= b.ampMin &&
		th.amp >= b.twMin/tw*tl.amp && th.amp <= b.twMax*tw*tl.amp &&
		pe.purity(b, ew) >= b.cfg.MinPurity-purity
}

// purity is the fraction of the window's energy ew that the two tones,
// as steady sinusoids over the whole window, carry.
func (pe *pairEst) purity(b *Bank, ew float64) float64 {
	return (sq(pe.lo.amp) + sq(pe.hi.amp)) / 2 * float64(b.k*b.m) / ew
}

// harmonic reports whether the pair's measured frequencies stand in the
// ratio of two partials of one harmonic sound (Config.Harmonic, and
// harmonicBands for which ratios and how): the window ending with the
// analysis is the one starting with block first, um its exact model, al
// and ah the tones' per-block amplitudes from it.
func (d *Detector) harmonic(first int64, row, col int, pe pairEst, um *unmix, al, ah []complex128) bool {
	rows, cols := keypad.Rows(), keypad.Cols()
	r := (cols[col] + pe.hi.hz) / (rows[row] + pe.lo.hz)
	for _, h := range harmonicBands() {
		if math.Abs(r/h.ratio-1) >= h.width*d.bank.cfg.Harmonic {
			continue
		}
		if !h.spill {
			return true
		}
		if gliding(d.bank.glide(al, rows[row]+pe.lo.hz), d.bank.glide(ah, cols[col]+pe.hi.hz)) {
			return true
		}
		wr, wc := d.bank.res[row].omega+d.bank.radPerSample(pe.lo.hz), d.bank.res[4+col].omega+d.bank.radPerSample(pe.hi.hz)
		if d.spill(first, row, col, um, wr, wc) >= harmonicSpill {
			return true
		}
	}
	return false
}

// harmonicBand is a column/row frequency ratio that two partials of one
// harmonic sound stand in, and how a pair found in its band is treated.
type harmonicBand struct {
	ratio float64
	width float64 // the band's half-width, as a multiple of Config.Harmonic
	spill bool    // rejected only if the window also holds other partials (spill ≥ harmonicSpill)
}

// harmonicBands returns the ratios the harmonic guard knows. A voice or an
// instrument at f0 puts partials at every multiple of f0, and the DTMF
// pairs can be reached (within MaxDeviation) by partials q·f0 and p·f0 in
// the ratios 2/1 and 3/2 (music: a note and its octave or fifth); from
// high voices (f0 ≈ 240–325 Hz, espeak-ng female voices at pitch 80–99),
// 5/3 ('1', '5', '9', 'D' from the 3rd and 5th partials), 4/3 ('*' from the
// 3rd and 4th) and 5/4 ('*' from the 4th and 5th); and from low, fast-moving
// voices at the top of their range (f0 ≈ 185–195 Hz, espeak-ng male and
// named variants at pitch 99, fixtures/testdata/talkoff/corpus) 7/5 ('0'
// from the 5th and 7th) and 7/4 ('5' from the 4th and 7th), and from
// lower ones (f0 ≈ 120–190 Hz, the corpus-long scan) 10/7 ('7' from the 7th
// and 10th), 11/7 ('4') and 9/5 ('5' from the 5th and 9th). Measured
// (TestTalkOffVoices, TestTalkOffCorpus and the scans in
// docs/detectors.md#dtmf): such pairs stand within 0.18 % of their ratio.
// What the pairs that must be accepted (±1.5 % on each tone) can reach
// decides how each band is used; their ratios can move by a further 0.26 %
// (two estimates, each ≤ 0.13 % off, TestMargins):
//
//   - 2/1, 3/2, 5/3: accepted pairs stay at least 1.18 %, 1.43 % and 0.93 %
//     away (reasoning, from the keypad table), clear of a band of
//     Config.Harmonic (0.5 %) even with the estimation error;
//   - 4/3: accepted pairs ('*' with its row 1.5 % low and its column 1.5 %
//     high) come within 0.71 %, so the band is narrowed to 0.6·Harmonic
//     (0.3 %), leaving 0.15 % beyond the estimation error and 0.12 % beyond
//     the harmonic pairs measured;
//   - 5/4, 7/5, 7/4, 10/7 and 11/7 lie inside what '*'; '0' and '7'; '1',
//     '5', '9' and 'D'; '0' and '7'; '4', '8' and '#' must accept (7/5 is
//     1.4 % under the nominal ratio of '0' and '7', 10/7 0.6 % over it, 7/4
//     0.9 % over that of '1', '5', '9', 'D', 11/7 within 0.2 % of '4', '8',
//     '#'); 9/5 lies 0.65 % beyond what '1', '5', '9' and 'D' can reach,
//     too close for a plain band with the estimation error; so a pair there is
//     rejected only when the window also shows the sound is not two steady
//     tones: other partials in the other six resonators (see spill), or
//     both tones gliding together, as the partials of one voice do when
//     its pitch moves (see glide).
func harmonicBands() [10]harmonicBand {
	return [10]harmonicBand{{2, 1, false}, {1.5, 1, false}, {5.0 / 3, 1, false}, {4.0 / 3, 0.6, false},
		{1.25, 1, true}, {1.4, 1, true}, {1.75, 1, true}, {10.0 / 7, 1, true}, {11.0 / 7, 1, true}, {1.8, 1, true}}
}

// harmonicSpill is the spill (Detector.spill) at and above which a pair in
// a band that true digits share (5/4 and the later ones) is taken for partials of a
// harmonic sound. Measured: the '*' pairs of the conformance battery that
// fall in the 5/4 band (±1.5 % in opposite directions, with and without
// twist, edge windows included) show at most 0.037; the false '*' digits
// of the high-voice scan at least 0.20 (docs/detectors.md#dtmf). 0.09 is
// near their geometric middle (0.086). True pairs placed at random in the
// three bands (TestTalkOffBandsKeepTrueDigits: offsets within ±1.5 %,
// twist −8…+4 dB, −3…−40 dBFS, half of them in white noise 15 dB under
// the weaker tone) reach 0.078, still under it.
const harmonicSpill = 0.09

// harmonicGlide is the frequency change per block (a fraction of each
// tone's frequency), which both tones of a pair in a band that true digits
// share must reach, in the same direction and within a factor 2 of each
// other, for the pair to be taken for two partials of one voice whose
// pitch is moving. Measured: true pairs placed at random in the bands
// (as for harmonicSpill) glide at most 0.096 % per block, 0.045 % in 99 %
// of windows; the false '0' of a fast espeak-ng voice in the corpus glided
// 0.39–0.52 % per block on both tones (5 ms blocks, about 1 % per 10 ms
// of pitch fall), the false '5' 0.11–0.23 %. 0.2 % is twice the largest
// true glide, and under the voice's by the same factor.
const harmonicGlide = 0.002

// gliding reports whether two tones' glides gl and gh (Bank.glide) move
// together: the same sign, each at least harmonicGlide, neither more than
// twice the other. One voice's partials keep their frequency ratio, so
// their relative glides are equal; the factor 2 is a margin for the
// estimates over one window (reasoning, not a measured bound).
func gliding(gl, gh float64) bool {
	lo, hi := math.Abs(gl), math.Abs(gh)
	return gl*gh > 0 && min(lo, hi) >= harmonicGlide && max(lo, hi) <= 2*min(lo, hi)
}

// glide is how much a tone's frequency changes from one block to the next,
// as a fraction of its frequency hz (Hz), from its per-block amplitudes a
// in the window's phase reference: the mean change of the phase advance
// (each block's turn against the previous one), which is zero for a steady
// tone at any frequency offset.
func (b *Bank) glide(a []complex128, hz float64) float64 {
	var acc complex128
	for j := 2; j < len(a); j++ {
		acc += a[j] * cmplx.Conj(a[j-1]) * cmplx.Conj(a[j-1]) * a[j-2]
	}
	return math.Atan2(imag(acc), real(acc)) * b.rate / (2 * math.Pi * float64(b.m)) / hz
}

// tone is one tone's estimate over a window.
type tone struct {
	hz  float64 // offset from the nominal frequency, Hz
	amp float64 // peak amplitude, sample units
}

// estimate measures the frequency offset and amplitude of the tone whose
// per-block complex amplitudes (in the window's phase reference) are a.
//
// A tone Δf off nominal turns a by θ = 2π·Δf·M/rate per block. A coarse θ
// comes from the sum of the products of consecutive blocks (unambiguous for
// |Δf| < rate/2M = 100 Hz); a fine correction from the phase between the
// first and the second half of the window after removing the coarse turn
// (lag K−K/2 blocks, so 3 to 6 times less sensitive to noise and to what
// leakage is left). The amplitude is the coherent mean at the final θ,
// divided by the block's own sinc loss at that offset.
func (b *Bank) estimate(a []complex128, exact bool) (tone, bool) {
	k := len(a)
	var acc complex128
	for j := 1; j < k; j++ {
		acc += a[j] * cmplx.Conj(a[j-1])
	}
	mag := abs(acc)
	if mag == 0 || math.IsNaN(mag) {
		return tone{}, false
	}
	coarse := cmplx.Phase(acc)
	step := cmplx.Conj(acc) / complex(mag, 0) // e^{−jθ}
	h := k / 2
	var x1, x2 complex128
	rot := complex(1, 0)
	for j := range k {
		z := a[j] * rot
		if j < h {
			x1 += z
		}
		if j >= k-h {
			x2 += z
		}
		rot *= step
	}
	theta := coarse + cmplx.Phase(x2*cmplx.Conj(x1))/float64(k-h)
	step = expj(-theta)
	rot = 1
	var c complex128
	for j := range k {
		c += a[j] * rot
		rot *= step
	}
	amp := abs(c) / float64(k)
	if !exact {
		amp /= blockGain(theta, b.m)
	}
	return tone{hz: theta * b.rate / (2 * math.Pi * float64(b.m)), amp: amp}, true
}

// coarseHz is the frequency offset, in Hz, that the per-block amplitudes
// a turn by from one block to the next (the coarse step of estimate).
func (b *Bank) coarseHz(a []complex128) float64 {
	var acc complex128
	for j := 1; j < len(a); j++ {
		acc += a[j] * cmplx.Conj(a[j-1])
	}
	return math.Atan2(imag(acc), real(acc)) * b.rate / (2 * math.Pi * float64(b.m))
}

// blockGain is |Σ_{m<M} e^{jθm/M}|/M, the amplitude a block of M samples
// keeps of a tone that turns by θ over the block.
func blockGain(theta float64, m int) float64 {
	if math.Abs(theta) < 1e-9 {
		return 1
	}
	return math.Abs(math.Sin(theta/2) / (float64(m) * math.Sin(theta/(2*float64(m)))))
}

// radPerSample converts a frequency offset in Hz to radians per sample.
func (b *Bank) radPerSample(hz float64) float64 { return 2 * math.Pi * hz / b.rate }

// top2 returns the indices of the largest and second largest of p[0:4].
func top2(p []float64) (first, second int) {
	first, second = 0, 1
	if p[1] > p[0] {
		first, second = 1, 0
	}
	for i := 2; i < 4; i++ {
		switch {
		case p[i] > p[first]:
			first, second = i, first
		case p[i] > p[second]:
			second = i
		}
	}
	return first, second
}

// nearest returns the index of the frequency in hz closest to f.
func nearest(hz []float64, f float64) int {
	best := 0
	for i := range hz {
		if math.Abs(hz[i]-f) < math.Abs(hz[best]-f) {
			best = i
		}
	}
	return best
}

// abs is |z| (cmplx.Abs guards against overflow with math.Hypot, which
// costs more than it is worth at these magnitudes).
func abs(z complex128) float64 { return math.Sqrt(real(z)*real(z) + imag(z)*imag(z)) }

func sq(x float64) float64 { return x * x }

// spill measures, over the window of d.bank.k blocks starting with block
// first, how much the six other resonators hold beyond what the two tones
// explain: a pair of tones at wr and wc radians per sample, whose per-block
// amplitudes um gives from the row and column resonators, reaches every
// other resonator by a known leakage (see newUnmix); what is left there is
// some other sound near the DTMF band. It returns that left-over power as a
// fraction of the power the two tones give in their own resonators.
func (d *Detector) spill(first int64, row, col int, um *unmix, wr, wc float64) float64 {
	m := d.bank.m
	var g [nTones][4]complex128
	for i := range nTones {
		if i == row || i == 4+col {
			continue
		}
		w := d.bank.res[i].omega
		g[i] = [4]complex128{geometric(wr-w, m) / 2, geometric(-wr-w, m) / 2, geometric(wc-w, m) / 2, geometric(-wc-w, m) / 2}
	}
	var own, rest float64
	for j := range d.bank.k {
		r := &d.ring[(first+int64(j))&(ringBlocks-1)]
		a, beta := um.apply(d.blockOut(r, row), d.blockOut(r, 4+col))
		own += sq(abs(a)) + sq(abs(beta))
		ca, cb := cmplx.Conj(a), cmplx.Conj(beta)
		for i := range nTones {
			if i == row || i == 4+col {
				continue
			}
			z := d.blockOut(r, i) - (g[i][0]*a + g[i][1]*ca + g[i][2]*beta + g[i][3]*cb)
			rest += sq(real(z)) + sq(imag(z))
		}
	}
	return rest / (own * float64(m*m) / 4)
}
