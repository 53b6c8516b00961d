package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/engine/picture"
	"github.com/recsim/recsim/engine/scenario"
	"github.com/recsim/recsim/media"
)

// opFlags are the simulation switches shared by record and demo.
type opFlags struct {
	frame                 int
	endOfMedia            string
	docsCasing, strictV1  bool
	includeStopTone, trim bool
	noStopTonesInPrompt   bool
	beepEcho              bool
	timeline, plot        string
}

func (o *opFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&o.frame, "frame", 0, "samples per frame fed to the engine (default 20 ms)")
	fs.StringVar(&o.endOfMedia, "end-of-media", "silence", "when the caller file ends first: silence, hangup or stall")
	fs.BoolVar(&o.docsCasing, "docs-casing", false, "status as the docs spell it (completed) instead of the schema (Completed)")
	fs.BoolVar(&o.strictV1, "strict-v1", false, "v1.0 only: no completionReason, streamWhileRecording rejected")
	fs.BoolVar(&o.includeStopTone, "include-stop-tone", false, "keep the stop tone in the recording")
	fs.BoolVar(&o.trim, "trim-silence", false, "cut leading and trailing silence to 200 ms around the speech")
	fs.BoolVar(&o.noStopTonesInPrompt, "no-stop-tones-during-prompt", false, "stop tones count only from listen start")
	fs.BoolVar(&o.beepEcho, "beep-echo", false, "leak a −30 dB echo of the beep into the caller stream")
	fs.StringVar(&o.timeline, "timeline", "", "also write the operation's timeline as JSON to this file")
	fs.StringVar(&o.plot, "plot", "", "also draw the operation's timeline picture (PNG) to this file")
}

// outputs writes the side files the flags ask for.
func (o *opFlags) outputs(op *engine.Operation, caller []int16, id string) error {
	if o.timeline != "" {
		if err := writeTimeline(o.timeline, op, id); err != nil {
			return err
		}
	}
	if o.plot != "" {
		if err := writePNG(o.plot, op, caller); err != nil {
			return err
		}
	}
	return nil
}

// writePNG draws op's timeline picture into path, atomically.
func writePNG(path string, op *engine.Operation, caller []int16) error {
	return writeAtomic(path, func(f *os.File) error { return picture.WritePNG(f, op, caller) })
}

