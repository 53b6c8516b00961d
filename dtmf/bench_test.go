package dtmf

import (
	"math/rand/v2"
	"testing"

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
		dg := []byte{Keypad[rng.IntN(16)], Keypad[rng.IntN(16)]}
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

// BenchmarkBank is the resonator bank alone, the floor under the detector.
func BenchmarkBank(b *testing.B) {
	pcm, _ := speechWithDigits(b, 8000)
	d, err := New(DefaultConfig(8000))
	require.NoError(b, err)
	b.SetBytes(int64(2 * len(pcm)))
	for b.Loop() {
		for i := 0; i < len(pcm); i += 40 {
			d.bank.run(pcm[i:min(i+40, len(pcm))])
			d.bank.clear()
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e9/(float64(b.N)*float64(len(pcm))), "ns/sample")
}
