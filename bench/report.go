package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/engine/runner"
)

// Section names, for Config.Only.
const (
	SectionThroughput  = "throughput"
	SectionConcurrency = "concurrency"
	SectionServer      = "server"
	SectionScaling     = "scaling"
)

// Sections lists the sections in the order they run and print (a new
// slice each call).
func Sections() []string {
	return []string{SectionThroughput, SectionConcurrency, SectionServer, SectionScaling}
}

// Config is what a harness run measures.
type Config struct {
	Rates        []int   `json:"rates"`        // throughput rates (8000, 16000)
	SceneSeconds float64 `json:"sceneSeconds"` // throughput scene length
	KernelTime   float64 `json:"kernelTime"`   // seconds of measuring per kernel and rate
	Calls        int     `json:"calls"`        // concurrency calls
	Seconds      float64 `json:"seconds"`      // concurrency run length
	CallRate     int     `json:"callRate"`     // the concurrency calls' media rate
	// RecordSeconds is the concurrency operations' maxRecordDuration
	// (0: 10 s); 120 is the memory run (bench/README.md).
	RecordSeconds int `json:"recordSeconds,omitempty"`
	ScaleTicks    int `json:"scaleTicks"`  // frames per call at each scaling point
	ServerCalls   int `json:"serverCalls"` // server load: concurrent calls
	Runs          int `json:"runs"`        // repetitions of every measurement
	// Only lists the sections to run (nil: throughput, concurrency,
	// scaling; the server section runs only when named here).
	Only []string `json:"only"`

	Clock    runner.Clock `json:"-"` // the realtime runner's clock; nil: the wall clock
	Progress Progress     `json:"-"` // nil: NoProgress
}

// DefaultConfig is `recsim bench` with no flags. The concurrency run lasts
// 10 s, not the 30 s: `go run ./cmd/recsim bench` must finish in 3
// minutes on a fresh clone of this 2-core machine, and with an empty build
// cache on a busy machine the build alone took 140 s (the whole took 195 s
// with 30 s). 10 s is 500 frames of each of 10 000 calls: 5 million
// lateness samples, and every call ends two or three operations.
func DefaultConfig() Config {
	return Config{Rates: []int{8000, 16000}, SceneSeconds: 60, KernelTime: 1, Calls: 10000, Seconds: 10,
		CallRate: 8000, ScaleTicks: 100, ServerCalls: 200, Runs: 1,
		Only: []string{SectionThroughput, SectionConcurrency, SectionScaling}}
}

func (c Config) has(section string) bool { return slices.Contains(c.Only, section) }

// recordSeconds is RecordSeconds with its default.
func (c Config) recordSeconds() int {
	if c.RecordSeconds == 0 {
		return defaultRecordSeconds
	}
	return c.RecordSeconds
}

// Validate names the first bad field.
func (c Config) Validate() error {
	for _, s := range c.Only {
		if !slices.Contains(Sections(), s) {
			return fmt.Errorf("section %q: must be one of %s", s, strings.Join(Sections(), ", "))
		}
	}
	for _, r := range c.Rates {
		if r != 8000 && r != 16000 {
			return fmt.Errorf("rate %d: the speech fixtures exist at 8000 and 16000 Hz", r)
		}
	}
	switch {
	case c.CallRate != 8000 && c.CallRate != 16000:
		return fmt.Errorf("call rate %d: must be 8000 or 16000", c.CallRate)
	case c.Runs < 1:
		return fmt.Errorf("runs = %d: must be at least 1", c.Runs)
	case c.Calls < 1:
		return fmt.Errorf("calls = %d: must be at least 1", c.Calls)
	case c.RecordSeconds < 0 || c.RecordSeconds > graph.MaxTimerSeconds:
		return fmt.Errorf("record seconds = %d: must be in [%d, %d] (0: %d)", c.RecordSeconds, graph.MinTimerSeconds, graph.MaxTimerSeconds, defaultRecordSeconds)
	case c.Seconds <= 0 || c.Seconds > 3600:
		return fmt.Errorf("seconds = %g: must be in (0, 3600]", c.Seconds)
	case c.SceneSeconds < 1 || c.SceneSeconds > 600:
		return fmt.Errorf("scene seconds = %g: must be in [1, 600]", c.SceneSeconds)
	case c.KernelTime <= 0:
		return fmt.Errorf("kernel time = %g: must be positive", c.KernelTime)
	case c.ScaleTicks < 1:
		return fmt.Errorf("scale ticks = %d: must be at least 1", c.ScaleTicks)
	case c.ServerCalls < 1:
		return fmt.Errorf("server calls = %d: must be at least 1", c.ServerCalls)
	}
	return nil
}