// writeAtomic writes a file through a temporary one renamed into place, so
// a failure never leaves a half-written file under the name.
func writeAtomic(path string, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".recsim-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

func runRecord(e *env, args []string) int {
	fs := newFlags(e, "record", "--caller CALLER.wav [--request REQUEST.json] [--out RECORDING.wav] [flags]", `
Runs one recordResponse operation on CALLER.wav (its sample 0 is the
operation's start) and prints the final recordOperation JSON. REQUEST.json is
the recordResponse body exactly as a bot POSTs it; without it every parameter
takes its default. A prompt's mediaInfo.uri is a local path (relative to the
request file) or a file:// URI. --out is written only when the result has a
recording (a stop tone during the prompt gives a valid WAV with 0 samples),
and recordingLocation is then its file:// URI.

Exit status: 0 whenever an operation ran (failed ones included); 2 on bad
input, with one line naming the file, field and value.`)
	var caller, request, out string
	var o opFlags
	fs.StringVar(&caller, "caller", "", "the caller's audio (any WAV format recsim reads)")
	fs.StringVar(&request, "request", "", "the recordResponse body (JSON)")
	fs.StringVar(&out, "out", "", "where to write the recording (WAV, mono 16-bit at the caller's rate)")
	o.register(fs)
	pos, err := parse(fs, args)
	if err == nil && len(pos) > 0 {
		err = fmt.Errorf("unexpected argument %q (the caller file goes after --caller)", pos[0])
	}
	if err == nil && caller == "" {
		err = errors.New("--caller CALLER.wav is required")
	}
	if err != nil {
		return fail(e, "record", err)
	}
	pcm, rate, req, dir, err := loadInputs(caller, request, o.strictV1)
	if err != nil {
		return fail(e, "record", err)
	}
	op, wire, err := o.run(req, pcm, rate, dir)
	if err != nil {
		return fail(e, "record", err)
	}
	view := graph.OperationView{ID: graph.NewID(), ClientContext: req.ClientContext, Status: op.Result().Status, Outcome: op.Result().Outcome}
	if op.HasRecording() && out != "" {
		abs, err := filepath.Abs(out)
		if err != nil {
			return fail(e, "record", err)
		}
		if err := writeWAV(abs, op.Recording(), rate); err != nil {
			fmt.Fprintf(e.stderr, "recsim record: %s\n", oneLine(err.Error()))
			return exitFailure
		}
		loc := "file://" + filepath.ToSlash(abs)
		view.Location = &loc
	}
	if err := o.outputs(op, pcm, view.ID); err != nil {
		fmt.Fprintf(e.stderr, "recsim record: %s\n", oneLine(err.Error()))
		return exitFailure
	}
	b, _ := json.MarshalIndent(view.Wire(wire), "", "  ")
	fmt.Fprintln(e.stdout, string(b))
	return exitOK
}

// loadInputs reads the caller WAV and the request (defaults without one);
// dir is where the request's relative prompt paths start.
func loadInputs(caller, request string, strictV1 bool) (pcm []int16, rate media.SampleRate, req engine.RecordRequest, dir string, err error) {
	if pcm, rate, err = media.ReadFile(caller); err != nil {
		return
	}
	body, dir := []byte(nil), "."
	if request != "" {
		if body, err = os.ReadFile(request); err != nil {
			return
		}
		dir = filepath.Dir(request)
	}
	if req, err = graph.ParseRecordRequest(body, strictV1); err != nil {
		err = fmt.Errorf("%s: %w", request, err)
	}
	return
}

// run runs req on pcm with the flags' switches.
func (o *opFlags) run(req engine.RecordRequest, pcm []int16, rate media.SampleRate, dir string) (*engine.Operation, graph.Options, error) {
	wire := graph.Options{DocsCasing: o.docsCasing, StrictV1: o.strictV1}
	eom, err := graph.ParseEndOfMedia(o.endOfMedia)
	if err != nil {
		return nil, wire, fmt.Errorf("--end-of-media: %w", err)
	}
	if o.frame < 0 {
		return nil, wire, fmt.Errorf("--frame = %d: must be a positive number of samples", o.frame)
	}
	opts := engine.DefaultOptions(rate)
	opts.IncludeStopTone = o.includeStopTone
	opts.TrimSilence = o.trim
	opts.StopTonesDuringPrompt = !o.noStopTonesInPrompt
	opts.Beep.Echo = o.beepEcho
	var prompt *engine.PromptAudio
	if len(req.Prompts) > 0 {
		prompt = scenario.ResolvePrompt(req.Prompts[0], dir)
	}
	op, err := engine.NewOperation(req, prompt, opts, 0)
	if err != nil {
		return nil, wire, err
	}
	op.ProcessAll(pcm, o.frame, eom)
	return op, wire, nil
}

// writeWAV writes pcm as a WAV file, atomically.
func writeWAV(path string, pcm []int16, rate media.SampleRate) error {
	return writeAtomic(path, func(f *os.File) error {
		w, err := media.NewWriter(f, rate)
		if err == nil {
			err = w.Write(pcm)
		}
		if err == nil {
			err = w.Close()
		}
		return err
	})
}

func writeTimeline(path string, op *engine.Operation, id string) error {
	entries := make([]graph.TimelineEntry, 0, len(op.Timeline()))
	for _, ev := range op.Timeline() {
		entries = append(entries, graph.Entry(ev, op.Rate(), id))
	}
	b, _ := json.MarshalIndent(map[string]any{"value": entries}, "", "  ")
	return writeAtomic(path, func(f *os.File) error {
		_, err := f.Write(append(b, '\n'))
		return err
	})
}
