package goaudio_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/go-audio/wav"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/media/goaudio"
)

// FuzzSource feeds arbitrary bytes to go-audio's decoder and a Source:
// no panic, no more samples than the data chunk declares, and, where
// media's reader reads the same bytes without error, the same samples.
func FuzzSource(f *testing.F) {
	f.Add(wavSpec{tag: 1, channels: 1, bits: 16, rate: 8000, data: make([]byte, 64), dataSize: -1}.bytes(), uint16(7))
	f.Add(wavSpec{tag: 1, channels: 3, bits: 8, rate: 8000, data: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, dataSize: -1}.bytes(), uint16(1))
	f.Add(wavSpec{tag: 3, channels: 2, bits: 32, rate: 16000, data: make([]byte, 80), dataSize: -1}.bytes(), uint16(3))
	f.Add(wavSpec{tag: 1, channels: 2, bits: 24, rate: 48000, data: make([]byte, 60), dataSize: 600}.bytes(), uint16(4))
	f.Fuzz(func(t *testing.T, file []byte, size uint16) {
		if len(file) > 1<<16 {
			return
		}
		s, err := goaudio.NewSource(wav.NewDecoder(bytes.NewReader(file)))
		if err != nil {
			return
		}
		dst := make([]int16, 1+int(size)%512)
		var got []int16
		var readErr error
		for {
			n, err := s.Read(dst)
			got = append(got, dst[:n]...)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					readErr = err
				}
				break
			}
		}
		require.LessOrEqual(t, int64(len(got)), s.Len(), "no more samples than the data chunk declares")
		rd, err := media.NewReader(bytes.NewReader(file), "fuzz.wav")
		if err != nil {
			return
		}
		want, err := media.ReadAll(rd)
		if err != nil || readErr != nil {
			return
		}
		require.Equal(t, want, got, "media's reader on the same bytes")
	})
}
