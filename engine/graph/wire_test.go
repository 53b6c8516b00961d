package graph_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
)

func TestWireFormat(t *testing.T) {
	ctx := "c1"
	loc := "https://x/rec"
	v := graph.OperationView{ID: "0fe0623f-d628-42ed-b4bd-8ac290072cc5", ClientContext: &ctx, Status: graph.Completed, Outcome: engine.OutMaxRecordDuration, Location: &loc, Token: &loc}
	b := mustJSON(t, v.Wire(graph.Options{}))
	assert.Contains(t, b, `"status":"Completed"`)
	assert.Contains(t, b, `"completionReason":"maxRecordDurationReached"`)
	assert.Contains(t, b, `"resultInfo":{"@odata.type":"#microsoft.graph.resultInfo","code":200,"subcode":8515,"message":"Action completed, max record duration reached."}`)
	b = mustJSON(t, v.Wire(graph.Options{DocsCasing: true, StrictV1: true}))
	assert.Contains(t, b, `"status":"completed"`)
	assert.NotContains(t, b, "completionReason")

	running := graph.OperationView{ID: "x", Status: graph.Running}
	b = mustJSON(t, running.Wire(graph.Options{}))
	assert.Contains(t, b, `"status":"Running","resultInfo":null,"recordingLocation":null,"recordingAccessToken":null`)
	assert.Contains(t, b, `"clientContext":null`)

	canceled := graph.OperationView{ID: "x", Status: graph.Failed, Outcome: engine.OutCanceled}
	b = mustJSON(t, canceled.Wire(graph.Options{}))
	assert.Contains(t, b, `"recordingLocation":"","recordingAccessToken":""`, "operationCanceled carries empty strings (doc)")

	seen := map[string]bool{}
	for range 1000 {
		id := graph.NewID()
		require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, id)
		require.False(t, seen[id], "ids do not repeat")
		seen[id] = true
	}
}

func mustJSON(t testing.TB, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
