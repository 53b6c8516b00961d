package bench

import (
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/recsim/recsim/dtmf"
	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/vad"
)

// Kernel names, in table order.
const (
	KernelDTMF     = "dtmf"
	KernelVAD      = "vad"
	KernelPipeline = "pipeline"
	KernelWAV      = "wav write"
)

// Kernels lists the throughput kernels in table order (a new slice each
// call).
func Kernels() []string { return []string{KernelDTMF, KernelVAD, KernelPipeline, KernelWAV} }

// KernelTarget returns a kernel's throughput target at 8 kHz, in samples
// per second on one core (0: none). The figures are the project's targets
// (bench/README.md): the DTMF detector twice spandsp's dtmf_rx on speech
// as bench/spandsp measured it (1.75e8 samples/s on the reference
// machine), the VAD 3e8, the whole pipeline 15 000 times real time.
func KernelTarget(kernel string) float64 {
	switch kernel {
	case KernelDTMF:
		return 3.5e8
	case KernelVAD:
		return 3e8
	case KernelPipeline:
		return 15000 * 8000
	}
	return 0
}

// PipelineRequest is the recordResponse the pipeline kernel runs: long
// timers, so that the operation lasts the whole scene and ends on its stop
// tone.
const PipelineRequest = `{"stopTones": ["#"], "maxRecordDurationInSeconds": 120, "initialSilenceTimeoutInSeconds": 5, "maxSilenceTimeoutInSeconds": 5}`

// Kernel is one hot path run over a scene frame by frame: Begin once per
// pass, Frame for each 20 ms frame until it returns false, End to finish
// the pass; End returns the samples the pass handled. A Kernel reuses its
// buffers from pass to pass.
type Kernel struct {
	Name  string
	Begin func()
	Frame func(pcm []int16) bool
	End   func() int64
	// Check says what went wrong in the last pass, if anything (the
	// pipeline checks that its operation ended on the stop tone).
	Check func() error
}

// FrameSamples is the frame the kernels are fed: 20 ms, the engine's.
func FrameSamples(rate int) int { return int(media.SampleRate(rate).N(media.FrameDuration)) }

// NewKernel returns the named kernel over sc.
func NewKernel(name string, sc *Scene) (*Kernel, error) {
	rate := sc.Rate
	n := int64(len(sc.PCM))
	switch name {
	case KernelDTMF:
		d, err := dtmf.New(dtmf.DefaultConfig(rate))
		if err != nil {
			return nil, err
		}
		// Room for every event of a pass, so that appending never grows
		// the slice (the detector's allocations are what is counted).
		ev := make([]dtmf.Event, 0, 1024)
		return &Kernel{Name: name,
			Begin: func() { d.Reset(); ev = ev[:0] },
			Frame: func(pcm []int16) bool { ev = d.Process(ev, pcm); return true },
			End:   func() int64 { ev = d.Flush(ev); return n },
		}, nil
	case KernelVAD:
		d, err := vad.New(vad.DefaultConfig(rate))
		if err != nil {
			return nil, err
		}
		ev := make([]vad.Event, 0, 1024)
		return &Kernel{Name: name,
			Begin: func() { d.Reset() },
			Frame: func(pcm []int16) bool { ev = d.Process(ev[:0], pcm); return true },
			End:   func() int64 { ev = d.Flush(ev[:0]); return n },
		}, nil
	case KernelPipeline:
		return newPipeline(sc)
	case KernelWAV:
		var f media.MemFile
		f.Grow(media.HeaderSize + 2*len(sc.PCM))
		var w *media.Writer
		var err error
		return &Kernel{Name: name,
			Begin: func() {
				f.Reset()
				if w, err = media.NewWriter(&f, media.SampleRate(rate)); err != nil {
					panic(err) // the rate was validated by the scene
				}
			},
			Frame: func(pcm []int16) bool { err = w.Write(pcm); return err == nil },
			End: func() int64 {
				if cerr := w.Close(); err == nil {
					err = cerr
				}
				return w.Samples()
			},
			Check: func() error {
				if err == nil && int64(f.Len()) != media.HeaderSize+2*n {
					err = fmt.Errorf("wav write: %d bytes, want %d", f.Len(), media.HeaderSize+2*n)
				}
				return err
			},
		}, nil
	}
	return nil, fmt.Errorf("bench: no kernel %q (have %v)", name, Kernels())
}

