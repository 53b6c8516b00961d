package dtmf

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/recsim/recsim/dtmf/keypad"
	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/media/mediatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewRejectsBadConfigNamingFieldAndValue(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"a rate below 8000 Hz", func(c *Config) { c.Rate = 7000 }, "dtmf: Config.Rate = 7000: must be 8000–48000"},
		{"a rate above 48000 Hz", func(c *Config) { c.Rate = 96000 }, "Config.Rate = 96000"},
		{"a block shorter than 2 ms", func(c *Config) { c.Block = 10 }, "Config.Block = 10"},
		{"a window of 2 blocks", func(c *Config) { c.Window = 2 }, "Config.Window = 2"},
		{"a minimum duration longer than the window can stand for", func(c *Config) { c.MinDuration = 1000 }, "Config.MinDuration = 1000"},
		{"a zero gap", func(c *Config) { c.Gap = 0 }, "Config.Gap = 0"},
		{"a NaN level", func(c *Config) { c.MinLevel = math.NaN() }, "Config.MinLevel = NaN"},
		{"a negative reverse twist", func(c *Config) { c.MaxTwist = -1 }, "Config.MaxTwist = -1"},
		{"a positive normal twist", func(c *Config) { c.MinTwist = 1 }, "Config.MinTwist = 1"},
		{"a deviation of 10 %", func(c *Config) { c.MaxDeviation = 0.1 }, "Config.MaxDeviation = 0.1"},
		{"a purity above 1", func(c *Config) { c.MinPurity = 1.5 }, "Config.MinPurity = 1.5"},
		{"a zero fill", func(c *Config) { c.MinFill = 0 }, "Config.MinFill = 0"},
		{"a harmonic band of 2 %", func(c *Config) { c.Harmonic = 0.02 }, "Config.Harmonic = 0.02"},
	} {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			cfg := DefaultConfig(8000)
			tc.edit(&cfg)
			d, err := New(cfg)
			require.Error(t, err)
			assert.Nil(t, d)
			assert.True(t, errors.Is(err, ErrConfig))
			var ce *ConfigError
			assert.True(t, errors.As(err, &ce))
			assert.Contains(t, err.Error(), tc.field)
			assert.True(t, strings.HasPrefix(err.Error(), "dtmf: Config."), err.Error())
		})
	}
	for _, rate := range []int{8000, 11025, 16000, 22050, 32000, 44100, 48000} {
		t.Run(fmt.Sprintf("the default config at %d Hz is valid", rate), func(t *testing.T) {
			d, err := New(DefaultConfig(rate))
			require.NoError(t, err)
			assert.Equal(t, rate, d.Rate())
		})
	}
}

// digitScene is a mixed scene: digits with pauses, a dropout, noise and a
// tone still held at the end of the stream.
func digitScene(t testing.TB, rate int, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 3))
	sc := buildScene(t, rng, rate, []toneSpec{
		{digit: '1', dur: 60, level: -20, pauseAft: 40},
		{digit: '1', dur: 40, level: -30, twist: -6, pauseAft: 300},
		{digit: '#', dur: 120, level: -6, twist: 3, lowOff: 1.2, pauseAft: 45},
		{digit: 'D', dur: 45, level: -25, highOff: -1.4, pauseAft: 80},
	}, -1, -45)
	tail, err := media.DTMF(media.SampleRate(rate), ms(rate, 97), media.DTMFSpec{Digit: '7', Level: -12})
	require.NoError(t, err)
	clear(tail[ms(rate, 45):ms(rate, 53)]) // an 8 ms dropout in the tone still held at the end
	return append(sc.pcm, tail...)
}

func TestResultsDoNotDependOnChunking(t *testing.T) {
	for _, rate := range []int{8000, 16000, 44100} {
		t.Run(fmt.Sprintf("frames of 1, 79, 160, 479 and 4000 samples give the same events at %d Hz", rate), func(t *testing.T) {
			pcm := digitScene(t, rate, uint64(rate))
			ev := mediatest.RequireChunkingInvariant(t, pcm, func(feed func(fn func(int64, []int16))) []Event {
				d, err := New(DefaultConfig(rate))
				require.NoError(t, err)
				var ev []Event
				feed(func(_ int64, chunk []int16) { ev = d.Process(ev, chunk) })
				return d.Flush(ev)
			}, 3, 40, 41, 239)
			checkEvents(t, ev)
			assert.Equal(t, "11#D7", digitsOf(ev))
		})
	}
}

func TestProcessAllocatesNothingInSteadyState(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		t.Run(fmt.Sprintf("Process and Flush with a pre-sized dst allocate nothing at %d Hz", rate), func(t *testing.T) {
			pcm := digitScene(t, rate, 9)
			d, err := New(DefaultConfig(rate))
			require.NoError(t, err)
			dst := make([]Event, 0, 64)
			frame := rate / 50
			var got []Event
			allocs := testing.AllocsPerRun(20, func() {
				d.Reset()
				dst = dst[:0]
				for i := 0; i < len(pcm); i += frame {
					dst = d.Process(dst, pcm[i:min(i+frame, len(pcm))])
				}
				dst = d.Flush(dst)
				got = dst
			})
			assert.Zero(t, allocs)
			assert.Equal(t, "11#D7", digitsOf(got), "the measured runs did detect digits")
		})
	}
}

