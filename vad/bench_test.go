package vad_test

import (
	"fmt"
	"testing"

	"github.com/recsim/recsim/fixtures"
	"github.com/recsim/recsim/vad"
)

// benchSpeech is a call-like recording at rate: twelve clips at the nominal
// level with pauses, over −56 dBFS white noise (30 dB SNR), about 60 s.
func benchSpeech(b *testing.B, rate int) []int16 {
	cs := clips(b, rate)
	group := make([]fixtures.Clip, 0, 12)
	for i := 0; i < 12; i++ {
		group = append(group, cs[(i*5)%len(cs)])
	}
	p := make([]float64, len(group)-1)
	for i := range p {
		p[i] = pauses[i%len(pauses)] / 2
	}
	sc := speechScene("bench", rate, group, 1, p, 1, nominalLevel)
	sc.mixNoise(0, 1, nominalLevel-30)
	return sc.pcm
}

func benchmarkDetector(b *testing.B, rate int) {
	pcm := benchSpeech(b, rate)
	d, err := vad.New(vad.DefaultConfig(rate))
	if err != nil {
		b.Fatal(err)
	}
	const frame = 20 // ms, the engine's default frame (docs/audio.md)
	n := rate * frame / 1000
	ev := make([]vad.Event, 0, 64)
	b.SetBytes(int64(2 * len(pcm)))
	b.ReportAllocs()
	for b.Loop() {
		d.Reset()
		for i := 0; i < len(pcm); i += n {
			ev = d.Process(ev[:0], pcm[i:min(i+n, len(pcm))])
		}
		ev = d.Flush(ev[:0])
	}
	perSec := float64(b.N) * float64(len(pcm)) / b.Elapsed().Seconds()
	b.ReportMetric(perSec, "samples/s")
	b.ReportMetric(perSec/float64(rate), "x-realtime")
}

// BenchmarkDetector runs the detector over a minute of speech with pauses
// at 8 kHz, in the engine's 20 ms frames.
func BenchmarkDetector(b *testing.B) { benchmarkDetector(b, 8000) }

// BenchmarkDetector16k is BenchmarkDetector at 16 kHz.
func BenchmarkDetector16k(b *testing.B) { benchmarkDetector(b, 16000) }

// BenchmarkNew measures what building a detector costs: vad.New (a Model
// and a detector: CPU feature probe, derived thresholds, state), NewModel
// alone, and Model.New (the detector's own state only).
func BenchmarkNew(b *testing.B) {
	for _, rate := range []int{8000, 16000, 48000} {
		cfg := vad.DefaultConfig(rate)
		b.Run(fmt.Sprintf("New at %d Hz", rate), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := vad.New(cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("NewModel at %d Hz", rate), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := vad.NewModel(cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("Model.New at %d Hz", rate), func(b *testing.B) {
			m, err := vad.NewModel(cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				m.New()
			}
		})
	}
}
