package runner

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/media"
)

// Clock is the runner's source of time: the real one, or a fake in tests.
type Clock interface {
	Now() time.Time
	NewTicker(d time.Duration) Ticker
}

// Ticker delivers ticks like time.Ticker.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// wallClock is the real clock.
type wallClock struct{}

func (wallClock) Now() time.Time                   { return time.Now() }
func (wallClock) NewTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

type realTicker struct{ t *time.Ticker }

func (t realTicker) C() <-chan time.Time { return t.t.C }
func (t realTicker) Stop()               { t.t.Stop() }

// Mode is how the runner paces the caller streams.
type Mode uint8

// Runner modes (docs/server.md).
const (
	Realtime Mode = iota // 20 ms frames at their real pace
	Fast                 // as fast as the CPU allows: an operation runs to its end as soon as it starts
)

// String returns the mode's name as the --clock flag spells it.
func (m Mode) String() string { return [...]string{"realtime", "fast"}[m] }

// Options configure a Runner.
type Options struct {
	Mode           Mode
	Clock          Clock         // nil: the wall clock
	Frame          time.Duration // realtime frame; 0: 20 ms
	ReceiveTimeout time.Duration // media receive timeout T_r; 0: 10 s
	// OnEvent is called for every call event, in order per call, with the
	// call locked: it must not block or call back into the same call.
	OnEvent func(rc *PacedCall, ev engine.CallEvent)
	// Workers share the calls in realtime mode; 0: runtime.GOMAXPROCS.
	Workers int
	// FrameLateness, if set, is called by Pace (not by Tick) after each call
	// frame a worker advanced, with how late that frame's work finished
	// after its tick was due. worker is in [0, Workers); calls with the same
	// worker never overlap, so per-worker state needs no lock. It must not
	// block.
	FrameLateness func(worker int, late time.Duration)
}

// defaultFrame is the realtime frame unless Options.Frame says otherwise.
const defaultFrame = media.FrameDuration

// Runner advances many calls frame by frame (docs/server.md): in realtime mode on
// a ticker, in fast mode as soon as there is work. The same scenario gives
// the same results, timelines and recordings in both.
type Runner struct {
	opts  Options
	mu    sync.Mutex
	calls map[*PacedCall]struct{}
	// sorted is the calls ordered by ID, rebuilt (as a new slice) only
	// after Add or Remove, so a tick neither copies nor sorts them.
	sorted []*PacedCall
	dirty  bool
	stats  Stats
}

// Stats are the realtime runner's measurements.
type Stats struct {
	Ticks    int64
	Frames   int64           // call frames advanced
	Lateness []time.Duration // per tick: how late the tick's work finished after its due time
}

// PacedCall is a call the runner paces, with its lock.
type PacedCall struct {
	ID        string
	r         *Runner
	mu        sync.Mutex
	call      *engine.Call
	ev        []engine.CallEvent
	stalledAt time.Time
}

// New returns a runner; call Pace (realtime) to start pacing.
func New(opts Options) *Runner {
	if opts.Clock == nil {
		opts.Clock = wallClock{}
	}
	if opts.Frame <= 0 {
		opts.Frame = defaultFrame
	}
	if opts.ReceiveTimeout <= 0 {
		opts.ReceiveTimeout = 10 * time.Second
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	return &Runner{opts: opts, calls: map[*PacedCall]struct{}{}}
}

// Add puts a call under the runner.
func (r *Runner) Add(id string, c *engine.Call) *PacedCall {
	rc := &PacedCall{ID: id, r: r, call: c, ev: make([]engine.CallEvent, 0, 8)}
	r.mu.Lock()
	r.calls[rc] = struct{}{}
	r.dirty = true
	r.mu.Unlock()
	return rc
}

// Remove takes a call from the runner.
func (r *Runner) Remove(rc *PacedCall) {
	r.mu.Lock()
	delete(r.calls, rc)
	r.dirty = true
	r.mu.Unlock()
}

// Len returns the number of calls under the runner.
func (r *Runner) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// Do runs fn on the call with its lock held and dispatches the events fn
// returns. In fast mode it then runs the call's operations to their end.
func (rc *PacedCall) Do(fn func(c *engine.Call, ev []engine.CallEvent) []engine.CallEvent) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.ev = fn(rc.call, rc.ev[:0])
	rc.dispatch()
	if rc.r.opts.Mode == Fast {
		rc.drain()
	}
}

