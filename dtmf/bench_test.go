package dtmf

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/recsim/recsim/dtmf/keypad"
	"github.com/recsim/recsim/media"
	"github.com/stretchr/testify/require"
)

// speechWithDigits is every speech fixture at rate, each followed by a
// pause and two engine-style stop tones: about 3.5 minutes of audio.
func speechWithDigits(b testing.TB, rate int) ([]int16, string) {
	speech, _ := clips(b, rate)
	rng := rand.New(rand.NewPCG(1, 2))
	var parts [][]int16
	var want []byte
	for _, c := range speech {
		dg := []byte{keypad.Digits[rng.IntN(16)], keypad.Digits[rng.IntN(16)]}
		want = append(want, dg...)
		parts = append(parts, c.PCM, media.Silence(ms(rate, 150)), stopTones(b, rng, rate, string(dg)))
	}
	return media.Concat(parts...), string(want)
}

func benchmarkDetector(b *testing.B, rate int) {
	pcm, want := speechWithDigits(b, rate)
	d, err := New(DefaultConfig(rate))
	require.NoError(b, err)
	dst := make([]Event, 0, 2*len(want)+2)
	frame := rate / 50
	b.ReportAllocs()
	b.SetBytes(int64(2 * len(pcm)))
	for b.Loop() {
		d.Reset()
		dst = dst[:0]
		for i := 0; i < len(pcm); i += frame {
			dst = d.Process(dst, pcm[i:min(i+frame, len(pcm))])
		}
		dst = d.Flush(dst)
	}
	require.Equal(b, want, digitsOf(dst))
	perSec := float64(b.N) * float64(len(pcm)) / b.Elapsed().Seconds()
	b.ReportMetric(perSec, "samples/s")
	b.ReportMetric(perSec/float64(rate), "x-realtime")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/(float64(b.N)*float64(len(pcm))), "ns/sample")
}

// BenchmarkDetector runs the detector over speech with digits at 8 kHz in
// 20 ms frames (the engine's frame).
func BenchmarkDetector(b *testing.B) { benchmarkDetector(b, 8000) }

// BenchmarkDetector16k is the same scene at 16 kHz.
func BenchmarkDetector16k(b *testing.B) { benchmarkDetector(b, 16000) }

// BenchmarkResonators is the resonator bank alone, the floor under the
// detector.
func BenchmarkResonators(b *testing.B) {
	pcm, _ := speechWithDigits(b, 8000)
	d, err := New(DefaultConfig(8000))
	require.NoError(b, err)
	b.SetBytes(int64(2 * len(pcm)))
	for b.Loop() {
		for i := 0; i < len(pcm); i += 40 {
			d.bank.gz.run(&d.lanes, pcm[i:min(i+40, len(pcm))])
			d.lanes.clear()
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e9/(float64(b.N)*float64(len(pcm))), "ns/sample")
}

// sinkDetector keeps BenchmarkNewDetector's detectors on the heap, as a
// caller's are (a Detector that does not escape may live on the stack).
var sinkDetector *Detector

// BenchmarkNewDetector compares making a Detector with New (which builds
// its Bank: resonators, phase tables and the sixteen unmixing matrices)
// and with Bank.New from a Bank built once.
func BenchmarkNewDetector(b *testing.B) {
	for _, rate := range []int{8000, 16000} {
		cfg := DefaultConfig(rate)
		b.Run(fmt.Sprintf("New(cfg) at %d Hz", rate), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d, err := New(cfg)
				if err != nil {
					b.Fatal(err)
				}
				sinkDetector = d
			}
		})
		b.Run(fmt.Sprintf("bank.New() at %d Hz", rate), func(b *testing.B) {
			bank, err := NewBank(cfg)
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				sinkDetector = bank.New()
			}
		})
	}
}