// Report is a harness run: every figure with the machine and date it was
// measured on. It is what --json prints and --compare reads.
type Report struct {
	Tool    string    `json:"tool"` // "recsim bench"
	Date    time.Time `json:"date"`
	Machine Machine   `json:"machine"`
	Config  Config    `json:"config"`
	Elapsed float64   `json:"elapsedSeconds"`

	Throughput  []ThroughputResult `json:"throughput,omitempty"`
	Scene       *SceneInfo         `json:"scene,omitempty"`
	Concurrency *ConcurrencyResult `json:"concurrency,omitempty"`
	Server      *ServerResult      `json:"server,omitempty"`
	Scaling     []ScalingResult    `json:"scaling,omitempty"`
}

// SceneInfo describes the throughput scene.
type SceneInfo struct {
	Seconds    float64 `json:"seconds"`
	Utterances int     `json:"utterances"`
	Digits     string  `json:"digits"`
}

// ThroughputResult is one kernel at one rate over the runs.
type ThroughputResult struct {
	Kernel         string          `json:"kernel"`
	Rate           int             `json:"rate"`
	SamplesPerSec  Stat            `json:"samplesPerSec"`
	XRealtime      Stat            `json:"xRealtime"`
	NsPerSample    Stat            `json:"nsPerSample"`
	AllocsPerFrame Stat            `json:"allocsPerFrame"`
	AllocsPerPass  Stat            `json:"allocsPerPass"`
	OtherCores     Stat            `json:"otherCores"`
	Target         float64         `json:"target,omitempty"` // samples/s, 8 kHz only
	Error          string          `json:"error,omitempty"`
	Runs           []ThroughputRun `json:"runs"`
}

// ConcurrencyResult is the realtime run over the runs.
type ConcurrencyResult struct {
	Calls int `json:"calls"`
	Rate  int `json:"rate"`
	// RecordSeconds is the operations' maxRecordDuration.
	RecordSeconds int              `json:"recordSeconds"`
	Seconds       float64          `json:"seconds"` // asked for
	LateP50       Stat             `json:"lateP50Ms"`
	LateP99       Stat             `json:"lateP99Ms"`
	LateMax       Stat             `json:"lateMaxMs"`
	TickP99       Stat             `json:"tickP99Ms"`
	TicksMissed   Stat             `json:"ticksMissed"`
	CPUCores      Stat             `json:"cpuCores"`
	HeapPerCall   Stat             `json:"heapPerCall"`
	BeyondAudio   Stat             `json:"beyondAudioPerCall"` // heap per call beyond the recorded audio
	HeapInUse     Stat             `json:"heapInUse"`          // all calls
	Completed     Stat             `json:"completed"`
	OpsPerSec     Stat             `json:"opsPerSec"`
	Lost          Stat             `json:"lost"`
	Duplicated    Stat             `json:"duplicated"`
	Wrong         Stat             `json:"wrong"`
	OtherCores    Stat             `json:"otherCores"`
	Runs          []ConcurrencyRun `json:"runs"`
}

// ScalingResult is one scaling point over the runs.
type ScalingResult struct {
	Factor        int          `json:"factor"`
	Calls         int          `json:"calls"`
	Ticks         int          `json:"ticks"`
	WallPerTick   Stat         `json:"wallPerTickMs"`
	CPUPerCallSec Stat         `json:"cpuPerCallSecMs"`
	HeapPerCall   Stat         `json:"heapPerCall"`
	Capacity      Stat         `json:"capacity"`
	OtherCores    Stat         `json:"otherCores"`
	Runs          []ScalingRun `json:"runs"`
}

