package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/engine/picture"
)

func runPlot(e *env, args []string) int {
	fs := newFlags(e, "plot", "--caller CALLER.wav [--request REQUEST.json] -o FILE.png", `
Runs one recordResponse operation on CALLER.wav, like 'recsim record', and
draws its timeline: the caller's waveform, the phases (prompt, beep,
listen), the speech the VAD found, the digits, the timers and the
completion point labelled with completionReason and subcode, and the
outbound prompt and beep on a second lane.`)
	var caller, request, out string
	var o opFlags
	fs.StringVar(&caller, "caller", "", "the caller's audio (any WAV format recsim reads)")
	fs.StringVar(&request, "request", "", "the recordResponse body (JSON)")
	fs.StringVar(&out, "o", "", "the PNG file to write")
	o.register(fs)
	pos, err := parse(fs, args)
	if err == nil && len(pos) > 0 {
		err = fmt.Errorf("unexpected argument %q", pos[0])
	}
	if err == nil && caller == "" {
		err = errors.New("--caller CALLER.wav is required")
	}
	if err == nil && out == "" {
		err = errors.New("-o FILE.png is required")
	}
	if err != nil {
		return fail(e, "plot", err)
	}
	pcm, rate, req, dir, err := loadInputs(caller, request, o.strictV1)
	if err != nil {
		return fail(e, "plot", err)
	}
	op, _, err := o.run(req, pcm, rate, dir)
	if err != nil {
		return fail(e, "plot", err)
	}
	var set outputSet
	set.add(out, func(f *os.File) error { return picture.WritePNG(f, op, pcm) })
	o.outputs(&set, op, pcm, graph.NewID()) // --timeline, and --plot if given too
	if err := set.commit(); err != nil {
		fmt.Fprintf(e.stderr, "recsim plot: %s\n", oneLine(err.Error()))
		return exitFailure
	}
	r := op.Result()
	fmt.Fprintf(e.stdout, "%s: %s, %s %d/%d at %.3f s\n", out, r.Reason, graph.ResultStatus(r), r.Code, r.Subcode, float64(op.Span().End)/float64(rate))
	return exitOK
}
