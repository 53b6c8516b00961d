package bench

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/engine/runner"
	"github.com/recsim/recsim/media"
)

// CallRequests are the recordResponses every concurrency call runs,
// queued in turn (chained operations): operation k has the stop tone
// turnKeys[k%2] and ends on a key press of the call's audio after 2–8 s.
// maxRecordSeconds is their maxRecordDurationInSeconds (DefaultConfig:
// 10, above every turn). It costs no memory of its own: an operation
// holds the chunks of what it has recorded, not its cap, which is what
// `--record-seconds 120` shows.
func CallRequests(maxRecordSeconds int) [2]string {
	var out [2]string
	for i, key := range [2]string{"#", "*"} {
		out[i] = fmt.Sprintf(`{"stopTones": [%q], "maxRecordDurationInSeconds": %d, "initialSilenceTimeoutInSeconds": 10, "maxSilenceTimeoutInSeconds": 5}`, key, maxRecordSeconds)
	}
	return out
}

// defaultRecordSeconds is the concurrency operations' maxRecordDuration
// unless Config.RecordSeconds says otherwise.
const defaultRecordSeconds = 10

// frameDur is the runner's frame.
const frameDur = media.FrameDuration

// offsetVariants is how many different starting points into the shared
// audio the calls use (call i uses variant i mod offsetVariants), so that
// operations end spread over time, not all in one frame.
const offsetVariants = 64

// offsetSpan is the stretch of audio the starting points spread over.
const offsetSpan = 60 * time.Second

// callSet is n calls on one runner, each with the shared audio from its
// offset and ops queued recordResponses.
type callSet struct {
	rate    int
	frame   int // samples per frame
	loop    []int16
	offsets []int // per variant
	ops     int   // queued operations per call
	reqs    [2]engine.RecordRequest
	r       *runner.Runner
	rcs     []*runner.PacedCall
	cache   *engine.Cache // shared by every call's operations

	// Bookkeeping written by OnEvent under the call's lock; the index is
	// built before the runner runs and only read while it runs.
	index    map[*engine.CallOp]int // op → call*ops + k
	seen     []uint8                // EvCompleted events per op
	outcomes []engine.Outcome
	ends     []int64
}

// newCallSet prepares the shared audio for calls lasting up to audio at
// rate. It starts no call.
func newCallSet(rate int, audio time.Duration, ops, recordSeconds int) (*callSet, error) {
	r := media.SampleRate(rate)
	need := int(r.N(audio + 2*time.Second + offsetSpan))
	loop, err := callLoop(rate, need)
	if err != nil {
		return nil, err
	}
	cs := &callSet{rate: rate, frame: FrameSamples(rate), loop: loop, ops: ops}
	for i, body := range CallRequests(recordSeconds) {
		if cs.reqs[i], err = graph.ParseRecordRequest([]byte(body), false); err != nil {
			return nil, err
		}
	}
	span := int(r.N(offsetSpan)) / cs.frame
	for v := range offsetVariants {
		cs.offsets = append(cs.offsets, (v*span/offsetVariants)*cs.frame)
	}
	return cs, nil
}

// track allocates the per-operation bookkeeping of the lost/duplicated
// check for n calls (before start, so that it is outside the heap
// measured for the calls).
func (cs *callSet) track(n int) {
	cs.index = make(map[*engine.CallOp]int, n*cs.ops)
	cs.seen = make([]uint8, n*cs.ops)
	cs.outcomes = make([]engine.Outcome, n*cs.ops)
	cs.ends = make([]int64, n*cs.ops)
}

