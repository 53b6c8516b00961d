package goaudio_test

import (
	"bytes"
	"testing"

	"github.com/go-audio/wav"

	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/media/goaudio"
)

// BenchmarkSource reads a minute of 16 kHz mono 16-bit PCM through a
// Source in 20 ms frames (bytes/s of the file's sample data).
func BenchmarkSource(b *testing.B) {
	file, err := media.EncodeWAV(media.Noise(media.Pink, 1, 16000*60, -20), 16000)
	if err != nil {
		b.Fatal(err)
	}
	r := bytes.NewReader(file)
	frame := make([]int16, 320)
	b.SetBytes(int64(len(file) - media.HeaderSize))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(file)
		s, err := goaudio.NewSource(wav.NewDecoder(r))
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := s.Read(frame); err != nil {
				break
			}
		}
	}
}
