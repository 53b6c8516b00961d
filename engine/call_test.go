package engine_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/media/mediatest"
)

func newCall(t testing.TB, eom engine.EndOfMedia, silentHangup bool) *engine.Call {
	t.Helper()
	c, err := engine.NewCall(engine.CallOptions{Ops: engine.DefaultOptions(rate), EndOfMedia: eom, SilentHangup: silentHangup})
	require.NoError(t, err)
	return c
}

// state says where op is in its life on the call (CallOp's doc).
func state(op *engine.CallOp) string {
	switch {
	case op.Outcome != engine.OutcomeNone:
		return "ended"
	case op.Op != nil:
		return "running"
	}
	return "queued"
}

func ended(ev []engine.CallEvent) []*engine.CallOp {
	var out []*engine.CallOp
	for _, e := range ev {
		if e.Kind == engine.EvCompleted {
			out = append(out, e.Op)
		}
	}
	return out
}

func runAll(c *engine.Call, frame int) []engine.CallEvent {
	var ev []engine.CallEvent
	for i := 0; c.State().Busy && !c.State().Ended && i < 1e6; i++ {
		if c.State().Stalled {
			ev = c.Stall(ev)
			continue
		}
		ev = c.Advance(frame, ev)
	}
	return ev
}

func TestQueuedOperationsRunInOrderOnOneContinuousStream(t *testing.T) {
	c := newCall(t, engine.EndSilence, false)
	talk := speech(t, "en_us_s160_01")
	caller := media.Concat(media.Silence(beep+sec(0.5)), talk, media.Silence(sec(0.3)), digit(t, '#', 0.1), media.Silence(sec(12)))
	require.NoError(t, c.SetMedia(caller, false))
	first, _, err := c.Record("op1", request(t, `{"stopTones": ["#"], "maxRecordDurationInSeconds": 30}`), nil, nil)
	require.NoError(t, err)
	second, _, err := c.Record("op2", request(t, `{"initialSilenceTimeoutInSeconds": 1}`), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "running", state(first), "the first starts at once")
	assert.Equal(t, "queued", state(second), "the second is queued")

	ops := ended(runAll(c, 160))
	require.Len(t, ops, 2)
	assert.Equal(t, []string{"op1", "op2"}, []string{ops[0].ID, ops[1].ID})
	assert.Equal(t, engine.OutStopTone, first.Outcome)
	assert.Equal(t, engine.OutInitialSilence, second.Outcome)
	assert.Equal(t, first.Op.Span().End, second.Op.Span().Start, "the second starts at the sample where the first ended")
	assert.Equal(t, second.Op.Span().Start+int64(beep+sec(1)), second.Op.Span().End)
	assert.Equal(t, second.Op.Span().End, c.State().Position, "an idle call consumes nothing")
}

func TestCancelMediaEndsTheRunningAndQueuedOperations(t *testing.T) {
	c := newCall(t, engine.EndSilence, false)
	a, _, _ := c.Record("a", request(t, `{"maxRecordDurationInSeconds": 30}`), nil, nil)
	b, _, _ := c.Record("b", request(t, `{}`), nil, nil)
	ev := c.Advance(sec(1), nil)
	assert.Empty(t, ended(ev))
	ops := ended(c.CancelMedia(nil))
	require.Len(t, ops, 2)
	for _, op := range []*engine.CallOp{a, b} {
		assert.Equal(t, engine.OutCanceled, op.Outcome)
		assert.True(t, engine.ResultOf(op.Outcome).Failed)
	}
	assert.False(t, c.State().Busy)
	assert.EqualValues(t, sec(1), a.Op.Span().End)
	assert.Nil(t, b.Op, "the queued one never started")
}

func TestBargeInCancelsAndStartsAtOnce(t *testing.T) {
	c := newCall(t, engine.EndSilence, false)
	a, _, _ := c.Record("a", request(t, `{"maxRecordDurationInSeconds": 30}`), nil, nil)
	c.Advance(sec(0.5), nil)
	b, ev, err := c.Record("b", request(t, `{"bargeInAllowed": true}`), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, engine.OutCanceled, a.Outcome)
	assert.Equal(t, "running", state(b))
	assert.EqualValues(t, sec(0.5), b.Op.Span().Start)
	require.Len(t, ended(ev), 1)
}

