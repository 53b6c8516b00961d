package scenario_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/scenario"
	"github.com/recsim/recsim/media"
)

func parse(t *testing.T, script string) *scenario.Scenario {
	t.Helper()
	s, err := scenario.Parse([]byte(script), "test.json")
	require.NoError(t, err)
	return s
}

func TestSegmentsBuildTheCallerTrackInOrderAtTheScenarioRate(t *testing.T) {
	s := parse(t, `{"rate": 8000, "caller": [{"silence": 0.5}, {"dtmf": "12", "seconds": 0.1, "gap": 0.05},
		{"tone": 1000, "seconds": 0.2}, {"noise": "pink", "seconds": 0.25, "seed": 3}, {"hangup": true}]}`)
	a, err := s.Build("test.json", ".")
	require.NoError(t, err)
	assert.Equal(t, media.SampleRate(8000), a.Rate)
	assert.True(t, a.Hangup, "a last hangup segment makes the caller hang up at the end")
	// 0.5 s + 2 × (0.1 + 0.05) s + 0.2 s + 0.25 s at 8 kHz.
	require.Len(t, a.PCM, 4000+2*(800+400)+1600+2000)
	for i := range 4000 {
		require.Zero(t, a.PCM[i], "silence is digital silence (sample %d)", i)
	}
	assert.InDelta(t, -10+3.01, media.Level(a.PCM[4000:4800]), 0.5, "two tones at −10 dBFS each")
	noise := a.PCM[len(a.PCM)-2000:]
	assert.InDelta(t, -50, media.Level(noise), 1, "noise at its default level")
}

func TestTheDefaultRateIs16kHz(t *testing.T) {
	s := parse(t, `{"caller": [{"silence": 1}]}`)
	assert.Equal(t, 16000, s.Rate)
}

