package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/recsim/recsim/bench"
)

func runBench(e *env, args []string) int {
	fs := newFlags(e, "bench", "[flags]", `
Measures recsim on this machine and prints the figures with the machine
(CPU model, cores, Go version) and the date:

  1. throughput per core of the DTMF detector, the VAD, the full pipeline
     (one recordResponse: DTMF + VAD + beep + recording, then the WAV
     write) and the WAV writer, at 8 and 16 kHz, single-threaded;
  2. concurrency in real time: --calls calls fed 20 ms frames by the
     realtime runner for --seconds, each running chained recordResponses:
     frame lateness, CPU, memory per call, operations lost or duplicated;
  3. server load (with --server): calls through the mock server's HTTP
     handler over loopback, POST to notification;
  4. scaling: the runner's work at 1×, 2×, 4× and 8× the calls.

Audio comes from the embedded speech fixtures and synthesis: no file, no
network. A progress bar runs on stderr when it is a terminal, plain lines
otherwise. bench/README.md explains every figure.`)
	cfg := bench.DefaultConfig()
	var jsonOut bool
	var compare, only, cpuProfile string
	var server bool
	fs.IntVar(&cfg.Calls, "calls", cfg.Calls, "concurrent calls in the concurrency run (scaling: 1/8 to all of them)")
	fs.Float64Var(&cfg.Seconds, "seconds", cfg.Seconds, "length of the concurrency run, in seconds")
	fs.IntVar(&cfg.CallRate, "rate", cfg.CallRate, "the concurrency calls' media rate: 8000 or 16000")
	fs.IntVar(&cfg.RecordSeconds, "record-seconds", 10, "the concurrency operations' maxRecordDuration, 1-120 s (120: the memory run)")
	fs.IntVar(&cfg.Runs, "runs", cfg.Runs, "repeat every measurement K times; the table shows median [min–max]")
	fs.Float64Var(&cfg.KernelTime, "kernel-seconds", cfg.KernelTime, "measuring time per throughput kernel and rate, in seconds")
	fs.Float64Var(&cfg.SceneSeconds, "scene-seconds", cfg.SceneSeconds, "length of the throughput scene, in seconds")
	fs.IntVar(&cfg.ScaleTicks, "scale-frames", cfg.ScaleTicks, "frames per call at each scaling point")
	fs.BoolVar(&server, "server", false, "also measure server load through the mock server's HTTP handler")
	fs.IntVar(&cfg.ServerCalls, "server-calls", cfg.ServerCalls, "concurrent calls in the server load")
	fs.StringVar(&only, "only", "", "run only these sections, comma-separated: "+strings.Join(bench.Sections(), ", "))
	fs.BoolVar(&jsonOut, "json", false, "print the report as JSON (for machines and --compare)")
	fs.StringVar(&compare, "compare", "", "an earlier --json report: print each figure's ratio to it")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof reads it)")
	pos, err := parse(fs, args)
	if err == nil {
		err = wantArgs(pos, 0, "")
	}
	if err == nil && only != "" {
		cfg.Only = nil
		for s := range strings.SplitSeq(only, ",") {
			if s = strings.TrimSpace(s); s != "" {
				cfg.Only = append(cfg.Only, s)
			}
		}
	}
	if server && !strings.Contains(","+only+",", ","+bench.SectionServer+",") {
		cfg.Only = append(cfg.Only, bench.SectionServer)
	}
	if err == nil {
		err = cfg.Validate()
	}
	var old *bench.Report
	if err == nil && compare != "" {
		old, err = bench.ReadReport(compare)
	}
	var prof *os.File
	if err == nil && cpuProfile != "" {
		if prof, err = os.Create(cpuProfile); err != nil {
			err = fmt.Errorf("--cpuprofile: %w", err)
		} else if err = pprof.StartCPUProfile(prof); err != nil {
			prof.Close()
			err = fmt.Errorf("--cpuprofile %s: %w", cpuProfile, err)
		}
	}
	if err != nil {
		return fail(e, "bench", err)
	}
	if prof != nil {
		defer func() {
			pprof.StopCPUProfile()
			if err := prof.Close(); err != nil {
				fmt.Fprintf(e.stderr, "recsim bench: --cpuprofile %s: %s\n", cpuProfile, err)
			}
		}()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	prog := newProgress(e.stderr)
	cfg.Progress = prog
	rep, err := bench.Run(ctx, cfg)
	prog.wait()
	if err != nil {
		fmt.Fprintf(e.stderr, "recsim bench: %s\n", oneLine(err.Error()))
		return exitFailure
	}
	if jsonOut {
		err = rep.WriteJSON(e.stdout)
	} else {
		err = rep.WriteText(e.stdout)
	}
	if err == nil && old != nil {
		w := e.stdout
		if jsonOut { // stdout is for the JSON alone
			w = e.stderr
		} else {
			fmt.Fprintln(w)
		}
		err = bench.WriteCompare(w, old, rep)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "recsim bench: %s\n", oneLine(err.Error()))
		return exitFailure
	}
	return exitOK
}

// progress shows the harness's stages on w: a bar per stage when w is a
// terminal, one plain line per stage otherwise (logs, pipes, tests). It
// draws on stderr so that stdout carries only the table or the JSON.
type progress struct {
	w     io.Writer
	start time.Time
	bars  *mpb.Progress // nil: plain lines
	mu    sync.Mutex
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, start: time.Now()}
	if f, ok := w.(*os.File); ok && cupwriter.New(f, false).IsTerminal() {
		p.bars = mpb.New(mpb.WithOutput(f), mpb.WithWidth(32), mpb.WithRefreshRate(200*time.Millisecond))
	}
	return p
}

// Stage starts a bar, or prints the stage's line.
func (p *progress) Stage(name string, total int64) bench.Stage {
	if p.bars == nil {
		p.mu.Lock()
		fmt.Fprintf(p.w, "recsim bench: [%6.1f s] %s\n", time.Since(p.start).Seconds(), name)
		p.mu.Unlock()
		return plainStage{}
	}
	bar := p.bars.AddBar(max(total, 1),
		mpb.PrependDecorators(decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace})),
		mpb.AppendDecorators(decor.OnComplete(decor.Percentage(decor.WC{W: 5}), "done"), decor.Name(" "), decor.Elapsed(decor.ET_STYLE_GO)))
	return barStage{bar}
}

// wait lets the bars finish drawing.
func (p *progress) wait() {
	if p.bars != nil {
		p.bars.Wait()
	}
}

type plainStage struct{}

func (plainStage) Set(int64) {}
func (plainStage) Done()     {}

type barStage struct{ bar *mpb.Bar }

func (s barStage) Set(n int64) { s.bar.SetCurrent(n) }
func (s barStage) Done()       { s.bar.SetTotal(-1, true) }
