package goaudio_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"

	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/media/goaudio"
)

// A stereo go-audio buffer becomes recsim's mono int16, channels averaged
// and rounded half away from zero.
func ExampleFromIntBuffer() {
	b := &audio.IntBuffer{
		Format:         &audio.Format{NumChannels: 2, SampleRate: 8000},
		SourceBitDepth: 16,
		Data:           []int{1000, -1000, 3, 4, 32767, 32767},
	}
	pcm, rate, err := goaudio.FromIntBuffer(b)
	if err != nil {
		panic(err)
	}
	fmt.Println(pcm, rate)
	// Output: [0 4 32767] 8000
}

// A Source reads a go-audio decoder in the caller's frames.
func ExampleNewSource() {
	file, err := media.EncodeWAV([]int16{10, 20, 30, 40, 50}, 16000)
	if err != nil {
		panic(err)
	}
	s, err := goaudio.NewSource(wav.NewDecoder(bytes.NewReader(file)))
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Rate(), "Hz,", s.Len(), "samples")
	frame := make([]int16, 2)
	for {
		n, err := s.Read(frame)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			panic(err)
		}
		fmt.Println(frame[:n])
	}
	// Output:
	// 16000 Hz, 5 samples
	// [10 20]
	// [30 40]
	// [50]
}