func TestHangupKeepsThePartialRecordingOrStaysSilent(t *testing.T) {
	talk := speech(t, "en_gb_f2_s140_04")
	for _, silent := range []bool{false, true} {
		c := newCall(t, engine.EndSilence, silent)
		require.NoError(t, c.SetMedia(media.Concat(media.Silence(beep), talk), false))
		a, _, _ := c.Record("a", request(t, `{"maxRecordDurationInSeconds": 30}`), nil, nil)
		b, _, _ := c.Record("b", request(t, `{}`), nil, nil)
		c.Advance(beep+sec(2), nil)
		ops := ended(c.Hangup(nil))
		require.Len(t, ops, 2)
		assert.True(t, c.State().Ended)
		for _, op := range ops {
			assert.Equal(t, engine.OutCallTerminated, op.Outcome)
			assert.Equal(t, silent, op.Silent)
		}
		assert.Equal(t, sec(2), len(slices.Concat(a.Op.RecordingParts()...)), "the partial recording is kept")
		assert.Nil(t, b.Op)
		_, _, err := c.Record("c", request(t, `{}`), nil, nil)
		assert.ErrorIs(t, err, engine.ErrCallEnded)
	}
}

func TestEndOfMediaPolicies(t *testing.T) {
	talk := speech(t, "en_us_s160_01")
	caller := media.Concat(media.Silence(beep+sec(0.2)), talk)
	for _, c := range []struct {
		eom  engine.EndOfMedia
		want engine.Outcome
	}{
		{engine.EndSilence, engine.OutMaxSilence},
		{engine.EndHangup, engine.OutCallTerminated},
		{engine.EndStall, engine.OutMediaReceive},
	} {
		t.Run("policy "+[...]string{"silence", "hangup", "stall"}[c.eom], func(t *testing.T) {
			call := newCall(t, c.eom, false)
			require.NoError(t, call.SetMedia(caller, false))
			op, _, _ := call.Record("a", request(t, `{"maxSilenceTimeoutInSeconds": 1, "maxRecordDurationInSeconds": 60}`), nil, nil)
			runAll(call, 160)
			assert.Equal(t, c.want, op.Outcome)
			if c.eom != engine.EndSilence {
				assert.EqualValues(t, len(caller), op.Op.Span().End, "it ends where the media ends")
				assert.Equal(t, len(caller)-beep, len(slices.Concat(op.Op.RecordingParts()...)))
			}
		})
	}
}

func TestNewMediaReplacesTheStreamFromTheNextFrame(t *testing.T) {
	c := newCall(t, engine.EndSilence, false)
	op, _, _ := c.Record("a", request(t, `{"stopTones": ["5"], "maxRecordDurationInSeconds": 30}`), nil, nil)
	c.Advance(beep+sec(1), nil) // silence: no media yet
	require.NoError(t, c.SetMedia(media.Concat(digit(t, '5', 0.1), media.Silence(sec(1))), false))
	runAll(c, 160)
	assert.Equal(t, engine.OutStopTone, op.Outcome)
	assert.InDelta(t, sec(1), len(slices.Concat(op.Op.RecordingParts()...)), float64(sec(0.005)), "the new media starts right after the frames already consumed")
}

func TestTheCallIsChunkingInvariantAndDoesNotAllocate(t *testing.T) {
	talk := speech(t, "en_us_s160_01", "en_gb_f2_s140_04")
	caller := media.Concat(media.Silence(beep+sec(0.3)), talk, digit(t, '#', 0.08), media.Silence(sec(2)), talk, media.Silence(sec(3)))
	type result struct {
		Outcomes []engine.Outcome
		Ends     []int64
		Lens     []int
	}
	mediatest.RequireChunkingInvariant(t, caller, func(feed func(func(int64, []int16))) result {
		c := newCall(t, engine.EndStall, false)
		require.NoError(t, c.SetMedia(caller, false))
		c.Record("a", request(t, `{"stopTones": ["#"], "maxRecordDurationInSeconds": 30}`), nil, nil)
		c.Record("b", request(t, `{"maxSilenceTimeoutInSeconds": 1, "maxRecordDurationInSeconds": 30}`), nil, nil)
		var ev []engine.CallEvent
		feed(func(_ int64, chunk []int16) { ev = c.Advance(len(chunk), ev) })
		ev = runAll(c, 160)
		var r result
		for _, op := range c.History() {
			r.Outcomes = append(r.Outcomes, op.Outcome)
			r.Ends = append(r.Ends, op.Op.Span().End)
			r.Lens = append(r.Lens, len(slices.Concat(op.Op.RecordingParts()...)))
		}
		return r
	})

	c := newCall(t, engine.EndSilence, false)
	c.Record("a", request(t, `{"maxRecordDurationInSeconds": 120, "initialSilenceTimeoutInSeconds": 120}`), nil, nil)
	require.NoError(t, c.SetMedia(media.Noise(media.White, 1, sec(100), -40), false))
	ev := make([]engine.CallEvent, 0, 8)
	for range 100 {
		ev = c.Advance(160, ev[:0])
	}
	allocs := testing.AllocsPerRun(1000, func() { ev = c.Advance(160, ev[:0]) })
	assert.Zero(t, allocs)
}

