package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/recsim/recsim/dtmf"
	"github.com/recsim/recsim/media"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2) // the flag package has printed why
	case err != nil:
		fmt.Fprintln(os.Stderr, "gorx:", err)
		os.Exit(1)
	}
}

// errUsage reports bad flags, which the flag package has already printed.
var errUsage = errors.New("usage")

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gorx", flag.ContinueOnError)
	fs.SetOutput(stderr)
	minCPU := fs.Duration("min-cpu", time.Second, "CPU time the timed passes must reach, at least")
	block := fs.Int("block", 0, "samples per Process call (default: 20 ms at the file's rate, 160 at 8 kHz)")
	write := fs.String("write", "", "write one of the comparison's inputs (a WAV file at 8000 Hz) to this path and exit")
	input := fs.String("input", "mix", "with -write, which input: mix (speech clips, a key press after each) or tones (key presses back to back)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if *write != "" {
		if fs.NArg() != 0 {
			return errors.New("-write takes no FILE")
		}
		return writeInput(*write, *input, stdout)
	}
	if fs.NArg() != 1 {
		return errors.New("usage: gorx [-min-cpu 1s] [-block N] FILE | gorx -write OUT.wav [-input mix|tones]")
	}
	if *block < 0 {
		return fmt.Errorf("-block %d: must be at least 1 (0: 20 ms)", *block)
	}
	if *minCPU <= 0 {
		return fmt.Errorf("-min-cpu %v: must be positive", *minCPU)
	}
	path := fs.Arg(0)
	pcm, rate, err := readAudio(path)
	if err != nil {
		return err
	}
	if len(pcm) == 0 {
		return fmt.Errorf("%s: no samples", path)
	}
	det, err := dtmf.New(dtmf.DefaultConfig(int(rate)))
	if err != nil {
		return err
	}
	if *block == 0 {
		*block = int(rate) / 50
	}
	res, err := measure(det, pcm, *block, *minCPU)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "detector   recsim dtmf.Detector, DefaultConfig(%d)\n", rate)
	res.print(stdout, path, int(rate), len(pcm), *block)
	return nil
}

// readAudio reads a WAV file, or headerless s16le mono PCM at 8000 Hz.
func readAudio(path string) ([]int16, media.SampleRate, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if bytes.HasPrefix(raw, []byte("RIFF")) {
		return media.ReadFile(path)
	}
	if len(raw)%2 != 0 {
		return nil, 0, fmt.Errorf("%s: raw PCM of %d bytes, not a whole number of 16-bit samples", path, len(raw))
	}
	pcm := make([]int16, len(raw)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return pcm, 8000, nil
}

// result is what measure found; both drivers print the same fields.
type result struct {
	passes int
	cpu    time.Duration // thread CPU time of the timed calls (0: not measured)
	wall   time.Duration // monotonic time of the timed calls
	digits string        // KeyDown digits of one pass
}

// measure runs det over pcm in blocks of block samples: one warm-up pass,
// then passes until their thread CPU time reaches minCPU.
func measure(det *dtmf.Detector, pcm []int16, block int, minCPU time.Duration) (result, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if _, ok := threadCPU(); !ok {
		return result{}, errors.New("cannot read the thread's CPU time (CLOCK_THREAD_CPUTIME_ID) on this system")
	}

	// The event slice grows during the warm-up pass and is reused after:
	// the timed passes allocate nothing.
	var events []dtmf.Event
	pass := func() (cpu, wall time.Duration) {
		det.Reset()
		events = events[:0]
		c0, _ := threadCPU()
		w0 := time.Now()
		for i := 0; i < len(pcm); i += block {
			events = det.Process(events, pcm[i:min(i+block, len(pcm))])
		}
		events = det.Flush(events)
		wall = time.Since(w0)
		c1, _ := threadCPU()
		return c1 - c0, wall
	}

	pass()
	var res result
	res.digits = keyDowns(events)
	for res.cpu < minCPU {
		c, w := pass()
		res.cpu += c
		res.wall += w
		res.passes++
		if got := keyDowns(events); got != res.digits {
			return res, fmt.Errorf("pass %d heard %q, the warm-up pass %q", res.passes, got, res.digits)
		}
	}
	return res, nil
}

func keyDowns(events []dtmf.Event) string {
	var b []byte
	for _, e := range events {
		if e.Kind == dtmf.KeyDown {
			b = append(b, e.Digit)
		}
	}
	return string(b)
}

// print writes the result in the format c/dtmf_rx_bench.c uses.
func (r result) print(w io.Writer, path string, rate, samples, block int) {
	total := float64(samples) * float64(r.passes)
	cpuRate := total / r.cpu.Seconds()
	wallRate := total / r.wall.Seconds()
	fmt.Fprintf(w, "file       %s: %d Hz, %d samples (%.1f s)\n", path, rate, samples, float64(samples)/float64(rate))
	fmt.Fprintf(w, "passes     %d after 1 warm-up, blocks of %d samples\n", r.passes, block)
	fmt.Fprintf(w, "time       %.3f s thread CPU, %.3f s wall\n", r.cpu.Seconds(), r.wall.Seconds())
	fmt.Fprintf(w, "samples/s  %.4g cpu %.4g wall\n", cpuRate, wallRate)
	fmt.Fprintf(w, "realtime   %.0f cpu %.0f wall\n", cpuRate/float64(rate), wallRate/float64(rate))
	fmt.Fprintf(w, "digits     %d %s\n", len(r.digits), r.digits)
}