// start puts n calls on a new runner with opts (OnEvent is set here).
// After track, it keeps the bookkeeping of every operation.
func (cs *callSet) start(n int, opts runner.Options, stage Stage) error {
	track := cs.index != nil
	opts.OnEvent = func(rc *runner.PacedCall, ev engine.CallEvent) {
		if ev.Kind != engine.EvCompleted {
			return
		}
		if track {
			if i, ok := cs.index[ev.Op]; ok {
				if cs.seen[i] < math.MaxUint8 {
					cs.seen[i]++
				}
				cs.outcomes[i] = ev.Op.Outcome
				if ev.Op.Op != nil {
					cs.ends[i] = ev.Op.Op.Span().End
				}
			}
		}
		// A bot has fetched the result: its recording's chunks go back to
		// the cache for the next operations (no allocation in steady
		// state), and the finished operation is dropped so the call's
		// memory is its running operation, not its history.
		if ev.Op.Op != nil {
			ev.Op.Op.Release()
		}
		ev.Op.Op = nil
	}
	cs.r = runner.New(opts)
	cs.rcs = make([]*runner.PacedCall, 0, n)
	for i := range n {
		c, err := engine.NewCall(engine.CallOptions{Ops: cs.opOptions()})
		if err != nil {
			return err
		}
		rc := cs.r.Add(fmt.Sprintf("call-%06d", i), c)
		var ferr error
		rc.Do(func(c *engine.Call, ev []engine.CallEvent) []engine.CallEvent {
			if ferr = c.SetMedia(cs.loop[cs.offsets[i%len(cs.offsets)]:], false); ferr != nil {
				return ev
			}
			for k := range cs.ops {
				var op *engine.CallOp
				op, ev, ferr = c.Record(fmt.Sprintf("call-%06d-op%02d", i, k), cs.reqs[k%2], nil, ev)
				if ferr != nil {
					return ev
				}
				if track {
					cs.index[op] = i*cs.ops + k
				}
			}
			return ev
		})
		if ferr != nil {
			return ferr
		}
		cs.rcs = append(cs.rcs, rc)
		if i%256 == 0 {
			stage.Set(int64(i))
		}
	}
	stage.Set(int64(n))
	return nil
}

// recorded returns the bytes of audio the calls' running operations have
// recorded (finished ones were released when they completed).
func (cs *callSet) recorded() int64 {
	var n int64
	for _, rc := range cs.rcs {
		rc.View(func(c *engine.Call) {
			for _, op := range c.History() {
				if op.Op == nil {
					continue
				}
				for _, part := range op.Op.RecordingParts() {
					n += 2 * int64(len(part))
				}
			}
		})
	}
	return n
}

// positions returns every call's stream position.
func (cs *callSet) positions() []int64 {
	pos := make([]int64, len(cs.rcs))
	for i, rc := range cs.rcs {
		rc.View(func(c *engine.Call) { pos[i] = c.State().Position })
	}
	return pos
}

// verdict compares what the calls reported with a synchronous reference
// run of each variant's audio to the same position: operations that
// should have ended and did not (lost), ended more than once
// (duplicated), or ended differently (wrong: outcome, end sample, or an
// end the reference does not have).
type verdict struct {
	completed, expected, lost, duplicated, wrong int64
	outcomes                                     map[string]int64 // completion reason → operations
}

