package dtmf

import (
	"math"

	"github.com/recsim/recsim/dtmf/keypad"
)

// nTones is the number of resonators: four rows, then four columns.
const nTones = 8

// Bank is what every Detector of one Config shares: the resonators'
// coefficients and schedules, the phase tables, the sixteen pairs'
// unmixing matrices, the thresholds derived from the Config, and whether
// the AVX2 kernel runs. It is read-only once NewBank returns and safe for
// concurrent use by any number of detectors; a Detector refers to it and
// copies none of it.
type Bank struct {
	cfg  Config
	m    int // block length, samples
	k    int // window, blocks
	rate float64

	gz    goertzel
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
}

// NewBank validates cfg and builds the Bank its detectors share, or
// returns the error New would give for cfg (a *ConfigError naming the
// first invalid field). It also checks, once, whether the CPU runs the
// AVX2 kernel.
func NewBank(cfg Config) (*Bank, error) { return newBank(cfg, detectAVX2()) }

// newBank is NewBank with the kernel choice made by the caller: simd must
// be false unless detectAVX2 is true (tests clear it to compare the two
// paths).
func newBank(cfg Config, simd bool) (*Bank, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	b := &Bank{cfg: cfg, m: cfg.Block, k: cfg.Window, rate: float64(cfg.Rate)}
	rows, cols := keypad.Rows(), keypad.Cols()
	var wr, wc [4]float64
	for i := range 4 {
		wr[i] = 2 * math.Pi * rows[i] / b.rate
		wc[i] = 2 * math.Pi * cols[i] / b.rate
	}
	b.gz = newGoertzel(wr, wc, b.m, simd)
	for i := range 4 {
		b.res[i] = newResonatorW(rows[i], wr[i], b.m)
		b.res[4+i] = newResonatorW(cols[i], wc[i], b.m)
	}
	for i := range nTones {
		for j := range maxWindow {
			b.qpow[i][j] = expj(-b.res[i].omega * float64(b.m*j))
		}
		b.devMax[i] = cfg.MaxDeviation * b.res[i].hz
	}
	mf := float64(b.m)
	for r := range 4 {
		for c := range 4 {
			b.pairs[r][c] = newUnmix(b.res[r].omega, b.res[4+c].omega, 0, 0, b.m)
		}
	}
	b.ampMin = ampOf(cfg.MinLevel)
	// A window whose stronger tone is at MinLevel holds at least A²/2·K·M;
	// half of that leaves room for the block-sinc loss of an off-nominal
	// tone (≤ 0.3 dB at 2.5 %) and for MinFill slivers (reasoning).
	b.eFloor = 0.5 * b.ampMin * b.ampMin / 2 * float64(b.k*b.m)
	// Per block, a 60 % sliver of a MinLevel tone 6 dB down (reasoning, a
	// pre-gate only: the window test decides).
	b.bFloor = 0.25 * 0.6 * b.ampMin * b.ampMin / 2 * mf
	b.twMin = math.Pow(10, cfg.MinTwist/20)
	b.twMax = math.Pow(10, cfg.MaxTwist/20)
	// Incoherent pre-gates (block powers, no phases), far below what true
	// digits give, measured on every valid window of the conformance
	// battery (TestMargins): window ≥ 0.86, block ≥ 0.44 (a −40 dBFS pair
	// over a 3 % DC offset, whose leakage can cancel part of a tone's
	// block power; ≥ 0.51 without an offset). At 0.6 and 0.35 they let
	// 4 % of speech and music blocks through to the full analysis.
	b.gateWin, b.gateBlk = 0.6, 0.35
	return b, nil
}

// New returns a fresh Detector sharing b: no digit held, sample indices
// from 0. It allocates the Detector and nothing else.
func (b *Bank) New() *Detector { return &Detector{bank: b} }

// Config returns the Config b was built for.
func (b *Bank) Config() Config { return b.cfg }

// ampOf converts a level in dBFS to a sine's peak amplitude.
func ampOf(dBFS float64) float64 { return 32767 * math.Pow(10, dBFS/20) }
