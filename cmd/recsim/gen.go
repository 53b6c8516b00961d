package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/recsim/recsim/engine/scenario"
)

func runGen(e *env, args []string) int {
	fs := newFlags(e, "gen", "SCENARIO.json -o OUT.wav", `
Renders a scenario's caller audio (segments of silence, speech clips, DTMF,
tones, noise, WAV files; background noise) to a WAV file at the scenario's
rate. The scenario format is described in the README.`)
	var out string
	fs.StringVar(&out, "o", "", "the WAV file to write")
	pos, err := parse(fs, args)
	if err == nil {
		err = wantArgs(pos, 1, "SCENARIO.json")
	}
	if err == nil && out == "" {
		err = errors.New("-o OUT.wav is required")
	}
	if err != nil {
		return fail(e, "gen", err)
	}
	s, err := scenario.Load(pos[0])
	if err != nil {
		return fail(e, "gen", err)
	}
	audio, err := s.Build(pos[0], filepath.Dir(pos[0]))
	if err != nil {
		return fail(e, "gen", err)
	}
	var set outputSet
	set.add(out, func(f *os.File) error { return writeWAV(f, audio.PCM, audio.Rate) })
	if err := set.commit(); err != nil {
		fmt.Fprintf(e.stderr, "recsim gen: %s\n", oneLine(err.Error()))
		return exitFailure
	}
	fmt.Fprintf(e.stdout, "%s: %d samples at %d Hz (%.2f s)%s\n", out, len(audio.PCM), int(audio.Rate),
		float64(len(audio.PCM))/float64(audio.Rate), map[bool]string{true: ", then the caller hangs up", false: ""}[audio.Hangup])
	return exitOK
}
