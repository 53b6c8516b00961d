package dtmf

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/dtmf/keypad"
	"github.com/recsim/recsim/media"
)

var info = flag.Bool("info", false, "measure and print the informational margins (outside what Q.24 requires) that docs/detectors.md states")

// TestInfoMargins measures what the detector does just outside the
// standard's required ranges: the figures docs/detectors.md#beyond-the-standard
// gives users. Each case keys every digit 8 times (at different phases and
// alignments) and counts the presses found as that digit.
func TestInfoMargins(t *testing.T) {
	if !*info {
		t.Skip("a measurement: go test ./dtmf -run InfoMargins -v -args -info")
	}
	type tone struct {
		ms, level, twist, lowOff, highOff float64
	}
	cases := []struct {
		name  string
		tones []tone // one press: one tone, or two with a dropout between
		gapMs float64
		dc    float64
	}{
		{name: "reference: 50 ms, −10 dBFS, no twist", tones: []tone{{50, -10, 0, 0, 0}}},
		{name: "twist −10 dB", tones: []tone{{50, -10, -10, 0, 0}}},
		{name: "twist −12 dB", tones: []tone{{50, -10, -12, 0, 0}}},
		{name: "twist +6 dB", tones: []tone{{50, -16, 6, 0, 0}}},
		{name: "twist +8 dB", tones: []tone{{50, -18, 8, 0, 0}}},
		{name: "both tones +2.5 %", tones: []tone{{50, -10, 0, 2.5, 2.5}}},
		{name: "both tones −2.5 %", tones: []tone{{50, -10, 0, -2.5, -2.5}}},
		{name: "−45 dBFS", tones: []tone{{50, -45, 0, 0, 0}}},
		{name: "−50 dBFS", tones: []tone{{50, -50, 0, 0, 0}}},
		{name: "30 ms + 10 ms dropout + 30 ms", tones: []tone{{30, -10, 0, 0, 0}, {30, -10, 0, 0, 0}}, gapMs: 10},
		{name: "DC offset 1 000 LSB", tones: []tone{{50, -10, 0, 0, 0}}, dc: 1000},
		{name: "DC offset 2 000 LSB", tones: []tone{{50, -10, 0, 0, 0}}, dc: 2000},
		{name: "DC offset 4 000 LSB", tones: []tone{{50, -10, 0, 0, 0}}, dc: 4000},
		{name: "−30 dBFS with DC 500 LSB", tones: []tone{{50, -30, 0, 0, 0}}, dc: 500},
		{name: "−30 dBFS with DC 1 000 LSB", tones: []tone{{50, -30, 0, 0, 0}}, dc: 1000},
		{name: "−30 dBFS with DC 2 000 LSB", tones: []tone{{50, -30, 0, 0, 0}}, dc: 2000},
	}
	var out strings.Builder
	for _, rate := range []int{8000, 16000} {
		fmt.Fprintf(&out, "\n%d Hz: presses found as their digit, of %d\n", rate, 8*len(keypad.Digits))
		for _, c := range cases {
			found, wrong := 0, 0
			for _, d := range []byte(keypad.Digits) {
				for k := range 8 {
					var pcm []int16
					pcm = append(pcm, media.Silence(ms(rate, 60)+k*17)...)
					for i, tn := range c.tones {
						if i > 0 {
							pcm = append(pcm, media.Silence(ms(rate, c.gapMs))...)
						}
						p, err := media.DTMF(media.SampleRate(rate), ms(rate, tn.ms), media.DTMFSpec{Digit: d, Level: tn.level, Twist: tn.twist,
							LowOffset: tn.lowOff, HighOffset: tn.highOff, LowPhase: float64(k), HighPhase: float64(2 * k)})
						require.NoError(t, err)
						pcm = append(pcm, p...)
					}
					pcm = append(pcm, media.Silence(ms(rate, 100))...)
					if c.dc != 0 {
						for i := range pcm {
							pcm[i] = media.Saturate(float64(pcm[i]) + c.dc)
						}
					}
					got := digitsOf(run(t, rate, pcm))
					switch got {
					case string(d):
						found++
					case "":
					default:
						wrong++
					}
				}
			}
			total := 8 * len(keypad.Digits)
			fmt.Fprintf(&out, "  %-34s %3d/%d (%3.0f %%)%s\n", c.name, found, total, 100*float64(found)/float64(total),
				map[bool]string{true: fmt.Sprintf(", %d wrong or split", wrong), false: ""}[wrong > 0])
		}
	}
	t.Log(out.String())
}
