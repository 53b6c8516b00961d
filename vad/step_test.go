package vad_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/media"
)

// TestNoiseStepsAreAbsorbedWithinOneSecond checks the adaptation
// docs/detectors.md#vad asks for: the background steps up by 20 or 30 dB,
// or down by 20 dB, mid-file; whatever the detector makes of the step, it
// holds no speech more than 1 s after it, and the speech that follows (2 s and 5 s after the step, 14 dB over the
// louder noise) is detected.
func TestNoiseStepsAreAbsorbedWithinOneSecond(t *testing.T) {
	var rows []*summary
	for _, step := range []float64{20, -20, 30} {
		for _, c := range []media.NoiseColor{media.White, media.Pink, media.Brown} {
			for _, rate := range mainRates {
				lo, hi := -40-step, -40.0
				if step < 0 {
					lo, hi = -40, -40+step
				}
				cs := clips(t, rate)
				// Speech 2 s and 5 s after the step at 2 s, 14 dB over the
				// louder noise.
				sc := speechScene("step", rate, cs[20+int(c):22+int(c)], 4, []float64{2.5}, 1.5, nominalLevel)
				at := secs(rate, 2)
				bg := media.Concat(media.Noise(c, 1, at, lo), media.Noise(c, 2, len(sc.pcm)-at, hi))
				media.Mix(sc.pcm, bg, 0)
				sc.name = fmt.Sprintf("%s noise %+.0f dB step at %d Hz", c, step, rate)
				ev := run(t, rate, sc.pcm, 160)
				o := evaluate(sc, ev)
				s := &summary{class: sc.name}
				s.add(o)
				rows = append(rows, s)
				t.Run(sc.name+" holds no speech 1 s after the step and detects the speech after it", func(t *testing.T) {
					segs, _ := segments(ev)
					for _, sg := range segs {
						if sg.start < sc.speech[0].start && sg.end > int64(at) {
							assert.LessOrEqual(t, sg.end, int64(at+rate), "segment %v around the step ends within 1 s of it", sg)
						}
					}
					require.Zero(t, o.missed, "speech after the step")
					// 14 dB SNR: between the 10 and 20 dB classes of TestSpeechScenes.
					assert.LessOrEqual(t, maxOf(o.onset), 150.0, "onset confirmation delay")
				})
			}
		}
	}
	logTable(t, "noise steps (false segments are those around the step; decisions for Ti, Tm ∈ {1, 2, 5} s)", rows)
}
