package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/engine/picture"
	"github.com/recsim/recsim/engine/scenario"
	"github.com/recsim/recsim/fixtures/scenarios"
)

func runDemo(e *env, args []string) int {
	fs := newFlags(e, "demo", "[--dir DIR]", `
Runs a record operation end to end on the built-in scenario: a prompt, the
beep, a caller who speaks, pauses, speaks again and presses # (a stop tone),
with a little background noise. Prints what happened when, and writes the
recording, the caller's audio, the outbound audio (prompt and beep), the
final recordOperation and the timeline into DIR.`)
	dir := fs.String("dir", "recsim-demo", "directory to write the results into")
	pos, err := parse(fs, args)
	if err == nil {
		err = wantArgs(pos, 0, "")
	}
	if err != nil {
		return fail(e, "demo", err)
	}
	raw, err := scenarios.Script("demo")
	if err != nil {
		return fail(e, "demo", err)
	}
	s, err := scenario.Parse(raw, "demo.json")
	if err != nil {
		return fail(e, "demo", err)
	}
	res, err := s.Simulate("demo.json", ".")
	if err != nil {
		return fail(e, "demo", err)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fmt.Fprintf(e.stderr, "recsim demo: %s\n", oneLine(err.Error()))
		return exitFailure
	}
	abs, _ := filepath.Abs(*dir)
	op := res.Op
	rate := op.Span().Rate
	id := graph.NewID()
	view := graph.OperationView{ID: id, ClientContext: res.Request.ClientContext, Status: graph.ResultStatus(op.Result()), Outcome: op.Result().Outcome}
	recPath := filepath.Join(abs, "recording.wav")
	if op.Result().HasRecording {
		loc := "file://" + filepath.ToSlash(recPath)
		view.Location = &loc
	}
	files := []struct {
		name string
		pcm  []int16
	}{{"caller.wav", res.Audio.PCM}, {"outbound.wav", op.Outbound()}}
	if op.Result().HasRecording {
		files = append(files, struct {
			name string
			pcm  []int16
		}{"recording.wav", slices.Concat(op.RecordingParts()...)})
	}
	var set outputSet // all of the demo's files, or none of them
	for _, f := range files {
		set.add(filepath.Join(abs, f.name), func(w *os.File) error { return writeWAV(w, f.pcm, rate) })
	}
	wire, _ := json.MarshalIndent(view.Wire(res.Wire), "", "  ")
	set.add(filepath.Join(abs, "operation.json"), func(w *os.File) error {
		_, err := w.Write(append(wire, '\n'))
		return err
	})
	set.add(filepath.Join(abs, "timeline.png"), func(w *os.File) error { return picture.WritePNGWithTones(w, op, res.Audio.PCM, res.Tones) })
	set.add(filepath.Join(abs, "timeline.json"), func(w *os.File) error { return writeTimeline(w, op, id) })
	if err := set.commit(); err != nil {
		fmt.Fprintf(e.stderr, "recsim demo: %s\n", oneLine(err.Error()))
		return exitFailure
	}

	w := e.stdout
	fmt.Fprintf(w, "recsim demo: %s\n\n", s.Description)
	req := res.Request
	fmt.Fprintf(w, "Request: initialSilence %d s, maxSilence %d s, maxRecordDuration %d s, playBeep %v, stopTones %q\n\n",
		req.InitialSilenceTimeoutInSeconds, req.MaxSilenceTimeoutInSeconds, req.MaxRecordDurationInSeconds, req.PlayBeep, string(req.StopTones))
	printTimeline(w, op)
	r := op.Result()
	fmt.Fprintf(w, "\nResult: %s — status %s, code %d, subcode %d: %s\n", r.Reason, graph.ResultStatus(r), r.Code, r.Subcode, r.Message)
	if op.Result().HasRecording {
		sp := op.Span()
		from, to := sp.RecordFrom, sp.RecordTo
		fmt.Fprintf(w, "Recording: %.3f s (%d samples at %d Hz, caller audio from %.3f s to %.3f s)\n",
			float64(to-from)/float64(rate), to-from, int(rate), float64(from)/float64(rate), float64(to)/float64(rate))
	}
	fmt.Fprintf(w, "\nWrote into %s:\n", abs)
	for _, f := range files {
		fmt.Fprintf(w, "  %-14s %s\n", f.name, map[string]string{"caller.wav": "the caller's audio", "outbound.wav": "what the caller heard: prompt and beep", "recording.wav": "the recording the bot would download"}[f.name])
	}
	fmt.Fprintf(w, "  %-14s %s\n  %-14s %s\n", "operation.json", "the final recordOperation", "timeline.json", "every event with its sample and time")
	fmt.Fprintf(w, "  %-14s %s\n\nOpen %s to see why the recording ended.\n", "timeline.png", "the picture: waveform, phases, speech, digits, timers, completion", filepath.Join(abs, "timeline.png"))
	return exitOK
}

// printTimeline prints the operation's events, one line each, in seconds.
func printTimeline(w interface{ Write([]byte) (int, error) }, op *engine.Operation) {
	rate := op.Span().Rate
	for _, ev := range op.Timeline() {
		en := graph.Entry(ev, rate, "")
		line := fmt.Sprintf("  %8.3f s  %-14s", en.Ms/1000, en.Type)
		if en.Detail != "" {
			line += "  " + en.Detail
		}
		fmt.Fprintln(w, line)
	}
}
