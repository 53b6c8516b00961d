package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

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

// outputs stages the side files the flags ask for in set.
func (o *opFlags) outputs(set *outputSet, op *engine.Operation, caller []int16, id string) {
	if o.timeline != "" {
		set.add(o.timeline, func(f *os.File) error { return writeTimeline(f, op, id) })
	}
	if o.plot != "" {
		set.add(o.plot, func(f *os.File) error { return picture.WritePNG(f, op, caller) })
	}
}

// outputSet writes a command's output files together: each is written
// whole to a temporary file beside its name, and only when every one has
// been written are they all renamed into place. On any failure none is
// left behind (docs/cli.md), not even a file an earlier step of the same
// command wrote.
type outputSet struct {
	staged []staged
	err    error
}

type staged struct{ tmp, path string }

// add writes one output to its temporary file; the first error is kept
// and later adds do nothing.
func (s *outputSet) add(path string, write func(*os.File) error) {
	if s.err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".recsim-*")
	if err != nil {
		s.err = fmt.Errorf("writing %s: %w", path, err)
		return
	}
	s.staged = append(s.staged, staged{tmp.Name(), path})
	err = write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644) // CreateTemp makes 0600; outputs are ordinary files
	}
	if err != nil {
		s.err = fmt.Errorf("writing %s: %w", path, err)
	}
}

// commit renames every output into place, or, after a failure, removes
// them all and returns the failure.
func (s *outputSet) commit() error {
	if s.err == nil {
		for i, st := range s.staged {
			if err := os.Rename(st.tmp, st.path); err != nil {
				for _, done := range s.staged[:i] { // the ones already in place go too
					os.Remove(done.path)
				}
				s.err = fmt.Errorf("writing %s: %w", st.path, err)
				break
			}
		}
		if s.err == nil {
			return nil
		}
	}
	for _, st := range s.staged {
		os.Remove(st.tmp)
	}
	return s.err
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
	view := graph.OperationView{ID: graph.NewID(), ClientContext: req.ClientContext, Status: graph.ResultStatus(op.Result()), Outcome: op.Result().Outcome}
	var set outputSet
	if op.Result().HasRecording && out != "" {
		abs, err := filepath.Abs(out)
		if err != nil {
			return fail(e, "record", err)
		}
		set.add(abs, func(f *os.File) error { return writeWAV(f, slices.Concat(op.RecordingParts()...), rate) })
		loc := "file://" + filepath.ToSlash(abs)
		view.Location = &loc
	}
	o.outputs(&set, op, pcm, view.ID)
	if err := set.commit(); err != nil {
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
	rd, err := media.Open(caller) // each input is opened once: pipes work
	if err != nil {
		return
	}
	defer rd.Close()
	rate = rd.Rate()
	if pcm, err = readAllCapped(rd, caller); err != nil {
		return
	}
	body, dir := []byte(nil), "."
	if request != "" {
		if body, err = readRequest(request); err != nil {
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

// maxRequestBytes caps a request file: Graph's own limit on JSON bodies.
const maxRequestBytes = 1 << 20

// readRequest reads a request file of at most maxRequestBytes.
func readRequest(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRequestBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxRequestBytes {
		return nil, fmt.Errorf("%s: more than 1 MiB: a recordResponse body is at most 1 MiB", path)
	}
	return b, nil
}

// writeWAV writes pcm to f as a WAV file.
func writeWAV(f *os.File, pcm []int16, rate media.SampleRate) error {
	w, err := media.NewWriter(f, rate)
	if err == nil {
		err = w.Write(pcm)
	}
	if err == nil {
		err = w.Close()
	}
	return err
}

func writeTimeline(f *os.File, op *engine.Operation, id string) error {
	b, _ := json.MarshalIndent(map[string]any{"value": graph.Timeline(op.Timeline(), op.Span().Rate, id)}, "", "  ")
	_, err := f.Write(append(b, '\n'))
	return err
}
