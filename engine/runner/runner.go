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
	// call's batch locked (see the package doc): it must not block or call Do or View.
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
	// batches are the calls in groups of at most batchSize, each with
	// one lock: a worker steps a batch's calls under that lock, one after
	// another, so a tick takes a lock per batch, not per call frame. A
	// call keeps its batch from Add to Remove; a batch that has room
	// takes the next call added.
	batches []*batch
	// sorted is each batch's calls ordered by ID, rebuilt (as new slices)
	// only after Add or Remove, so a tick neither copies nor sorts them.
	sorted []batchCalls
	dirty  bool
	stats  Stats
}

// batch is a group of calls that share a lock.
type batch struct {
	mu sync.Mutex
	n  int // calls in it, under Runner.mu
}

// batchCalls is a batch and its calls in ID order.
type batchCalls struct {
	b     *batch
	calls []*PacedCall
}

// batchSize is how many calls share a lock and go to a worker at a time:
// large enough that locks and the shared counter are touched rarely (a
// tick of 20 000 calls takes 313 locks), small enough that workers finish
// together and a handler waits at most one batch's frames (64 calls, about
// 0.2 ms) for its call.
const batchSize = 64

// Stats are the realtime runner's measurements.
type Stats struct {
	Ticks    int64
	Frames   int64           // call frames advanced
	Lateness []time.Duration // per tick: how late the tick's work finished after its due time
}

// PacedCall is a call the runner paces, locked with its batch.
type PacedCall struct {
	ID        string
	r         *Runner
	b         *batch
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
	rc.b = r.roomy()
	rc.b.n++
	r.dirty = true
	r.mu.Unlock()
	return rc
}

// roomy returns a batch with room for one more call, a new one if none
// has (under r.mu). Batches emptied by Remove are dropped, so there are
// at most as many as the calls need plus the partly filled ones.
func (r *Runner) roomy() *batch {
	for _, b := range r.batches {
		if b.n < batchSize {
			return b
		}
	}
	b := &batch{}
	r.batches = append(r.batches, b)
	return b
}

// Remove takes a call from the runner.
func (r *Runner) Remove(rc *PacedCall) {
	r.mu.Lock()
	if _, ok := r.calls[rc]; ok {
		delete(r.calls, rc)
		rc.b.n--
		if rc.b.n == 0 {
			r.batches = slices.DeleteFunc(r.batches, func(b *batch) bool { return b == rc.b })
		}
		r.dirty = true
	}
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
	rc.b.mu.Lock()
	defer rc.b.mu.Unlock()
	rc.ev = fn(rc.call, rc.ev[:0])
	rc.dispatch()
	if rc.r.opts.Mode == Fast {
		rc.drain()
	}
}

// View runs fn on the call with its lock held, for reading.
func (rc *PacedCall) View(fn func(c *engine.Call)) {
	rc.b.mu.Lock()
	defer rc.b.mu.Unlock()
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

// step advances the call by one realtime frame; the caller holds the
// call's batch lock.
func (rc *PacedCall) step(now time.Time) bool {
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

// callList returns the batches, each with its calls sorted by ID. The
// slices are never modified after they are returned (Add and Remove make
// new ones).
func (r *Runner) callList() []batchCalls {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dirty {
		of := make(map[*batch]int, len(r.batches))
		list := make([]batchCalls, len(r.batches))
		for i, b := range r.batches {
			of[b] = i
			list[i] = batchCalls{b: b, calls: make([]*PacedCall, 0, b.n)}
		}
		for rc := range r.calls {
			i := of[rc.b]
			list[i].calls = append(list[i].calls, rc)
		}
		for _, bc := range list {
			slices.SortFunc(bc.calls, func(a, b *PacedCall) int { return strings.Compare(a.ID, b.ID) })
		}
		r.sorted, r.dirty = list, false
	}
	return r.sorted
}

// tick advances every busy call by one frame at now. With due (Pace's
// ticks) it reports each frame's lateness to FrameLateness.
func (r *Runner) tick(now time.Time, due *time.Time) int {
	list := r.callList()
	hook := r.opts.FrameLateness
	if due == nil {
		hook = nil
	}
	run := func(w int, bc batchCalls) int {
		n := 0
		bc.b.mu.Lock()
		defer bc.b.mu.Unlock()
		for _, rc := range bc.calls {
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
	if workers <= 1 || len(list) < 2 {
		n := 0
		for _, bc := range list {
			n += run(0, bc)
		}
		return n
	}
	var wg sync.WaitGroup
	var next, total atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			n := 0
			for {
				i := int(next.Add(1)) - 1
				if i >= len(list) {
					break
				}
				n += run(w, list[i])
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
