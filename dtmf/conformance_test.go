package dtmf

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/recsim/recsim/dtmf/keypad"
	"github.com/recsim/recsim/media"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// confCase is one conformance case: a scene and the digits it must give.
type confCase struct {
	category string
	name     string
	rate     int
	tones    []toneSpec
	noise    float64 // white noise level in dBFS over the whole scene; NaN for none
	dropout  [2]float64
	dc       int16 // constant offset added to every sample
	want     string
	timed    bool // onset, release and latency are measured against the scene
}

// Conformance limits asserted on every timed case (docs/detectors.md#dtmf).
const (
	maxLatencyMs = 60 // KeyDown decided within 60 ms of the true onset (docs/detectors.md#dtmf)
	maxEdgeMs    = 5  // onset and release estimates within 5 ms (aim stated in the brief)
)

// conformanceCases builds the battery of docs/detectors.md#dtmf for one
// rate. Every case has a random lead-in (so every alignment to the 5 ms
// analysis blocks occurs) and random tone phases; rng makes the battery
// reproducible.
func conformanceCases(rate int) []confCase {
	var cs []confCase
	add := func(c confCase) {
		c.rate = rate
		if c.noise == 0 {
			c.noise = math.NaN()
		}
		cs = append(cs, c)
	}
	one := func(dg byte, dur, level, twist, lo, hi float64) []toneSpec {
		return []toneSpec{{digit: dg, dur: dur, level: level, twist: twist, lowOff: lo, highOff: hi, pauseAft: 60}}
	}
	want := func(ok bool, dg byte) string {
		if ok {
			return string(dg)
		}
		return ""
	}
	for i := 0; i < len(keypad.Digits); i++ {
		dg := keypad.Digits[i]
		// Frequency deviation: each row and column, one tone or both, in
		// the same or opposite directions.
		for _, off := range []float64{-5, -3.5, -1.5, 1.5, 3.5, 5} {
			ok := math.Abs(off) < 2
			for _, m := range []struct {
				name   string
				lo, hi float64
			}{{"row tone", off, 0}, {"column tone", 0, off}, {"both tones", off, off}, {"opposite", off, -off}} {
				add(confCase{category: "frequency deviation", name: fmt.Sprintf("%c %s %+.1f%%", dg, m.name, off),
					tones: one(dg, 60, -20, 0, m.lo, m.hi), want: want(ok, dg), timed: ok})
			}
		}
		// Duration.
		for _, dur := range []float64{10, 20, 23, 40, 45, 60, 100} {
			add(confCase{category: "duration", name: fmt.Sprintf("%c %v ms", dg, dur),
				tones: one(dg, dur, -20, 0, 0, 0), want: want(dur >= 40, dg), timed: dur >= 40})
		}
		// Twist.
		for _, tw := range []float64{-14, -12, -8, -6, -4, 0, 2, 4, 8, 10} {
			add(confCase{category: "twist", name: fmt.Sprintf("%c twist %+v dB", dg, tw),
				tones: one(dg, 60, -20, tw, 0, 0), want: want(tw >= -8 && tw <= 4, dg), timed: tw >= -8 && tw <= 4})
		}
		// Twist limits with off-nominal tones (the estimates must hold there too).
		for _, tw := range []float64{-8, 4} {
			add(confCase{category: "twist", name: fmt.Sprintf("%c twist %+v dB, tones ±1.5%%", dg, tw),
				tones: one(dg, 60, -20, tw, 1.5, -1.5), want: string(dg), timed: true})
		}
		// Level (per tone, dBFS; −3 dBFS per tone clips at full scale).
		for _, lv := range []float64{-65, -60, -55, -40, -30, -20, -10, -6, -3} {
			add(confCase{category: "level", name: fmt.Sprintf("%c %v dBFS", dg, lv),
				tones: one(dg, 60, lv, 0, 0, 0), want: want(lv >= -40, dg), timed: lv >= -40})
		}
		add(confCase{category: "level", name: fmt.Sprintf("%c −40 dBFS, twist −8", dg),
			tones: one(dg, 60, -40, -8, 0, 0), want: string(dg), timed: true})
		add(confCase{category: "level", name: fmt.Sprintf("%c −3 dBFS, twist +4 (clipped)", dg),
			tones: one(dg, 60, -3, 4, 0, 0), want: string(dg), timed: true})
		// White noise at 15 dB SNR per tone (noise level = tone level − 15 dB).
		for _, lv := range []float64{-40, -20, -3} {
			add(confCase{category: "noise 15 dB SNR", name: fmt.Sprintf("%c at %v dBFS", dg, lv),
				tones: one(dg, 60, lv, 0, 1.5, -1.5), noise: lv - 15, want: string(dg), timed: true})
		}
		add(confCase{category: "noise 15 dB SNR", name: fmt.Sprintf("%c at −20 dBFS, 40 ms", dg),
			tones: one(dg, 40, -20, 0, 0, 0), noise: -35, want: string(dg), timed: true})
		// Ramped tones (the engine's scenarios use 2 ms raised-cosine
		// ramps); the duration includes the ramps.
		for _, r := range []struct{ dur, ramp float64 }{{40, 2}, {40, 5}, {100, 2}, {23, 2}} {
			add(confCase{category: "ramped tones", name: fmt.Sprintf("%c %v ms with %v ms ramps", dg, r.dur, r.ramp),
				tones: []toneSpec{{digit: dg, dur: r.dur, level: -10, ramp: r.ramp, pauseAft: 60}}, want: want(r.dur >= 40, dg), timed: r.dur >= 40})
		}
		// A constant offset (not in docs/detectors.md#dtmf; recordings from
		// sound cards carry one): up to 3 % of full scale under a −40 dBFS
		// pair.
		for _, dc := range []int16{-1000, 300, 1000} {
			add(confCase{category: "DC offset", name: fmt.Sprintf("%c at −40 dBFS with DC %+d", dg, dc),
				tones: one(dg, 60, -40, 0, 0, 0), dc: dc, want: string(dg), timed: true})
		}
		// Dropouts: 10 ms of digital silence inside a 100 ms tone does not
		// split it; a 40 ms gap does.
		add(confCase{category: "dropout", name: fmt.Sprintf("%c 10 ms dropout", dg),
			tones: one(dg, 100, -20, 0, 0, 0), dropout: [2]float64{45, 10}, want: string(dg)})
		add(confCase{category: "dropout", name: fmt.Sprintf("%c 5 ms dropout", dg),
			tones: one(dg, 90, -20, 0, 0, 0), dropout: [2]float64{42, 5}, want: string(dg)})
		add(confCase{category: "dropout", name: fmt.Sprintf("%c 40 ms tone, 10 ms gap, 40 ms tone", dg),
			tones: []toneSpec{{digit: dg, dur: 40, level: -20, pauseAft: 10}, {digit: dg, dur: 40, level: -20, pauseAft: 60}}, want: string(dg)})
		add(confCase{category: "dropout", name: fmt.Sprintf("%c 40 ms tone, 40 ms gap, 40 ms tone", dg),
			tones: []toneSpec{{digit: dg, dur: 40, level: -20, pauseAft: 40}, {digit: dg, dur: 40, level: -20, pauseAft: 60}}, want: strings.Repeat(string(dg), 2), timed: true})
	}
	// Pauses: 40 ms tones with 40 ms pauses give every digit, repeated
	// digits included.
	for _, s := range []string{"11##**00", "123A456B789C*0#D", "DDDD", "9999AAAA"} {
		var ts []toneSpec
		for i := 0; i < len(s); i++ {
			ts = append(ts, toneSpec{digit: s[i], dur: 40, level: -20, pauseAft: 40})
		}
		add(confCase{category: "pause separation", name: s + " 40/40 ms", tones: ts, want: s, timed: true})
		add(confCase{category: "pause separation", name: s + " 40/40 ms in noise at 15 dB SNR", tones: ts, noise: -35, want: s, timed: true})
	}
	// Back-to-back digits with no pause (not required by
	// docs/detectors.md#dtmf, which separates digits by 40 ms, but a
	// generator may concatenate them):
	// changes of row only, column only, both, and a repeated digit, which
	// must stay one digit.
	for _, s := range []string{"14", "41", "12", "21", "1D", "D1", "58*#", "0852", "7777"} {
		var ts []toneSpec
		for i := 0; i < len(s); i++ {
			ts = append(ts, toneSpec{digit: s[i], dur: 80, level: -20})
		}
		ts[len(ts)-1].pauseAft = 60
		want := s
		if s == "7777" {
			want = "7" // one continuous tone with phase jumps
		}
		add(confCase{category: "back-to-back", name: s + " in 80 ms tones, no pause", tones: ts, want: want})
	}
	// Harmonic pairs (talk-off stress): a note and its octave, balanced so
	// that both lie about 2.1 % from a DTMF pair, and a perfect fifth
	// balanced on '4'. Neither is a DTMF digit.
	for _, h := range []struct {
		name   string
		dg     byte
		lo, hi float64
	}{
		{"682 Hz and its octave", '2', -2.12, 2.12},
		{"754 Hz and its octave", '6', -2.10, 2.10},
		{"834 Hz and its octave", 'C', -2.13, 2.13},
		{"G#5 at A=441 and its octave", 'C', -2.28, 1.98},
		{"788/1182 Hz fifth", '4', 2.29, -2.29},
	} {
		add(confCase{category: "harmonic pairs", name: h.name, tones: one(h.dg, 200, -20, 0, h.lo, h.hi), want: ""})
	}
	// Silence and noise alone.
	add(confCase{category: "no tone", name: "digital silence", want: ""})
	for _, lv := range []float64{-60, -30, -10} {
		add(confCase{category: "no tone", name: fmt.Sprintf("white noise %v dBFS", lv), noise: lv, want: ""})
	}
	return cs
}