// newPipeline is one recordResponse over the scene: DTMF + VAD + beep +
// recording to memory, then the recording written as a WAV file to memory.
func newPipeline(sc *Scene) (*Kernel, error) {
	rate := media.SampleRate(sc.Rate)
	req, err := graph.ParseRecordRequest([]byte(PipelineRequest), false)
	if err != nil {
		return nil, err
	}
	opts := engine.DefaultOptions(rate)
	opts.Cache = engine.NewCache(0)
	if _, err := engine.NewOperation(req, nil, opts, 0); err != nil {
		return nil, err
	}
	var f media.MemFile
	f.Grow(media.HeaderSize + 2*len(sc.PCM))
	var op *engine.Operation
	var werr error
	return &Kernel{Name: KernelPipeline,
		Begin: func() {
			op, _ = engine.NewOperation(req, nil, opts, 0) // the same arguments succeeded above
			f.Reset()
		},
		Frame: func(pcm []int16) bool {
			op.Process(pcm)
			return !op.Done()
		},
		End: func() int64 {
			for !op.Done() { // only if the scene failed to end it; Check says so
				op.Process(sc.PCM[:FrameSamples(sc.Rate)])
			}
			w, err := media.NewWriter(&f, rate)
			if err == nil {
				err = w.Write(slices.Concat(op.RecordingParts()...))
			}
			if err == nil {
				err = w.Close()
			}
			werr = err
			return op.Span().End - op.Span().Start
		},
		Check: func() error {
			if werr != nil {
				return werr
			}
			if op.Result().Outcome != engine.OutStopTone {
				return fmt.Errorf("pipeline: the operation ended with %s at %.2f s, not on the stop tone at %.2f s (detectors under tuning?)",
					op.Result().Reason, rate.Ms(op.Span().End)/1000, float64(sc.StopAt)/float64(sc.Rate))
			}
			return nil
		},
	}, nil
}

// pass runs k once over pcm in frames of n samples; it returns the
// samples handled and the frames fed.
func (k *Kernel) pass(pcm []int16, n int) (samples, frames int64) {
	k.Begin()
	for i := 0; i < len(pcm); i += n {
		frames++
		if !k.Frame(pcm[i:min(i+n, len(pcm))]) {
			break
		}
	}
	return k.End(), frames
}

// ThroughputRun is one measurement of one kernel at one rate.
type ThroughputRun struct {
	Passes         int     `json:"passes"`
	Samples        int64   `json:"samples"`        // samples handled in the timed passes
	Seconds        float64 `json:"seconds"`        // wall time of the timed passes
	SamplesPerSec  float64 `json:"samplesPerSec"`  // Samples / Seconds
	XRealtime      float64 `json:"xRealtime"`      // SamplesPerSec / rate
	NsPerSample    float64 `json:"nsPerSample"`    // 1e9 / SamplesPerSec
	AllocsPerFrame float64 `json:"allocsPerFrame"` // heap allocations per frame, steady state (Frame calls only)
	AllocsPerPass  float64 `json:"allocsPerPass"`  // heap allocations of a whole pass (Begin and End included)
	OtherCores     float64 `json:"otherCores"`     // CPU other processes used meanwhile, in cores (NaN: not measured)
	Error          string  `json:"error,omitempty"`
}

// measure runs k over sc for at least budget (after one warm-up pass),
// on one goroutine locked to its thread.
func measure(k *Kernel, sc *Scene, budget time.Duration, stage Stage) ThroughputRun {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n := FrameSamples(sc.Rate)
	var run ThroughputRun

	// A warm-up pass (buffers that grow once grow here), then a pass
	// counting allocations: those of Frame alone (steady state), and of the
	// whole pass.
	k.pass(sc.PCM, n)
	runtime.GC()
	var m0, m1, m2, m3 runtime.MemStats
	runtime.ReadMemStats(&m0)
	k.Begin()
	runtime.ReadMemStats(&m1)
	frames := 0
	for i := 0; i < len(sc.PCM); i += n {
		frames++
		if !k.Frame(sc.PCM[i:min(i+n, len(sc.PCM))]) {
			break
		}
	}
	runtime.ReadMemStats(&m2)
	k.End()
	runtime.ReadMemStats(&m3)
	run.AllocsPerFrame = float64(m2.Mallocs-m1.Mallocs) / float64(max(frames, 1))
	run.AllocsPerPass = float64(m3.Mallocs - m0.Mallocs)
	if k.Check != nil {
		if err := k.Check(); err != nil {
			run.Error = err.Error()
		}
	}

	load := startLoad()
	start := time.Now()
	for {
		s, _ := k.pass(sc.PCM, n)
		run.Samples += s
		run.Passes++
		el := time.Since(start)
		stage.Set(min(int64(el/time.Millisecond), int64(budget/time.Millisecond)))
		if el >= budget {
			break
		}
	}
	wall := time.Since(start)
	run.OtherCores = load.others(wall)
	run.Seconds = wall.Seconds()
	run.SamplesPerSec = float64(run.Samples) / run.Seconds
	run.XRealtime = run.SamplesPerSec / float64(sc.Rate)
	run.NsPerSample = 1e9 / run.SamplesPerSec
	return run
}
