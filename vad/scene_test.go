package vad_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/fixtures"
	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/vad"
)

// This file builds the test scenes: speech clips placed at known positions
// over known backgrounds, the truth that follows from the positions, the
// decision the timers of docs/timeline.md take on the detector's events, and the per-class
// summary the tests log.

// span is a stretch of samples [start, end).
type span struct{ start, end int64 }

// scene is one test input and what is known about it.
type scene struct {
	name   string
	rate   int
	pcm    []int16
	speech []span // true speech: the clips' first and last samples
}

// nominalLevel is the active speech level of the scenes, −26 dBFS: ITU-T
// P.56's nominal level for telephone speech (−26 dBov).
const nominalLevel = -26.0

var clipCache sync.Map // rate → func() ([]fixtures.Clip, error)

// clips returns the committed speech clips at rate (8000 or 16000), loaded
// once per test binary.
func clips(t testing.TB, rate int) []fixtures.Clip {
	t.Helper()
	f, _ := clipCache.LoadOrStore(rate, sync.OnceValues(func() ([]fixtures.Clip, error) { return fixtures.Speech(rate) }))
	c, err := f.(func() ([]fixtures.Clip, error))()
	require.NoError(t, err, "loading the speech fixtures at %d Hz", rate)
	require.NotEmpty(t, c, "speech fixtures at %d Hz", rate)
	return c
}

// activeLevel is the level of pcm over its 10 ms frames at or above
// −45 dBFS: the active-frame definition of fixtures/speech/manifest.json,
// applied to the clip at its committed level (peak −3 dBFS).
func activeLevel(pcm []int16, rate int) float64 {
	n := rate / 100
	var sum float64
	var cnt int
	for s := 0; s+n <= len(pcm); s += n {
		var e float64
		for _, v := range pcm[s : s+n] {
			e += float64(v) * float64(v)
		}
		if dBFS(e/float64(n)) >= -45 {
			sum += e
			cnt += n
		}
	}
	if cnt == 0 {
		return math.Inf(-1)
	}
	return dBFS(sum / float64(cnt))
}

// dBFS converts a mean power per sample to recsim's dBFS.
func dBFS(power float64) float64 {
	return 10 * math.Log10(power*2/(media.FullScale*media.FullScale))
}

// speechScene places clips after lead seconds of digital silence, separated
// by pauses (seconds; one fewer than clips), followed by trail seconds, each
// clip scaled to the active level `level` dBFS.
func speechScene(name string, rate int, cs []fixtures.Clip, lead float64, pauses []float64, trail float64, level float64) scene {
	sec := func(s float64) int { return int(math.Round(s * float64(rate))) }
	sc := scene{name: name, rate: rate}
	pcm := media.Silence(sec(lead))
	for i, c := range cs {
		if i > 0 {
			pcm = append(pcm, media.Silence(sec(pauses[i-1]))...)
		}
		clip := append([]int16(nil), c.PCM...)
		media.Gain(clip, level-activeLevel(c.PCM, rate))
		sc.speech = append(sc.speech, span{int64(len(pcm)), int64(len(pcm) + len(clip))})
		pcm = append(pcm, clip...)
	}
	sc.pcm = append(pcm, media.Silence(sec(trail))...)
	return sc
}

// mixNoise adds seeded noise of colour c at level dBFS over the whole scene.
func (sc *scene) mixNoise(c media.NoiseColor, seed uint64, level float64) {
	media.Mix(sc.pcm, media.Noise(c, seed, len(sc.pcm), level), 0)
}

// hum returns n samples of mains hum: fundamental f0 at level dBFS and
// harmonics 2…9 falling 3 dB per harmonic, odd harmonics 6 dB stronger
// than even ones (a transformer's hum is mostly odd harmonics), random
// phases.
func hum(rate, n int, f0, level float64, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 7))
	acc := make([]int16, n)
	for h := 1; h <= 9; h++ {
		l := level - 3*float64(h-1)
		if h%2 == 0 {
			l -= 6
		}
		if f0*float64(h) >= float64(rate)/2 {
			break
		}
		media.Mix(acc, media.Tone(media.SampleRate(rate), n, media.ToneSpec{Hz: f0 * float64(h), Level: l, Phase: rng.Float64() * 2 * math.Pi}), 0)
	}
	return acc
}

