package dtmf

import (
	"math/cmplx"
	"strconv"
)

// EventKind says whether an Event starts or ends a digit.
type EventKind uint8

// Event kinds.
const (
	KeyDown EventKind = iota + 1 // a digit was accepted
	KeyUp                        // the digit ended
)

// String returns the kind's name (for logs and test messages).
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
// counted from 0 at the start of the stream (New, Bank.New, Reset, Flush).
type Event struct {
	Kind    EventKind
	Digit   byte  // '0'-'9', '*', '#', 'A'-'D'
	Onset   int64 // estimated index of the tone's first sample
	Release int64 // KeyUp: estimated index one past the tone's last sample; KeyDown: -1
	At      int64 // samples consumed when the event was decided (a block boundary, or the end of stream for Flush)
}

// Detector is a streaming DTMF detector: one per stream. It is not safe for
// concurrent use. Detectors made from one Bank share it, read-only, and
// nothing else, so they may run in parallel.
type Detector struct {
	bank  *Bank // shared, read-only
	lanes lanes // this detector's part of the resonator bank

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

// blockRec is what the detector keeps of one analysis block.
type blockRec struct {
	s1, s2 [nTones]float64 // final Goertzel states
	pow    [nTones]float64 // |Z|² per resonator
	e      float64         // Σ (x − mean)², the block's energy without its constant part
	mean   float64         // the block's mean sample
}

// New returns a Detector for cfg, or an error naming the first invalid
// field. It builds a Bank for the one Detector; to run many detectors with
// one Config, make the Bank once with NewBank and call its New.
func New(cfg Config) (*Detector, error) {
	b, err := NewBank(cfg)
	if err != nil {
		return nil, err
	}
	return b.New(), nil
}

// Rate returns the sample rate the Detector was configured for.
func (d *Detector) Rate() int { return d.bank.cfg.Rate }

// Config returns the Detector's configuration (its Bank's).
func (d *Detector) Config() Config { return d.bank.cfg }

// Reset drops the stream without closing it: the Detector returns to the
// state of a fresh detector from its Bank (no digit held, a partial block
// discarded, sample indices from 0 again). A held digit's KeyUp is not
// reported; Flush is the way to end a stream with its closing event.
func (d *Detector) Reset() {
	bank, trace := d.bank, d.trace // the Detector's configuration, not stream state
	*d = Detector{}
	d.bank, d.trace = bank, trace
}

// Process analyses pcm, the next samples of the stream, and appends the
// events decided within them to dst, which it returns (strconv.Append
// style). pcm and dst belong to the caller; neither is retained. Process
// allocates only if dst must grow.
func (d *Detector) Process(dst []Event, pcm []int16) []Event {
	// The kernel's output for complete blocks lives on the stack, not in
	// the Detector: it is scratch until endBlock stores it in the ring, and
	// a Detector of many (a server's calls) is cold when its next frame
	// comes, so every byte of it costs a cache miss.
	var groups [maxGroup]state
	for len(pcm) > 0 {
		if nb := min(len(pcm)/d.bank.m, d.bank.gz.group); d.fill == 0 && nb > 0 {
			// Complete blocks from a block boundary: the resonators run them
			// side by side, then they end one by one, in order.
			out := groups[:nb]
			d.bank.gz.blocks(pcm, out)
			for j := range out {
				d.eBlk, d.sBlk = out[j].e, out[j].sum
				d.pos += int64(d.bank.m)
				dst = d.endBlock(dst, &out[j])
			}
			pcm = pcm[nb*d.bank.m:]
			continue
		}
		// Part of a block: run it through the block in progress (the same
		// arithmetic, so events do not depend on where chunks end).
		n := min(d.bank.m-d.fill, len(pcm))
		e, sum := d.bank.gz.run(&d.lanes, pcm[:n])
		d.eBlk += e
		d.sBlk += sum
		d.fill += n
		d.pos += int64(n)
		pcm = pcm[n:]
		if d.fill == d.bank.m {
			dst = d.endBlock(dst, &d.lanes.cur)
			d.lanes.clear()
		}
	}
	return dst
}

// Flush ends the stream. If a digit is held it appends the event that
// closes it, the digit's KeyUp, decided at the current position (At is the
// number of samples consumed so far; a partial block counts with the
// samples it has); otherwise it appends nothing. The Detector is then
// reset to the state of a fresh detector from its Bank, exactly as Reset
// does: sample indices count from 0 again and the next Process starts a
// new stream, which gives the events a fresh detector would.
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
	// for it (see NewBank).
	mf := float64(d.bank.m)
	r.mean = float64(d.sBlk) / mf
	r.e = float64(d.eBlk) - float64(d.sBlk)*r.mean
	store(st, &r.s1, &r.s2, &r.pow)
	d.fill, d.eBlk, d.sBlk = 0, 0, 0
	d.nblk++
	// Block pre-gate, kept up to date while a digit is held too, so that
	// a digit following without a pause can be analysed as soon as the
	// first is released: every block of a valid window carries enough
	// energy and, block by block, most of it at one row and one column
	// frequency.
	lo := max(r.pow[0], r.pow[1], r.pow[2], r.pow[3])
	hi := max(r.pow[4], r.pow[5], r.pow[6], r.pow[7])
	if r.e >= d.bank.bFloor && 2*(lo+hi) >= d.bank.gateBlk*mf*r.e {
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
	if d.streak >= d.bank.k {
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
	start, need := b*int64(d.bank.m), d.candOnset+int64(d.bank.cfg.MinDuration)
	if start+int64(d.bank.m) < need {
		return dst
	}
	if start < need && start+int64(d.fitBlock(b, d.blockAmps(b-1, d.bank.k-2), false)) < need {
		return dst
	}
	d.down, d.onset = true, d.candOnset
	d.absent, d.lastFull, d.fullRun = 0, b-1, d.bank.k-2
	d.stepR, d.stepC = expj(d.wr*float64(d.bank.m)), expj(d.wc*float64(d.bank.m))
	d.prevA, d.prevB = d.amps(b, d.row, d.col, &d.unmix)
	ref := d.blockAmps(b-1, d.bank.k-2) // at the start of block b
	d.trA, d.trB = ref.a, ref.beta
	d.fqA, d.fqB = complex(sq(abs(ref.a)), 0), complex(sq(abs(ref.beta)), 0)
	d.cand = 0
	return append(dst, Event{Kind: KeyDown, Digit: digit, Onset: d.onset, Release: -1, At: d.pos})
}

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
	if d.absent < d.bank.cfg.Gap {
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
