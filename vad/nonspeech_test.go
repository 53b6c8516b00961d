package vad_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/media"
)

// nonSpeech is an input holding no speech at all.
type nonSpeech struct {
	class string
	name  string
	rate  int
	pcm   []int16
}

// rates are the sample rates the non-speech inputs are built at: the two
// that matter (docs/audio.md) and the extremes and odd ones in between.
var rates = []int{8000, 16000, 11025, 22050, 44100, 48000}

// mainRates are the rates the larger families are built at.
var mainRates = []int{8000, 16000}

func secs(rate int, s float64) int { return int(math.Round(s * float64(rate))) }

// beep is the beep of docs/timeline.md: 1000 Hz, 400 ms, −10 dBFS, 5 ms raised-cosine ramps.
func beep(rate int, level float64) []int16 {
	return media.Tone(media.SampleRate(rate), secs(rate, 0.4), media.ToneSpec{Hz: 1000, Level: level, Ramp: secs(rate, 0.005)})
}

// dtmfSeq returns digits of dur seconds at level with gaps, as a dialler
// would send them.
func dtmfSeq(t testing.TB, rate int, digits string, dur, gap, level, twist float64) []int16 {
	var out []int16
	for i := 0; i < len(digits); i++ {
		tone, err := media.DTMF(media.SampleRate(rate), secs(rate, dur), media.DTMFSpec{Digit: digits[i], Level: level, Twist: twist, LowPhase: float64(i), HighPhase: 2 * float64(i)})
		require.NoError(t, err)
		out = append(out, tone...)
		out = append(out, media.Silence(secs(rate, gap))...)
	}
	return out
}

// place returns a signal of total seconds with each part mixed in at the
// given second.
func place(rate int, total float64, parts map[float64][]int16) []int16 {
	pcm := media.Silence(secs(rate, total))
	for at, p := range parts {
		media.Mix(pcm, p, secs(rate, at))
	}
	return pcm
}

// over mixes bg (same length) into pcm.
func over(pcm, bg []int16) []int16 {
	media.Mix(pcm, bg, 0)
	return pcm
}

// click returns one transient: a single-sample pop, or a burst of dur
// seconds of white noise or of a decaying 2 kHz ring, at peak level dBFS.
func click(rate int, kind string, dur, peak float64, seed uint64) []int16 {
	a := media.Amplitude(peak)
	switch kind {
	case "pop":
		return []int16{media.Saturate(a)}
	case "ring":
		n := max(secs(rate, dur), 1)
		out := make([]int16, n)
		for i := range out {
			tt := float64(i) / float64(rate)
			out[i] = media.Saturate(a * math.Exp(-5*tt/dur) * math.Sin(2*math.Pi*2000*tt))
		}
		return out
	default: // white burst with a 1 ms fade-out
		n := max(secs(rate, dur), 1)
		b := media.Noise(media.White, seed, n, peak-12) // crest ~12 dB
		return b
	}
}

