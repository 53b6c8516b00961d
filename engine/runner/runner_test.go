package runner_test

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/runner"
	"github.com/recsim/recsim/fixtures"
	"github.com/recsim/recsim/media"
)

const rate = media.SampleRate(8000)

func sec(s float64) int { return int(s * float64(rate)) }

// theCall is the caller of the tests: silence past the beep, a sentence, a
// pause and a # that ends the recording.
func theCall(t testing.TB) []int16 {
	t.Helper()
	talk, err := fixtures.SpeechClip("en_us_s160_01", int(rate))
	require.NoError(t, err)
	pound, err := media.DTMF(rate, sec(0.1), media.DTMFSpec{Digit: '#', Level: -10, Ramp: 16})
	require.NoError(t, err)
	return media.Concat(media.Silence(sec(0.9)), talk.PCM, media.Silence(sec(0.4)), pound, media.Silence(sec(1)))
}

// TestRealtimeAndFastGiveIdenticalResults runs the same calls on a fast
// runner and on a realtime runner under synctest's fake clock.
func TestRealtimeAndFastGiveIdenticalResults(t *testing.T) {
	caller := theCall(t)
	req := engine.DefaultRecordRequest()
	req.StopTones, req.MaxRecordDurationInSeconds = []byte("#"), 30
	type out struct {
		Outcome engine.Outcome
		End     int64
		Rec     []int16
		Events  []engine.Event
	}
	run := func(mode runner.Mode) out {
		var got out
		done := make(chan struct{})
		r := runner.New(runner.Options{Mode: mode, OnEvent: func(rc *runner.PacedCall, ev engine.CallEvent) {
			if ev.Kind == engine.EvCompleted {
				got = out{ev.Op.Outcome, ev.Op.Op.Span().End, append([]int16(nil), slices.Concat(ev.Op.Op.RecordingParts()...)...), append([]engine.Event(nil), ev.Op.Op.Timeline()...)}
				close(done)
			}
		}})
		c, err := engine.NewCall(engine.CallOptions{Ops: engine.DefaultOptions(rate)})
		require.NoError(t, err)
		rc := r.Add("call", c)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { _ = r.Pace(ctx) }()
		rc.Do(func(c *engine.Call, ev []engine.CallEvent) []engine.CallEvent {
			require.NoError(t, c.SetMedia(caller, false))
			_, ev, err := c.Record("op", req, nil, ev)
			require.NoError(t, err)
			return ev
		})
		<-done
		return got
	}
	fast := run(runner.Fast)
	var real out
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		real = run(runner.Realtime)
		elapsed := time.Since(start)
		// The operation lasted End samples of caller audio: realtime took
		// that long on the fake clock (to within a frame).
		assert.InDelta(t, float64(rate.D(real.End)), float64(elapsed), float64(40*time.Millisecond))
	})
	assert.Equal(t, engine.OutStopTone, fast.Outcome)
	assert.Equal(t, fast, real)
}
