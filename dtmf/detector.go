package dtmf

import (
	"math"
	"math/cmplx"
	"strconv"
	"sync"
)

const nTones = 8

// Keypad is the DTMF keypad, row by row: the digit of row r (low group)
// and column c (high group) is Keypad[4r+c].
const Keypad = "123A456B789C*0#D"

// Nominal DTMF frequencies in Hz (ITU-T Q.23): the low group (rows) and the
// high group (columns).
var (
	rowHz = [4]float64{697, 770, 852, 941}
	colHz = [4]float64{1209, 1336, 1477, 1633}
)

// EventKind says whether an Event starts or ends a digit.
type EventKind uint8

// Event kinds.
const (
	KeyDown EventKind = iota + 1 // a digit was accepted
	KeyUp                        // the digit ended
)

func (k EventKind) String() string {
	switch k {
	case KeyDown:
		return "KeyDown"
	case KeyUp:
		return "KeyUp"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is a digit starting or ending. All positions are sample indices
// counted from 0 at New or Reset.
type Event struct {
	Kind    EventKind
	Digit   byte  // '0'-'9', '*', '#', 'A'-'D'
	Onset   int64 // estimated index of the tone's first sample
	Release int64 // KeyUp: estimated index one past the tone's last sample; KeyDown: -1
	At      int64 // samples consumed when the event was decided (a block boundary, or the end of stream for Flush)
}

// blockRec is what the detector keeps of one analysis block.
type blockRec struct {
	s1, s2 [nTones]float64 // final Goertzel states
	pow    [nTones]float64 // |Z|² per resonator
	e      float64         // Σ (x − mean)², the block's energy without its constant part
	mean   float64         // the block's mean sample
}

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

// Detector is a streaming DTMF detector. It is not safe for concurrent use:
// each stream needs its own Detector (they share nothing).
type Detector struct {
	cfg  Config
	m    int // block length, samples
	k    int // window, blocks
	rate float64

	bank  bank
	res   [nTones]resonator
	qpow  [nTones][maxWindow]complex128 // e^{−jωMj}: block j of a window to the window's phase reference
	pairs [4][4]unmix                   // at the nominal frequencies

	ampMin  float64 // MinLevel as a peak amplitude
	eFloor  float64 // window energy below which no pair can pass MinLevel
	twMin   float64 // twist limits as amplitude ratios high/low
	twMax   float64
	bFloor  float64 // block energy floor of the pre-gate
	devMax  [nTones]float64
	gateWin float64 // pre-gate purity of a window (incoherent, looser than MinPurity)
	gateBlk float64 // pre-gate purity of a block

	fill int   // samples in the current block
	eBlk int64 // Σ x² of the current block so far
	sBlk int64 // Σ x of the current block so far
	pos  int64 // samples consumed
	nblk int64 // completed blocks
	ring [ringBlocks]blockRec

	// Searching for a digit.
	streak    int   // consecutive blocks passing the block pre-gate
	cand      byte  // digit of the last valid window (0: the last window was not valid)
	candOnset int64 // its estimated onset

	// Holding a digit.
	down     bool
	digit    byte
	row, col int
	unmix    unmix   // the digit's tones, at their measured frequencies
	refLo    float64 // the digit's per-block amplitudes
	refHi    float64
	wr, wc   float64 // the digit's measured frequencies, radians per sample
	onset    int64
	absent   int   // consecutive blocks without the pair
	lastFull int64 // the last block the pair filled (coverage ≥ 0.9)
	fullRun  int   // consecutive full blocks ending with lastFull
	prevA    complex128
	prevB    complex128 // the tones' amplitudes in the previous block
	trA      complex128
	trB      complex128 // the tones' smoothed phasors (see present)
	fqA      complex128
	fqB      complex128 // their smoothed block-to-block turns, against the expected one
	stepR    complex128
	stepC    complex128 // e^{jωM}: how far each tone turns in a block

	win window // the last analysed window (scratch, kept to avoid copying it)

	trace func(diag) // tests only: sees every fully analysed window
}

// templates holds, per Config, a Detector just as New built it: the
// resonators, phase tables and the sixteen pairs' unmixing matrices
// depend on the Config only, and a server starts thousands of detectors
// with the same one (building them took 1.5 % of a record round trip).
// A process meets a handful of Configs, so it is not bounded.
var templates sync.Map // Config → *Detector (read-only)

// New returns a Detector for cfg, or an error naming the first invalid field.
func New(cfg Config) (*Detector, error) {
	if t, ok := templates.Load(cfg); ok {
		d := new(Detector)
		*d = *t.(*Detector)
		return d, nil
	}
	d, err := build(cfg)
	if err != nil {
		return nil, err
	}
	t := *d
	templates.Store(cfg, &t)
	return d, nil
}

// build is New without the templates.
func build(cfg Config) (*Detector, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := &Detector{cfg: cfg, m: cfg.Block, k: cfg.Window, rate: float64(cfg.Rate)}
	var wr, wc [4]float64
	for i := range 4 {
		wr[i] = 2 * math.Pi * rowHz[i] / d.rate
		wc[i] = 2 * math.Pi * colHz[i] / d.rate
	}
	d.bank, wc = newBank(wr, wc, d.m)
	for i := range 4 {
		d.res[i] = newResonatorW(rowHz[i], wr[i], d.m)
		d.res[4+i] = newResonatorW(colHz[i], wc[i], d.m)
	}
	for i := range nTones {
		for j := range maxWindow {
			d.qpow[i][j] = expj(-d.res[i].omega * float64(d.m*j))
		}
		d.devMax[i] = cfg.MaxDeviation * d.res[i].hz
	}
	mf := float64(d.m)
	for r := range 4 {
		for c := range 4 {
			d.pairs[r][c] = newUnmix(d.res[r].omega, d.res[4+c].omega, 0, 0, d.m)
		}
	}
	d.ampMin = ampOf(cfg.MinLevel)
	// A window whose stronger tone is at MinLevel holds at least A²/2·K·M;
	// half of that leaves room for the block-sinc loss of an off-nominal
	// tone (≤ 0.3 dB at 2.5 %) and for MinFill slivers (reasoning).
	d.eFloor = 0.5 * d.ampMin * d.ampMin / 2 * float64(d.k*d.m)
	// Per block, a 60 % sliver of a MinLevel tone 6 dB down (reasoning, a
	// pre-gate only: the window test decides).
	d.bFloor = 0.25 * 0.6 * d.ampMin * d.ampMin / 2 * mf
	d.twMin = math.Pow(10, cfg.MinTwist/20)
	d.twMax = math.Pow(10, cfg.MaxTwist/20)
	// Incoherent pre-gates (block powers, no phases), far below what true
	// digits give, measured on every valid window of the conformance
	// battery (TestMargins): window ≥ 0.86, block ≥ 0.44 (a −40 dBFS pair
	// over a 3 % DC offset, whose leakage can cancel part of a tone's
	// block power; ≥ 0.51 without an offset). At 0.6 and 0.35 they let
	// 4 % of speech and music blocks through to the full analysis.
	d.gateWin, d.gateBlk = 0.6, 0.35
	return d, nil
}

// Rate returns the sample rate the Detector was configured for.
func (d *Detector) Rate() int { return d.cfg.Rate }

// Config returns the Detector's configuration.
func (d *Detector) Config() Config { return d.cfg }

// Reset returns the Detector to its state after New: no digit held, sample
// indices restarting at 0.
func (d *Detector) Reset() {
	d.bank.clear()
	d.fill, d.eBlk, d.sBlk, d.pos, d.nblk = 0, 0, 0, 0, 0
	d.ring = [ringBlocks]blockRec{}
	d.streak, d.cand = 0, 0
	d.down = false
	d.absent, d.fullRun = 0, 0
}

// Process analyses pcm, the next samples of the stream, and appends the
// events decided within them to dst, which it returns (strconv.Append
// style). pcm and dst belong to the caller; neither is retained. Process
// allocates only if dst must grow.
func (d *Detector) Process(dst []Event, pcm []int16) []Event {
	for len(pcm) > 0 {
		if nb := min(len(pcm)/d.m, d.bank.group); d.fill == 0 && nb > 0 {
			// Complete blocks from a block boundary: the bank runs them
			// side by side, then they end one by one, in order.
			out := d.bank.groups[:nb]
			d.bank.blocks(pcm, out)
			for j := range out {
				d.eBlk, d.sBlk = out[j].e, out[j].sum
				d.pos += int64(d.m)
				dst = d.endBlock(dst, &out[j])
			}
			pcm = pcm[nb*d.m:]
			continue
		}
		// Part of a block: run it through the block in progress (the same
		// arithmetic, so events do not depend on where chunks end).
		n := min(d.m-d.fill, len(pcm))
		e, sum := d.bank.run(pcm[:n])
		d.eBlk += e
		d.sBlk += sum
		d.fill += n
		d.pos += int64(n)
		pcm = pcm[n:]
		if d.fill == d.m {
			dst = d.endBlock(dst, &d.bank.cur)
			d.bank.clear()
		}
	}
	return dst
}

// Flush ends the stream: if a digit is held it appends its KeyUp, decided
// at the current position. The Detector is then Reset.
func (d *Detector) Flush(dst []Event) []Event {
	if d.down {
		dst = append(dst, Event{Kind: KeyUp, Digit: d.digit, Onset: d.onset, Release: d.findRelease(), At: d.pos})
	}
	d.Reset()
	return dst
}

// endBlock stores the finished block, whose final states are st and whose
// sums are d.eBlk and d.sBlk, advances the state machine and appends any
// event it decides.
func (d *Detector) endBlock(dst []Event, st *state) []Event {
	b := d.nblk
	r := &d.ring[b&(ringBlocks-1)]
	// A constant offset (DC) is removed from the energy here and from the
	// resonators' outputs in blockOut: it would otherwise count against
	// purity (a 1 % offset swamps a −40 dBFS pair) and leak into the
	// resonators (3.7 times the offset per 5 ms block at 697 Hz). Block
	// powers keep it: they only feed the pre-gates, whose thresholds allow
	// for it (see New).
	mf := float64(d.m)
	r.mean = float64(d.sBlk) / mf
	r.e = float64(d.eBlk) - float64(d.sBlk)*r.mean
	d.bank.store(st, &r.s1, &r.s2, &r.pow)
	d.fill, d.eBlk, d.sBlk = 0, 0, 0
	d.nblk++
	// Block pre-gate, kept up to date while a digit is held too, so that
	// a digit following without a pause can be analysed as soon as the
	// first is released: every block of a valid window carries enough
	// energy and, block by block, most of it at one row and one column
	// frequency.
	lo := max(r.pow[0], r.pow[1], r.pow[2], r.pow[3])
	hi := max(r.pow[4], r.pow[5], r.pow[6], r.pow[7])
	if r.e >= d.bFloor && 2*(lo+hi) >= d.gateBlk*mf*r.e {
		d.streak++
	} else {
		d.streak = 0
	}
	if d.down {
		return d.track(dst, b)
	}
	return d.search(dst, b)
}

// search looks for a digit in the window ending with block b.
func (d *Detector) search(dst []Event, b int64) []Event {
	digit := byte(0)
	w := &d.win
	if d.streak >= d.k {
		digit = d.analyse(b, w)
	}
	if digit == 0 {
		d.cand = 0
		return dst
	}
	// The fitting helpers work on the held-digit fields; a candidate fills
	// them in before it is accepted.
	d.digit, d.row, d.col = digit, w.row, w.col
	d.refLo, d.refHi, d.unmix, d.wr, d.wc = w.refLo, w.refHi, w.unmix, w.wr, w.wc
	if digit != d.cand {
		// A new candidate: place its onset once, from its first valid
		// window (later windows would only see more of the same tone).
		d.cand, d.candOnset = digit, d.findOnset(b)
	}
	// Accept once the tone has lasted MinDuration: from the onset to where
	// it ends in block b (the end of b if it fills it). Block b is part of
	// a valid window, so the tone reaches at least its start; the fit is
	// needed only when the answer lies inside the block.
	start, need := b*int64(d.m), d.candOnset+int64(d.cfg.MinDuration)
	if start+int64(d.m) < need {
		return dst
	}
	if start < need && start+int64(d.fitBlock(b, d.blockAmps(b-1, d.k-2), false)) < need {
		return dst
	}
	d.down, d.onset = true, d.candOnset
	d.absent, d.lastFull, d.fullRun = 0, b-1, d.k-2
	d.stepR, d.stepC = expj(d.wr*float64(d.m)), expj(d.wc*float64(d.m))
	d.prevA, d.prevB = d.amps(b, d.row, d.col, &d.unmix)
	ref := d.blockAmps(b-1, d.k-2) // at the start of block b
	d.trA, d.trB = ref.a, ref.beta
	d.fqA, d.fqB = complex(sq(abs(ref.a)), 0), complex(sq(abs(ref.beta)), 0)
	d.cand = 0
	return append(dst, Event{Kind: KeyDown, Digit: digit, Onset: d.onset, Release: -1, At: d.pos})
}

// blockAmps returns the held tones' amplitudes at the start of block j+1,
// averaged over the n blocks ending with j (see reference).
func (d *Detector) blockAmps(j int64, n int) pairAmps {
	a, beta := d.reference(j-int64(n)+1, n)
	step, stepC := expj(d.wr*float64(d.m*n)), expj(d.wc*float64(d.m*n))
	return pairAmps{a * step, beta * stepC}
}

// pairAmps are the complex amplitudes of a row and a column tone.
type pairAmps struct{ a, beta complex128 }

// track follows a held digit through block b.
func (d *Detector) track(dst []Event, b int64) []Event {
	cov, ok := d.present(b)
	if ok {
		d.absent = 0
		if cov >= 0.9 {
			if d.lastFull == b-1 {
				d.fullRun++
			} else {
				d.fullRun = 1
			}
			d.lastFull = b
		}
		return dst
	}
	d.absent++
	if d.absent < d.cfg.Gap {
		return dst
	}
	d.down = false
	d.cand = 0
	return append(dst, Event{Kind: KeyUp, Digit: d.digit, Onset: d.onset, Release: d.findRelease(), At: d.pos})
}

// present returns the fraction of block b that the held digit's tone pair
// fills (from its amplitudes relative to the accepted window's) and
// whether the block still holds the digit. Single 5 ms blocks are noisy
// judges (a loud syllable over a held tone moves a block's amplitude by
// half, measured), so each tone is followed by two smoothed quantities
// (each new block weighs one half, about three blocks' memory):
//
//   - its phasor, predicted from the block before at the tone's measured
//     frequency and pulled towards each new block: it must stay above half
//     the accepted amplitude (a block at least half filled; a dropout
//     empties it within two blocks);
//   - the product of consecutive blocks against the expected turn: its
//     phase must stay within 1 rad. A neighbouring DTMF frequency (a digit
//     changing without a pause) still reads 0.8 of its level in a 5 ms
//     block of the held tone's resonator, but turns by at least
//     2π·73 Hz·5 ms = 2.3 rad per block more; interference moves the
//     product by about 0.3 rad once smoothed (reasoning). The product
//     weighs blocks by their level, so the empty blocks of a gap, after
//     which a fresh burst may resume with any phase, count for little.
//
// There is deliberately no purity test while holding: two tones holding
// their levels and phases at the accepted frequencies are specific
// enough, and speech peaking over a held tone would split the digit.
func (d *Detector) present(b int64) (float64, bool) {
	a, beta := d.amps(b, d.row, d.col, &d.unmix)
	ma, mb := abs(a), abs(beta)
	cov := min((ma+mb)/(d.refLo+d.refHi), 1)
	pa, pb := d.trA*d.stepR, d.trB*d.stepC
	d.trA, d.trB = (pa+a)/2, (pb+beta)/2
	d.fqA = (d.fqA + a*cmplx.Conj(d.prevA*d.stepR)) / 2
	d.fqB = (d.fqB + beta*cmplx.Conj(d.prevB*d.stepC)) / 2
	d.prevA, d.prevB = a, beta
	return cov, abs(d.trA) >= 0.5*d.refLo && abs(d.trB) >= 0.5*d.refHi &&
		real(d.fqA) >= cos1*abs(d.fqA) && real(d.fqB) >= cos1*abs(d.fqB)
}

// cos1 is cos(1 rad), the phase limit of present's frequency test.
const cos1 = 0.5403023058681398

// findOnset estimates the first sample of the tone accepted at block b.
// The tone's amplitudes and phases come from a coherent average over the
// interior of the last window (blocks b−K+2 … b−1, whole blocks whatever
// the tone's alignment). From there it walks back, predicting each block
// from that reference and fitting how much of it the tone fills
// (fitSliver), until a block is less than half filled; the tone's samples
// in that block and the one after it then place the onset. Using both
// blocks means no block has to be classed as full or partial: noise at
// 15 dB SNR moves a full block's fit by up to 20 % (measured), which would
// make a hard "full" threshold misplace an onset by a whole block.
func (d *Detector) findOnset(b int64) int64 {
	m := int64(d.m)
	first := b - int64(d.k) + 2
	a, beta := d.reference(first, d.k-2)
	back, backC := expj(-d.wr*float64(d.m)), expj(-d.wc*float64(d.m))
	oldest := max(0, d.nblk-ringBlocks+1)
	next := d.m // the tone's samples in block j+1
	for j := first - 1; j >= oldest; j-- {
		a, beta = a*back, beta*backC
		l := d.fitBlock(j, pairAmps{a, beta}, true)
		if 2*l <= d.m {
			return max((j+2)*m-int64(l+next), 0)
		}
		next = l
	}
	return oldest * m
}

// findRelease estimates the index one past the held tone's last sample,
// walking forward as findOnset walks back, from a reference made of the
// full blocks before the last one the tone filled (that one may be a
// sliver taken for a full block); the block being filled when the stream
// ends counts with the samples it has.
func (d *Detector) findRelease() int64 {
	m := int64(d.m)
	n := int64(min(d.fullRun-1, d.k-2))
	first := d.lastFull - n
	if n == 0 {
		n = 1
	}
	a, beta := d.reference(first, int(n))
	fwd, fwdC := expj(d.wr*float64(d.m)), expj(d.wc*float64(d.m))
	for range n - 1 {
		a, beta = a*fwd, beta*fwdC
	}
	prev := d.m // the tone's samples in block j−1
	j := first + n
	for ; j < d.nblk; j++ {
		a, beta = a*fwd, beta*fwdC
		l := d.fitBlock(j, pairAmps{a, beta}, false)
		if 2*l <= d.m {
			return max((j-1)*m+int64(prev+l), d.onset+1)
		}
		prev = l
	}
	// The tone fills at least half of every complete block since: it ends
	// in the last of them, or runs on into the partial one.
	end := (j-1)*m + int64(prev)
	if d.fill > 0 {
		a, beta = a*fwd, beta*fwdC
		mean := complex(float64(d.sBlk)/float64(d.fill), 0)
		s1, s2 := d.bank.states(d.row)
		u := d.res[d.row].outputN(s1, s2, d.fill) - mean*geometric(-d.res[d.row].omega, d.fill)
		s1, s2 = d.bank.states(4 + d.col)
		v := d.res[4+d.col].outputN(s1, s2, d.fill) - mean*geometric(-d.res[4+d.col].omega, d.fill)
		end += int64(d.fitSliver(u, v, d.fill, a, beta, false))
	}
	return max(end, d.onset+1)
}

// reference returns the held tones' complex amplitudes at the start of
// block first, averaged coherently over n full blocks from first on:
// averaging brings the noise down by √n and removes what distortion
// products and residual images change from block to block.
func (d *Detector) reference(first int64, n int) (a, beta complex128) {
	back, backC := expj(-d.wr*float64(d.m)), expj(-d.wc*float64(d.m))
	ra, rb := complex(1, 0), complex(1, 0)
	for j := range int64(n) {
		x, y := d.amps(first+j, d.row, d.col, &d.unmix)
		a += x * ra
		beta += y * rb
		ra, rb = ra*back, rb*backC
	}
	return a / complex(float64(n), 0), beta / complex(float64(n), 0)
}

// fitBlock is fitSliver on full block j of the ring, with the tones'
// amplitudes p at the block's start.
func (d *Detector) fitBlock(j int64, p pairAmps, tail bool) int {
	r := &d.ring[j&(ringBlocks-1)]
	return d.fitSliver(d.blockOut(r, d.row), d.blockOut(r, 4+d.col), d.m, p.a, p.beta, tail)
}

// blockOut returns resonator i's output for the stored block r without
// the block's constant part (whose contribution is exactly r.mean·dc).
func (d *Detector) blockOut(r *blockRec, i int) complex128 {
	return d.res[i].output(r.s1[i], r.s2[i]) - complex(r.mean, 0)*d.res[i].dc
}

// fitSliver returns the length L (0..n) of the part of an n-sample block
// that the held tone pair occupies, at the block's end (tail) or start: the
// L whose predicted resonator outputs come closest (least squares) to the
// measured u and v. The prediction is the pair itself,
// Re(a·e^{j·wr·m}) + Re(β·e^{j·wc·m}) for the block's samples m, with a and
// β referred to the block's first sample; it includes the leakage between
// the tones and their images, so for a clean tone the fit is exact, and
// other sound at the two frequencies only moves it as far as it moves the
// resonators. O(n), run only when a digit starts or ends.
func (d *Detector) fitSliver(u, v complex128, n int, a, beta complex128, tail bool) int {
	pa, pb := a, beta
	sa, sb := expj(d.wr), expj(d.wc)
	wr, wc := d.res[d.row].omega, d.res[4+d.col].omega
	dr, dc := complex(1, 0), complex(1, 0)
	sr, sc := expj(-wr), expj(-wc)
	// Pass 1 (tail only): the whole block's predicted outputs, so that a
	// suffix is the total minus a prefix.
	var tu, tv complex128
	if tail {
		for range n {
			x := complex(real(pa)+real(pb), 0)
			tu += x * dr
			tv += x * dc
			pa, pb, dr, dc = pa*sa, pb*sb, dr*sr, dc*sc
		}
		pa, pb, dr, dc = a, beta, 1, 1
	}
	cost := func(pu, pv complex128) float64 {
		if tail {
			pu, pv = tu-pu, tv-pv
		}
		return sq(real(u-pu)) + sq(imag(u-pu)) + sq(real(v-pv)) + sq(imag(v-pv))
	}
	// Pass 2: prefix sums; prefix k is the tone on [0, k) (release) or,
	// through the total, on [k, n) (onset).
	var pu, pv complex128
	bestK, best := 0, cost(0, 0)
	for k := 1; k <= n; k++ {
		x := complex(real(pa)+real(pb), 0)
		pu += x * dr
		pv += x * dc
		pa, pb, dr, dc = pa*sa, pb*sb, dr*sr, dc*sc
		if c := cost(pu, pv); c < best {
			bestK, best = k, c
		}
	}
	if tail {
		return n - bestK
	}
	return bestK
}

// amps returns the complex amplitudes (peak, in sample units, referred to
// the block's first sample) of the row and column tones in block b, with
// the leakage between them and their images undone by um.
func (d *Detector) amps(b int64, row, col int, um *unmix) (a, beta complex128) {
	r := &d.ring[b&(ringBlocks-1)]
	return um.apply(d.blockOut(r, row), d.blockOut(r, 4+col))
}

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
	k, m := d.k, d.m
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
	if ew < d.eFloor {
		return 0
	}
	row, row2 := top2(pk[0:4])
	col, col2 := top2(pk[4:8])
	// Incoherent pre-gate on the whole window (looser than the final test).
	if 2*(pk[row]+pk[4+col]) < d.gateWin*float64(m)*ew {
		return 0
	}

	// First pass, leakage undone at the nominal frequencies. The coarse
	// frequencies come first: they are cheap, and most speech and music
	// windows fail on them.
	var al, ah [maxWindow]complex128
	d.windowAmps(first, row, col, &d.pairs[row][col], &al, &ah)
	fl, fh := coarseHz(d, al[:k]), coarseHz(d, ah[:k])
	// Selecting by block power can pick the neighbour of an off-nominal
	// tone (5 ms blocks cannot tell 697 from 770 Hz apart by power alone);
	// the estimated frequency can, so re-analyse with the nearest nominal
	// frequencies if they differ.
	if r, c := nearest(rowHz[:], rowHz[row]+fl), nearest(colHz[:], colHz[col]+fh); r != row || c != col {
		row, col = r, c
		d.windowAmps(first, row, col, &d.pairs[row][col], &al, &ah)
		fl, fh = coarseHz(d, al[:k]), coarseHz(d, ah[:k])
	}
	// Block power can also favour the wrong resonator when the other
	// group's tone leaks into it and beats with the tone at a whole number
	// of cycles per block (941 Hz at −8 dB twist against 1316 Hz: 1.95
	// cycles per 5 ms), and the phase advance then aliases (±100 Hz range).
	// If a group's deviation is implausible, try its runner-up.
	if badLo, badHi := math.Abs(fl) > 2*d.devMax[row], math.Abs(fh) > 2*d.devMax[4+col]; badLo || badHi {
		r, c := row, col
		if badLo {
			r = row2
		}
		if badHi {
			c = col2
		}
		var bl, bh [maxWindow]complex128
		d.windowAmps(first, r, c, &d.pairs[r][c], &bl, &bh)
		gl, gh := coarseHz(d, bl[:k]), coarseHz(d, bh[:k])
		if math.Abs(gl) > 2*d.devMax[r] || math.Abs(gh) > 2*d.devMax[4+c] {
			return 0
		}
		row, col, al, ah = r, c, bl, bh
	}
	pe := d.pairEstimate(al[:k], ah[:k], false)
	// First pass, leakage undone at the nominal frequencies: drop what is
	// clearly not a digit before paying for the exact model. The slack
	// (twice the deviation, 0.15 of purity and fill, 3 dB of twist) is
	// well beyond how far the first pass falls short of the exact one on
	// true pairs: at most 0.1 % of deviation, 0.05 of purity and of fill,
	// 0.8 dB of twist (TestMargins).
	if !pe.plausible(d, row, col, 2, 0.15, 0.15, 3, ew) {
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
	exact := newUnmix(d.res[row].omega, d.res[4+col].omega, d.radPerSample(pe.lo.hz), d.radPerSample(pe.hi.hz), m)
	d.windowAmps(first, row, col, &exact, &al, &ah)
	pe = d.pairEstimate(al[:k], ah[:k], true)
	ok := pe.plausible(d, row, col, 1, 0, 0, 0, ew) && !d.harmonic(row, col, pe)
	if d.trace != nil {
		g := d.diagOf(b, row, col, pe, ok, true, ew)
		g.first = first1
		d.trace(*g)
	}
	if !ok {
		return 0
	}
	*w = window{row: row, col: col, refLo: pe.refLo, refHi: pe.refHi, unmix: exact,
		wr: d.res[row].omega + d.radPerSample(pe.lo.hz), wc: d.res[4+col].omega + d.radPerSample(pe.hi.hz)}
	return Keypad[4*row+col]
}

// harmonic reports whether the pair's measured frequencies stand in the
// ratio 2/1 or 3/2 of two partials of one harmonic sound (Config.Harmonic).
func (d *Detector) harmonic(row, col int, pe pairEst) bool {
	r := (colHz[col] + pe.hi.hz) / (rowHz[row] + pe.lo.hz)
	return math.Abs(r/2-1) < d.cfg.Harmonic || math.Abs(r/1.5-1) < d.cfg.Harmonic
}

// radPerSample converts a frequency offset in Hz to radians per sample.
func (d *Detector) radPerSample(hz float64) float64 { return 2 * math.Pi * hz / d.rate }

// plausible applies the window tests to pe, each loosened by the given
// slack: deviation limit multiplied by devX, purity and fill lowered by
// purity and fill, twist limits widened by twist dB.
func (pe *pairEst) plausible(d *Detector, row, col int, devX, purity, fill, twist float64, ew float64) bool {
	tl, th := pe.lo, pe.hi
	tw := math.Pow(10, twist/20)
	return pe.okLo && pe.okHi &&
		// Each tone alone may dip to half the MinFill bound (reasoning:
		// one tone of a pair must not fade while the other holds).
		pe.fill >= d.cfg.MinFill-fill && pe.fillLo >= 0.5*(d.cfg.MinFill-fill) && pe.fillHi >= 0.5*(d.cfg.MinFill-fill) &&
		math.Abs(tl.hz) <= devX*d.devMax[row] && math.Abs(th.hz) <= devX*d.devMax[4+col] &&
		max(tl.amp, th.amp) >= d.ampMin &&
		th.amp >= d.twMin/tw*tl.amp && th.amp <= d.twMax*tw*tl.amp &&
		pe.purity(d, ew) >= d.cfg.MinPurity-purity
}

// purity is the fraction of the window's energy ew that the two tones,
// as steady sinusoids over the whole window, carry.
func (pe *pairEst) purity(d *Detector, ew float64) float64 {
	return (sq(pe.lo.amp) + sq(pe.hi.amp)) / 2 * float64(d.k*d.m) / ew
}

// report passes a window's analysis to the trace hook, if any.
func (d *Detector) report(b int64, row, col int, pe pairEst, ok, exact bool, ew float64) {
	if d.trace != nil {
		d.trace(*d.diagOf(b, row, col, pe, ok, exact, ew))
	}
}

// diagOf builds the trace record of a window's analysis.
func (d *Detector) diagOf(b int64, row, col int, pe pairEst, ok, exact bool, ew float64) *diag {
	g := &diag{block: b, row: row, col: col, ok: ok, exact: exact, fill: min(pe.fill, 2*pe.fillLo, 2*pe.fillHi), purity: pe.purity(d, ew),
		devLo: pe.lo.hz / rowHz[row], devHi: pe.hi.hz / colHz[col], ampLo: pe.lo.amp, ampHi: pe.hi.amp,
		ratio: (colHz[col] + pe.hi.hz) / (rowHz[row] + pe.lo.hz), gateBlk: math.Inf(1)}
	var pk [nTones]float64
	for j := range d.k {
		r := &d.ring[(b-int64(d.k)+1+int64(j))&(ringBlocks-1)]
		g.gateWin += r.e
		for i := range nTones {
			pk[i] += r.pow[i]
		}
		lo := max(r.pow[0], r.pow[1], r.pow[2], r.pow[3])
		hi := max(r.pow[4], r.pow[5], r.pow[6], r.pow[7])
		g.gateBlk = min(g.gateBlk, 2*(lo+hi)/(float64(d.m)*r.e))
	}
	lo := max(pk[0], pk[1], pk[2], pk[3])
	hi := max(pk[4], pk[5], pk[6], pk[7])
	g.gateWin = 2 * (lo + hi) / (float64(d.m) * g.gateWin)
	return g
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
// amplitudes in each block of the window of d.k blocks starting with block
// first, leakage and images undone with um, each block turned to the
// window's phase reference: a pure tone at exactly the nominal frequency
// gives the same value in every block.
func (d *Detector) windowAmps(first int64, row, col int, um *unmix, al, ah *[maxWindow]complex128) {
	for j := range d.k {
		a, h := d.amps(first+int64(j), row, col, um)
		al[j] = a * d.qpow[row][j]
		ah[j] = h * d.qpow[4+col][j]
	}
}

// pairEstimate analyses the row and column tones whose per-block
// amplitudes are al and ah; exact says they came from the model at the
// tones' own frequencies.
func (d *Detector) pairEstimate(al, ah []complex128, exact bool) pairEst {
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
	pe.lo, pe.okLo = d.estimate(al, exact)
	pe.hi, pe.okHi = d.estimate(ah, exact)
	return pe
}

// coarseHz is the frequency offset, in Hz, that the per-block amplitudes
// a turn by from one block to the next (the coarse step of estimate).
func coarseHz(d *Detector, a []complex128) float64 {
	var acc complex128
	for j := 1; j < len(a); j++ {
		acc += a[j] * cmplx.Conj(a[j-1])
	}
	return math.Atan2(imag(acc), real(acc)) * d.rate / (2 * math.Pi * float64(d.m))
}

// abs is |z| (cmplx.Abs guards against overflow with math.Hypot, which
// costs more than it is worth at these magnitudes).
func abs(z complex128) float64 { return math.Sqrt(real(z)*real(z) + imag(z)*imag(z)) }

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

// diag is what a test's trace hook sees of every window that reaches the
// full analysis.
type diag struct {
	block        int64
	row, col     int
	ok           bool
	exact        bool    // the second pass (exact model); else the first pass rejected it
	fill         float64 // smallest block amplitude / window mean (pair, row, column)
	purity       float64
	devLo, devHi float64 // frequency deviation, fraction of nominal
	ampLo, ampHi float64 // peak amplitudes
	ratio        float64 // column / row measured frequency
	first        *diag   // exact pass: what the first pass measured
	gateWin      float64 // the window's incoherent purity (pre-gate)
	gateBlk      float64 // the smallest block incoherent purity in the window (pre-gate)
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
func (d *Detector) estimate(a []complex128, exact bool) (tone, bool) {
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
		amp /= blockGain(theta, d.m)
	}
	return tone{hz: theta * d.rate / (2 * math.Pi * float64(d.m)), amp: amp}, true
}

// blockGain is |Σ_{m<M} e^{jθm/M}|/M, the amplitude a block of M samples
// keeps of a tone that turns by θ over the block.
func blockGain(theta float64, m int) float64 {
	if math.Abs(theta) < 1e-9 {
		return 1
	}
	return math.Abs(math.Sin(theta/2) / (float64(m) * math.Sin(theta/(2*float64(m)))))
}

// geometric returns Σ_{n<m} e^{jνn} = e^{jν(m−1)/2}·sin(mν/2)/sin(ν/2).
func geometric(nu float64, m int) complex128 {
	half := math.Sin(nu / 2)
	if math.Abs(half) < 1e-12 {
		return complex(float64(m), 0)
	}
	return expj(nu*float64(m-1)/2) * complex(math.Sin(float64(m)*nu/2)/half, 0)
}

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

func ampOf(dBFS float64) float64 { return 32767 * math.Pow(10, dBFS/20) }

func sq(x float64) float64 { return x * x }
