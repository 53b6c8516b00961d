package bench

import (
	"testing"
	"time"

	"github.com/recsim/recsim/engine/runner"
)

// benchScene is the throughput scene the Go benchmarks share with the
// harness: a minute of speech, pauses, key presses and noise.
func benchScene(b *testing.B, rate int) *Scene {
	b.Helper()
	sc, err := NewScene(rate, DefaultConfig().SceneSeconds)
	if err != nil {
		b.Fatal(err)
	}
	return sc
}

// benchmarkKernel runs one kernel over the scene once per iteration, in
// 20 ms frames, and reports samples/s, × real time and ns/sample.
func benchmarkKernel(b *testing.B, name string, rate int) {
	sc := benchScene(b, rate)
	k, err := NewKernel(name, sc)
	if err != nil {
		b.Fatal(err)
	}
	n := FrameSamples(rate)
	var samples int64
	s, _ := k.pass(sc.PCM, n) // warm-up, and the bytes one pass handles
	if k.Check != nil {
		if err := k.Check(); err != nil {
			b.Log(err) // the figures still stand; the harness prints the same note
		}
	}
	b.SetBytes(2 * s)
	b.ReportAllocs()
	for b.Loop() {
		s, _ := k.pass(sc.PCM, n)
		samples += s
	}
	perSec := float64(samples) / b.Elapsed().Seconds()
	b.ReportMetric(perSec, "samples/s")
	b.ReportMetric(perSec/float64(rate), "x-realtime")
	b.ReportMetric(1e9/perSec, "ns/sample")
}

// BenchmarkDTMF is the DTMF detector alone.
func BenchmarkDTMF(b *testing.B) {
	b.Run("8kHz", func(b *testing.B) { benchmarkKernel(b, KernelDTMF, 8000) })
	b.Run("16kHz", func(b *testing.B) { benchmarkKernel(b, KernelDTMF, 16000) })
}

// BenchmarkVAD is the voice-activity detector alone.
func BenchmarkVAD(b *testing.B) {
	b.Run("8kHz", func(b *testing.B) { benchmarkKernel(b, KernelVAD, 8000) })
	b.Run("16kHz", func(b *testing.B) { benchmarkKernel(b, KernelVAD, 16000) })
}

// BenchmarkPipeline is one recordResponse over the scene (DTMF + VAD +
// beep + recording to memory) and then the recording's WAV write: an
// iteration is a whole operation, setup included (allocs/op counts its
// setup; TestPipelineAllocatesNothingPerFrame checks the frames).
func BenchmarkPipeline(b *testing.B) {
	b.Run("8kHz", func(b *testing.B) { benchmarkKernel(b, KernelPipeline, 8000) })
	b.Run("16kHz", func(b *testing.B) { benchmarkKernel(b, KernelPipeline, 16000) })
}

// BenchmarkWAVWrite writes the scene as a WAV file to memory in 20 ms
// frames.
func BenchmarkWAVWrite(b *testing.B) {
	b.Run("8kHz", func(b *testing.B) { benchmarkKernel(b, KernelWAV, 8000) })
	b.Run("16kHz", func(b *testing.B) { benchmarkKernel(b, KernelWAV, 16000) })
}

// BenchmarkRunnerTick advances 1 000 concurrency calls (chained
// recordResponses at 8 kHz) by one frame per iteration on the realtime
// runner's workers; x-realtime is how many times faster than real time
// the tick ran, so calls × x-realtime is the calls this machine keeps in
// real time.
func BenchmarkRunnerTick(b *testing.B) {
	const calls, rate = 1000, 8000
	audio := 150 * time.Second // more frames than b.Loop asks for in a second's benchmark
	cs, err := newCallSet(rate, audio, int(audio/(2*time.Second))+4, defaultRecordSeconds)
	if err != nil {
		b.Fatal(err)
	}
	prefault(2 * calls * perCallGuess(rate))
	if err := cs.start(calls, runner.Options{Mode: runner.Realtime}, noStage{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(2 * calls * int64(cs.frame))
	b.ReportAllocs()
	ticks := 0
	for b.Loop() {
		cs.r.Tick()
		ticks++
	}
	perTick := b.Elapsed() / time.Duration(ticks)
	b.ReportMetric(float64(frameDur)/float64(perTick), "x-realtime")
	b.ReportMetric(float64(calls)*float64(cs.frame)/perTick.Seconds(), "samples/s")
	if ticks > int(audio/frameDur) {
		b.Logf("%d ticks ran past the calls' %s of queued work: the figures are too good", ticks, audio)
	}
}
