package dtmf

import (
	"math"

	"github.com/recsim/recsim/dtmf/keypad"
)

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
	spill        float64 // exact pass: power left in the other six resonators (Detector.spill)
	glideLo      float64 // exact pass: the tones' frequency change per block (Bank.glide)
	glideHi      float64
}

// report passes a window's analysis to the trace hook, if any.
func (d *Detector) report(b int64, row, col int, pe pairEst, ok, exact bool, ew float64) {
	if d.trace != nil {
		d.trace(*d.diagOf(b, row, col, pe, ok, exact, ew))
	}
}

// diagOf builds the trace record of a window's analysis.
func (d *Detector) diagOf(b int64, row, col int, pe pairEst, ok, exact bool, ew float64) *diag {
	rows, cols := keypad.Rows(), keypad.Cols()
	g := &diag{block: b, row: row, col: col, ok: ok, exact: exact, fill: min(pe.fill, 2*pe.fillLo, 2*pe.fillHi), purity: pe.purity(d.bank, ew),
		devLo: pe.lo.hz / rows[row], devHi: pe.hi.hz / cols[col], ampLo: pe.lo.amp, ampHi: pe.hi.amp,
		ratio: (cols[col] + pe.hi.hz) / (rows[row] + pe.lo.hz), gateBlk: math.Inf(1)}
	var pk [nTones]float64
	for j := range d.bank.k {
		r := &d.ring[(b-int64(d.bank.k)+1+int64(j))&(ringBlocks-1)]
		g.gateWin += r.e
		for i := range nTones {
			pk[i] += r.pow[i]
		}
		lo := max(r.pow[0], r.pow[1], r.pow[2], r.pow[3])
		hi := max(r.pow[4], r.pow[5], r.pow[6], r.pow[7])
		g.gateBlk = min(g.gateBlk, 2*(lo+hi)/(float64(d.bank.m)*r.e))
	}
	lo := max(pk[0], pk[1], pk[2], pk[3])
	hi := max(pk[4], pk[5], pk[6], pk[7])
	g.gateWin = 2 * (lo + hi) / (float64(d.bank.m) * g.gateWin)
	return g
}
