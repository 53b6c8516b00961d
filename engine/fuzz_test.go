package engine_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/media"
)

// FuzzOperation feeds arbitrary audio, timers and frame sizes to an
// operation. Invariants: it ends (by the duration cap at the latest), the
// recording never exceeds the cap, the timeline is in sample order, the
// recording is the caller's audio from listen start, and it encodes to a
// WAV that decodes to the same samples.
func FuzzOperation(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4}, uint8(1), uint8(1), uint8(1), uint16(160), true)
	f.Add(bytes.Repeat([]byte{0x00, 0x40, 0x00, 0xc0}, 2000), uint8(2), uint8(3), uint8(1), uint16(79), false)
	f.Fuzz(func(t *testing.T, raw []byte, ti, tm, d uint8, frame uint16, beep bool) {
		pcm := make([]int16, len(raw)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		ti, tm, d = ti%3+1, tm%3+1, d%3+1
		body := fmt.Sprintf(`{"initialSilenceTimeoutInSeconds": %d, "maxSilenceTimeoutInSeconds": %d, "maxRecordDurationInSeconds": %d, "playBeep": %v, "stopTones": ["#", "1"]}`, ti, tm, d, beep)
		req, err := graph.ParseRecordRequest([]byte(body), false)
		require.NoError(t, err)
		op, err := engine.NewOperation(req, nil, engine.DefaultOptions(8000), 0)
		require.NoError(t, err)
		op.ProcessAll(pcm, int(frame)%4000+1, engine.EndSilence)
		require.True(t, op.Done())
		rec := slices.Concat(op.RecordingParts()...)
		require.LessOrEqual(t, len(rec), int(d)*8000)
		last := int64(-1)
		for _, ev := range op.Timeline() {
			require.GreaterOrEqual(t, ev.At, last, "timeline out of order: %+v", op.Timeline())
			last = ev.At
		}
		from, _ := op.Span().RecordFrom, op.Span().RecordTo
		for i, s := range rec {
			j := int(from) + i
			want := int16(0)
			if j < len(pcm) {
				want = pcm[j]
			}
			require.Equal(t, want, s, "recording sample %d", i)
		}
		b, err := media.EncodeWAV(rec, 8000)
		require.NoError(t, err)
		rd, err := media.NewReader(bytes.NewReader(b), "rec.wav")
		require.NoError(t, err)
		got, err := media.ReadAll(rd)
		require.NoError(t, err)
		require.Equal(t, len(rec), len(got))
	})
}