// Run runs the harness with cfg.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := cfg.Progress
	if p == nil {
		p = NoProgress{}
	}
	rep := &Report{Tool: "recsim bench", Date: time.Now().UTC().Truncate(time.Second), Machine: DetectMachine(), Config: cfg}
	start := time.Now()
	if cfg.has(SectionThroughput) {
		if err := rep.throughput(ctx, cfg, p); err != nil {
			return nil, err
		}
	}
	if cfg.has(SectionConcurrency) {
		var runs []ConcurrencyRun
		for range cfg.Runs {
			run, err := concurrency(ctx, cfg.Calls, cfg.CallRate, cfg.recordSeconds(), time.Duration(cfg.Seconds*float64(time.Second)), cfg.Clock, p)
			if err != nil {
				return nil, err
			}
			runs = append(runs, run)
		}
		rep.Concurrency = concurrencyResult(cfg, runs)
	}
	if cfg.has(SectionServer) {
		var runs []ServerRun
		for range cfg.Runs {
			run, err := serverLoad(ctx, cfg.ServerCalls, p)
			if err != nil {
				return nil, err
			}
			runs = append(runs, run)
		}
		rep.Server = serverResult(cfg, runs)
	}
	if cfg.has(SectionScaling) {
		byFactor := map[int][]ScalingRun{}
		for range cfg.Runs {
			runs, err := scaling(cfg.Calls, cfg.CallRate, cfg.ScaleTicks, p)
			if err != nil {
				return nil, err
			}
			for _, r := range runs {
				byFactor[r.Factor] = append(byFactor[r.Factor], r)
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		for _, f := range ScaleFactors() {
			runs := byFactor[f]
			rep.Scaling = append(rep.Scaling, ScalingResult{Factor: f, Calls: runs[0].Calls, Ticks: runs[0].Ticks,
				WallPerTick:   collect(runs, func(r ScalingRun) float64 { return r.WallPerTick }),
				CPUPerCallSec: collect(runs, func(r ScalingRun) float64 { return r.CPUPerCallSec }),
				HeapPerCall:   collect(runs, func(r ScalingRun) float64 { return r.HeapPerCall }),
				Capacity:      collect(runs, func(r ScalingRun) float64 { return r.Capacity }),
				OtherCores:    collect(runs, func(r ScalingRun) float64 { return r.OtherCores }),
				Runs:          runs})
		}
	}
	rep.Elapsed = time.Since(start).Seconds()
	return rep, nil
}

func (rep *Report) throughput(ctx context.Context, cfg Config, p Progress) error {
	budget := time.Duration(cfg.KernelTime * float64(time.Second))
	for _, rate := range cfg.Rates {
		st := p.Stage(fmt.Sprintf("throughput: building the %s scene", khz(rate)), 1)
		sc, err := NewScene(rate, cfg.SceneSeconds)
		st.Done()
		if err != nil {
			return err
		}
		if rep.Scene == nil {
			rep.Scene = &SceneInfo{Seconds: sc.Seconds, Utterances: sc.Speech, Digits: sc.Digits}
		}
		for _, name := range Kernels() {
			k, err := NewKernel(name, sc)
			if err != nil {
				return err
			}
			var runs []ThroughputRun
			for i := range cfg.Runs {
				label := fmt.Sprintf("throughput: %s at %s", name, khz(rate))
				if cfg.Runs > 1 {
					label += fmt.Sprintf(" (run %d of %d)", i+1, cfg.Runs)
				}
				st := p.Stage(label, int64(budget/time.Millisecond))
				runs = append(runs, measure(k, sc, budget, st))
				st.Done()
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			res := ThroughputResult{Kernel: name, Rate: rate, Runs: runs,
				SamplesPerSec:  collect(runs, func(r ThroughputRun) float64 { return r.SamplesPerSec }),
				XRealtime:      collect(runs, func(r ThroughputRun) float64 { return r.XRealtime }),
				NsPerSample:    collect(runs, func(r ThroughputRun) float64 { return r.NsPerSample }),
				AllocsPerFrame: collect(runs, func(r ThroughputRun) float64 { return r.AllocsPerFrame }),
				AllocsPerPass:  collect(runs, func(r ThroughputRun) float64 { return r.AllocsPerPass }),
				OtherCores:     collect(runs, func(r ThroughputRun) float64 { return r.OtherCores }),
				Error:          runs[0].Error}
			if rate == 8000 {
				res.Target = KernelTarget(name)
			}
			rep.Throughput = append(rep.Throughput, res)
		}
	}
	return nil
}

func concurrencyResult(cfg Config, runs []ConcurrencyRun) *ConcurrencyResult {
	f := func(g func(ConcurrencyRun) float64) Stat { return collect(runs, g) }
	return &ConcurrencyResult{Calls: cfg.Calls, Rate: cfg.CallRate, RecordSeconds: cfg.recordSeconds(), Seconds: cfg.Seconds, Runs: runs,
		LateP50:     f(func(r ConcurrencyRun) float64 { return r.LateP50 }),
		LateP99:     f(func(r ConcurrencyRun) float64 { return r.LateP99 }),
		LateMax:     f(func(r ConcurrencyRun) float64 { return r.LateMax }),
		TickP99:     f(func(r ConcurrencyRun) float64 { return r.TickP99 }),
		TicksMissed: f(func(r ConcurrencyRun) float64 { return float64(max(r.TicksDue-r.Ticks, 0)) }),
		CPUCores:    f(func(r ConcurrencyRun) float64 { return r.CPUCores }),
		HeapPerCall: f(func(r ConcurrencyRun) float64 { return r.HeapPerCal }),
		BeyondAudio: f(func(r ConcurrencyRun) float64 { return r.BeyondAudio }),
		HeapInUse:   f(func(r ConcurrencyRun) float64 { return r.HeapInUse }),
		Completed:   f(func(r ConcurrencyRun) float64 { return float64(r.Completed) }),
		OpsPerSec:   f(func(r ConcurrencyRun) float64 { return r.OpsPerSec }),
		Lost:        f(func(r ConcurrencyRun) float64 { return float64(r.Lost) }),
		Duplicated:  f(func(r ConcurrencyRun) float64 { return float64(r.Duplicated) }),
		Wrong:       f(func(r ConcurrencyRun) float64 { return float64(r.Wrong) }),
		OtherCores:  f(func(r ConcurrencyRun) float64 { return r.OtherCores }),
	}
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// MarshalJSON writes NaN ("not measured") as null.
func (s Stat) MarshalJSON() ([]byte, error) {
	type stat struct {
		Min    *float64   `json:"min"`
		Median *float64   `json:"median"`
		Max    *float64   `json:"max"`
		Runs   []*float64 `json:"runs"`
	}
	p := func(x float64) *float64 {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return &x
	}
	out := stat{Min: p(s.Min), Median: p(s.Median), Max: p(s.Max), Runs: make([]*float64, len(s.Runs))}
	for i, x := range s.Runs {
		out.Runs[i] = p(x)
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads null as NaN.
func (s *Stat) UnmarshalJSON(b []byte) error {
	var in struct {
		Min, Median, Max *float64
		Runs             []*float64
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	v := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	*s = Stat{Min: v(in.Min), Median: v(in.Median), Max: v(in.Max), Runs: make([]float64, len(in.Runs))}
	for i, p := range in.Runs {
		s.Runs[i] = v(p)
	}
	return nil
}

// ReadReport reads a report written by WriteJSON (for --compare).
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("%s: not a recsim bench report: %w", path, err)
	}
	if rep.Tool != "recsim bench" {
		return nil, fmt.Errorf("%s: field tool = %q: not a recsim bench report", path, rep.Tool)
	}
	return &rep, nil
}