// ms converts milliseconds to samples at rate.
func ms(rate int, v float64) int64 { return int64(math.Round(v * float64(rate) / 1000)) }

// run feeds pcm to a fresh default detector in chunks of size samples (0:
// one chunk) and flushes it.
func run(t testing.TB, rate int, pcm []int16, size int) []vad.Event {
	t.Helper()
	d, err := vad.New(vad.DefaultConfig(rate))
	require.NoError(t, err)
	var ev []vad.Event
	if size <= 0 {
		size = max(len(pcm), 1)
	}
	for i := 0; i < len(pcm); i += size {
		ev = d.Process(ev, pcm[i:min(i+size, len(pcm))])
	}
	return d.Flush(ev)
}

// segments pairs the events into detected speech spans (Start.Sample,
// End.Sample) and keeps each SpeechStart's At.
func segments(ev []vad.Event) (segs []span, at []int64) {
	for i := 0; i+1 < len(ev); i += 2 {
		segs = append(segs, span{ev[i].Sample, ev[i+1].Sample})
		at = append(at, ev[i].At)
	}
	return segs, at
}

// decision is the timer that ends a record operation under docs/timeline.md and the
// sample at which it fires (L = 0).
type decision struct {
	reason string
	at     int64
}

func (d decision) String() string { return fmt.Sprintf("%s@%d", d.reason, d.at) }

// decide applies the timer rules of docs/timeline.md to a stream of VAD events: initialSilence fires at
// ti unless a SpeechStart was emitted with At ≤ ti; maxSilence is armed by
// speech and fires at E + tm, E being the last SpeechEnd.Sample, unless a new
// SpeechStart arrives with At ≤ E + tm. The stream is taken to continue in
// silence after the last event (the engine's default end-of-media policy).
func decide(ev []vad.Event, ti, tm int64) decision {
	if len(ev) == 0 || ev[0].At > ti {
		return decision{"initialSilence", ti}
	}
	for i := 1; i < len(ev); i += 2 {
		e := ev[i].Sample + tm
		if i+1 >= len(ev) || ev[i+1].At > e {
			return decision{"maxSilence", e}
		}
	}
	// Speech never ended (cannot happen after Flush).
	return decision{"none", -1}
}

// truthEvents are the events of an ideal detector for sc: speech confirmed
// at its first sample, ended at its last.
func truthEvents(sc scene) []vad.Event {
	var ev []vad.Event
	for _, s := range sc.speech {
		ev = append(ev, vad.Event{Kind: vad.SpeechStart, Sample: s.start, At: s.start}, vad.Event{Kind: vad.SpeechEnd, Sample: s.end, At: s.end})
	}
	return ev
}

// timeouts are the initial and max silence timeouts the decisions are
// checked for, in seconds (docs/wire.md#request: 1–120, default 5).
var timeouts = []int{1, 2, 5}

// outcome is how the detector did on one scene.
type outcome struct {
	onset     []float64 // SpeechStart.At − true onset, ms, per expected segment found
	startErr  []float64 // SpeechStart.Sample − true onset, ms
	end       []float64 // SpeechEnd.Sample − true end, ms
	missed    int       // expected segments with no detected speech
	splits    int       // extra boundaries inside an expected segment
	falseSegs int       // detected segments overlapping no speech
	falseMs   float64   // total length of those
	decisions int       // decisions compared
	right     int       // decisions equal to the truth (same timer, within decisionTolMs)
	wrong     []string
}

// decisionTolMs is how far the firing sample of maxSilence may be from the
// truth for the decision to count as right: the spec's end tolerance.
const decisionTolMs = 50

// mergeGap is the longest pause between clips that the detector is expected
// to bridge (its hangover, 500 ms); the scenes use pauses of 0.3 s (bridged)
// or ≥ 0.7 s (separate segments), never in between.
const mergeGap = 0.5