func TestAPlayPromptLongerThanAFramePlaysThenTheNextOperationStarts(t *testing.T) {
	c := newCall(t, engine.EndSilence, false)
	prompt := &engine.PromptAudio{PCM: media.Silence(int(engine.PromptRate))} // 1 s at 16 kHz
	p, _, err := c.PlayPrompt("p", prompt, false, nil)
	require.NoError(t, err)
	r, _, err := c.Record("r", request(t, `{"initialSilenceTimeoutInSeconds": 1}`), nil, nil)
	require.NoError(t, err)
	ops := ended(runAll(c, 160))
	require.Len(t, ops, 2)
	assert.Equal(t, engine.OutPromptPlayed, p.Outcome)
	assert.EqualValues(t, sec(1), p.Op.Span().End, "the prompt's length at the call's rate")
	assert.Equal(t, p.Op.Span().End, r.Op.Span().Start, "the record starts where the prompt ended")
	assert.Equal(t, engine.OutInitialSilence, r.Outcome)
}

func TestTheKeyThatEndedAnOperationDoesNotEndTheNextOne(t *testing.T) {
	c := newCall(t, engine.EndSilence, false)
	caller := media.Concat(media.Silence(beep+sec(0.5)), speech(t, "en_us_s160_01"), digit(t, '#', 0.2), media.Silence(sec(8)))
	require.NoError(t, c.SetMedia(caller, false))
	first, _, _ := c.Record("a", request(t, `{"stopTones": ["#"], "maxRecordDurationInSeconds": 30}`), nil, nil)
	second, _, _ := c.Record("b", request(t, `{"stopTones": ["#"], "initialSilenceTimeoutInSeconds": 2}`), nil, nil)
	runAll(c, 160)
	assert.Equal(t, engine.OutStopTone, first.Outcome)
	assert.Equal(t, engine.OutInitialSilence, second.Outcome, "the rest of the 200 ms key press is not a new stop tone")
	assert.Greater(t, second.Op.Span().Start, int64(0))
	var held bool
	for _, e := range second.Op.Timeline() {
		held = held || (e.Kind == engine.EvDigit && e.Digit == '#')
	}
	assert.True(t, held, "the held key shows in the timeline")
}

func TestAnOperationWaitingForItsPromptHoldsTheQueueAndConsumesNothing(t *testing.T) {
	c := newCall(t, engine.EndSilence, false)
	require.NoError(t, c.SetMedia(media.Silence(sec(10)), false))
	a, _, err := c.Record("a", request(t, `{"initialSilenceTimeoutInSeconds": 1}`), &engine.PromptAudio{Pending: true}, nil)
	require.NoError(t, err)
	b, _, err := c.Record("b", request(t, `{"initialSilenceTimeoutInSeconds": 1}`), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "queued", state(a))
	assert.Equal(t, "queued", state(b), "queued behind the one waiting")
	assert.True(t, c.State().Busy)
	assert.Empty(t, c.Advance(sec(2), nil))
	assert.Zero(t, c.State().Position, "no caller audio is consumed while the prompt is fetched")

	prompt := media.Tone(16000, 8000, media.ToneSpec{Hz: 440, Level: -20}) // prompts are 16 kHz: 0.5 s
	ev := c.SetPrompt(a, &engine.PromptAudio{PCM: prompt}, nil)
	require.NotEmpty(t, ev)
	assert.Equal(t, engine.EvStart, ev[0].Kind)
	assert.Equal(t, "running", state(a))
	ops := ended(runAll(c, 160))
	require.Len(t, ops, 2)
	assert.Equal(t, []string{"a", "b"}, []string{ops[0].ID, ops[1].ID})
	assert.EqualValues(t, sec(0.5)+beep+sec(1), a.Op.Span().End, "the prompt played, then the beep and the timer")

	t.Run("a prompt that failed to load fails the operation when it is given", func(t *testing.T) {
		c := newCall(t, engine.EndSilence, false)
		a, _, _ := c.Record("a", request(t, `{}`), &engine.PromptAudio{Pending: true}, nil)
		ops := ended(c.SetPrompt(a, &engine.PromptAudio{Outcome: engine.OutPromptDownload}, nil))
		require.Len(t, ops, 1)
		assert.Equal(t, engine.OutPromptDownload, a.Outcome)
	})
	t.Run("a prompt given after its operation was canceled changes nothing", func(t *testing.T) {
		c := newCall(t, engine.EndSilence, false)
		a, _, _ := c.Record("a", request(t, `{}`), &engine.PromptAudio{Pending: true}, nil)
		require.Len(t, ended(c.CancelMedia(nil)), 1)
		assert.Empty(t, c.SetPrompt(a, &engine.PromptAudio{PCM: prompt}, nil))
		assert.Equal(t, engine.OutCanceled, a.Outcome)
		assert.False(t, c.State().Busy)
	})
}

