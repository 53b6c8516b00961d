package dtmf

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/recsim/recsim/dtmf/keypad"
	"github.com/stretchr/testify/require"
)

// FuzzDetector feeds arbitrary samples in arbitrary chunks at one of the
// supported rates. Invariants: no panic; events ordered by At; KeyDown and
// KeyUp alternate with the same digit; Onset ≤ At; Onset < Release ≤ At;
// At ≤ samples consumed; the same events in one chunk as in the fuzzed
// chunks (chunking invariance).
func FuzzDetector(f *testing.F) {
	// Seeds stay small (a digit at 8 kHz is 3 KB): the fuzzing engine
	// minimises every new interesting input, at a cost that grows with the
	// square of its size.
	rng := rand.New(rand.NewPCG(1, 1))
	sc := buildScene(f, rng, 8000, []toneSpec{{digit: '9', dur: 45, level: -10, pauseAft: 0}}, 100, -40)
	f.Add(uint8(0), uint16(79), samplesToBytes(sc.pcm))
	f.Add(uint8(0), uint16(1), []byte{0x00, 0x80, 0xff, 0x7f})
	f.Add(uint8(3), uint16(4000), make([]byte, 512))
	f.Fuzz(func(t *testing.T, rateSel uint8, chunk uint16, data []byte) {
		rates := []int{8000, 16000, 11025, 44100, 48000}
		rate := rates[int(rateSel)%len(rates)]
		pcm := make([]int16, min(len(data)/2, maxFuzzSamples))
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
		size := int(chunk)%997 + 1
		whole := run(t, rate, pcm)
		d, err := New(DefaultConfig(rate))
		require.NoError(t, err)
		var ev []Event
		for i := 0; i < len(pcm); i += size {
			ev = d.Process(ev, pcm[i:min(i+size, len(pcm))])
		}
		ev = d.Flush(ev)
		require.Equal(t, whole, ev, "chunks of %d", size)
		checkEvents(t, ev)
		for _, e := range ev {
			require.LessOrEqual(t, e.At, int64(len(pcm)))
			require.GreaterOrEqual(t, e.Onset, int64(0))
			require.Contains(t, keypad.Digits, string(e.Digit))
		}
	})
}

// maxFuzzSamples bounds an execution (longer inputs are cut): a second at
// 8 kHz holds every path of the detector several times over.
const maxFuzzSamples = 8000

func samplesToBytes(pcm []int16) []byte {
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}
