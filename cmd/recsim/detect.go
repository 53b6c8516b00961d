package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/recsim/recsim/dtmf"
	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/vad"
)

// maxAudioSeconds caps what a command reads from one input: 2 h of audio
// (a caller file longer than any call a test needs; at 48 kHz it is 660 MB
// of samples), so a endless pipe or a huge file fails with a clear error
// instead of taking the machine's memory.
const maxAudioSeconds = 2 * 60 * 60

// streamFile opens path once (pipes, FIFOs and process substitution work),
// calls start with its rate, then feeds its samples to fn in 20 ms frames
// without holding the file in memory (see feedCapped).
func streamFile(path string, start func(media.SampleRate) error, fn func(pcm []int16)) (media.SampleRate, error) {
	rd, err := media.Open(path)
	if err != nil {
		return 0, err
	}
	defer rd.Close()
	if err := start(rd.Rate()); err != nil {
		return 0, err
	}
	if err := feedCapped(rd, path, fn); err != nil {
		return 0, err
	}
	return rd.Rate(), nil
}

// feedCapped feeds rd's samples to fn in 20 ms frames (fn must not keep
// the slice) and stops with an error naming name once they pass
// maxAudioSeconds: at once when the header already says so, else when
// the stream gets there.
func feedCapped(rd *media.Reader, name string, fn func(pcm []int16)) error {
	rate := rd.Rate()
	limit := int64(maxAudioSeconds) * int64(rate)
	tooLong := fmt.Errorf("%s: longer than %d h of audio at %d Hz, the most recsim reads from one input", name, maxAudioSeconds/3600, int(rate))
	if rd.Len() > limit {
		return tooLong
	}
	buf := make([]int16, int(rate)/50)
	var total int64
	for {
		n, err := rd.Read(buf)
		if total += int64(n); total > limit {
			return tooLong
		}
		if n > 0 {
			fn(buf[:n])
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readAllCapped reads every sample of rd (see feedCapped).
func readAllCapped(rd *media.Reader, name string) ([]int16, error) {
	out := make([]int16, 0, min(max(rd.Len(), 0), 1<<20)) // as media.ReadAll sizes it
	err := feedCapped(rd, name, func(pcm []int16) { out = append(out, pcm...) })
	return out, err
}

type digitJSON struct {
	Digit    string  `json:"digit"`
	OnsetMs  float64 `json:"onset_ms"`
	OffsetMs float64 `json:"offset_ms"`
}

func runDTMF(e *env, args []string) int {
	fs := newFlags(e, "dtmf", "FILE.wav [--json]", `
Detects DTMF digits in FILE.wav (any WAV format recsim reads) and prints them
on one line (an empty line if none). With --json it prints
{"digits": "...", "events": [{"digit", "onset_ms", "offset_ms"}, ...]}.`)
	asJSON := fs.Bool("json", false, "print JSON with each digit's onset and offset in ms")
	pos, err := parse(fs, args)
	if err == nil {
		err = wantArgs(pos, 1, "FILE.wav")
	}
	if err != nil {
		return fail(e, "dtmf", err)
	}
	var det *dtmf.Detector
	var events []dtmf.Event
	rate, err := streamFile(pos[0], func(r media.SampleRate) (err error) {
		det, err = dtmf.New(dtmf.DefaultConfig(int(r)))
		return err
	}, func(pcm []int16) { events = det.Process(events, pcm) })
	if err != nil {
		return fail(e, "dtmf", err)
	}
	events = det.Flush(events)
	digits := make([]byte, 0, len(events))
	list := make([]digitJSON, 0, len(events))
	for _, ev := range events {
		if ev.Kind == dtmf.KeyUp {
			digits = append(digits, ev.Digit)
			list = append(list, digitJSON{Digit: string(ev.Digit), OnsetMs: ms(rate, ev.Onset), OffsetMs: ms(rate, ev.Release)})
		}
	}
	if !*asJSON {
		fmt.Fprintln(e.stdout, string(digits))
		return exitOK
	}
	b, _ := json.Marshal(map[string]any{"digits": string(digits), "events": list})
	fmt.Fprintln(e.stdout, string(b))
	return exitOK
}

// ms converts a sample index to milliseconds rounded to 0.1 ms.
func ms(rate media.SampleRate, n int64) float64 {
	v := rate.Ms(n)
	return float64(int64(v*10+0.5)) / 10
}

func runVAD(e *env, args []string) int {
	fs := newFlags(e, "vad", "FILE.wav", `
Runs the voice activity detector over FILE.wav (any WAV format recsim reads)
and prints one "start_ms end_ms" line per speech segment, as the engine uses
them: start is the first speech sample, end is one past the last speech
sample (hangover excluded), both in whole milliseconds from the file's start.`)
	pos, err := parse(fs, args)
	if err == nil {
		err = wantArgs(pos, 1, "FILE.wav")
	}
	if err != nil {
		return fail(e, "vad", err)
	}
	var det *vad.Detector
	var events []vad.Event
	rate, err := streamFile(pos[0], func(r media.SampleRate) (err error) {
		det, err = vad.New(vad.DefaultConfig(int(r)))
		return err
	}, func(pcm []int16) { events = det.Process(events, pcm) })
	if err != nil {
		return fail(e, "vad", err)
	}
	events = det.Flush(events)
	start := int64(-1)
	for _, ev := range events {
		switch ev.Kind {
		case vad.SpeechStart:
			start = ev.Sample
		case vad.SpeechEnd:
			if start >= 0 {
				fmt.Fprintf(e.stdout, "%d %d\n", roundMs(rate, start), roundMs(rate, ev.Sample))
			}
			start = -1
		}
	}
	return exitOK
}

func roundMs(rate media.SampleRate, n int64) int64 { return (n*1000 + int64(rate)/2) / int64(rate) }
