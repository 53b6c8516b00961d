package vad_test

import (
	"fmt"

	"github.com/recsim/recsim/fixtures"
	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/vad"
)

// The detector is fed the caller's stream in frames of any size; events
// come out as they are decided. Here: the beep, 0.8 s of quiet noise, a
// 3.6 s utterance, then 1 s of the same noise.
func Example() {
	const rate = 8000
	r := media.SampleRate(rate)
	clip, err := fixtures.SpeechClip("en_us_s160_01", rate)
	if err != nil {
		panic(err)
	}
	pcm := media.Concat(media.Silence(rate*4/5), clip.PCM, media.Silence(rate))
	media.Mix(pcm, media.Tone(r, rate*2/5, media.ToneSpec{Hz: 1000, Level: -10, Ramp: 40}), 0)
	media.Mix(pcm, media.Noise(media.Pink, 1, len(pcm), -60), 0)

	d, err := vad.New(vad.DefaultConfig(rate))
	if err != nil {
		panic(err)
	}
	var ev []vad.Event
	for i := 0; i < len(pcm); i += 160 { // 20 ms frames
		ev = d.Process(ev, pcm[i:min(i+160, len(pcm))])
	}
	ev = d.Flush(ev)
	fmt.Printf("utterance from %v to %v ms\n", r.Ms(int64(rate*4/5)), r.Ms(int64(rate*4/5+len(clip.PCM))))
	for _, e := range ev {
		fmt.Printf("%v at %v ms, decided at %v ms\n", e.Kind, r.Ms(e.Sample), r.Ms(e.At))
	}
	// Output:
	// utterance from 800 to 4377.75 ms
	// SpeechStart at 800 ms, decided at 850 ms
	// SpeechEnd at 4380 ms, decided at 4880 ms
}
