package dtmf

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/recsim/recsim/dtmf/keypad"
	"github.com/recsim/recsim/fixtures"
	"github.com/recsim/recsim/media"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var long = flag.Bool("long", false, "run the long talk-off sweeps (all pitch shifts and gains)")

// clips loads every speech and music fixture at rate.
func clips(t testing.TB, rate int) (speech, music []fixtures.Clip) {
	t.Helper()
	speech, err := fixtures.Speech(rate)
	require.NoError(t, err)
	music, err = fixtures.Music(rate)
	require.NoError(t, err)
	require.NotEmpty(t, speech)
	require.NotEmpty(t, music)
	return speech, music
}

// framed feeds pcm to a fresh default Detector in 20 ms frames, as the
// engine does, and flushes.
func framed(t testing.TB, rate int, pcm []int16) []Event {
	t.Helper()
	d, err := New(DefaultConfig(rate))
	require.NoError(t, err)
	var ev []Event
	for i := 0; i < len(pcm); i += rate / 50 {
		ev = d.Process(ev, pcm[i:min(i+rate/50, len(pcm))])
	}
	return d.Flush(ev)
}

// TestTalkOff: no digit on any speech or music fixture
// (docs/detectors.md#dtmf), at the clips' own level and 20 dB down.
func TestTalkOff(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		speech, music := clips(t, rate)
		for _, set := range []struct {
			kind  string
			clips []fixtures.Clip
		}{{"speech", speech}, {"music", music}} {
			var samples, digits int
			for _, c := range set.clips {
				for _, gain := range []float64{0, -20} {
					pcm := append([]int16(nil), c.PCM...)
					media.Gain(pcm, gain)
					ev := framed(t, rate, pcm)
					samples += len(pcm)
					digits += len(ev) / 2
					t.Run(fmt.Sprintf("%s clip %s at %d Hz and %+v dB gives no digit", set.kind, c.Name, rate, gain), func(t *testing.T) {
						assert.Empty(t, ev)
					})
				}
			}
			t.Logf("talk-off at %d Hz: %.1f min of %s (clips at 0 and −20 dB), %d false digits", rate, float64(samples)/float64(rate)/60, set.kind, digits)
		}
	}
}

// TestTalkOffPitchShifted moves every harmonic of the fixtures across the
// DTMF frequencies by resampling the clips and playing them at the
// original rate (pitch ×f), a stand-in for voices and instruments nobody
// recorded. By default two shifts; -long runs twelve, at two gains.
func TestTalkOffPitchShifted(t *testing.T) {
	shifts, gains := []float64{0.94, 1.06}, []float64{0}
	if *long {
		shifts = []float64{0.85, 0.88, 0.91, 0.94, 0.97, 0.985, 1.015, 1.03, 1.06, 1.09, 1.12, 1.15}
		gains = []float64{0, -20}
	}
	for _, rate := range []int{8000, 16000} {
		speech, music := clips(t, rate)
		var samples, digits int
		for _, f := range shifts {
			for _, c := range append(speech, music...) {
				shifted := media.Resample(c.PCM, media.SampleRate(rate), media.SampleRate(math.Round(float64(rate)/f)))
				for _, gain := range gains {
					pcm := append([]int16(nil), shifted...)
					media.Gain(pcm, gain)
					ev := framed(t, rate, pcm)
					samples += len(pcm)
					digits += len(ev) / 2
					if len(ev) > 0 {
						t.Errorf("%s pitch ×%v at %d Hz, %+v dB: digits %q (%v)", c.Name, f, rate, gain, digitsOf(ev), ev)
					}
				}
			}
		}
		t.Logf("pitch-shifted talk-off at %d Hz: %.1f min of speech and music (shifts %v, gains %v), %d false digits", rate, float64(samples)/float64(rate)/60, shifts, gains, digits)
	}
}