// View runs fn on the call with its lock held, for reading.
func (rc *PacedCall) View(fn func(c *engine.Call)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	fn(rc.call)
}

func (rc *PacedCall) dispatch() {
	if rc.r.opts.OnEvent != nil {
		for _, e := range rc.ev {
			rc.r.opts.OnEvent(rc, e)
		}
	}
	rc.ev = rc.ev[:0]
}

// drain runs the call until it is idle, ended or stalled (fast mode; a
// stall times out at once since no wall time needs to pass).
func (rc *PacedCall) drain() {
	c := rc.call
	n := int(c.State().Rate.N(defaultFrame))
	for st := c.State(); st.Advancing; st = c.State() { // a head waiting for its prompt does not run
		if st.Stalled {
			rc.ev = c.Stall(rc.ev)
		} else {
			rc.ev = c.Advance(n, rc.ev)
		}
		rc.dispatch()
	}
}

// step advances the call by one realtime frame.
func (rc *PacedCall) step(now time.Time) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	c := rc.call
	st := c.State()
	if !st.Advancing {
		return false
	}
	if st.Stalled {
		if rc.stalledAt.IsZero() {
			rc.stalledAt = now
		}
		if now.Sub(rc.stalledAt) >= rc.r.opts.ReceiveTimeout {
			rc.ev = c.Stall(rc.ev)
			rc.stalledAt = time.Time{}
			rc.dispatch()
		}
		return false
	}
	rc.stalledAt = time.Time{}
	rc.ev = c.Advance(int(st.Rate.N(rc.r.opts.Frame)), rc.ev)
	rc.dispatch()
	return true
}

// Tick advances every busy call by one frame (realtime mode's step; tests
// call it directly). It returns the number of frames advanced.
func (r *Runner) Tick() int { return r.tick(r.opts.Clock.Now(), nil) }

// callList returns the calls sorted by ID. The slice is never modified
// after it is returned (Add and Remove make a new one).
func (r *Runner) callList() []*PacedCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dirty {
		calls := make([]*PacedCall, 0, len(r.calls))
		for rc := range r.calls {
			calls = append(calls, rc)
		}
		slices.SortFunc(calls, func(a, b *PacedCall) int { return strings.Compare(a.ID, b.ID) })
		r.sorted, r.dirty = calls, false
	}
	return r.sorted
}

// tickChunk is how many calls a worker takes at a time: large enough that
// the shared counter is touched rarely, small enough that workers finish
// together (10 000 calls make 156 chunks).
const tickChunk = 64

// tick advances every busy call by one frame at now. With due (Pace's
// ticks) it reports each frame's lateness to FrameLateness.
func (r *Runner) tick(now time.Time, due *time.Time) int {
	calls := r.callList()
	hook := r.opts.FrameLateness
	if due == nil {
		hook = nil
	}
	run := func(w int, calls []*PacedCall) int {
		n := 0
		for _, rc := range calls {
			if rc.step(now) {
				n++
				if hook != nil {
					hook(w, r.opts.Clock.Now().Sub(*due))
				}
			}
		}
		return n
	}
	workers := r.opts.Workers
	if workers <= 1 || len(calls) < 2*tickChunk {
		return run(0, calls)
	}
	var wg sync.WaitGroup
	var next, total atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			n := 0
			for {
				i := int(next.Add(tickChunk)) - tickChunk
				if i >= len(calls) {
					break
				}
				n += run(w, calls[i:min(i+tickChunk, len(calls))])
			}
			total.Add(int64(n))
		}(w)
	}
	wg.Wait()
	return int(total.Load())
}

// Pace advances the calls in real time, a frame per tick of the clock,
// until ctx is done; in fast mode it only waits (the work happens in Do).
func (r *Runner) Pace(ctx context.Context) error {
	if r.opts.Mode == Fast {
		<-ctx.Done()
		return nil
	}
	t := r.opts.Clock.NewTicker(r.opts.Frame)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case due := <-t.C():
			n := r.tick(r.opts.Clock.Now(), &due)
			late := r.opts.Clock.Now().Sub(due)
			r.mu.Lock()
			r.stats.Ticks++
			r.stats.Frames += int64(n)
			if len(r.stats.Lateness) < 1<<20 {
				r.stats.Lateness = append(r.stats.Lateness, late)
			}
			r.mu.Unlock()
		}
	}
}

// Stats returns a copy of the runner's measurements.
func (r *Runner) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Lateness = append([]time.Duration(nil), r.stats.Lateness...)
	return s
}