// render synthesises a case.
func (c confCase) render(t testing.TB, rng *rand.Rand) scene {
	sc := buildScene(t, rng, c.rate, c.tones, -1, c.noise)
	if c.dropout[1] > 0 {
		from := int(sc.onsets[0]) + ms(c.rate, c.dropout[0])
		clear(sc.pcm[from : from+ms(c.rate, c.dropout[1])])
	}
	for i := range sc.pcm {
		sc.pcm[i] += c.dc
	}
	if len(c.tones) == 0 && len(sc.pcm) < ms(c.rate, 1000) {
		sc.pcm = append(sc.pcm, make([]int16, ms(c.rate, 1000))...)
		if !math.IsNaN(c.noise) {
			media.Mix(sc.pcm, media.Noise(media.White, rng.Uint64(), len(sc.pcm), c.noise), 0)
		}
	}
	return sc
}

// timing is the worst timing figures over the timed cases.
type timing struct {
	onset, release, latency float64 // ms
}

// checkEvents asserts the structural invariants of an event list.
func checkEvents(t testing.TB, ev []Event) {
	t.Helper()
	var down byte
	var at int64
	for _, e := range ev {
		require.GreaterOrEqual(t, e.At, at, "events out of order: %v", ev)
		at = e.At
		require.LessOrEqual(t, e.Onset, e.At, "onset after decision: %+v", e)
		switch e.Kind {
		case KeyDown:
			require.Zero(t, down, "KeyDown while %c is down: %v", down, ev)
			require.Equal(t, int64(-1), e.Release)
			down = e.Digit
		case KeyUp:
			require.Equal(t, down, e.Digit, "KeyUp without its KeyDown: %v", ev)
			require.Less(t, e.Onset, e.Release)
			require.LessOrEqual(t, e.Release, e.At)
			down = 0
		default:
			require.Fail(t, "bad event kind", "%+v", e)
		}
	}
	require.Zero(t, down, "digit left down after Flush: %v", ev)
}

