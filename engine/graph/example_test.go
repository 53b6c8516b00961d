package graph_test

import (
	"encoding/json"
	"fmt"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
)

// A bot's recordResponse body becomes an engine request; an invalid one
// gets an error naming the field, the value and the valid range.
func ExampleParseRecordRequest() {
	req, err := graph.ParseRecordRequest([]byte(`{"stopTones": ["pound", "*"], "maxSilenceTimeoutInSeconds": 2}`), false)
	fmt.Println(string(req.StopTones), req.MaxSilenceTimeoutInSeconds, req.MaxRecordDurationInSeconds, req.PlayBeep, err)

	_, err = graph.ParseRecordRequest([]byte(`{"maxRecordDurationInSeconds": "5"}`), false)
	fmt.Println(err)
	// Output:
	// #* 2 5 true <nil>
	// maxRecordDurationInSeconds = "5": must be a whole number of seconds from 1 to 120 (a JSON number, not a string)
}

// An ended operation as the recordOperation a bot reads, in the schema's
// casing and, with docsCasing and strictV1, as the docs' examples show it.
func ExampleOperationView_Wire() {
	loc, tok := "https://mock/recordings/1", "secret"
	v := graph.OperationView{ID: "0fe0623f-d628-42ed-b4bd-8ac290072cc5", Status: graph.Completed,
		Outcome: engine.OutStopTone, Location: &loc, Token: &tok}
	for _, o := range []graph.Options{{}, {DocsCasing: true, StrictV1: true}} {
		b, _ := json.Marshal(v.Wire(o))
		fmt.Println(string(b))
	}
	// Output:
	// {"@odata.type":"#microsoft.graph.recordOperation","id":"0fe0623f-d628-42ed-b4bd-8ac290072cc5","clientContext":null,"status":"Completed","resultInfo":{"@odata.type":"#microsoft.graph.resultInfo","code":200,"subcode":8514,"message":"Action completed, stop tone detected."},"recordingLocation":"https://mock/recordings/1","recordingAccessToken":"secret","completionReason":"stopToneDetected"}
	// {"@odata.type":"#microsoft.graph.recordOperation","id":"0fe0623f-d628-42ed-b4bd-8ac290072cc5","clientContext":null,"status":"completed","resultInfo":{"@odata.type":"#microsoft.graph.resultInfo","code":200,"subcode":8514,"message":"Action completed, stop tone detected."},"recordingLocation":"https://mock/recordings/1","recordingAccessToken":"secret"}
}
