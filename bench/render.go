package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// Concurrency targets (bench/README.md): 20 000 calls on 2 cores, frame
// lateness p99 within one frame (20 ms), nothing lost, at most 48 KiB of
// heap a call beyond the audio it has recorded; and 10 000 calls whose
// operations may record 120 s each in 4 GiB of heap.
const (
	TargetCalls       = 20000
	TargetLateP99     = 20.0 // ms
	TargetBeyondAudio = 48 << 10
	TargetMemoryCalls = 10000
	TargetMemoryCap   = 120 // seconds of maxRecordDuration
	TargetMemoryHeap  = 4 << 30
)

// Target is one target and whether the run met it.
type Target struct {
	What     string `json:"what"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
	Gap      string `json:"gap,omitempty"` // the measured gap when missed
	// Evaluated is false when the run could not judge the target (too few
	// calls, section not run).
	Evaluated bool `json:"evaluated"`
}

// Targets evaluates the targets on the report.
func (rep *Report) Targets() []Target {
	var out []Target
	for _, t := range rep.Throughput {
		if t.Target == 0 {
			continue
		}
		v := t.SamplesPerSec.Median
		tg := Target{What: fmt.Sprintf("%s ≥ %s samples/s at %s", t.Kernel, sci(t.Target), khz(t.Rate)),
			Measured: sci(v), Met: v >= t.Target, Evaluated: true}
		if t.Kernel == KernelPipeline {
			tg.What += fmt.Sprintf(" (%s× real time)", group(int64(t.Target/float64(t.Rate))))
		}
		if !tg.Met {
			tg.Gap = fmt.Sprintf("%.1f× short", t.Target/v)
		}
		out = append(out, tg)
	}
	if c := rep.Concurrency; c != nil {
		enough := c.Calls >= TargetCalls
		p99 := c.LateP99.Median
		tg := Target{What: fmt.Sprintf("%s calls in real time on %s: frame lateness p99 ≤ %g ms", group(TargetCalls), plural(rep.Machine.GOMAXPROCS, "core"), TargetLateP99),
			Measured: fmt.Sprintf("%s calls: p99 %s ms", group(int64(c.Calls)), num(p99)), Met: enough && p99 <= TargetLateP99, Evaluated: enough}
		if !enough {
			tg.Gap = fmt.Sprintf("run with --calls %d", TargetCalls)
		} else if !tg.Met {
			tg.Gap = fmt.Sprintf("p99 %s ms over", num(p99-TargetLateP99))
		}
		out = append(out, tg)
		beyond := c.BeyondAudio.Max
		tg = Target{What: fmt.Sprintf("heap per call beyond the audio recorded ≤ %s", bytesIEC(TargetBeyondAudio)),
			Measured: bytesIEC(beyond), Met: enough && beyond <= TargetBeyondAudio, Evaluated: enough}
		if !enough {
			tg.Gap = fmt.Sprintf("run with --calls %d", TargetCalls)
		} else if !tg.Met {
			tg.Gap = fmt.Sprintf("%s over", bytesIEC(beyond-TargetBeyondAudio))
		}
		out = append(out, tg)
		if c.Calls >= TargetMemoryCalls && c.RecordSeconds >= TargetMemoryCap {
			heap := c.HeapInUse.Max
			tg = Target{What: fmt.Sprintf("%s calls at maxRecordDuration %d s in %s of heap", group(TargetMemoryCalls), TargetMemoryCap, bytesIEC(TargetMemoryHeap)),
				Measured: fmt.Sprintf("%s calls: %s", group(int64(c.Calls)), bytesIEC(heap)), Met: heap <= TargetMemoryHeap, Evaluated: true}
			if !tg.Met {
				tg.Gap = fmt.Sprintf("%s over", bytesIEC(heap-TargetMemoryHeap))
			}
			out = append(out, tg)
		}
		lost, dup, wrong, missed := c.Lost.Max, c.Duplicated.Max, c.Wrong.Max, c.TicksMissed.Max
		tg = Target{What: "nothing lost: no operation lost or duplicated, no frame missed",
			Measured: fmt.Sprintf("lost %s, duplicated %s, wrong %s, frames missed %s", group0(lost), group0(dup), group0(wrong), group0(missed)),
			Met:      lost == 0 && dup == 0 && wrong == 0 && missed <= 1, Evaluated: true}
		if !tg.Met {
			var gap []string
			if lost+dup+wrong > 0 {
				gap = append(gap, "operations lost, duplicated or wrong")
			}
			if missed > 1 {
				gap = append(gap, fmt.Sprintf("the runner fell behind real time by %s frames", group0(missed)))
			}
			tg.Gap = strings.Join(gap, "; ")
		}
		out = append(out, tg)
	}
	if s := rep.Server; s != nil {
		lost, dup := s.Lost.Max, s.Duplicated.Max
		tg := Target{What: "server: every recordResponse notified exactly once", Measured: fmt.Sprintf("lost %s, duplicated %s", group0(lost), group0(dup)),
			Met: lost == 0 && dup == 0, Evaluated: true}
		if !tg.Met {
			tg.Gap = "notifications lost or duplicated"
		}
		out = append(out, tg)
	}
	return out
}

// WriteText writes the report as tables for people.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	runs := plural(rep.Config.Runs, "run")
	if rep.Config.Runs > 1 {
		runs += ": median [min–max]"
	}
	fmt.Fprintf(&b, "recsim bench · %s · %s · took %s s\n", rep.Date.Format("2006-01-02 15:04:05 MST"), runs, num(rep.Elapsed))
	fmt.Fprintf(&b, "machine: %s\n", rep.Machine)
	sec := 0
	next := func(title string) {
		sec++
		fmt.Fprintf(&b, "\n%d. %s\n", sec, title)
	}
	if len(rep.Throughput) > 0 {
		sc := rep.Scene
		next(fmt.Sprintf("Throughput per core: one goroutine on one thread, 20 ms frames, over a %s s scene\n"+
			"   (%d utterances of the speech fixtures with pauses, key presses %s, −55 dBFS noise)", num(sc.Seconds), sc.Utterances, sc.Digits))
		tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "   kernel\trate\tsamples/s\t× real time\tns/sample\tallocs/frame\ttarget (8 kHz)")
		for _, t := range rep.Throughput {
			target := ""
			if t.Target > 0 {
				target = "≥ " + sci(t.Target) + ": " + metWord(t.SamplesPerSec.Median >= t.Target)
			}
			fmt.Fprintf(tw, "   %s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Kernel, khz(t.Rate), cell(t.SamplesPerSec, sci),
				cell(t.XRealtime, num), cell(t.NsPerSample, num), cell(t.AllocsPerFrame, num), target)
		}
		tw.Flush()
		other := math.NaN()
		for _, t := range rep.Throughput {
			if t.Error != "" {
				fmt.Fprintf(&b, "   ! %s at %s: %s\n", t.Kernel, khz(t.Rate), t.Error)
			}
			other = nanMax(other, t.OtherCores.Max)
		}
		disturbed(&b, other)
	}
	if c := rep.Concurrency; c != nil {
		workers := 0
		if len(c.Runs) > 0 {
			workers = c.Runs[0].Workers
		}
		next(fmt.Sprintf("Concurrency in real time: %s calls at %s, 20 ms frames on the realtime runner (%s), %s s,\n"+
			"   each call running chained recordResponses (maxRecordDuration %d s) that end on '#' or '*'", group(int64(c.Calls)), khz(c.Rate), plural(workers, "worker"), num(c.Seconds), c.RecordSeconds))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		ticks, due := int64(0), int64(0)
		if len(c.Runs) > 0 {
			ticks, due = c.Runs[0].Ticks, c.Runs[0].TicksDue
		}
		fmt.Fprintf(tw, "   frame lateness\tp50 %s ms · p99 %s ms · max %s ms   (tick p99 %s ms)\n",
			cell(c.LateP50, num), cell(c.LateP99, num), cell(c.LateMax, num), cell(c.TickP99, num))
		fmt.Fprintf(tw, "   frames\t%s of %s due in the run (%s missed)\n", group(ticks), group(due), cell(c.TicksMissed, group0))
		cores := float64(rep.Machine.GOMAXPROCS)
		fmt.Fprintf(tw, "   CPU used\t%s cores of %d (%s %%)\n", cell(c.CPUCores, num), rep.Machine.GOMAXPROCS, num(100*c.CPUCores.Median/cores))
		fmt.Fprintf(tw, "   memory per call\t%s heap in use (%s for all calls); %s beyond the audio recorded\n",
			cell(c.HeapPerCall, bytesIEC), bytesIEC(c.HeapInUse.Median), cell(c.BeyondAudio, bytesIEC))
		fmt.Fprintf(tw, "   operations\t%s completed (%s/s) · lost %s · duplicated %s · wrong %s\n",
			cell(c.Completed, group0), cell(c.OpsPerSec, num), cell(c.Lost, group0), cell(c.Duplicated, group0), cell(c.Wrong, group0))
		if len(c.Runs) > 0 && len(c.Runs[0].Outcomes) > 0 {
			fmt.Fprintf(tw, "   outcomes\t%s\n", outcomes(c.Runs[0].Outcomes))
		}
		tw.Flush()
		disturbed(&b, c.OtherCores.Max)
	}
	if s := rep.Server; s != nil {
		ops := 0
		if len(s.Runs) > 0 {
			ops = s.Runs[0].Operations
		}
		next(fmt.Sprintf("Server load: %s concurrent bots through the mock server's HTTP handler over loopback, fast clock,\n"+
			"   %s recordResponses (a new incoming call each: create, media, answer, recordResponse, notification)", group(int64(s.Calls)), group(int64(ops))))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "   completions\t%s/s\n", cell(s.PerSec, num))
		fmt.Fprintf(tw, "   POST → notification\tp50 %s ms · p99 %s ms · max %s ms\n", cell(s.P50, num), cell(s.P99, num), cell(s.Max, num))
		fmt.Fprintf(tw, "   operations\t%s completed · lost %s · duplicated %s\n", cell(s.Completed, group0), cell(s.Lost, group0), cell(s.Duplicated, group0))
		tw.Flush()
		disturbed(&b, s.OtherCores.Max)
	}
	if len(rep.Scaling) > 0 {
		ticks := rep.Scaling[0].Ticks
		next(fmt.Sprintf("Scaling: the runner's ticks back to back (no waiting), %d frames (%s s of audio) per call", ticks, num(float64(ticks)*0.02)))
		tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "   work\tcalls\twall/tick\tCPU per call-second\theap/call\tcost vs 1×\tlinearity\treal-time capacity")
		base := rep.Scaling[0]
		for _, s := range rep.Scaling {
			cost := costPerTick(s) / costPerTick(base)
			fmt.Fprintf(tw, "   %d×\t%s\t%s ms\t%s ms\t%s\t%s×\t%s\t%s calls\n", s.Factor, group(int64(s.Calls)), cell(s.WallPerTick, num),
				cell(s.CPUPerCallSec, num), cell(s.HeapPerCall, bytesIEC), num(cost), num(cost/(float64(s.Calls)/float64(base.Calls))), cell(s.Capacity, group0))
		}
		tw.Flush()
		fmt.Fprintln(&b, "   linearity: cost ratio / work ratio (1.00 = linear); capacity: calls × 20 ms / wall per tick")
		other := math.NaN()
		for _, s := range rep.Scaling {
			other = nanMax(other, s.OtherCores.Max)
		}
		disturbed(&b, other)
	}
	if ts := rep.Targets(); len(ts) > 0 {
		fmt.Fprintln(&b, "\nTargets")
		tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
		for _, t := range ts {
			verdict := metWord(t.Met)
			if !t.Evaluated {
				verdict = "not judged"
			}
			if t.Gap != "" {
				verdict += " (" + t.Gap + ")"
			}
			fmt.Fprintf(tw, "   %s\t%s\t%s\n", t.What, t.Measured, verdict)
		}
		tw.Flush()
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// costPerTick is a scaling point's CPU per tick (wall time where CPU is
// not measured).
func costPerTick(s ScalingResult) float64 {
	if c := s.CPUPerCallSec.Median; !math.IsNaN(c) {
		return c * float64(s.Calls)
	}
	return s.WallPerTick.Median
}

func group0(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "?"
	}
	return group(int64(math.Round(x)))
}

func metWord(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// disturbedAbove is the CPU other processes may use during a section
// before the report warns: a quarter of a core.
const disturbedAbove = 0.25

// disturbed warns when other processes used the CPU while a section
// measured.
func disturbed(b *strings.Builder, cores float64) {
	if cores > disturbedAbove {
		fmt.Fprintf(b, "   ! other processes used up to %s cores meanwhile: these figures are disturbed; run again on a quiet machine\n", num(cores))
	}
}

func nanMax(a, b float64) float64 {
	switch {
	case math.IsNaN(a):
		return b
	case math.IsNaN(b):
		return a
	}
	return max(a, b)
}

// outcomes writes the completion reasons, most frequent first.
func outcomes(m map[string]int64) string {
	type kv struct {
		k string
		v int64
	}
	var all []kv
	var total int64
	for k, v := range m {
		all = append(all, kv{k, v})
		total += v
	}
	slices.SortFunc(all, func(a, b kv) int {
		if a.v != b.v {
			return int(b.v - a.v)
		}
		return strings.Compare(a.k, b.k)
	})
	parts := make([]string, len(all))
	for i, e := range all {
		parts[i] = fmt.Sprintf("%s %s (%s %%)", e.k, group(e.v), num(100*float64(e.v)/float64(total)))
	}
	return strings.Join(parts, " · ")
}