// stopTones renders digits the way the engine's scenarios do: 100 ms
// tones at −10 dBFS per tone with 2 ms raised-cosine ramps, 100 ms apart.
func stopTones(t testing.TB, rng *rand.Rand, rate int, digits string) []int16 {
	var parts [][]int16
	for i := 0; i < len(digits); i++ {
		p, err := media.DTMF(media.SampleRate(rate), ms(rate, 100), media.DTMFSpec{Digit: digits[i], Level: -10,
			Ramp: ms(rate, 2), LowPhase: rng.Float64() * 2 * math.Pi, HighPhase: rng.Float64() * 2 * math.Pi})
		require.NoError(t, err)
		parts = append(parts, p, media.Silence(ms(rate, 100)))
	}
	return media.Concat(parts...)
}

// TestSpeechWithDigits: speech clips with stop tones between them (the
// engine's speech-then-key scene) give exactly the keyed digits, with
// their onsets; and digits keyed over speech 12 dB below one tone are all
// found (talk-down).
func TestSpeechWithDigits(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		speech, _ := clips(t, rate)
		rng := rand.New(rand.NewPCG(uint64(rate), 11))
		for i, c := range speech {
			next := speech[(i+1)%len(speech)]
			want := string([]byte{keypad.Digits[rng.IntN(16)], keypad.Digits[rng.IntN(16)]})
			pause := media.Silence(ms(rate, 150) + rng.IntN(ms(rate, 10)))
			tones := stopTones(t, rng, rate, want)
			pcm := media.Concat(c.PCM, pause, tones, next.PCM)
			onset0 := int64(len(c.PCM) + len(pause))
			ev := framed(t, rate, pcm)
			t.Run(fmt.Sprintf("%s then %q then %s at %d Hz gives %q", c.Name, want, next.Name, rate, want), func(t *testing.T) {
				checkEvents(t, ev)
				require.Equal(t, want, digitsOf(ev))
				perMs := float64(rate) / 1000
				for k := range 2 {
					onset := onset0 + int64(k*ms(rate, 200))
					assert.InDelta(t, 0, float64(ev[2*k].Onset-onset)/perMs, maxEdgeMs, "onset, ms")
					assert.InDelta(t, 0, float64(ev[2*k+1].Release-onset-int64(ms(rate, 100)))/perMs, maxEdgeMs, "release, ms")
					assert.LessOrEqual(t, float64(ev[2*k].At-onset)/perMs, float64(maxLatencyMs), "latency, ms")
				}
			})

			// Keyed over the speech, the speech 12 dB below one tone.
			over := append([]int16(nil), c.PCM...)
			media.Gain(over, -10-12-media.Level(over))
			dg := keypad.Digits[rng.IntN(16)]
			media.Mix(over, stopTones(t, rng, rate, string(dg))[:ms(rate, 100)], rng.IntN(len(over)-ms(rate, 100)))
			ev = framed(t, rate, over)
			t.Run(fmt.Sprintf("%c keyed over %s 12 dB louder than the speech at %d Hz is found", dg, c.Name, rate), func(t *testing.T) {
				checkEvents(t, ev)
				assert.Equal(t, string(dg), digitsOf(ev))
			})
		}
	}
}

// TestTalkOffVoices: no digit on the clips of fast, high-pitched espeak-ng
// voices that once gave false digits (fixtures/testdata/talkoff, made by
// fixtures/make/make_fixtures.sh, section "talkoff"): partials of one voice
// standing in the ratios 5/3 ('D', '9'), 4/3 and 5/4 ('*'), at the clips'
// own level and 20 dB down.
func TestTalkOffVoices(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		dir := filepath.Join("..", "fixtures", "testdata", "talkoff", fmt.Sprintf("%dk", rate/1000))
		files, err := filepath.Glob(filepath.Join(dir, "*.wav"))
		require.NoError(t, err)
		require.NotEmpty(t, files, dir)
		for _, f := range files {
			rd, err := media.Open(f)
			require.NoError(t, err)
			pcm, err := media.ReadAll(rd)
			require.NoError(t, err)
			require.NoError(t, rd.Close())
			require.Equal(t, rate, int(rd.Rate()), f)
			for _, gain := range []float64{0, -20} {
				p := append([]int16(nil), pcm...)
				media.Gain(p, gain)
				ev := framed(t, rate, p)
				t.Run(fmt.Sprintf("%s at %+v dB gives no digit", filepath.Base(f), gain), func(t *testing.T) {
					assert.Empty(t, ev, "digits %q", digitsOf(ev))
				})
			}
		}
	}
}
