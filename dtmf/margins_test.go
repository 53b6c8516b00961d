package dtmf

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/recsim/recsim/dtmf/keypad"
	"github.com/recsim/recsim/media"
)

var margins = flag.Bool("margins", false, "measure and print the margins behind the default thresholds")

// windowTests evaluates every window test of cfg on g (the detector's own
// decision is g.ok; this splits it by test).
func windowTests(cfg Config, g diag) map[string]bool {
	tw := 20 * math.Log10(g.ampHi/g.ampLo)
	return map[string]bool{
		"fill":      g.fill >= cfg.MinFill,
		"deviation": math.Abs(g.devLo) <= cfg.MaxDeviation && math.Abs(g.devHi) <= cfg.MaxDeviation,
		"twist":     tw >= cfg.MinTwist && tw <= cfg.MaxTwist,
		"level":     20*math.Log10(max(g.ampLo, g.ampHi)/32767) >= cfg.MinLevel,
		"purity":    g.purity >= cfg.MinPurity,
		"harmonic":  !harmonicRatio(cfg, g),
	}
}

// harmonicRatio mirrors Detector.harmonic on a trace record.
func harmonicRatio(cfg Config, g diag) bool {
	for _, h := range harmonicBands() {
		if math.Abs(g.ratio/h.ratio-1) < h.width*cfg.Harmonic && (!h.spill || g.spill >= harmonicSpill) {
			return true
		}
	}
	return false
}

