package engine_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/media"
)

// A caller who says nothing for two seconds, then presses #: the
// operation ends when the detector has confirmed the stop tone (35 ms
// after its onset here) and the recording is cut at the onset.
func ExampleOperation() {
	const rate media.SampleRate = 8000
	req := engine.DefaultRecordRequest()
	req.StopTones = []byte("#")
	req.MaxRecordDurationInSeconds = 10

	op, err := engine.NewOperation(req, nil, engine.DefaultOptions(rate), 0)
	if err != nil {
		panic(err)
	}
	// 0.4 s of beep, 2 s of listening, then # for 100 ms.
	tone, err := media.DTMF(rate, 800, media.DTMFSpec{Digit: '#', Level: -10})
	if err != nil {
		panic(err)
	}
	caller := media.Concat(media.Silence(int(rate.N(2400*time.Millisecond))), tone, media.Silence(8000))
	for i := 0; i < len(caller) && !op.Done(); i += 160 { // 20 ms frames
		op.Process(caller[i:min(i+160, len(caller))])
	}

	r := op.Result()
	fmt.Println(r.Reason, r.Code, r.Subcode, "failed:", r.Failed)
	fmt.Printf("recorded %.2f s\n", float64(len(slices.Concat(op.RecordingParts()...)))/float64(rate))
	for _, e := range op.Timeline() {
		switch e.Kind {
		case engine.EvDigit:
			fmt.Printf("digit %c at %.3f s\n", e.Digit, float64(e.Sample)/float64(rate))
		case engine.EvCompleted:
			fmt.Printf("completed at %.3f s\n", float64(e.Sample)/float64(rate))
		}
	}
	// Output:
	// stopToneDetected 200 8514 failed: false
	// recorded 2.00 s
	// digit # at 2.400 s
	// completed at 2.435 s
}
