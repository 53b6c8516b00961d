package bench

import (
	"math"
	"slices"
	"time"
)

// Stat is one figure over the runs: every run's value and their minimum,
// median and maximum. With one run the three are the value.
type Stat struct {
	Min    float64   `json:"min"`
	Median float64   `json:"median"`
	Max    float64   `json:"max"`
	Runs   []float64 `json:"runs"`
}

// statOf summarises the runs' values (NaN values, "not measured", are
// kept in Runs and left out of the summary).
func statOf(v []float64) Stat {
	s := Stat{Runs: slices.Clone(v)}
	ok := make([]float64, 0, len(v))
	for _, x := range v {
		if !math.IsNaN(x) {
			ok = append(ok, x)
		}
	}
	if len(ok) == 0 {
		nan := math.NaN()
		return Stat{Min: nan, Median: nan, Max: nan, Runs: s.Runs}
	}
	slices.Sort(ok)
	s.Min, s.Max = ok[0], ok[len(ok)-1]
	if m := len(ok) / 2; len(ok)%2 == 1 {
		s.Median = ok[m]
	} else {
		s.Median = (ok[m-1] + ok[m]) / 2
	}
	return s
}

// collect gathers field f of every run into a Stat.
func collect[T any](runs []T, f func(T) float64) Stat {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	return statOf(v)
}

// histogram counts durations in fixed buckets of histStep up to histMax
// (a last bucket holds everything above) and keeps the exact maximum. It
// needs no allocation per value, so a runner worker can feed it each
// frame. Not safe for concurrent use: keep one per worker and merge.
type histogram struct {
	counts []uint64
	n      uint64
	max    time.Duration
}

const (
	histStep = 10 * time.Microsecond // the percentiles' resolution
	histMax  = 2 * time.Second       // beyond: counted in the last bucket, max still exact
)

func newHistogram() *histogram {
	return &histogram{counts: make([]uint64, histMax/histStep+1)}
}

func (h *histogram) add(d time.Duration) {
	d = max(d, 0)
	i := min(int(d/histStep), len(h.counts)-1)
	h.counts[i]++
	h.n++
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the upper edge of the bucket holding the q-quantile
// (so it errs late by less than histStep), never above the maximum.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			if i == len(h.counts)-1 { // the overflow bucket has no upper edge
				return h.max
			}
			return min(time.Duration(i+1)*histStep, h.max)
		}
	}
	return h.max
}

// quantileOf returns the q-quantile of d (nearest rank); d is sorted in
// place.
func quantileOf(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(math.Ceil(q*float64(len(d)))) - 1
	return d[min(max(i, 0), len(d)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
