package engine

import (
	"sync"

	"github.com/recsim/recsim/media"
)

// beepKey is what a beep's samples depend on.
type beepKey struct {
	rate             media.SampleRate
	hz, level        float64
	samples, rampLen int
}

// beeps holds every beep synthesised so far, keyed by rate and shape:
// a server runs thousands of operations with the same beep, and
// synthesising its 400 ms of sines each time cost 4 % of a record round
// trip. A process meets only a handful of beep shapes (the configuration
// is per server or per call), so the cache is not bounded.
var beeps sync.Map // beepKey → []int16 (read-only)

// beepSamples returns the beep b at rate. The slice is shared by every
// operation with the same beep: it must not be modified.
func beepSamples(rate media.SampleRate, b BeepConfig) []int16 {
	k := beepKey{rate: rate, hz: b.Hz, level: b.Level, samples: int(rate.N(b.Duration)), rampLen: int(rate.N(b.Ramp))}
	if v, ok := beeps.Load(k); ok {
		return v.([]int16)
	}
	pcm := media.Tone(rate, k.samples, media.ToneSpec{Hz: b.Hz, Level: b.Level, Ramp: k.rampLen})
	v, _ := beeps.LoadOrStore(k, pcm)
	return v.([]int16)
}