func TestConformance(t *testing.T) {
	type tally struct{ cases, passed int }
	for _, rate := range []int{8000, 16000} {
		rng := rand.New(rand.NewPCG(uint64(rate), 24))
		cases := conformanceCases(rate)
		tallies := map[string]*tally{}
		var order []string
		var worst, worstRamped timing
		for _, c := range cases {
			if tallies[c.category] == nil {
				tallies[c.category] = &tally{}
				order = append(order, c.category)
			}
			tl := tallies[c.category]
			tl.cases++
			sc := c.render(t, rng)
			ev := run(t, rate, sc.pcm)
			ok := t.Run(fmt.Sprintf("%d Hz %s: %s gives %q", rate, c.category, c.name, c.want), func(t *testing.T) {
				checkEvents(t, ev)
				require.Equal(t, c.want, digitsOf(ev))
				if !c.timed {
					return
				}
				// Pair each tone with its KeyDown and KeyUp.
				require.Len(t, ev, 2*len(sc.onsets))
				perMs := float64(rate) / 1000
				for i := range sc.onsets {
					down, up := ev[2*i], ev[2*i+1]
					onErr := math.Abs(float64(down.Onset-sc.onsets[i])) / perMs
					relErr := math.Abs(float64(up.Release-sc.ends[i])) / perMs
					lat := float64(down.At-sc.onsets[i]) / perMs
					wt := &worst
					if c.tones[i].ramp > 0 {
						wt = &worstRamped // the "true" edge of a ramp is a matter of definition
					}
					wt.onset = max(wt.onset, onErr)
					wt.release = max(wt.release, relErr)
					wt.latency = max(wt.latency, lat)
					assert.LessOrEqual(t, onErr, float64(maxEdgeMs), "onset error, ms")
					assert.LessOrEqual(t, relErr, float64(maxEdgeMs), "release error, ms")
					assert.LessOrEqual(t, lat, float64(maxLatencyMs), "KeyDown latency, ms")
					assert.Equal(t, down.Onset, up.Onset)
				}
			})
			if ok {
				tl.passed++
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "conformance at %d Hz:\n  %-22s %6s %6s\n", rate, "category", "cases", "passed")
		total, passed := 0, 0
		for _, k := range order {
			fmt.Fprintf(&b, "  %-22s %6d %6d\n", k, tallies[k].cases, tallies[k].passed)
			total += tallies[k].cases
			passed += tallies[k].passed
		}
		fmt.Fprintf(&b, "  %-22s %6d %6d\n", "all", total, passed)
		fmt.Fprintf(&b, "  worst onset error %.2f ms, release error %.2f ms, KeyDown latency %.2f ms\n", worst.onset, worst.release, worst.latency)
		fmt.Fprintf(&b, "  ramped tones (edges at the ramp's start and end): onset %.2f ms, release %.2f ms, latency %.2f ms", worstRamped.onset, worstRamped.release, worstRamped.latency)
		t.Log(b.String())
	}
}

// TestConformanceCategoriesCoverEveryDigit guards the battery itself.
func TestConformanceCategoriesCoverEveryDigit(t *testing.T) {
	cases := conformanceCases(8000)
	for _, cat := range []string{"frequency deviation", "duration", "twist", "level", "noise 15 dB SNR", "dropout"} {
		var seen []byte
		for _, c := range cases {
			if c.category == cat {
				seen = append(seen, c.tones[0].digit)
			}
		}
		slices.Sort(seen)
		seen = slices.Compact(seen)
		assert.Len(t, seen, 16, "category %s covers %q", cat, seen)
	}
}