func nonSpeechInputs(t testing.TB) []nonSpeech {
	var in []nonSpeech
	add := func(class, name string, rate int, pcm []int16) {
		in = append(in, nonSpeech{class: class, name: fmt.Sprintf("%s/%dHz/%s", class, rate, name), rate: rate, pcm: pcm})
	}
	rs := rates
	if raceEnabled {
		rs = mainRates // the race detector checks code paths, not every rate
	}
	for _, rate := range rs {
		r := media.SampleRate(rate)
		// Stationary noise of every colour from −70 to −10 dBFS, from the
		// first sample.
		for _, c := range []media.NoiseColor{media.White, media.Pink, media.Brown} {
			for _, l := range []float64{-70, -50, -30, -10} {
				add("stationary noise", fmt.Sprintf("%s %.0f dBFS", c, l), rate, media.Noise(c, uint64(rate)+uint64(-l), secs(rate, 6), l))
			}
		}
		// Mains hum from the first sample, and hum switched on mid-file.
		for _, f0 := range []float64{50, 60} {
			for _, l := range []float64{-50, -30, -10} {
				add("mains hum", fmt.Sprintf("%.0f Hz %.0f dBFS", f0, l), rate, hum(rate, secs(rate, 6), f0, l, uint64(l)))
			}
			add("mains hum", fmt.Sprintf("%.0f Hz -20 dBFS switched on at 1.5 s", f0), rate, place(rate, 5, map[float64][]int16{1.5: hum(rate, secs(rate, 3.5), f0, -20, 3)}))
		}
		// The beep, alone, repeated, and its echo over noise.
		add("beep", "one beep", rate, place(rate, 2, map[float64][]int16{0.5: beep(rate, -10)}))
		add("beep", "beep at sample 0", rate, place(rate, 2, map[float64][]int16{0: beep(rate, -10)}))
		add("beep", "three beeps 100 ms apart", rate, place(rate, 3, map[float64][]int16{0.3: beep(rate, -10), 0.8: beep(rate, -10), 1.3: beep(rate, -10)}))
		add("beep", "-40 dBFS echo over -60 dBFS white noise", rate, over(place(rate, 3, map[float64][]int16{1: beep(rate, -40)}), media.Noise(media.White, 5, secs(rate, 3), -60)))
		// DTMF: every digit, 40–200 ms, −3 to −30 dBFS, twist −8…+4 dB.
		for i, dur := range []float64{0.04, 0.07, 0.1, 0.2} {
			lvl := []float64{-3, -10, -20, -30}[i]
			tw := []float64{0, -8, 4, 2}[i]
			add("DTMF", fmt.Sprintf("16 digits %.0f ms at %.0f dBFS twist %+.0f", dur*1000, lvl, tw), rate,
				append(media.Silence(secs(rate, 0.3)), dtmfSeq(t, rate, "123A456B789C*0#D", dur, 0.06, lvl, tw)...))
		}
		add("DTMF", "digits at -30 dBFS over -55 dBFS pink noise", rate,
			over(append(media.Silence(secs(rate, 1)), dtmfSeq(t, rate, "5551234", 0.1, 0.1, -30, 0)...), media.Noise(media.Pink, 9, secs(rate, 1)+7*secs(rate, 0.2), -55)))
		// Other tones in the telephone band: single tones, dual-tone
		// call-progress tones, SIT.
		for _, hz := range []float64{300, 440, 1004, 2100, 2600, 3400} {
			add("tones", fmt.Sprintf("%.0f Hz 1 s -20 dBFS", hz), rate, place(rate, 2, map[float64][]int16{0.5: media.Tone(r, secs(rate, 1), media.ToneSpec{Hz: hz, Level: -20, Ramp: secs(rate, 0.002)})}))
		}
		dual := func(f1, f2, l float64, n int) []int16 {
			a := media.Tone(r, n, media.ToneSpec{Hz: f1, Level: l})
			media.Mix(a, media.Tone(r, n, media.ToneSpec{Hz: f2, Level: l, Phase: 1}), 0)
			return a
		}
		add("tones", "dial tone 350+440 Hz 3 s", rate, place(rate, 4, map[float64][]int16{0.5: dual(350, 440, -20, secs(rate, 3))}))
		add("tones", "ringback 440+480 Hz 2 s on", rate, place(rate, 3, map[float64][]int16{0.5: dual(440, 480, -20, secs(rate, 2))}))
		busy := map[float64][]int16{}
		for k := 0; k < 4; k++ {
			busy[0.3+float64(k)] = dual(480, 620, -24, secs(rate, 0.5))
		}
		add("tones", "busy 480+620 Hz cadence", rate, place(rate, 4.5, busy))
		sit := map[float64][]int16{}
		for k, hz := range []float64{913.8, 1370.6, 1776.7} {
			sit[0.5+0.4*float64(k)] = media.Tone(r, secs(rate, 0.33), media.ToneSpec{Hz: hz, Level: -24})
		}
		add("tones", "SIT tones", rate, place(rate, 2.5, sit))
		// Clicks: single-sample pops, 1–20 ms bursts and rings, in silence
		// and over noise, 150 ms apart and more.
		for _, kind := range []string{"pop", "burst", "ring"} {
			parts := map[float64][]int16{}
			for k, dur := range []float64{0.001, 0.003, 0.005, 0.01, 0.015, 0.02} {
				parts[0.5+0.35*float64(k)] = click(rate, kind, dur, []float64{0, -6, -20, -40}[k%4], uint64(k))
			}
			add("clicks", kind+"s in silence", rate, place(rate, 3, parts))
			add("clicks", kind+"s over -50 dBFS brown noise", rate, over(place(rate, 3, parts), media.Noise(media.Brown, 4, secs(rate, 3), -50)))
		}
	}
	for _, rate := range mainRates {
		// Comfort noise that changes level during a pause: the background
		// (white or pink, −60…−45 dBFS) replaced by comfort noise a few dB
		// off, changing every 300–700 ms, as DTX codecs do.
		for i, c := range []media.NoiseColor{media.White, media.Pink, media.Brown} {
			rng := rand.New(rand.NewPCG(uint64(rate), uint64(i)))
			base := -60 + 5*float64(i)
			var pcm []int16
			for len(pcm) < secs(rate, 8) {
				l := base + float64(rng.IntN(13)-6) // ±6 dB
				pcm = append(pcm, media.Noise(c, rng.Uint64(), secs(rate, 0.3+0.4*rng.Float64()), l)...)
			}
			add("comfort noise", fmt.Sprintf("%s around %.0f dBFS, ±6 dB steps", c, base), rate, pcm)
		}
		// Digital silence and comfort noise alternating (a codec that mutes).
		var pcm []int16
		for k := 0; k < 6; k++ {
			pcm = append(pcm, media.Silence(secs(rate, 0.5))...)
			pcm = append(pcm, media.Noise(media.Pink, uint64(k), secs(rate, 0.7), -65)...)
		}
		add("comfort noise", "digital silence and -65 dBFS pink comfort noise alternating", rate, pcm)
		// Noise that changes level: steps of 10 dB, the same colour.
		for _, c := range []media.NoiseColor{media.White, media.Pink, media.Brown} {
			add("comfort noise", fmt.Sprintf("%s -60 dBFS stepping to -50 dBFS and back", c), rate,
				media.Concat(media.Noise(c, 1, secs(rate, 2), -60), media.Noise(c, 2, secs(rate, 2), -50), media.Noise(c, 3, secs(rate, 2), -60)))
		}
	}
	return in
}

func TestNonSpeechIsNeverSpeech(t *testing.T) {
	inputs := nonSpeechInputs(t)
	sums := map[string]*summary{}
	var order []string
	for _, in := range inputs {
		ev := run(t, in.rate, in.pcm, 160)
		s := sums[in.class]
		if s == nil {
			s = &summary{class: in.class}
			sums[in.class] = s
			order = append(order, in.class)
		}
		o := evaluate(scene{name: in.name, rate: in.rate, pcm: in.pcm}, ev)
		s.add(o)
		if !assert.Empty(t, ev, "%s: speech detected", in.name) {
			for _, e := range ev {
				t.Logf("  %s: %v (%.0f ms)", in.name, e, float64(e.Sample)*1000/float64(in.rate))
			}
		}
	}
	rows := make([]*summary, len(order))
	for i, c := range order {
		rows[i] = sums[c]
	}
	logTable(t, "non-speech inputs (false speech must be 0; decisions: initialSilence for every timeout)", rows)
}
