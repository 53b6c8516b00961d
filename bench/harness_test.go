package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/engine/runner"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatIsTheMinimumMedianAndMaximumOfTheRuns(t *testing.T) {
	tests := []struct {
		name             string
		runs             []float64
		min, median, max float64
	}{
		{"one run is all three", []float64{5}, 5, 5, 5},
		{"an odd count takes the middle", []float64{3, 1, 2}, 1, 2, 3},
		{"an even count averages the middle two", []float64{4, 1, 3, 2}, 1, 2.5, 4},
		{"unmeasured runs are left out", []float64{math.NaN(), 7, 9}, 7, 8, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := statOf(tt.runs)
			assert.Equal(t, []float64{tt.min, tt.median, tt.max}, []float64{s.Min, s.Median, s.Max})
			assert.Len(t, s.Runs, len(tt.runs))
		})
	}
	assert.True(t, math.IsNaN(statOf([]float64{math.NaN()}).Median), "nothing measured is NaN")
}

func TestStatWritesNaNAsNullAndReadsItBack(t *testing.T) {
	b, err := json.Marshal(statOf([]float64{math.NaN(), 2}))
	require.NoError(t, err)
	assert.JSONEq(t, `{"min": 2, "median": 2, "max": 2, "runs": [null, 2]}`, string(b))
	var s Stat
	require.NoError(t, json.Unmarshal([]byte(`{"min": null, "median": null, "max": null, "runs": [null]}`), &s))
	assert.True(t, math.IsNaN(s.Median))
}

func TestHistogramQuantilesErrLateByLessThanOneBucket(t *testing.T) {
	h := newHistogram()
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * 10 * time.Microsecond) // 10 µs … 10 ms
	}
	h.add(-time.Millisecond) // a frame early counts as on time
	o := newHistogram()
	o.add(5 * time.Second) // past the last bucket: counted, and the maximum stays exact
	h.merge(o)
	assert.Equal(t, uint64(1002), h.n)
	assert.InDelta(t, 5*time.Millisecond, h.quantile(0.5), float64(histStep))
	assert.InDelta(t, 9.91*float64(time.Millisecond), h.quantile(0.99), float64(histStep))
	assert.Equal(t, 5*time.Second, h.max)
	assert.Equal(t, 5*time.Second, h.quantile(1))
}

func TestFormatting(t *testing.T) {
	assert.Equal(t, "10 000", group(10000))
	assert.Equal(t, "-1 234 567", group(-1234567))
	assert.Equal(t, "1.70e8", sci(1.7e8))
	assert.Equal(t, "1.00e8", sci(9.999e7))
	assert.Equal(t, "?", sci(math.NaN()))
	assert.Equal(t, "2.50 [1.00–4.00]", cell(statOf([]float64{1, 2.5, 4, 3, 2}), num))
	assert.Equal(t, "160 KiB", bytesIEC(160<<10))
}

func TestTheSceneEndsTheOperationOnItsStopTone(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		sc, err := NewScene(rate, 8)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, sc.Seconds, 8.0)
		assert.True(t, strings.HasSuffix(sc.Digits, "#"))
		k, err := NewKernel(KernelPipeline, sc)
		require.NoError(t, err)
		samples, _ := k.pass(sc.PCM, FrameSamples(rate))
		require.NoError(t, k.Check(), "at %d Hz", rate)
		assert.Greater(t, samples, int64(sc.StopAt), "the operation runs to the stop tone")
	}
}

// TestPipelineAllocatesNothingPerFrame is the zero-allocation promise of
// the hot path: once an operation runs, feeding it a 20 ms frame (DTMF,
// VAD, the recording) allocates nothing, and nor do the detectors and the
// WAV writer alone.
func TestPipelineAllocatesNothingPerFrame(t *testing.T) {
	sc, err := NewScene(8000, 20)
	require.NoError(t, err)
	n := FrameSamples(8000)
	for _, name := range Kernels() {
		t.Run(name, func(t *testing.T) {
			k, err := NewKernel(name, sc)
			require.NoError(t, err)
			k.Begin()
			i := 0
			frame := func() {
				k.Frame(sc.PCM[i : i+n])
				i += n
			}
			for range 50 { // past the beep, into listening and speech
				frame()
			}
			const runs = 400 // 8 s: speech, pauses and key presses
			require.Less(t, (50+runs+1)*n, sc.StopAt, "the frames stay before the stop tone")
			assert.Zero(t, testing.AllocsPerRun(runs, frame))
			k.End()
		})
	}
}

