package vad_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/fixtures"
	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/media/mediatest"
	"github.com/recsim/recsim/vad"
)

func TestNewRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*vad.Config)
		want   string
	}{
		{"a rate under 8 kHz is refused", func(c *vad.Config) { c.Rate = 7000 }, "vad: Config.Rate = 7000: must be 8000–48000"},
		{"a rate over 48 kHz is refused", func(c *vad.Config) { c.Rate = 96000 }, "vad: Config.Rate = 96000: must be 8000–48000"},
		{"a zero speech margin is refused", func(c *vad.Config) { c.SpeechMarginDB = 0 }, "vad: Config.SpeechMarginDB = 0: must be in (0, 40]"},
		{"a NaN speech margin is refused", func(c *vad.Config) { c.SpeechMarginDB = math.NaN() }, "vad: Config.SpeechMarginDB = NaN: must be in (0, 40]"},
		{"a tail margin above the speech margin is refused", func(c *vad.Config) { c.TailMarginDB = 5 }, "vad: Config.TailMarginDB = 5: must be in (0, SpeechMarginDB = 4]"},
		{"a confirmation shorter than a sub-frame is refused", func(c *vad.Config) { c.ConfirmMs = 5 }, "vad: Config.ConfirmMs = 5: must be 10–1000"},
		{"a confirmation window shorter than the confirmation is refused", func(c *vad.Config) { c.ConfirmWindowMs = 40 }, "vad: Config.ConfirmWindowMs = 40: must be ConfirmMs (50)–2000"},
		{"a hangover not longer than the bridge is refused", func(c *vad.Config) { c.HangoverMs = 100 }, "vad: Config.HangoverMs = 100: must be above BridgeMs (100) and at most 5000"},
		{"a floor window under 100 ms is refused", func(c *vad.Config) { c.FloorWindowMs = 50 }, "vad: Config.FloorWindowMs = 50: must be 100–10000"},
		{"more shaped sub-frames than the confirmation holds are refused", func(c *vad.Config) { c.ShapeFrames = 6 }, "vad: Config.ShapeFrames = 6: must be 0–5 (ConfirmMs / 10 ms)"},
		{"an onset level under the frame level is refused", func(c *vad.Config) { c.MinOnsetLevel = -85 }, "vad: Config.MinOnsetLevel = -85: must be MinFrameLevel (-80)…0 dBFS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := vad.DefaultConfig(8000)
			tt.modify(&cfg)
			d, err := vad.New(cfg)
			require.Error(t, err)
			assert.Nil(t, d)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

func TestDefaultConfigIsValidAtEveryRate(t *testing.T) {
	for _, rate := range []int{8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000} {
		t.Run(fmt.Sprintf("the default configuration builds a detector at %d Hz", rate), func(t *testing.T) {
			d, err := vad.New(vad.DefaultConfig(rate))
			require.NoError(t, err)
			assert.Equal(t, rate, d.Rate())
			assert.False(t, d.InSpeech())
		})
	}
}

// oneClip is a short scene: one clip after 0.7 s of silence, 1 s after it.
func oneClip(t testing.TB, rate int) scene {
	cs := clips(t, rate)
	return speechScene("one clip", rate, []fixtures.Clip{cs[0]}, 0.7, nil, 1, nominalLevel)
}

func TestEventsFollowTheContract(t *testing.T) {
	for _, rate := range mainRates {
		t.Run(fmt.Sprintf("events at %d Hz alternate, are ordered and are decided after the samples they name", rate), func(t *testing.T) {
			sc := speechScene("three clips", rate, clips(t, rate)[3:6], 0.5, []float64{0.7, 1.4}, 1, nominalLevel)
			ev := run(t, rate, sc.pcm, 160)
			require.Len(t, ev, 6, "three separate utterances")
			for i, e := range ev {
				want := vad.SpeechStart
				if i%2 == 1 {
					want = vad.SpeechEnd
				}
				assert.Equal(t, want, e.Kind, "event %d", i)
				assert.LessOrEqual(t, e.Sample, e.At, "event %d: Sample ≤ At", i)
				assert.LessOrEqual(t, e.At, int64(len(sc.pcm)), "event %d: At within the stream", i)
				if i > 0 {
					assert.Less(t, ev[i-1].Sample, e.Sample, "event %d: samples increase", i)
					assert.LessOrEqual(t, ev[i-1].At, e.At, "event %d: decisions in order", i)
				}
			}
		})
	}
}

func TestInSpeechFollowsTheEvents(t *testing.T) {
	const rate = 8000
	sc := oneClip(t, rate)
	d, err := vad.New(vad.DefaultConfig(rate))
	require.NoError(t, err)
	var ev []vad.Event
	var sawSpeech bool
	for i := 0; i < len(sc.pcm); i += 80 {
		n := len(ev)
		ev = d.Process(ev, sc.pcm[i:min(i+80, len(sc.pcm))])
		for _, e := range ev[n:] {
			assert.Equal(t, e.Kind == vad.SpeechStart, d.InSpeech(), "InSpeech right after %v", e)
		}
		sawSpeech = sawSpeech || d.InSpeech()
	}
	assert.True(t, sawSpeech, "speech was confirmed")
	assert.False(t, d.InSpeech(), "speech ended within the trailing second")
	assert.Empty(t, d.Flush(nil), "nothing left to flush")
}

func TestFlushEndsOpenSpeech(t *testing.T) {
	const rate = 16000
	sc := oneClip(t, rate)
	cut := int(sc.speech[0].end) - rate/2 // stop in the middle of the clip
	d, err := vad.New(vad.DefaultConfig(rate))
	require.NoError(t, err)
	ev := d.Process(nil, sc.pcm[:cut])
	require.Len(t, ev, 1, "speech confirmed before the cut")
	require.True(t, d.InSpeech())
	ev = d.Flush(ev[:0])
	require.Len(t, ev, 1)
	assert.Equal(t, vad.SpeechEnd, ev[0].Kind)
	assert.Equal(t, int64(cut), ev[0].At, "decided at the end of the stream")
	assert.LessOrEqual(t, ev[0].Sample, int64(cut))
	assert.Greater(t, ev[0].Sample, int64(cut)-ms(rate, 30), "the speech runs to the cut")
	assert.False(t, d.InSpeech())
}

func TestResetStartsOver(t *testing.T) {
	const rate = 8000
	sc := oneClip(t, rate)
	d, err := vad.New(vad.DefaultConfig(rate))
	require.NoError(t, err)
	first := d.Flush(d.Process(nil, sc.pcm))
	// Leave the detector in speech with a noisy model, then reset it.
	d.Process(nil, media.Noise(media.Brown, 3, rate, -20))
	d.Process(nil, sc.pcm[:sc.speech[0].start+ms(rate, 500)])
	require.True(t, d.InSpeech())
	d.Reset()
	assert.False(t, d.InSpeech())
	assert.Equal(t, first, d.Flush(d.Process(nil, sc.pcm)), "the same events as a new detector, indices from 0")
}

func TestFlushStartsANewStream(t *testing.T) {
	const rate = 8000
	sc := oneClip(t, rate)
	fresh, err := vad.New(vad.DefaultConfig(rate))
	require.NoError(t, err)
	want := fresh.Flush(fresh.Process(nil, sc.pcm))
	require.Len(t, want, 2, "the clip is one utterance")

	firsts := []struct {
		name string
		pcm  []int16
	}{
		// Speech still open: Flush closes it, then resets.
		{"a stream cut in the middle of speech", sc.pcm[:sc.speech[0].start+ms(rate, 500)]},
		// Nothing open, but the noise model has learned loud brown noise
		// and the positions are far from 0.
		{"a stream of loud noise", media.Noise(media.Brown, 3, 2*rate, -20)},
	}
	for _, first := range firsts {
		t.Run("after "+first.name+", Flush leaves the detector as New made it", func(t *testing.T) {
			d, err := vad.New(vad.DefaultConfig(rate))
			require.NoError(t, err)
			d.Flush(d.Process(nil, first.pcm))
			assert.False(t, d.InSpeech())
			assert.Equal(t, want, d.Flush(d.Process(nil, sc.pcm)), "the second stream gives the events of a new detector, indices from 0")
			assert.Equal(t, want, d.Flush(d.Process(nil, sc.pcm)), "and so does a third")
		})
	}
}

func TestModelDetectorsAreIndependent(t *testing.T) {
	const rate = 16000
	sc := oneClip(t, rate)
	want := run(t, rate, sc.pcm, 160)
	require.NotEmpty(t, want)
	m, err := vad.NewModel(vad.DefaultConfig(rate))
	require.NoError(t, err)
	t.Run("detectors of one Model give the events of New, even on parallel goroutines", func(t *testing.T) {
		const n = 4
		got := make([][]vad.Event, n)
		done := make(chan int)
		for g := range n {
			go func() {
				d := m.New()
				var ev []vad.Event
				for i := 0; i < len(sc.pcm); i += 160 {
					ev = d.Process(ev, sc.pcm[i:min(i+160, len(sc.pcm))])
				}
				got[g] = d.Flush(ev)
				done <- g
			}()
		}
		for range n {
			<-done
		}
		for g := range n {
			assert.Equal(t, want, got[g], "detector %d", g)
		}
	})
	t.Run("a detector of the Model reports the Model's rate", func(t *testing.T) {
		assert.Equal(t, rate, m.New().Rate())
	})
	t.Run("NewModel rejects an invalid Config as New does", func(t *testing.T) {
		cfg := vad.DefaultConfig(8000)
		cfg.Rate = 7000
		m, err := vad.NewModel(cfg)
		require.Error(t, err)
		assert.Nil(t, m)
		assert.Equal(t, "vad: Config.Rate = 7000: must be 8000–48000", err.Error())
	})
}

func TestChunkingDoesNotChangeTheEvents(t *testing.T) {
	var ins []scene
	for _, rate := range mainRates {
		cs := clips(t, rate)
		sc := speechScene(fmt.Sprintf("speech in pink noise at %d Hz", rate), rate, cs[10:13], 0.6, []float64{0.3, 1.4}, 0.8, nominalLevel)
		sc.mixNoise(media.Pink, 7, nominalLevel-15)
		media.Mix(sc.pcm, beep(rate, -10), secs(rate, 0.1))
		ins = append(ins, sc)
	}
	for _, rate := range []int{11025, 44100, 48000} {
		pcm := over(place(rate, 3, map[float64][]int16{0.5: beep(rate, -20), 1.5: dtmfSeq(t, rate, "19#", 0.08, 0.05, -12, 0)}), media.Noise(media.White, 2, secs(rate, 3), -60))
		pcm[secs(rate, 2.5)] = 32767
		ins = append(ins, scene{name: fmt.Sprintf("tones, a pop and noise at %d Hz", rate), rate: rate, pcm: pcm})
	}
	for _, sc := range ins {
		t.Run(sc.name+" gives the same events in chunks of 1, 79, 160, 479 and 4000 samples", func(t *testing.T) {
			ev := mediatest.RequireChunkingInvariant(t, sc.pcm, func(feed func(func(int64, []int16))) []vad.Event {
				d, err := vad.New(vad.DefaultConfig(sc.rate))
				require.NoError(t, err)
				var ev []vad.Event
				feed(func(_ int64, chunk []int16) { ev = d.Process(ev, chunk) })
				return d.Flush(ev)
			}, 7, 441)
			if len(sc.speech) > 0 {
				assert.NotEmpty(t, ev)
			}
		})
	}
}

func TestProcessDoesNotAllocate(t *testing.T) {
	for _, rate := range []int{8000, 16000, 44100} {
		t.Run(fmt.Sprintf("steady-state processing at %d Hz allocates nothing", rate), func(t *testing.T) {
			var pcm []int16
			if rate == 44100 {
				pcm = over(place(rate, 4, map[float64][]int16{1: beep(rate, -10)}), media.Noise(media.Pink, 1, secs(rate, 4), -50))
			} else {
				sc := speechScene("allocs", rate, clips(t, rate)[:2], 0.5, []float64{0.7}, 0.7, nominalLevel)
				sc.mixNoise(media.White, 1, -60)
				pcm = sc.pcm
			}
			d, err := vad.New(vad.DefaultConfig(rate))
			require.NoError(t, err)
			ev := make([]vad.Event, 0, 16)
			frame := rate / 50
			allocs := testing.AllocsPerRun(5, func() {
				d.Reset()
				for i := 0; i < len(pcm); i += frame {
					ev = d.Process(ev[:0], pcm[i:min(i+frame, len(pcm))])
				}
				ev = d.Flush(ev[:0])
			})
			assert.Zero(t, allocs)
		})
	}
}

func FuzzDetector(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 255, 127, 0, 128}, uint16(8000), uint16(80))
	f.Add(make([]byte, 4000), uint16(16000), uint16(1))
	loud := make([]byte, 3200)
	for i := range loud {
		loud[i] = byte(i * 37)
	}
	f.Add(loud, uint16(44100), uint16(479))
	f.Fuzz(func(t *testing.T, raw []byte, rate, chunk uint16) {
		r := 8000 + int(rate)%40001
		d, err := vad.New(vad.DefaultConfig(r))
		require.NoError(t, err)
		pcm := make([]int16, len(raw)/2)
		for i := range pcm {
			pcm[i] = int16(uint16(raw[2*i]) | uint16(raw[2*i+1])<<8)
		}
		// Repeat the input to reach the hangover and the floor window.
		for len(pcm) > 0 && len(pcm) < 3*r/2 {
			pcm = append(pcm, pcm...)
		}
		size := 1 + int(chunk)%4096
		var ev []vad.Event
		for i := 0; i < len(pcm); i += size {
			ev = d.Process(ev, pcm[i:min(i+size, len(pcm))])
		}
		ev = d.Flush(ev)
		for i, e := range ev {
			want := vad.SpeechStart
			if i%2 == 1 {
				want = vad.SpeechEnd
			}
			require.Equal(t, want, e.Kind, "event %d of %v", i, ev)
			require.LessOrEqual(t, e.Sample, e.At, "event %d", i)
			require.GreaterOrEqual(t, e.Sample, int64(0))
			require.LessOrEqual(t, e.At, int64(len(pcm)))
			if i > 0 {
				require.LessOrEqual(t, ev[i-1].Sample, e.Sample, "event %d", i)
				require.LessOrEqual(t, ev[i-1].At, e.At, "event %d", i)
			}
		}
		require.Equal(t, 0, len(ev)%2, "every SpeechStart has its SpeechEnd after Flush")
		require.False(t, d.InSpeech())
	})
}
