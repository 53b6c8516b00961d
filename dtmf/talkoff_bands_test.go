package dtmf

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/recsim/recsim/dtmf/keypad"
	"github.com/stretchr/testify/assert"
)

// TestTalkOffBandsKeepTrueDigits: true digits whose column/row ratio falls
// in a band of the harmonic guard that true digits share (5/4 for '*', 7/5
// and 10/7 for '0' and '7', 7/4 for '1', '5', '9', 'D', 11/7 for '4', '8',
// '#'; harmonicBands; none can reach 9/5) are all
// found, once, with random offsets within ±1.5 %, twist −8…+4 dB, levels
// −3…−40 dBFS, 40–100 ms, and half of them in white noise 15 dB under the
// weaker tone; and no window of theirs comes near the spill or the glide
// that the guard takes for a voice (harmonicSpill, harmonicGlide).
func TestTalkOffBandsKeepTrueDigits(t *testing.T) {
	bands := []struct {
		digits string
		ratio  float64
	}{{"*", 1.25}, {"07", 1.4}, {"159D", 1.75}, {"07", 10.0 / 7}, {"48#", 11.0 / 7}}
	rows, cols := keypad.Rows(), keypad.Cols()
	const trials = 60 // per digit and rate
	for _, rate := range []int{8000, 16000} {
		rng := rand.New(rand.NewPCG(uint64(rate), 20))
		for _, band := range bands {
			var maxSpill, maxGlide float64
			var windows int
			for i := range len(band.digits) {
				dg := band.digits[i]
				k := 0
				for keypad.Digits[k] != dg {
					k++
				}
				nominal := cols[k%4] / rows[k/4]
				for trial := 0; trial < trials; {
					lo, hi := rng.Float64()*3-1.5, rng.Float64()*3-1.5
					if math.Abs(nominal*(1+hi/100)/(1+lo/100)/band.ratio-1) >= 0.005 {
						continue // not in the band
					}
					trial++
					level, twist := -3-rng.Float64()*37, rng.Float64()*12-8
					noise := math.NaN()
					if trial%2 == 0 {
						noise = min(level, level+twist) - 15
					}
					sc := buildScene(t, rng, rate, []toneSpec{{digit: dg, dur: 40 + rng.Float64()*60, level: level, twist: twist,
						lowOff: lo, highOff: hi, pauseAft: 60, ramp: float64(trial%3) * 2}}, -1, noise)
					ev := traced(t, rate, sc.pcm, func(g diag) {
						r := g.ratio
						if !g.exact || math.Abs(r/band.ratio-1) >= 0.005 {
							return
						}
						windows++
						maxSpill = max(maxSpill, g.spill)
						if g.glideLo*g.glideHi > 0 {
							maxGlide = max(maxGlide, min(math.Abs(g.glideLo), math.Abs(g.glideHi)))
						}
					})
					assert.Equal(t, string(dg), digitsOf(ev), "%c at %d Hz, offsets %+.2f %+.2f %%, %.1f dBFS, twist %+.1f dB, noise %v", dg, rate, lo, hi, level, twist, !math.IsNaN(noise))
				}
			}
			t.Run(fmt.Sprintf("true %s pairs in the %.4g band at %d Hz stay clear of the voice thresholds", band.digits, band.ratio, rate), func(t *testing.T) {
				t.Logf("%d windows in the band: spill at most %.4f (threshold %v), common glide at most %.5f per block (threshold %v)", windows, maxSpill, harmonicSpill, maxGlide, harmonicGlide)
				assert.Positive(t, windows)
				assert.Less(t, maxSpill, harmonicSpill)
				assert.Less(t, maxGlide, harmonicGlide/2)
			})
		}
	}
}
