package graph

import (
	"fmt"
	"strconv"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/media"
)

// TimelineEntry is a timeline event as JSON: the entries of the control
// surface's /events answer (docs/timeline.md, docs/server.md).
type TimelineEntry struct {
	Type        string  `json:"type"`
	Sample      int64   `json:"sample"`
	Ms          float64 `json:"ms"`
	OperationID string  `json:"operationId,omitempty"`
	Detail      string  `json:"detail,omitempty"`
}

// Entry renders e, an event of a stream at rate, for JSON and display.
// operationID is the operation it belongs to ("" for none).
func Entry(e engine.Event, rate media.SampleRate, operationID string) TimelineEntry {
	t := TimelineEntry{Type: EventName(e.Kind), Sample: e.Sample, Ms: rate.Ms(e.Sample), OperationID: operationID, Detail: e.Detail}
	switch e.Kind {
	case engine.EvDigit:
		t.Detail = fmt.Sprintf("%c (%s), detected at %.3f s", e.Digit, e.Detail, rate.Ms(e.At)/1000)
	case engine.EvSpeechStart, engine.EvSpeechEnd:
		if e.At != e.Sample {
			d := fmt.Sprintf("decided at %.3f s", rate.Ms(e.At)/1000)
			if e.Detail != "" {
				d = e.Detail + ", " + d
			}
			t.Detail = d
		}
	case engine.EvTimerArmed:
		t.Detail = fmt.Sprintf("%s fires at %.3f s", e.Detail, rate.Ms(e.Deadline)/1000)
	case engine.EvCompleted:
		r := engine.ResultOf(e.Outcome)
		t.Detail = fmt.Sprintf("%s %d/%d", r.Reason, r.Code, r.Subcode)
		if e.Digit != 0 {
			t.Detail += fmt.Sprintf(" (%c)", e.Digit)
		}
	}
	return t
}

// Timeline renders a whole timeline (see Entry).
func Timeline(events []engine.Event, rate media.SampleRate, operationID string) []TimelineEntry {
	out := make([]TimelineEntry, len(events))
	for i, e := range events {
		out[i] = Entry(e, rate, operationID)
	}
	return out
}

// EventName is the name of a timeline event kind in the timeline's JSON
// (docs/timeline.md): operationStart, promptStart, … completed.
func EventName(k engine.EventKind) string {
	names := [...]string{
		engine.EvStart: "operationStart", engine.EvPromptStart: "promptStart", engine.EvPromptEnd: "promptEnd",
		engine.EvBeepStart: "beepStart", engine.EvBeepEnd: "beepEnd", engine.EvListenStart: "listenStart",
		engine.EvSpeechStart: "speechStart", engine.EvSpeechEnd: "speechEnd", engine.EvDigit: "digit",
		engine.EvTimerArmed: "timerArmed", engine.EvTimerDisarmed: "timerDisarmed", engine.EvCompleted: "completed",
		engine.EvProgress: "progress", engine.EvHangup: "hangup",
	}
	if int(k) < len(names) && names[k] != "" {
		return names[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}