// tones returns the EvDigit events of ev as "digit@sample".
func tones(ev []engine.CallEvent) []string {
	var out []string
	for _, e := range ev {
		if e.Kind == engine.EvDigit {
			out = append(out, fmt.Sprintf("%c@%d", e.Tone, e.At))
		}
	}
	return out
}

func TestASubscribedCallReportsEveryDigitWithOrWithoutAnOperation(t *testing.T) {
	menu := media.Concat(media.Silence(sec(0.5)), digit(t, '1', 0.1), media.Silence(sec(1)), speech(t, "en_us_s160_01"),
		media.Silence(sec(0.3)), digit(t, '#', 0.1), media.Silence(sec(0.5)))
	one := int64(sec(0.5))

	t.Run("idle: the stream is consumed to the end of the media and each digit reported once", func(t *testing.T) {
		c := newCall(t, engine.EndSilence, false)
		require.NoError(t, c.SetMedia(menu, false))
		require.NoError(t, c.SubscribeTones())
		var ev []engine.CallEvent
		for range 1000 {
			ev = c.Advance(160, ev)
		}
		got := tones(ev)
		require.Len(t, got, 2, "%v", got)
		assert.True(t, strings.HasPrefix(got[0], "1@"), got[0])
		assert.True(t, strings.HasPrefix(got[1], "#@"), got[1])
		assert.EqualValues(t, len(menu), c.State().Position, "all of the media, and no silence after it")
		var at int64
		_, _ = fmt.Sscanf(got[0][2:], "%d", &at)
		assert.InDelta(t, one, at, float64(sec(0.02)), "the digit's onset on the caller stream")
	})
	t.Run("a recordResponse running: the stop tone is reported too", func(t *testing.T) {
		c := newCall(t, engine.EndSilence, false)
		require.NoError(t, c.SetMedia(menu, false))
		require.NoError(t, c.SubscribeTones())
		ev := c.Advance(sec(1), nil) // the menu digit, heard while idle
		op, ev, err := c.Record("r", request(t, `{"stopTones": ["#"], "maxRecordDurationInSeconds": 30}`), nil, ev)
		require.NoError(t, err)
		ev = append(ev, runAll(c, 160)...)
		assert.Equal(t, engine.OutStopTone, op.Outcome)
		got := tones(ev)
		require.Len(t, got, 2, "%v", got)
		assert.True(t, strings.HasPrefix(got[1], "#@"))
	})
	t.Run("frames of any size give the same tones", func(t *testing.T) {
		var want []string
		for _, n := range []int{1, 79, 160, 479, 4000} {
			c := newCall(t, engine.EndSilence, false)
			require.NoError(t, c.SetMedia(menu, false))
			require.NoError(t, c.SubscribeTones())
			var ev []engine.CallEvent
			for i := 0; i < len(menu)/n+2; i++ {
				ev = c.Advance(n, ev)
			}
			if want == nil {
				want = tones(ev)
			}
			assert.Equal(t, want, tones(ev), "frames of %d", n)
		}
	})
	t.Run("without a subscription an idle call consumes nothing", func(t *testing.T) {
		c := newCall(t, engine.EndSilence, false)
		require.NoError(t, c.SetMedia(menu, false))
		assert.Empty(t, c.Advance(sec(5), nil))
		assert.Zero(t, c.State().Position)
	})
	t.Run("listening does not allocate", func(t *testing.T) {
		c := newCall(t, engine.EndSilence, false)
		require.NoError(t, c.SetMedia(media.Concat(menu, media.Silence(sec(600))), false))
		require.NoError(t, c.SubscribeTones())
		ev := c.Advance(sec(10), nil) // past the digits: the events slice has grown
		allocs := testing.AllocsPerRun(1000, func() { ev = c.Advance(160, ev[:0]) })
		assert.Zero(t, allocs)
	})
}