func TestNewKernelNamesTheUnknownOne(t *testing.T) {
	sc, err := NewScene(8000, 1)
	require.NoError(t, err)
	_, err = NewKernel("fft", sc)
	assert.ErrorContains(t, err, `"fft"`)
	_, err = NewScene(11025, 1)
	assert.ErrorContains(t, err, "11025")
}

// TestConcurrencyLosesNothingUnderAFakeClock runs the realtime
// measurement in a synctest bubble: time moves only when every goroutine
// waits, so the run is exact and repeatable, and every operation the
// reference run ends must have been reported once.
func TestConcurrencyLosesNothingUnderAFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		run, err := concurrency(context.Background(), 40, 8000, 120, 6*time.Second, nil, NoProgress{})
		require.NoError(t, err)
		assert.Equal(t, int64(300), run.TicksDue)
		assert.InDelta(t, run.TicksDue, run.Ticks, 1, "a tick may race the end of the run")
		assert.Positive(t, run.Completed)
		assert.Equal(t, run.Expected, run.Completed)
		assert.Zero(t, run.Lost)
		assert.Zero(t, run.Duplicated)
		assert.Zero(t, run.Wrong)
		assert.Zero(t, run.LateMax, "no time passes while the fake clock's goroutines work")
		var total int64
		for _, n := range run.Outcomes {
			total += n
		}
		assert.Equal(t, run.Completed, total)
		assert.Positive(t, run.HeapPerCal)
		assert.Equal(t, 120, run.RecordSeconds)
		// The running operations started within the run and hold what
		// they recorded since: some audio, at most the run's 6 s a call.
		assert.Positive(t, run.Recorded)
		assert.LessOrEqual(t, run.Recorded, float64(40*2*8000*6))
		assert.InDelta(t, (run.HeapInUse-run.Recorded)/40, run.BeyondAudio, 1e-6)
	})
}

func TestCallRequestsCarryTheRecordCap(t *testing.T) {
	for _, limit := range []int{10, 120} {
		for i, body := range CallRequests(limit) {
			req, err := graph.ParseRecordRequest([]byte(body), false)
			require.NoError(t, err, body)
			assert.Equal(t, limit, req.MaxRecordDurationInSeconds)
			assert.Equal(t, string(turnKeys[i]), string(req.StopTones))
		}
	}
}

func TestTheReferenceCatchesLostAndDuplicatedOperations(t *testing.T) {
	cs, err := newCallSet(8000, 4*time.Second, 4, defaultRecordSeconds)
	require.NoError(t, err)
	cs.track(3)
	require.NoError(t, cs.start(3, runner.Options{Mode: runner.Realtime}, noStage{}))
	for range 200 {
		cs.r.Tick()
	}
	v, err := cs.check(cs.positions())
	require.NoError(t, err)
	require.Positive(t, v.completed)
	assert.Equal(t, verdict{completed: v.completed, expected: v.completed, outcomes: v.outcomes}, v)

	for i, s := range cs.seen { // lose one notification, duplicate another
		if s == 1 {
			cs.seen[i] = 0
			break
		}
	}
	for i := len(cs.seen) - 1; i >= 0; i-- {
		if cs.seen[i] == 1 {
			cs.seen[i] = 2
			break
		}
	}
	v, err = cs.check(cs.positions())
	require.NoError(t, err)
	assert.Equal(t, int64(1), v.lost)
	assert.Equal(t, int64(1), v.duplicated)
}

func TestScalingMeasuresEveryFactor(t *testing.T) {
	runs, err := scaling(16, 8000, 5, NoProgress{})
	require.NoError(t, err)
	require.Len(t, runs, len(ScaleFactors()))
	for i, r := range runs {
		assert.Equal(t, ScaleFactors()[i], r.Factor)
		assert.Equal(t, 2*ScaleFactors()[i], r.Calls)
		assert.Positive(t, r.WallPerTick)
	}
}

func TestConfigValidateNamesTheField(t *testing.T) {
	tests := map[string]func(*Config){
		"runs = 0":             func(c *Config) { c.Runs = 0 },
		"calls = -1":           func(c *Config) { c.Calls = -1 },
		`section "gpu"`:        func(c *Config) { c.Only = []string{"gpu"} },
		"call rate 44100":      func(c *Config) { c.CallRate = 44100 },
		"seconds = 0":          func(c *Config) { c.Seconds = 0 },
		"scale ticks = 0":      func(c *Config) { c.ScaleTicks = 0 },
		"kernel time = -1":     func(c *Config) { c.KernelTime = -1 },
		"record seconds = 121": func(c *Config) { c.RecordSeconds = 121 },
	}
	for want, mutate := range tests {
		c := DefaultConfig()
		mutate(&c)
		assert.ErrorContains(t, c.Validate(), want)
	}
	assert.NoError(t, DefaultConfig().Validate())
}

