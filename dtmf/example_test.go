package dtmf_test

import (
	"fmt"

	"github.com/recsim/recsim/dtmf"
	"github.com/recsim/recsim/media"
)

// A stream of 8 kHz audio with "1#" keyed in it, fed in 20 ms frames.
func Example() {
	const rate = 8000
	key := func(d byte) []int16 {
		pcm, _ := media.DTMF(rate, 800, media.DTMFSpec{Digit: d, Level: -10}) // 100 ms
		return pcm
	}
	stream := media.Concat(media.Silence(1000), key('1'), media.Silence(800), key('#'), media.Silence(800))

	det, err := dtmf.New(dtmf.DefaultConfig(rate))
	if err != nil {
		panic(err)
	}
	events := make([]dtmf.Event, 0, 8) // reused; Process appends
	for i := 0; i < len(stream); i += rate / 50 {
		events = det.Process(events, stream[i:min(i+rate/50, len(stream))])
	}
	events = det.Flush(events)
	for _, e := range events {
		fmt.Printf("%-7v %c onset %d release %d decided at %d\n", e.Kind, e.Digit, e.Onset, e.Release, e.At)
	}
	// Output:
	// KeyDown 1 onset 1000 release -1 decided at 1280
	// KeyUp   1 onset 1000 release 1800 decided at 2040
	// KeyDown # onset 2600 release -1 decided at 2880
	// KeyUp   # onset 2600 release 3400 decided at 3640
}
