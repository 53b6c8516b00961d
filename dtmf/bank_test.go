package dtmf

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"

	"github.com/recsim/recsim/media"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDetectorsFromOneBankShareItAndNothingElse(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		t.Run(fmt.Sprintf("two detectors from one bank at %d Hz, fed different audio in turns, give what two from New give", rate), func(t *testing.T) {
			bank, err := NewBank(DefaultConfig(rate))
			require.NoError(t, err)
			before := *bank
			a, b := bank.New(), bank.New()
			require.Same(t, bank, a.bank, "the detector refers to the bank")
			require.Same(t, a.bank, b.bank, "both detectors share one bank")

			pcmA := digitScene(t, rate, 21)
			rng := rand.New(rand.NewPCG(uint64(rate), 22))
			pcmB := buildScene(t, rng, rate, []toneSpec{
				{digit: '0', dur: 70, level: -15, pauseAft: 50},
				{digit: '9', dur: 50, level: -25, twist: 2, pauseAft: 50},
				{digit: 'B', dur: 90, level: -10, highOff: 1, pauseAft: 60},
			}, -1, -40).pcm

			// Interleaved, in different chunk sizes, so that one detector's
			// work would show in the other's events if they shared any state.
			var evA, evB []Event
			for i, j := 0, 0; i < len(pcmA) || j < len(pcmB); i, j = i+79, j+160 {
				evA = a.Process(evA, pcmA[min(i, len(pcmA)):min(i+79, len(pcmA))])
				evB = b.Process(evB, pcmB[min(j, len(pcmB)):min(j+160, len(pcmB))])
			}
			evA, evB = a.Flush(evA), b.Flush(evB)

			assert.Equal(t, run(t, rate, pcmA), evA, "the first detector's events")
			assert.Equal(t, run(t, rate, pcmB), evB, "the second detector's events")
			assert.Equal(t, "11#D7", digitsOf(evA))
			assert.Equal(t, "09B", digitsOf(evB))
			assert.True(t, reflect.DeepEqual(before, *bank), "running detectors leaves the bank as NewBank built it")
		})
	}
}

func TestDetectorsOfOneBankRunInParallel(t *testing.T) {
	// Under -race this also checks that detectors only read their bank.
	bank, err := NewBank(DefaultConfig(8000))
	require.NoError(t, err)
	scenes := [][]int16{digitScene(t, 8000, 41), digitScene(t, 8000, 42), digitScene(t, 8000, 43), digitScene(t, 8000, 44)}
	got := make([][]Event, len(scenes))
	var wg sync.WaitGroup
	for i, pcm := range scenes {
		wg.Go(func() {
			d := bank.New()
			var ev []Event
			for j := 0; j < len(pcm); j += 160 {
				ev = d.Process(ev, pcm[j:min(j+160, len(pcm))])
			}
			got[i] = d.Flush(ev)
		})
	}
	wg.Wait()
	for i, pcm := range scenes {
		assert.Equal(t, run(t, 8000, pcm), got[i], "scene %d: the same events as a detector of its own", i)
		assert.Equal(t, "11#D7", digitsOf(got[i]), "scene %d", i)
	}
}

func TestBankNewAllocatesOnlyTheDetector(t *testing.T) {
	bank, err := NewBank(DefaultConfig(8000))
	require.NoError(t, err)
	var d *Detector
	allocs := testing.AllocsPerRun(100, func() { d = bank.New() })
	assert.LessOrEqual(t, allocs, 1.0)
	assert.Same(t, bank, d.bank, "the bank is shared, not copied")
}

func TestNewBankRejectsABadConfigWithNewsError(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"a rate below 8000 Hz", func(c *Config) { c.Rate = 7000 }},
		{"a block shorter than 2 ms", func(c *Config) { c.Block = 10 }},
		{"a window of 2 blocks", func(c *Config) { c.Window = 2 }},
		{"a NaN level", func(c *Config) { c.MinLevel = math.NaN() }},
		{"a harmonic band of 2 %", func(c *Config) { c.Harmonic = 0.02 }},
	} {
		t.Run(tc.name+" is refused by NewBank as by New", func(t *testing.T) {
			cfg := DefaultConfig(8000)
			tc.edit(&cfg)
			_, errNew := New(cfg)
			require.Error(t, errNew)
			bank, err := NewBank(cfg)
			require.Error(t, err)
			assert.Nil(t, bank)
			assert.True(t, errors.Is(err, ErrConfig))
			var got, want *ConfigError
			require.True(t, errors.As(err, &got))
			require.True(t, errors.As(errNew, &want))
			assert.Equal(t, want.Field, got.Field)
			assert.Equal(t, want.Want, got.Want)
			assert.Equal(t, errNew.Error(), err.Error())
		})
	}
}

func TestBankAndDetectorReportTheirConfig(t *testing.T) {
	cfg := DefaultConfig(16000)
	cfg.MinLevel = -45
	bank, err := NewBank(cfg)
	require.NoError(t, err)
	assert.Equal(t, cfg, bank.Config())
	d := bank.New()
	assert.Equal(t, cfg, d.Config())
	assert.Equal(t, 16000, d.Rate())
}

func TestFlushClosesTheStreamThenStartsAFreshOne(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		t.Run(fmt.Sprintf("at %d Hz Flush appends the held digit's KeyUp, then the next stream gives a fresh detector's events", rate), func(t *testing.T) {
			bank, err := NewBank(DefaultConfig(rate))
			require.NoError(t, err)
			first := digitScene(t, rate, 31) // ends with '7' held, mid-block
			require.NotZero(t, len(first)%bank.m, "the stream ends inside a block")
			d := bank.New()
			ev := d.Process(nil, first)
			require.Equal(t, "11#D7", digitsOf(ev))
			require.Equal(t, KeyDown, ev[len(ev)-1].Kind, "the last digit is still held")

			ev = d.Flush(ev)
			up := ev[len(ev)-1]
			assert.Equal(t, KeyUp, up.Kind, "Flush closes the held digit")
			assert.Equal(t, byte('7'), up.Digit)
			assert.Equal(t, int64(len(first)), up.At, "decided at the current position")
			assert.True(t, reflect.DeepEqual(*d, *bank.New()), "after Flush the detector is in a fresh detector's state")

			rng := rand.New(rand.NewPCG(uint64(rate), 32))
			second := buildScene(t, rng, rate, []toneSpec{
				{digit: '4', dur: 60, level: -20, pauseAft: 45},
				{digit: '*', dur: 40, level: -30, twist: -4, pauseAft: 60},
			}, -1, math.NaN()).pcm
			got := d.Flush(d.Process(nil, second))
			fresh := bank.New()
			assert.Equal(t, fresh.Flush(fresh.Process(nil, second)), got, "the second stream's events are a fresh detector's")
			assert.Equal(t, "4*", digitsOf(got))
		})
	}
	t.Run("Flush with no digit held appends nothing and still resets", func(t *testing.T) {
		bank, err := NewBank(DefaultConfig(8000))
		require.NoError(t, err)
		d := bank.New()
		dst := d.Process(nil, media.Silence(1234))
		require.Empty(t, dst)
		assert.Empty(t, d.Flush(dst))
		assert.True(t, reflect.DeepEqual(*d, *bank.New()))
	})
}