// TestMargins measures, for the default thresholds, how close true digits
// and talk-off material come to each of them: the figures quoted in
// Config's comments and in doc.go. Run with -margins (add -long for the
// full pitch-shift sweep).
func TestMargins(t *testing.T) {
	if !*margins {
		t.Skip("run with -margins")
	}
	for _, rate := range []int{8000, 16000} {
		cfg := DefaultConfig(rate)
		var b strings.Builder
		fmt.Fprintf(&b, "margins at %d Hz\n", rate)

		// True digits: every accepted case of the conformance battery.
		minPur, minFill, minWin, minBlk := math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)
		minFillInside := math.Inf(1)
		var devErr, twErr float64
		var d1Dev, d1Pur, d1Fill, d1Tw float64 // first pass against exact pass
		rng := rand.New(rand.NewPCG(uint64(rate), 24))
		for _, c := range conformanceCases(rate) {
			sc := c.render(t, rng)
			if c.want == "" {
				continue
			}
			traced(t, rate, sc.pcm, func(g diag) {
				if !g.ok {
					return
				}
				minPur, minFill = min(minPur, g.purity), min(minFill, g.fill)
				if f := g.first; f != nil {
					d1Dev = max(d1Dev, 100*math.Abs(f.devLo-g.devLo), 100*math.Abs(f.devHi-g.devHi))
					d1Pur = max(d1Pur, g.purity-f.purity)
					d1Fill = max(d1Fill, g.fill-f.fill)
					d1Tw = max(d1Tw, math.Abs(20*math.Log10(f.ampHi/f.ampLo)-20*math.Log10(g.ampHi/g.ampLo)))
				}
				m := int64(cfg.Block)
				for i := range sc.onsets {
					if (g.block-int64(cfg.Window)+1)*m >= sc.onsets[i] && (g.block+1)*m <= sc.ends[i] && c.tones[i].ramp == 0 && c.dropout[1] == 0 {
						minFillInside = min(minFillInside, g.fill)
					}
				}
				minWin, minBlk = min(minWin, g.gateWin), min(minBlk, g.gateBlk)
				ts := c.tones[0]
				if c.category == "frequency deviation" || c.category == "twist" {
					devErr = max(devErr, math.Abs(g.devLo*100-ts.lowOff), math.Abs(g.devHi*100-ts.highOff))
				}
				if c.category == "twist" {
					twErr = max(twErr, math.Abs(20*math.Log10(g.ampHi/g.ampLo)-ts.twist))
				}
			})
		}
		fmt.Fprintf(&b, "  true digits (every valid window of the battery): purity ≥ %.3f, fill ≥ %.3f, window pre-gate ≥ %.3f, block pre-gate ≥ %.3f\n", minPur, minFill, minWin, minBlk)
		fmt.Fprintf(&b, "  windows wholly inside a tone: fill ≥ %.3f\n", minFillInside)
		fmt.Fprintf(&b, "  estimation error: deviation ≤ %.3f %% (of nominal), twist ≤ %.2f dB\n", devErr, twErr)
		fmt.Fprintf(&b, "  first pass (nominal model) short of the exact pass by: deviation ≤ %.3f %%, purity ≤ %.3f, fill ≤ %.3f, twist ≤ %.2f dB\n", d1Dev, d1Pur, d1Fill, d1Tw)

		// Talk-off material: fixtures at 0 and −20 dB, and pitch-shifted.
		shifts := []float64{1, 0.94, 1.06}
		if *long {
			shifts = []float64{1, 0.85, 0.88, 0.91, 0.94, 0.97, 0.985, 1.015, 1.03, 1.06, 1.09, 1.12, 1.15}
		}
		speech, music := clips(t, rate)
		closest := map[string]float64{}
		var windows, analysed, exact int
		onlyHarmonic := 0
		for _, f := range shifts {
			for _, c := range append(speech, music...) {
				pcm := media.Resample(c.PCM, media.SampleRate(rate), media.SampleRate(math.Round(float64(rate)/f)))
				for _, gain := range []float64{0, -20} {
					p := append([]int16(nil), pcm...)
					media.Gain(p, gain)
					windows += len(p) / cfg.Block
					traced(t, rate, p, func(g diag) {
						analysed++
						if g.exact {
							exact++
						}
						res := windowTests(cfg, g)
						var failed []string
						for k, ok := range res {
							if !ok {
								failed = append(failed, k)
							}
						}
						if len(failed) != 1 {
							return
						}
						var v float64 // how far past its threshold, in the test's unit
						tw := 20 * math.Log10(g.ampHi/g.ampLo)
						switch failed[0] {
						case "fill":
							v = cfg.MinFill - g.fill
						case "deviation":
							v = 100 * (max(math.Abs(g.devLo), math.Abs(g.devHi)) - cfg.MaxDeviation)
						case "twist":
							v = max(cfg.MinTwist-tw, tw-cfg.MaxTwist)
						case "level":
							v = cfg.MinLevel - 20*math.Log10(max(g.ampLo, g.ampHi)/32767)
						case "purity":
							v = cfg.MinPurity - g.purity
						case "harmonic":
							onlyHarmonic++
							v = cfg.Harmonic - min(math.Abs(g.ratio/2-1), math.Abs(g.ratio/1.5-1))
						}
						if old, ok := closest[failed[0]]; !ok || v < old {
							closest[failed[0]] = v
						}
					})
				}
			}
		}
		fmt.Fprintf(&b, "  talk-off material (fixtures, pitch ×%v, 0 and −20 dB): %d blocks, %d windows analysed, %d reached the exact pass\n", shifts, windows, analysed, exact)
		fmt.Fprintf(&b, "  windows failing one test only, closest miss (units: fraction, %% of nominal, dB):\n")
		for _, k := range []string{"purity", "deviation", "fill", "twist", "level", "harmonic"} {
			if v, ok := closest[k]; ok {
				fmt.Fprintf(&b, "    %-9s missed by %.4f\n", k, v)
			}
		}
		fmt.Fprintf(&b, "  windows stopped by the harmonic guard alone: %d\n", onlyHarmonic)

		// Talk-down: an engine-style stop tone keyed over each speech clip,
		// the speech (mean level) set relative to one tone.
		fmt.Fprintf(&b, "  talk-down (100 ms digit over speech, 3 positions per clip):")
		rng = rand.New(rand.NewPCG(9, uint64(rate)))
		for _, rel := range []float64{-12, -9, -6, -3, 0} {
			found, n, wrong := 0, 0, 0
			for range 3 {
				for _, c := range speech {
					p := append([]int16(nil), c.PCM...)
					media.Gain(p, (-10+rel)-media.Level(p))
					dg := keypad.Digits[rng.IntN(16)]
					media.Mix(p, stopTones(t, rng, rate, string(dg))[:ms(rate, 100)], rng.IntN(len(p)-ms(rate, 200)))
					got := digitsOf(framed(t, rate, p))
					n++
					switch got {
					case string(dg):
						found++
					case "":
					default:
						wrong++
					}
				}
			}
			fmt.Fprintf(&b, " speech %+v dB: %d/%d found, %d wrong or split;", rel, found, n, wrong)
		}
		t.Log(b.String())
	}
}