func TestFlushReleasesAHeldDigitAndResets(t *testing.T) {
	rate := 8000
	tone, err := media.DTMF(media.SampleRate(rate), 800, media.DTMFSpec{Digit: '5', Level: -10})
	require.NoError(t, err)
	pcm := append(make([]int16, 203), tone...) // the tone runs to the end of the stream
	d, err := New(DefaultConfig(rate))
	require.NoError(t, err)
	ev := d.Process(nil, pcm)
	require.Len(t, ev, 1, "KeyDown only: the tone has not ended")
	assert.Equal(t, KeyDown, ev[0].Kind)
	ev = d.Flush(ev)
	require.Len(t, ev, 2)
	up := ev[1]
	assert.Equal(t, KeyUp, up.Kind)
	assert.Equal(t, byte('5'), up.Digit)
	assert.Equal(t, int64(len(pcm)), up.At, "decided at the end of the stream")
	assert.InDelta(t, float64(len(pcm)), float64(up.Release), 8, "the tone ran to the last sample")
	assert.InDelta(t, 203, float64(up.Onset), 8)

	t.Run("after Flush sample indices restart at 0", func(t *testing.T) {
		ev := d.Flush(d.Process(nil, pcm))
		require.Len(t, ev, 2)
		assert.InDelta(t, 203, float64(ev[0].Onset), 8)
	})
	t.Run("Flush without a held digit appends nothing", func(t *testing.T) {
		assert.Empty(t, d.Flush(nil))
	})
	t.Run("Reset forgets a held digit", func(t *testing.T) {
		ev := d.Process(nil, pcm)
		require.Len(t, ev, 1)
		d.Reset()
		assert.Empty(t, d.Flush(nil))
	})
}

// TestOtherRates runs the core of the battery at rates between the two that
// matter: every digit, the deviation, duration, twist and level limits.
func TestOtherRates(t *testing.T) {
	for _, rate := range []int{11025, 22050, 32000, 44100, 48000} {
		rng := rand.New(rand.NewPCG(uint64(rate), 7))
		for i := 0; i < len(keypad.Digits); i++ {
			dg := keypad.Digits[i]
			for _, c := range []struct {
				name string
				ts   toneSpec
				want string
			}{
				{"a nominal 60 ms tone is accepted", toneSpec{digit: dg, dur: 60, level: -20}, string(dg)},
				{"±1.5 % in opposite directions is accepted", toneSpec{digit: dg, dur: 60, level: -20, lowOff: 1.5, highOff: -1.5}, string(dg)},
				{"a row tone 3.5 % low is rejected", toneSpec{digit: dg, dur: 60, level: -20, lowOff: -3.5}, ""},
				{"a column tone 3.5 % high is rejected", toneSpec{digit: dg, dur: 60, level: -20, highOff: 3.5}, ""},
				{"a 40 ms tone is accepted", toneSpec{digit: dg, dur: 40, level: -20}, string(dg)},
				{"a 23 ms tone is rejected", toneSpec{digit: dg, dur: 23, level: -20}, ""},
				{"twist −8 dB is accepted", toneSpec{digit: dg, dur: 60, level: -20, twist: -8}, string(dg)},
				{"twist +4 dB is accepted", toneSpec{digit: dg, dur: 60, level: -20, twist: 4}, string(dg)},
				{"twist +8 dB is rejected", toneSpec{digit: dg, dur: 60, level: -20, twist: 8}, ""},
				{"−40 dBFS is accepted", toneSpec{digit: dg, dur: 60, level: -40}, string(dg)},
				{"−55 dBFS is rejected", toneSpec{digit: dg, dur: 60, level: -55}, ""},
			} {
				c.ts.pauseAft = 60
				sc := buildScene(t, rng, rate, []toneSpec{c.ts}, -1, math.NaN())
				ev := run(t, rate, sc.pcm)
				t.Run(fmt.Sprintf("at %d Hz %c: %s", rate, dg, c.name), func(t *testing.T) {
					checkEvents(t, ev)
					assert.Equal(t, c.want, digitsOf(ev))
				})
			}
		}
	}
}

func TestEventKindString(t *testing.T) {
	assert.Equal(t, "KeyDown", KeyDown.String())
	assert.Equal(t, "KeyUp", KeyUp.String())
	assert.Equal(t, "EventKind(7)", EventKind(7).String())
}

func TestNewStartsEveryDetectorFromTheSameFreshState(t *testing.T) {
	cfg := DefaultConfig(8000)
	bank, err := NewBank(cfg)
	require.NoError(t, err)
	first := bank.New()
	pcm, err := media.DTMF(8000, 800, media.DTMFSpec{Digit: '5', Level: -10})
	require.NoError(t, err)
	ev := first.Process(nil, media.Concat(pcm, media.Silence(800)))
	require.Equal(t, "5", digitsOf(ev))

	fresh, err := newBank(cfg, detectAVX2())
	require.NoError(t, err)
	for range 2 {
		d := bank.New() // from the shared bank: untouched by first's work
		require.True(t, reflect.DeepEqual(*d, *fresh.New()), "Bank.New gives what building from the Config gives")
		assert.Equal(t, ev, d.Process(nil, media.Concat(pcm, media.Silence(800))))
	}
	d, err := New(cfg)
	require.NoError(t, err)
	require.True(t, reflect.DeepEqual(*d, *fresh.New()), "New gives what building from the Config gives")
	other, err := New(DefaultConfig(16000))
	require.NoError(t, err)
	assert.Equal(t, 16000, other.Rate(), "each Config gets its own bank")
}
