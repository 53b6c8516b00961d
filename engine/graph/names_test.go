package graph_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/engine/runner"
)

func TestSwitchNamesParseCaseInsensitivelyAndNameTheBadValue(t *testing.T) {
	eom, err := graph.ParseEndOfMedia("HangUp")
	assert.NoError(t, err)
	assert.Equal(t, engine.EndHangup, eom)
	eom, err = graph.ParseEndOfMedia("")
	assert.NoError(t, err)
	assert.Equal(t, engine.EndSilence, eom, "empty means the default")
	_, err = graph.ParseEndOfMedia("later")
	assert.ErrorContains(t, err, `"later": must be silence, hangup or stall`)

	hp, err := graph.ParseHangupPolicy("SILENT")
	assert.NoError(t, err)
	assert.True(t, hp)
	_, err = graph.ParseHangupPolicy("loud")
	assert.ErrorContains(t, err, `"loud"`)

	m, err := graph.ParseMode("fast")
	assert.NoError(t, err)
	assert.Equal(t, runner.Fast, m)
	_, err = graph.ParseMode("slow")
	assert.ErrorContains(t, err, `"slow": must be realtime or fast`)

	f, err := graph.ParseFault("playpromptfailed")
	assert.NoError(t, err)
	assert.Equal(t, engine.OutPromptFailed, f)
	_, err = graph.ParseFault("stopToneDetected")
	assert.ErrorContains(t, err, "stopToneDetected", "only failures can be injected")

	for _, s := range []graph.RecordingStatus{graph.NotRecording, graph.Recording, graph.RecordingFailed} {
		got, err := graph.ParseRecordingStatus(s.String())
		assert.NoError(t, err)
		assert.Equal(t, s, got, "%s round-trips", s)
	}
	_, err = graph.ParseRecordingStatus("paused")
	assert.ErrorContains(t, err, `"paused"`)
}

func TestTimelineEntriesNameTheEventAndSayWhenItWasDecided(t *testing.T) {
	evs := []engine.Event{
		{Kind: engine.EvDigit, Sample: 8000, At: 8280, Digit: '#', Detail: "stop tone"},
		{Kind: engine.EvTimerArmed, Sample: 4000, At: 4000, Deadline: 20000, Detail: "maxSilence"},
		{Kind: engine.EvCompleted, Sample: 8280, At: 8280, Outcome: engine.OutStopTone, Digit: '#'},
	}
	got := graph.Timeline(evs, 8000, "op-1")
	assert.Equal(t, []graph.TimelineEntry{
		{Type: "digit", Sample: 8000, Ms: 1000, OperationID: "op-1", Detail: "# (stop tone), detected at 1.035 s"},
		{Type: "timerArmed", Sample: 4000, Ms: 500, OperationID: "op-1", Detail: "maxSilence fires at 2.500 s"},
		{Type: "completed", Sample: 8280, Ms: 1035, OperationID: "op-1", Detail: "stopToneDetected 200/8514 (#)"},
	}, got)
}