func TestTargetsSayWhatWasMetAndNameTheGap(t *testing.T) {
	rep := &Report{Machine: Machine{GOMAXPROCS: 2}, Config: Config{Runs: 1},
		Throughput: []ThroughputResult{
			{Kernel: KernelDTMF, Rate: 8000, Target: 1.7e8, SamplesPerSec: statOf([]float64{2e8})},
			{Kernel: KernelPipeline, Rate: 8000, Target: 8e7, SamplesPerSec: statOf([]float64{2e7})},
		},
		Concurrency: &ConcurrencyResult{Calls: 20000, RecordSeconds: 10, LateP99: statOf([]float64{31}), Lost: statOf([]float64{0}),
			Duplicated: statOf([]float64{0}), Wrong: statOf([]float64{0}), TicksMissed: statOf([]float64{0}),
			BeyondAudio: statOf([]float64{60 << 10}), HeapInUse: statOf([]float64{5 << 30})},
	}
	ts := rep.Targets()
	require.Len(t, ts, 5, "no memory-run target with a 10 s cap")
	assert.True(t, ts[0].Met)
	assert.False(t, ts[1].Met)
	assert.Equal(t, "4.0× short", ts[1].Gap)
	assert.Contains(t, ts[1].What, "10 000× real time")
	assert.False(t, ts[2].Met)
	assert.Equal(t, "p99 11.0 ms over", ts[2].Gap)
	assert.False(t, ts[3].Met)
	assert.Equal(t, "12.0 KiB over", ts[3].Gap)
	assert.True(t, ts[4].Met)

	rep.Concurrency.RecordSeconds = 120
	ts = rep.Targets()
	require.Len(t, ts, 6, "the memory run has its own target")
	assert.Contains(t, ts[4].What, "maxRecordDuration 120 s")
	assert.False(t, ts[4].Met)
	assert.Equal(t, "1.00 GiB over", ts[4].Gap)

	rep.Concurrency.Calls = 500
	assert.False(t, rep.Targets()[2].Evaluated, "500 calls cannot judge the 20 000-call target")
	assert.False(t, rep.Targets()[3].Evaluated)
}

// TestAReportPrintsRoundTripsAndCompares runs every section but the
// server's at toy sizes (the figures themselves are not checked: the
// machine is not quiet in tests).
func TestAReportPrintsRoundTripsAndCompares(t *testing.T) {
	cfg := Config{Rates: []int{8000}, SceneSeconds: 2, KernelTime: 0.01, Calls: 8, Seconds: 0.2, CallRate: 8000,
		ScaleTicks: 3, ServerCalls: 1, Runs: 2, Only: []string{SectionThroughput, SectionConcurrency, SectionScaling}}
	rep, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	require.Len(t, rep.Throughput, len(Kernels()))
	require.NotNil(t, rep.Concurrency)
	require.Len(t, rep.Scaling, len(ScaleFactors()))
	assert.Len(t, rep.Throughput[0].SamplesPerSec.Runs, 2)

	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	for _, want := range []string{"machine: ", "1. Throughput per core", "2. Concurrency in real time", "3. Scaling",
		"frame lateness", "memory per call", "Targets", "median [min–max]", "pipeline", "wav write"} {
		assert.Contains(t, text.String(), want)
	}

	var js bytes.Buffer
	require.NoError(t, rep.WriteJSON(&js))
	var back Report
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, rep.Machine, back.Machine)
	assert.Equal(t, rep.Throughput[0].SamplesPerSec.Median, back.Throughput[0].SamplesPerSec.Median)

	var cmp bytes.Buffer
	require.NoError(t, WriteCompare(&cmp, &back, rep))
	assert.Contains(t, cmp.String(), "dtmf 8 kHz samples/s")
	assert.Contains(t, cmp.String(), "1.00")
	assert.NotContains(t, cmp.String(), "no metric in common")
}

func TestServerLoadNotifiesEveryOperationOnce(t *testing.T) {
	run, err := serverLoad(context.Background(), 2, NoProgress{})
	require.NoError(t, err)
	assert.Equal(t, 2*serverRounds, run.Operations)
	assert.Equal(t, int64(run.Operations), run.Completed)
	assert.Zero(t, run.Lost)
	assert.Zero(t, run.Duplicated)
	assert.Positive(t, run.P50)
}
