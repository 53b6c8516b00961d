package engine

import (
	"fmt"

	"github.com/recsim/recsim/media"
)

// EventKind is the type of a timeline event.
type EventKind uint8

// Timeline event kinds.
const (
	EvStart         EventKind = iota + 1 // the operation starts (dequeued)
	EvPromptStart                        // the prompt starts playing
	EvPromptEnd                          // the prompt has played
	EvBeepStart                          // the beep starts
	EvBeepEnd                            // the beep has played
	EvListenStart                        // recording starts (L)
	EvSpeechStart                        // the VAD confirmed speech; Sample is its first sample
	EvSpeechEnd                          // the VAD ended speech; Sample is one past its last sample
	EvDigit                              // a DTMF digit; Sample is its onset
	EvTimerArmed                         // maxSilence armed; Deadline is when it fires
	EvTimerDisarmed                      // a timer disarmed (Detail says which)
	EvCompleted                          // the operation ended; Outcome says how
	evBeepFault                          // internal mark: the beep cannot play
	evFault                              // internal mark: injected fault
)

var eventNames = map[EventKind]string{
	EvStart: "operationStart", EvPromptStart: "promptStart", EvPromptEnd: "promptEnd",
	EvBeepStart: "beepStart", EvBeepEnd: "beepEnd", EvListenStart: "listenStart",
	EvSpeechStart: "speechStart", EvSpeechEnd: "speechEnd", EvDigit: "digit",
	EvTimerArmed: "timerArmed", EvTimerDisarmed: "timerDisarmed", EvCompleted: "completed",
}

func (k EventKind) String() string {
	if s, ok := eventNames[k]; ok {
		return s
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event details (constant strings, so recording an event never allocates).
const (
	detailBeforeListen   = "before listen start"
	detailMaxSilence     = "maxSilence"
	detailInitialSilence = "initialSilence"
	detailStopTone       = "stop tone"
	detailNotStopTone    = "not a stop tone: recorded as audio"
	detailIgnoredEarly   = "stop tone before listen start, ignored (stopTonesDuringPrompt off)"
	detailHeldTone       = "still held from the previous operation, ignored"
)

// Event is one entry of an operation's timeline. Sample is the stream
// sample the event refers to; At is the sample at which it was decided
// (equal to Sample for phase changes and timers).
type Event struct {
	Kind     EventKind
	Sample   int64
	At       int64
	Digit    byte    // EvDigit; EvCompleted on a stop tone
	Outcome  Outcome // EvCompleted
	Deadline int64   // EvTimerArmed
	Detail   string
}

// TimelineEntry is an Event as JSON (SPEC §10's events format).
type TimelineEntry struct {
	Type        string  `json:"type"`
	Sample      int64   `json:"sample"`
	Ms          float64 `json:"ms"`
	OperationID string  `json:"operationId,omitempty"`
	Detail      string  `json:"detail,omitempty"`
}

// Entry renders e for JSON and display at rate.
func (e Event) Entry(rate media.SampleRate, operationID string) TimelineEntry {
	t := TimelineEntry{Type: e.Kind.String(), Sample: e.Sample, Ms: rate.Ms(e.Sample), OperationID: operationID, Detail: e.Detail}
	switch e.Kind {
	case EvDigit:
		t.Detail = fmt.Sprintf("%c (%s), detected at %.3f s", e.Digit, e.Detail, rate.Ms(e.At)/1000)
	case EvSpeechStart, EvSpeechEnd:
		if e.At != e.Sample {
			d := fmt.Sprintf("decided at %.3f s", rate.Ms(e.At)/1000)
			if e.Detail != "" {
				d = e.Detail + ", " + d
			}
			t.Detail = d
		}
	case EvTimerArmed:
		t.Detail = fmt.Sprintf("%s fires at %.3f s", e.Detail, rate.Ms(e.Deadline)/1000)
	case EvCompleted:
		r := results[e.Outcome]
		t.Detail = fmt.Sprintf("%s %d/%d", r.Reason, r.Code, r.Subcode)
		if e.Digit != 0 {
			t.Detail += fmt.Sprintf(" (%c)", e.Digit)
		}
	}
	return t
}
