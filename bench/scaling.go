package bench

import (
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/recsim/recsim/engine/runner"
)

// ScaleFactors returns the work multiples of the scaling table (a new
// slice each call).
func ScaleFactors() []int { return []int{1, 2, 4, 8} }

// ScalingRun is the runner driven tick after tick, with no pause, for
// Ticks frames of every call: the cost of real-time work without the
// waiting.
type ScalingRun struct {
	Factor      int     `json:"factor"` // work multiple
	Calls       int     `json:"calls"`
	Ticks       int     `json:"ticks"`
	Seconds     float64 `json:"seconds"`       // wall time of the ticks
	WallPerTick float64 `json:"wallPerTickMs"` // ms per tick (all calls advanced one frame)
	// CPUPerCallSec is the CPU time one call costs per second of its
	// audio, in ms (process CPU time / (calls × audio seconds)). NaN:
	// not measured.
	CPUPerCallSec float64 `json:"cpuPerCallSecMs"`
	HeapPerCall   float64 `json:"heapPerCall"` // bytes
	// Capacity is how many such calls this machine keeps in real time:
	// Calls × 20 ms / WallPerTick.
	Capacity float64 `json:"capacity"`
	// OtherCores is the CPU other processes used meanwhile (NaN: not
	// measured).
	OtherCores float64 `json:"otherCores"`
}

// scaling measures calls×f/8 calls for f in ScaleFactors.
func scaling(calls, rate, ticks int, p Progress) ([]ScalingRun, error) {
	audio := time.Duration(ticks) * frameDur
	cs, err := newCallSet(rate, audio, int(audio/(2*time.Second))+4, defaultRecordSeconds)
	if err != nil {
		return nil, err
	}
	var out []ScalingRun
	for _, f := range ScaleFactors() {
		n := max(calls*f/ScaleFactors()[len(ScaleFactors())-1], 1)
		st := p.Stage(fmt.Sprintf("scaling %d×: %d calls, setup", f, n), int64(n))
		prefault(2 * int64(n) * perCallGuess(rate))
		base := heapInUse()
		err := cs.start(n, runner.Options{Mode: runner.Realtime, Workers: runtime.GOMAXPROCS(0)}, st)
		st.Done()
		if err != nil {
			return nil, err
		}
		run := ScalingRun{Factor: f, Calls: n, Ticks: ticks}
		run.HeapPerCall = (float64(heapInUse()) - float64(base)) / float64(n)
		st = p.Stage(fmt.Sprintf("scaling %d×: %d calls, %d ticks back to back", f, n, ticks), int64(ticks))
		cpu, load := startCPU(), startLoad()
		start := time.Now()
		for t := range ticks {
			cs.r.Tick()
			if t%8 == 0 {
				st.Set(int64(t))
			}
		}
		wall := time.Since(start)
		cpuTime, ok := cpu.elapsed()
		run.OtherCores = load.others(wall)
		st.Done()
		run.Seconds = wall.Seconds()
		run.WallPerTick = ms(wall) / float64(ticks)
		run.CPUPerCallSec = math.NaN()
		if ok {
			run.CPUPerCallSec = ms(cpuTime) / (float64(n) * audio.Seconds())
		}
		run.Capacity = float64(n) * ms(frameDur) / run.WallPerTick
		out = append(out, run)
		cs.r, cs.rcs = nil, nil
	}
	return out, nil
}
