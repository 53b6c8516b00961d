package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// Metric is one headline figure of a report, by a name stable across runs
// (what --compare matches on).
type Metric struct {
	Name   string
	Value  float64 // the median over the runs
	Format func(float64) string
	// Higher is true when more is better (throughput), false when less is
	// (latency, memory, losses).
	Higher bool
}

// Metrics lists the report's headline figures.
func (rep *Report) Metrics() []Metric {
	var m []Metric
	add := func(name string, s Stat, f func(float64) string, higher bool) {
		m = append(m, Metric{Name: name, Value: s.Median, Format: f, Higher: higher})
	}
	for _, t := range rep.Throughput {
		p := fmt.Sprintf("%s %s ", t.Kernel, khz(t.Rate))
		add(p+"samples/s", t.SamplesPerSec, sci, true)
		add(p+"allocs/frame", t.AllocsPerFrame, num, false)
	}
	if c := rep.Concurrency; c != nil {
		p := fmt.Sprintf("concurrency %s calls ", group(int64(c.Calls)))
		add(p+"lateness p50 ms", c.LateP50, num, false)
		add(p+"lateness p99 ms", c.LateP99, num, false)
		add(p+"lateness max ms", c.LateMax, num, false)
		add(p+"frames missed", c.TicksMissed, num, false)
		add(p+"CPU cores", c.CPUCores, num, false)
		add(p+"heap per call", c.HeapPerCall, bytesIEC, false)
		add(p+"heap per call beyond audio", c.BeyondAudio, bytesIEC, false)
		add(p+"operations/s", c.OpsPerSec, num, true)
		add(p+"lost", c.Lost, num, false)
		add(p+"duplicated", c.Duplicated, num, false)
	}
	if s := rep.Server; s != nil {
		p := fmt.Sprintf("server %s calls ", group(int64(s.Calls)))
		add(p+"completions/s", s.PerSec, num, true)
		add(p+"latency p50 ms", s.P50, num, false)
		add(p+"latency p99 ms", s.P99, num, false)
		add(p+"lost", s.Lost, num, false)
		add(p+"duplicated", s.Duplicated, num, false)
	}
	for _, s := range rep.Scaling {
		p := fmt.Sprintf("scaling %s calls ", group(int64(s.Calls)))
		add(p+"CPU ms per call-second", s.CPUPerCallSec, num, false)
		add(p+"real-time capacity", s.Capacity, group0, true)
	}
	return m
}

// sameWithin is the change --compare calls "same": 3 %, about the spread
// of repeated throughput runs on an idle machine.
const sameWithin = 0.03

// WriteCompare writes, for every metric both reports have, the earlier
// value, this one and their ratio.
func WriteCompare(w io.Writer, old, cur *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Compared with %s on %s\n", old.Date.Format("2006-01-02 15:04:05 MST"), old.Machine)
	if old.Machine != cur.Machine {
		fmt.Fprintln(&b, "(different machines or Go versions: the ratios mix code and machine)")
	}
	prev := map[string]float64{}
	for _, m := range old.Metrics() {
		prev[m.Name] = m.Value
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "   metric\tbefore\tnow\tnow/before\t")
	n := 0
	for _, m := range cur.Metrics() {
		v, ok := prev[m.Name]
		if !ok {
			continue
		}
		n++
		ratio, verdict := m.Value/v, ""
		switch {
		case math.IsNaN(ratio) && m.Value == 0 && v == 0:
			ratio, verdict = 1, "same"
		case math.IsNaN(ratio) || math.IsInf(ratio, 0):
			verdict = "changed"
		case math.Abs(ratio-1) <= sameWithin:
			verdict = "same"
		case (ratio > 1) == m.Higher:
			verdict = "better"
		default:
			verdict = "worse"
		}
		rs := "—"
		if !math.IsNaN(ratio) && !math.IsInf(ratio, 0) {
			rs = fmt.Sprintf("%.2f", ratio)
		}
		fmt.Fprintf(tw, "   %s\t%s\t%s\t%s\t%s\n", m.Name, m.Format(v), m.Format(m.Value), rs, verdict)
	}
	tw.Flush()
	if n == 0 {
		fmt.Fprintln(&b, "   (no metric in common: were the same sections and call counts measured?)")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