func (cs *callSet) check(pos []int64) (verdict, error) {
	v := verdict{outcomes: map[string]int64{}}
	maxPos := make([]int64, len(cs.offsets))
	for i, p := range pos {
		maxPos[i%len(cs.offsets)] = max(maxPos[i%len(cs.offsets)], p)
	}
	type ref struct {
		cum      []int // operations ended after f frames
		outcomes []engine.Outcome
		ends     []int64
	}
	refs := make([]ref, len(cs.offsets))
	for vi, off := range cs.offsets {
		c, err := engine.NewCall(engine.CallOptions{Ops: cs.opOptions()})
		if err != nil {
			return v, err
		}
		if err := c.SetMedia(cs.loop[off:], false); err != nil {
			return v, err
		}
		ops := make([]*engine.CallOp, cs.ops)
		ev := make([]engine.CallEvent, 0, 8)
		for k := range ops {
			if ops[k], ev, err = c.Record("ref", cs.reqs[k%2], nil, ev[:0]); err != nil {
				return v, err
			}
		}
		rf := ref{cum: []int{0}, outcomes: make([]engine.Outcome, cs.ops), ends: make([]int64, cs.ops)}
		ended := 0
		for c.State().Position < maxPos[vi] && c.State().Busy {
			ev = c.Advance(cs.frame, ev[:0])
			for _, e := range ev {
				if e.Kind != engine.EvCompleted {
					continue
				}
				ended++
				for k, op := range ops {
					if op == e.Op {
						rf.outcomes[k], rf.ends[k] = op.Outcome, op.Op.Span().End
						op.Op.Release() // free its recording, as the runs do
						op.Op = nil
					}
				}
			}
			rf.cum = append(rf.cum, ended)
		}
		refs[vi] = rf
	}
	for i, p := range pos {
		rf := refs[i%len(cs.offsets)]
		f := int(p / int64(cs.frame))
		want := rf.cum[min(f, len(rf.cum)-1)]
		v.expected += int64(want)
		got := 0
		for k := range cs.ops {
			j := i*cs.ops + k
			s := cs.seen[j]
			if s == 0 {
				continue
			}
			got++
			v.completed++
			v.outcomes[engine.ResultOf(cs.outcomes[j]).Reason]++
			v.duplicated += int64(s - 1)
			if k >= want || cs.outcomes[j] != rf.outcomes[k] || cs.ends[j] != rf.ends[k] {
				v.wrong++
			}
		}
		v.lost += int64(max(want-got, 0))
	}
	return v, nil
}

// ConcurrencyRun is one realtime run of many calls.
type ConcurrencyRun struct {
	Calls         int     `json:"calls"`
	Rate          int     `json:"rate"`
	RecordSeconds int     `json:"recordSeconds"` // the operations' maxRecordDuration
	Workers       int     `json:"workers"`
	Seconds       float64 `json:"seconds"`      // wall time of the run
	SetupSeconds  float64 `json:"setupSeconds"` // creating the calls and their first operations
	TicksDue      int64   `json:"ticksDue"`     // frames real time asked for: wall / 20 ms
	Ticks         int64   `json:"ticks"`        // frames the runner delivered to every call
	Frames        int64   `json:"frames"`       // call frames advanced
	// Frame lateness: for each call frame, how long after its tick was
	// due its work finished (ms).
	LateP50 float64 `json:"lateP50Ms"`
	LateP99 float64 `json:"lateP99Ms"`
	LateMax float64 `json:"lateMaxMs"`
	// Tick lateness: the same for a tick's last frame (the runner's own
	// per-tick measure).
	TickP99    float64 `json:"tickP99Ms"`
	TickMax    float64 `json:"tickMaxMs"`
	CPUCores   float64 `json:"cpuCores"`    // process CPU time / wall time (NaN: not measured)
	HeapInUse  float64 `json:"heapInUse"`   // bytes held by the calls (heap in use after GC, minus the baseline)
	HeapPerCal float64 `json:"heapPerCall"` // HeapInUse / Calls
	// Recorded is the audio the running operations hold at the end (2
	// bytes a sample), and BeyondAudio the heap per call that is not that
	// audio: (HeapInUse − Recorded) / Calls.
	Recorded    float64 `json:"recorded"`
	BeyondAudio float64 `json:"beyondAudioPerCall"`
	Completed   int64   `json:"completed"` // operations ended
	Expected    int64   `json:"expected"`  // operations the reference run ended by the same positions
	Lost        int64   `json:"lost"`
	Duplicated  int64   `json:"duplicated"`
	Wrong       int64   `json:"wrong"`
	OpsPerSec   float64 `json:"opsPerSec"` // Completed / Seconds
	// Outcomes counts the completed operations by completion reason.
	Outcomes map[string]int64 `json:"outcomes"`
	// OtherCores is the CPU other processes used during the run, in
	// cores (NaN: not measured).
	OtherCores float64 `json:"otherCores"`
}

