package main

import (
	"fmt"

	"github.com/recsim/recsim/media"
)

func runWavinfo(e *env, args []string) int {
	fs := newFlags(e, "wavinfo", "FILE.wav", `
Prints the format of FILE.wav as recsim reads it (rate, channels, encoding,
bits, WAVE_FORMAT_EXTENSIBLE), its length, and its level after the down-mix
to mono. Exits 2 with one line naming the file, field and value if recsim
cannot read it.`)
	pos, err := parse(fs, args)
	if err == nil {
		err = wantArgs(pos, 1, "FILE.wav")
	}
	if err != nil {
		return fail(e, "wavinfo", err)
	}
	rd, err := media.Open(pos[0]) // once: pipes and process substitution work
	if err != nil {
		return fail(e, "wavinfo", err)
	}
	defer rd.Close()
	f, rate := rd.Format(), rd.Rate()
	pcm, err := readAllCapped(rd, pos[0])
	if err != nil {
		return fail(e, "wavinfo", err)
	}
	fmt.Fprintf(e.stdout, "%s: %d Hz, %d channel(s), %s %d-bit%s, %d samples (%.3f s), %.1f dBFS\n",
		pos[0], int(rate), f.Channels, f.Encoding, f.Bits, map[bool]string{true: " extensible", false: ""}[f.Extensible],
		len(pcm), float64(len(pcm))/float64(rate), media.Level(pcm))
	return exitOK
}
