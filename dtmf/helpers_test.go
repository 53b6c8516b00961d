package dtmf

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/recsim/recsim/media"
	"github.com/stretchr/testify/require"
)

// run feeds pcm to a default Detector at rate in one chunk and flushes.
func run(t testing.TB, rate int, pcm []int16) []Event {
	t.Helper()
	d, err := New(DefaultConfig(rate))
	require.NoError(t, err)
	ev := d.Process(nil, pcm)
	return d.Flush(ev)
}

// digitsOf returns the digits of the KeyDown events.
func digitsOf(ev []Event) string {
	var b strings.Builder
	for _, e := range ev {
		if e.Kind == KeyDown {
			b.WriteByte(e.Digit)
		}
	}
	return b.String()
}

// ms returns the number of samples in x milliseconds at rate (rounded).
func ms(rate int, x float64) int { return int(math.Round(x * float64(rate) / 1000)) }

// toneSpec describes one synthetic key press inside a scene.
type toneSpec struct {
	digit    byte
	dur      float64 // ms
	level    float64 // low tone dBFS
	twist    float64 // dB
	lowOff   float64 // percent
	highOff  float64 // percent
	pauseAft float64 // ms of silence (or background) after the tone
	ramp     float64 // ms of raised-cosine ramp at each end (inside dur)
}

// scene is a sequence of tones after a random lead-in, over an optional
// white-noise background, with random tone phases. It records where each
// tone really starts and ends.
type scene struct {
	rate   int
	pcm    []int16
	onsets []int64
	ends   []int64
	digits string
}

// buildScene synthesises tones after lead samples of lead-in (random when
// lead < 0: 0–2 blocks plus 0–1 extra block, so every alignment to the
// detector's blocks occurs) with noise at noiseDB dBFS (none if NaN).
func buildScene(t testing.TB, rng *rand.Rand, rate int, tones []toneSpec, lead int, noiseDB float64) scene {
	t.Helper()
	if lead < 0 {
		lead = ms(rate, 20) + rng.IntN(ms(rate, 15))
	}
	parts := [][]int16{media.Silence(lead)}
	sc := scene{rate: rate}
	pos := int64(lead)
	for _, ts := range tones {
		n := ms(rate, ts.dur)
		p, err := media.DTMF(media.SampleRate(rate), n, media.DTMFSpec{
			Digit: ts.digit, Level: ts.level, Twist: ts.twist,
			LowOffset: ts.lowOff, HighOffset: ts.highOff,
			LowPhase: rng.Float64() * 2 * math.Pi, HighPhase: rng.Float64() * 2 * math.Pi,
			Ramp: ms(rate, ts.ramp),
		})
		require.NoError(t, err)
		parts = append(parts, p)
		sc.onsets = append(sc.onsets, pos)
		pos += int64(n)
		sc.ends = append(sc.ends, pos)
		gap := ms(rate, ts.pauseAft)
		parts = append(parts, media.Silence(gap))
		pos += int64(gap)
		sc.digits += string(ts.digit)
	}
	parts = append(parts, media.Silence(ms(rate, 120)))
	sc.pcm = media.Concat(parts...)
	if !math.IsNaN(noiseDB) {
		media.Mix(sc.pcm, media.Noise(media.White, rng.Uint64(), len(sc.pcm), noiseDB), 0)
	}
	return sc
}

// traced runs a default Detector at rate over pcm with fn as its trace
// hook (fn sees every window that reaches the full analysis).
func traced(t testing.TB, rate int, pcm []int16, fn func(diag)) []Event {
	t.Helper()
	d, err := New(DefaultConfig(rate))
	require.NoError(t, err)
	d.trace = fn
	return d.Flush(d.Process(nil, pcm))
}
