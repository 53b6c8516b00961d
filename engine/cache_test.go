package engine

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/dtmf"
	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/vad"
)

func TestTheLRUKeepsTheMostRecentlyUsedWithinItsCap(t *testing.T) {
	l := lru[int, string]{max: 3}
	for i := range 5 {
		l.put(i, fmt.Sprint(i))
	}
	assert.Equal(t, 3, l.len())
	_, ok := l.get(1)
	assert.False(t, ok, "the oldest were dropped")
	v, ok := l.get(2)
	require.True(t, ok)
	assert.Equal(t, "2", v)
	l.put(5, "5") // 2 was just used: 3 goes
	_, ok = l.get(3)
	assert.False(t, ok)
	_, ok = l.get(2)
	assert.True(t, ok)
	l.put(2, "two")
	v, _ = l.get(2)
	assert.Equal(t, "two", v, "put replaces")
	assert.Equal(t, 3, l.len())
}

func TestTheCacheSharesBeepsAndBanksAndStaysBounded(t *testing.T) {
	c := NewCache(4)
	b := DefaultOptions(8000).Beep
	one, two := c.beep(8000, b), c.beep(8000, b)
	require.NotEmpty(t, one)
	assert.Same(t, &one[0], &two[0], "the same beep is one shared slice")
	assert.Equal(t, media.Tone(8000, 3200, media.ToneSpec{Hz: 1000, Level: -10, Ramp: 40}), one, "and it is the beep")
	for i := range 100 { // a client asking for 100 shapes
		b.Hz = 500 + float64(i)
		c.beep(16000, b)
	}
	assert.Equal(t, 4, c.beeps.len(), "at most the cap of beep shapes")

	d1, free, err := c.detector(dtmf.DefaultConfig(8000))
	require.NoError(t, err)
	d2, _, err := c.detector(dtmf.DefaultConfig(8000))
	require.NoError(t, err)
	assert.NotSame(t, d1, d2, "each operation has its own detector")
	require.NotNil(t, free)
	for r := 8000; r < 8000+100*100; r += 100 { // 100 distinct rates
		_, _, err := c.detector(dtmf.DefaultConfig(r))
		require.NoError(t, err)
	}
	assert.Equal(t, 4, c.banks.len(), "at most the cap of banks")
	assert.Equal(t, 4, c.freeDTMF.len(), "and of pools of released detectors")
	for r := 8000; r < 8000+100*100; r += 100 {
		_, _, err := c.voiceDetector(vad.DefaultConfig(r))
		require.NoError(t, err)
	}
	assert.Equal(t, 4, c.models.len(), "at most the cap of VAD models")
	assert.Equal(t, 4, c.freeVAD.len())
	_, _, err = c.detector(dtmf.Config{})
	assert.ErrorIs(t, err, dtmf.ErrConfig, "a bad configuration is an error, not a cached bank")
}

func TestOperationsWithAndWithoutACacheGiveTheSameResult(t *testing.T) {
	caller := media.Concat(media.Silence(8000), media.Noise(media.Pink, 1, 8000, -30))
	tone, err := media.DTMF(8000, 800, media.DTMFSpec{Digit: '#', Level: -10})
	require.NoError(t, err)
	caller = media.Concat(caller, tone, media.Silence(8000))
	req := DefaultRecordRequest()
	req.StopTones = []byte("#")
	run := func(c *Cache) (Result, []int16, []Event) {
		o := DefaultOptions(8000)
		o.Cache = c
		op, err := NewOperation(req, nil, o, 0)
		require.NoError(t, err)
		op.ProcessAll(caller, 0, EndSilence)
		return op.Result(), append([]int16(nil), slices.Concat(op.RecordingParts()...)...), append([]Event(nil), op.Timeline()...)
	}
	r0, rec0, tl0 := run(nil)
	c := NewCache(0)
	for range 3 {
		r, rec, tl := run(c)
		assert.Equal(t, r0, r)
		assert.Equal(t, rec0, rec)
		assert.Equal(t, tl0, tl)
	}
	assert.Equal(t, OutStopTone, r0.Outcome)
}

// TestReleasedDetectorsServeTheNextOperationAsNewOnes: an operation
// released in the middle of a digit and of speech gives its detectors back
// reset, and the next operation, which gets them, decides exactly what it
// would with new ones.
func TestReleasedDetectorsServeTheNextOperationAsNewOnes(t *testing.T) {
	tone, err := media.DTMF(8000, 800, media.DTMFSpec{Digit: '5', Level: -10})
	require.NoError(t, err)
	pound, err := media.DTMF(8000, 800, media.DTMFSpec{Digit: '#', Level: -10})
	require.NoError(t, err)
	first := media.Concat(media.Silence(4000), media.Noise(media.Pink, 2, 8000, -25), tone[:400]) // ends mid-digit
	second := media.Concat(media.Silence(8000), media.Noise(media.Pink, 3, 8000, -30), pound, media.Silence(8000))
	req := DefaultRecordRequest()
	req.StopTones = []byte("#")
	run := func(c *Cache, caller []int16, release bool) (Result, []Event) {
		o := DefaultOptions(8000)
		o.Cache = c
		op, err := NewOperation(req, nil, o, 0)
		require.NoError(t, err)
		if release {
			op.Process(caller) // still running, a digit half heard
			require.False(t, op.Done())
			op.Stop(OutCanceled)
			op.Release()
		} else {
			op.ProcessAll(caller, 160, EndSilence)
		}
		return op.Result(), append([]Event(nil), op.Timeline()...)
	}
	want, wantTL := run(NewCache(0), second, false)
	c := NewCache(0)
	for range 5 {
		run(c, first, true) // its detectors go back mid-stream
		got, tl := run(c, second, false)
		assert.Equal(t, want, got)
		assert.Equal(t, wantTL, tl)
	}
	assert.Equal(t, OutStopTone, want.Outcome)
}

// TestAReleasedOperationKeepsNoAudio: Release drops the outbound audio,
// the beep's echo and the recording chunks of an ended operation, and
// keeps its result, span and timeline.
func TestAReleasedOperationKeepsNoAudio(t *testing.T) {
	o := DefaultOptions(8000)
	o.Beep.Echo = true
	op, err := NewOperation(DefaultRecordRequest(), nil, o, 0)
	require.NoError(t, err)
	op.ProcessAll(media.Noise(media.Pink, 1, 8000*2, -30), 0, EndSilence)
	require.True(t, op.Done())
	require.NotEmpty(t, op.outbound, "the beep was played")
	require.NotEmpty(t, op.echo)
	require.NotEmpty(t, op.chunks)
	result, span := op.Result(), op.Span()
	op.Release()
	assert.Nil(t, op.outbound)
	assert.Nil(t, op.echo)
	assert.Nil(t, op.chunks)
	assert.Equal(t, result, op.Result())
	assert.Equal(t, span, op.Span())
}