func TestBadScriptsNameTheFileTheFieldAndTheValue(t *testing.T) {
	cases := []struct{ name, script, field, value string }{
		{"an unknown field (a typo must not pass)", `{"caler": []}`, "scenario", "(file)"},
		{"a rate out of range", `{"rate": 4000, "caller": []}`, "rate", "4000"},
		{"two kinds in one segment", `{"caller": [{"silence": 1, "tone": 440}]}`, "caller[0].(segment)", "2 kinds"},
		{"a negative duration", `{"caller": [{"silence": -1}]}`, "caller[0].silence", "-1"},
		{"an unknown clip", `{"caller": [{"speech": "no_such_clip"}]}`, "caller[0].speech", `"no_such_clip"`},
		{"a tone above Nyquist", `{"rate": 8000, "caller": [{"tone": 5000, "seconds": 1}]}`, "caller[0].tone", "5000"},
		{"a bad DTMF digit", `{"caller": [{"dtmf": "1x"}]}`, "caller[0].dtmf", `"1x"`},
		{"a segment after hang-up", `{"caller": [{"hangup": true}, {"silence": 1}]}`, "caller[1].hangup", "true"},
		{"an unknown noise colour", `{"caller": [{"noise": "blue", "seconds": 1}]}`, "caller[0].noise", `"blue"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := scenario.Parse([]byte(c.script), "bad.json")
			if err == nil {
				_, err = s.Build("bad.json", ".")
			}
			var se *scenario.Error
			require.True(t, errors.As(err, &se), "got %v", err)
			assert.Equal(t, "bad.json", se.File)
			assert.Equal(t, c.field, se.Field)
			assert.Equal(t, c.value, se.Value)
			assert.Contains(t, err.Error(), "bad.json: "+c.field)
		})
	}
}

func TestOptionsBecomeEngineOptions(t *testing.T) {
	s := parse(t, `{"rate": 8000, "caller": [], "options": {"stopTonesDuringPrompt": false, "includeStopTone": true,
		"trimSilence": true, "beepEcho": true, "beepHz": 700, "beepMs": 250, "beepLevel": -20, "endOfMedia": "stall",
		"docsCasing": true, "strictV1": true, "fault": "playBeepFailed"}}`)
	o, eom, w, err := s.EngineOptions("x.json")
	require.NoError(t, err)
	assert.False(t, o.StopTonesDuringPrompt)
	assert.True(t, o.IncludeStopTone)
	assert.True(t, o.TrimSilence)
	assert.True(t, o.Beep.Echo)
	assert.Equal(t, 700.0, o.Beep.Hz)
	assert.EqualValues(t, 250e6, o.Beep.Duration)
	assert.Equal(t, -20.0, o.Beep.Level)
	assert.Equal(t, engine.EndStall, eom)
	assert.True(t, w.DocsCasing && w.StrictV1)
	assert.Equal(t, engine.OutBeepFailed, o.Fault)

	bad := parse(t, `{"caller": [], "options": {"endOfMedia": "later"}}`)
	_, _, _, err = bad.EngineOptions("x.json")
	assert.ErrorContains(t, err, `x.json: options.endOfMedia = "later"`)
}

func TestSimulateRunsTheOperationOnTheTrack(t *testing.T) {
	s := parse(t, `{"rate": 8000, "request": {"stopTones": ["#"], "maxRecordDurationInSeconds": 10},
		"caller": [{"silence": 1.4}, {"dtmf": "#", "seconds": 0.1}, {"silence": 1}]}`)
	res, err := s.Simulate("stop.json", ".")
	require.NoError(t, err)
	r := res.Op.Result()
	assert.Equal(t, engine.OutStopTone, r.Outcome)
	// Listening starts after the 400 ms beep; the tone's onset is at 1.4 s.
	assert.InDelta(t, 8000, len(slices.Concat(res.Op.RecordingParts()...)), 16, "1 s recorded, cut at the tone's onset")
	assert.Equal(t, []byte("#"), res.Request.StopTones)

	canceled := parse(t, `{"rate": 8000, "request": {"maxRecordDurationInSeconds": 10}, "caller": [{"silence": 3}], "cancelAt": 1.5}`)
	res, err = canceled.Simulate("cancel.json", ".")
	require.NoError(t, err)
	assert.Equal(t, engine.OutCanceled, res.Op.Result().Outcome)
	assert.Equal(t, int64(12000), res.Op.Span().End, "cancelled at 1.5 s")

	outside := parse(t, `{"caller": [{"silence": 1}], "cancelAt": 5}`)
	_, err = outside.Simulate("late.json", ".")
	assert.ErrorContains(t, err, "late.json: cancelAt = 5")
}

func TestPromptsResolveLikeTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	pcm := media.Tone(16000, 8000, media.ToneSpec{Hz: 440, Level: -20})
	b, err := media.EncodeWAV(pcm, 16000)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.wav"), b, 0o644))

	for _, uri := range []string{"p.wav", "file://" + filepath.Join(dir, "p.wav")} {
		p := scenario.ResolvePrompt(uri, dir)
		assert.Equal(t, engine.OutcomeNone, p.Outcome, uri)
		assert.Equal(t, pcm, p.PCM, uri)
	}
	assert.Equal(t, engine.OutPromptDownload, scenario.ResolvePrompt("missing.wav", dir).Outcome)
	assert.Equal(t, engine.OutPromptDownload, scenario.ResolvePrompt("https://example.invalid/p.wav", dir).Outcome, "only the server fetches")
	assert.Equal(t, engine.OutPromptDownload, scenario.ResolvePrompt("fixture:no_such_clip", dir).Outcome)
	f := scenario.ResolvePrompt("fixture:en_us_s160_01", dir)
	require.Equal(t, engine.OutcomeNone, f.Outcome)
	assert.NotEmpty(t, f.PCM, "a speech clip played as a 16 kHz prompt")
}

// TestASubscribedScenarioHearsWhatASubscribedCallHears: subscribeToTone
// lists the digits of the whole caller track, as an engine.Call with a
// tone subscription and no operation hears them, including those after
// the operation has ended.
func TestASubscribedScenarioHearsWhatASubscribedCallHears(t *testing.T) {
	s := parse(t, `{"rate": 8000, "subscribeToTone": true, "request": {"stopTones": ["#"]},
		"caller": [{"silence": 1}, {"dtmf": "5", "seconds": 0.1}, {"silence": 0.5}, {"dtmf": "#", "seconds": 0.1},
			{"silence": 0.5}, {"dtmf": "*", "seconds": 0.1}, {"silence": 0.5}]}`)
	res, err := s.Simulate("ivr.json", ".")
	require.NoError(t, err)
	require.Equal(t, engine.OutStopTone, res.Op.Result().Outcome)

	c, err := engine.NewCall(engine.CallOptions{Ops: engine.DefaultOptions(8000)})
	require.NoError(t, err)
	require.NoError(t, c.SetMedia(res.Audio.PCM, false))
	require.NoError(t, c.SubscribeTones())
	var want []engine.CallEvent
	for c.State().Advancing {
		want = c.Advance(2048, want) // another block size: the detector does not depend on it
	}
	digits := func(ev []engine.CallEvent) (out []string) {
		for _, e := range ev {
			if e.Kind == engine.EvDigit {
				out = append(out, fmt.Sprintf("%c@%d", e.Tone, e.At))
			}
		}
		return out
	}
	require.Len(t, digits(res.Tones), 3, "5, # and *: the subscription outlives the operation")
	assert.Equal(t, digits(want), digits(res.Tones))
}