// heapInUse returns the heap in use after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// concurrency runs calls calls at rate on a realtime runner for dur.
func concurrency(ctx context.Context, calls, rate, recordSeconds int, dur time.Duration, clock runner.Clock, p Progress) (ConcurrencyRun, error) {
	run := ConcurrencyRun{Calls: calls, Rate: rate, RecordSeconds: recordSeconds, Workers: runtime.GOMAXPROCS(0)}
	// Each call gets enough operations to last the run: they end every
	// 2–8 s (the first may end at once if its offset lands on a '#').
	ops := int(dur/(2*time.Second)) + 4
	st := p.Stage(fmt.Sprintf("concurrency: %d calls, setup", calls), int64(calls))
	cs, err := newCallSet(rate, dur, ops, recordSeconds)
	if err != nil {
		st.Done()
		return run, err
	}
	hists := make([]*histogram, run.Workers)
	for i := range hists {
		hists[i] = newHistogram()
	}
	cs.track(calls)
	t0 := time.Now()
	prefault(2 * int64(calls) * perCallGuess(rate))
	base := heapInUse()
	opts := runner.Options{Mode: runner.Realtime, Clock: clock, Workers: run.Workers,
		FrameLateness: func(w int, late time.Duration) { hists[w].add(late) }}
	if err := cs.start(calls, opts, st); err != nil {
		st.Done()
		return run, err
	}
	run.SetupSeconds = time.Since(t0).Seconds()
	st.Done()

	st = p.Stage(fmt.Sprintf("concurrency: %d calls in real time", calls), int64(dur/time.Millisecond))
	rctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	cpu, load := startCPU(), startLoad()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- cs.r.Pace(rctx) }()
	tick := time.NewTicker(250 * time.Millisecond)
	for waiting := true; waiting; {
		select {
		case err = <-done:
			waiting = false
		case <-tick.C:
			st.Set(int64(time.Since(start) / time.Millisecond))
		}
	}
	tick.Stop()
	wall := time.Since(start)
	cpuTime, cpuOK := cpu.elapsed()
	run.OtherCores = load.others(wall)
	st.Done()
	if err != nil {
		return run, err
	}
	if ctx.Err() != nil {
		return run, ctx.Err()
	}
	stats := cs.r.Stats()
	run.Seconds = wall.Seconds()
	run.TicksDue = int64(wall / frameDur)
	run.Ticks, run.Frames = stats.Ticks, stats.Frames
	h := hists[0]
	for _, o := range hists[1:] {
		h.merge(o)
	}
	run.LateP50, run.LateP99, run.LateMax = ms(h.quantile(0.50)), ms(h.quantile(0.99)), ms(h.max)
	run.TickP99, run.TickMax = ms(quantileOf(stats.Lateness, 0.99)), ms(quantileOf(stats.Lateness, 1))
	run.CPUCores = math.NaN()
	if cpuOK && wall > 0 {
		run.CPUCores = cpuTime.Seconds() / wall.Seconds()
	}
	run.HeapInUse = float64(heapInUse()) - float64(base)
	run.HeapPerCal = run.HeapInUse / float64(calls)
	run.Recorded = float64(cs.recorded())
	run.BeyondAudio = (run.HeapInUse - run.Recorded) / float64(calls)

	st = p.Stage("concurrency: checking against a reference run", 1)
	v, err := cs.check(cs.positions())
	st.Done()
	if err != nil {
		return run, err
	}
	run.Completed, run.Expected, run.Lost, run.Duplicated, run.Wrong = v.completed, v.expected, v.lost, v.duplicated, v.wrong
	run.Outcomes = v.outcomes
	run.OpsPerSec = float64(run.Completed) / run.Seconds
	return run, nil
}

// opOptions returns the options of every call's operations: the defaults at the
// scene's rate, sharing one cache (as the mock server does).
func (cs *callSet) opOptions() engine.Options {
	if cs.cache == nil {
		cs.cache = engine.NewCache(0)
	}
	o := engine.DefaultOptions(media.SampleRate(cs.rate))
	o.Cache = cs.cache
	return o
}