// evaluate compares the detector's events on sc with the truth.
func evaluate(sc scene, ev []vad.Event) outcome {
	var o outcome
	toMs := func(n int64) float64 { return float64(n) * 1000 / float64(sc.rate) }
	// Expected segments: clips merged across pauses the hangover bridges.
	var exp []span
	for _, s := range sc.speech {
		if len(exp) > 0 && toMs(s.start-exp[len(exp)-1].end) <= mergeGap*1000 {
			exp[len(exp)-1].end = s.end
			continue
		}
		exp = append(exp, s)
	}
	segs, at := segments(ev)
	used := make([]bool, len(segs))
	for _, e := range exp {
		first, last := -1, -1
		for i, s := range segs {
			if s.start < e.end && s.end > e.start {
				if first < 0 {
					first = i
				}
				last = i
				used[i] = true
			}
		}
		if first < 0 {
			o.missed++
			continue
		}
		o.splits += last - first
		o.onset = append(o.onset, toMs(at[first]-e.start))
		o.startErr = append(o.startErr, toMs(segs[first].start-e.start))
		o.end = append(o.end, toMs(segs[last].end-e.end))
	}
	for i, s := range segs {
		if !used[i] {
			o.falseSegs++
			o.falseMs += toMs(s.end - s.start)
		}
	}
	truth := truthEvents(sc)
	for _, ti := range timeouts {
		for _, tm := range timeouts {
			r := int64(sc.rate)
			got, want := decide(ev, int64(ti)*r, int64(tm)*r), decide(truth, int64(ti)*r, int64(tm)*r)
			o.decisions++
			if got.reason == want.reason && math.Abs(toMs(got.at-want.at)) <= decisionTolMs {
				o.right++
			} else {
				o.wrong = append(o.wrong, fmt.Sprintf("%s Ti=%ds Tm=%ds: got %s (%.0f ms) want %s (%.0f ms)", sc.name, ti, tm, got.reason, toMs(got.at), want.reason, toMs(want.at)))
			}
		}
	}
	return o
}

// summary aggregates the outcomes of a scenario class.
type summary struct {
	class     string
	scenes    int
	segs      int
	onset     []float64
	startErr  []float64
	end       []float64
	missed    int
	splits    int
	falseSegs int
	falseMs   float64
	decisions int
	right     int
	wrong     []string
}

func (s *summary) add(o outcome) {
	s.scenes++
	s.segs += len(o.onset) + o.missed
	s.onset = append(s.onset, o.onset...)
	s.startErr = append(s.startErr, o.startErr...)
	s.end = append(s.end, o.end...)
	s.missed += o.missed
	s.splits += o.splits
	s.falseSegs += o.falseSegs
	s.falseMs += o.falseMs
	s.decisions += o.decisions
	s.right += o.right
	s.wrong = append(s.wrong, o.wrong...)
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}

func meanAbs(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var s float64
	for _, x := range v {
		s += math.Abs(x)
	}
	return s / float64(len(v))
}

func maxOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	m := math.Inf(-1)
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[int(q*float64(len(s)-1))]
}

// tableHeader and row format the per-class table the tests log.
const tableHeader = "class                       scenes segs | onset At−true ms max/p95/mean | start ms max|mean | end ms max|/p95/mean | missed splits | false segs (ms) | decisions right/total"

func (s *summary) row() string {
	abs := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = math.Abs(x)
		}
		return out
	}
	return fmt.Sprintf("%-27s %6d %4d | %6.0f %6.0f %6.0f | %6.0f %6.0f | %6.0f %6.0f %6.0f | %6d %6d | %4d (%6.0f) | %4d/%d",
		s.class, s.scenes, s.segs,
		maxOf(s.onset), quantile(s.onset, 0.95), meanAbs(s.onset),
		maxAbs(s.startErr), meanAbs(s.startErr),
		maxAbs(s.end), quantile(abs(s.end), 0.95), meanAbs(s.end),
		s.missed, s.splits, s.falseSegs, s.falseMs, s.right, s.decisions)
}

// logTable logs the summaries as one table.
func logTable(t testing.TB, title string, rows []*summary) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n", title, tableHeader)
	for _, s := range rows {
		b.WriteString(s.row())
		b.WriteByte('\n')
	}
	t.Log(b.String())
}
