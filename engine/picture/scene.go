package picture

import (
	"fmt"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
)

// Lanes of the picture.
const (
	LaneCaller   = "caller"
	LaneOutbound = "outbound"
)

// Span is a stretch of time drawn as a band.
type Span struct {
	Lane  string  `json:"lane"`
	Kind  string  `json:"kind"` // prompt, beep, listen, speech, maxSilenceWindow
	From  float64 `json:"from"` // seconds from the operation's start
	To    float64 `json:"to"`
	Label string  `json:"label,omitempty"`
}

// Mark is an instant drawn as a vertical line.
type Mark struct {
	Lane  string  `json:"lane"`
	Kind  string  `json:"kind"` // digit, tone, initialSilence, maxRecordDuration, completion
	At    float64 `json:"at"`
	Label string  `json:"label"`
}

// Scene is what the picture shows, in data coordinates: the structure the
// PNG is drawn from (and what its golden tests compare, so that font
// rendering differences never break them).
type Scene struct {
	Title   string  `json:"title"`
	Rate    int     `json:"rate"`
	From    float64 `json:"from"` // the time axis, seconds
	To      float64 `json:"to"`
	End     float64 `json:"end"` // where the operation ended
	Verdict string  `json:"verdict"`
	Spans   []Span  `json:"spans"`
	Marks   []Mark  `json:"marks"`
}

// round3 rounds to the millisecond so that scenes compare exactly.
func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// AddTones marks the digits a tone subscription heard (EvDigit events of a
// subscribed engine.Call, samples of the same stream as
// op's) on the caller lane, labelled with their Graph tone name, where
// they fall within the scene.
func (sc *Scene) AddTones(op *engine.Operation, tones []engine.CallEvent) {
	s0 := op.Span().Start
	for _, t := range tones {
		if t.Kind != engine.EvDigit {
			continue
		}
		at := round3(float64(t.At-s0) / float64(op.Span().Rate))
		if at < sc.From || at > sc.To {
			continue
		}
		sc.Marks = append(sc.Marks, Mark{Lane: LaneCaller, Kind: "tone", At: at, Label: graph.ToneName(t.Tone) + " (subscription)"})
	}
}

// BuildScene lays out an ended operation's timeline. callerLen is the
// length of the caller audio shown (samples from the operation's start).
func BuildScene(op *engine.Operation, callerLen int) Scene {
	span := op.Span()
	rate := span.Rate
	// The timers' lengths in whole seconds, as the request gave them.
	seconds := func(n int64) int64 { return n / int64(rate) }
	s0 := span.Start
	sec := func(n int64) float64 { return round3(float64(n-s0) / float64(rate)) }
	r := op.Result()
	sc := Scene{Rate: int(rate), End: sec(span.End)}
	sc.Verdict = fmt.Sprintf("%s · %s %d/%d", r.Reason, graph.ResultStatus(r), r.Code, r.Subcode)
	sc.Title = "recordResponse: " + sc.Verdict
	// Show the whole operation and a little of what followed.
	to := max(span.End+int64(rate)/2, span.Start+int64(rate))
	if c := s0 + int64(callerLen); c > span.End {
		to = min(to, c)
	}
	sc.From, sc.To = 0, sec(to)

	var promptStart, beepStart int64 = -1, -1
	speechStart := int64(-1)
	for _, ev := range op.Timeline() {
		switch ev.Kind {
		case engine.EvPromptStart:
			promptStart = ev.Sample
		case engine.EvPromptEnd:
			sc.Spans = append(sc.Spans, Span{Lane: LaneOutbound, Kind: "prompt", From: sec(promptStart), To: sec(ev.Sample), Label: "prompt"})
		case engine.EvBeepStart:
			beepStart = ev.Sample
		case engine.EvBeepEnd:
			sc.Spans = append(sc.Spans, Span{Lane: LaneOutbound, Kind: "beep", From: sec(beepStart), To: sec(ev.Sample), Label: "beep"})
		case engine.EvListenStart:
			sc.Spans = append(sc.Spans, Span{Lane: LaneCaller, Kind: "listen", From: sec(ev.Sample), To: sc.End, Label: "listen (recording)"})
		case engine.EvSpeechStart:
			if ev.Detail == "" {
				speechStart = ev.Sample
			}
		case engine.EvSpeechEnd:
			if speechStart >= 0 && ev.Detail == "" {
				sc.Spans = append(sc.Spans, Span{Lane: LaneCaller, Kind: "speech", From: sec(speechStart), To: sec(ev.Sample), Label: "speech"})
			}
			speechStart = -1
		case engine.EvDigit:
			label := string(ev.Digit)
			if ev.Detail == "stop tone" {
				label += " stop tone"
			}
			sc.Marks = append(sc.Marks, Mark{Lane: LaneCaller, Kind: "digit", At: sec(ev.Sample), Label: label})
		case engine.EvTimerArmed:
			// The window runs from the end of the speech (E) to E + T_m.
			tm := span.MaxSilence
			sc.Spans = append(sc.Spans, Span{Lane: LaneCaller, Kind: "maxSilenceWindow", From: sec(ev.Deadline - tm), To: sec(min(ev.Deadline, span.End)),
				Label: fmt.Sprintf("max silence %d s", seconds(tm))})
		}
	}
	if speechStart >= 0 { // speech still going at the end
		sc.Spans = append(sc.Spans, Span{Lane: LaneCaller, Kind: "speech", From: sec(speechStart), To: sc.End, Label: "speech"})
	}
	if span.Listened {
		initial, maxRec := span.InitialSilenceAt, span.MaxRecordAt
		if initial <= to {
			sc.Marks = append(sc.Marks, Mark{Lane: LaneCaller, Kind: "initialSilence", At: sec(initial),
				Label: fmt.Sprintf("initial silence %d s", seconds(initial-span.Listen))})
		}
		if maxRec <= to {
			sc.Marks = append(sc.Marks, Mark{Lane: LaneCaller, Kind: "maxRecordDuration", At: sec(maxRec),
				Label: fmt.Sprintf("max duration %d s", seconds(maxRec-span.Listen))})
		}
	}
	sc.Marks = append(sc.Marks, Mark{Lane: LaneCaller, Kind: "completion", At: sc.End, Label: fmt.Sprintf("%s %d", r.Reason, r.Subcode)})
	return sc
}
