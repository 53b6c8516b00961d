package media

import (
	"fmt"
	"time"
)

// SampleRate is a sample rate in samples per second (Hz).
type SampleRate int

// The sample rates every part of recsim supports (docs/audio.md).
const (
	MinRate SampleRate = 8000
	MaxRate SampleRate = 48000
)

// Validate reports whether r lies in [MinRate, MaxRate].
func (r SampleRate) Validate() error {
	if r < MinRate || r > MaxRate {
		return fmt.Errorf("sample rate %d Hz is outside %d–%d Hz", int(r), int(MinRate), int(MaxRate))
	}
	return nil
}

// N returns the number of samples in d, rounded to the nearest sample
// (halves away from zero). It is exact for every duration that is a whole
// number of samples.
func (r SampleRate) N(d time.Duration) int64 {
	num := int64(d) * int64(r)
	q, rem := num/int64(time.Second), num%int64(time.Second)
	if rem < 0 {
		rem = -rem
		if 2*rem >= int64(time.Second) {
			q--
		}
		return q
	}
	if 2*rem >= int64(time.Second) {
		q++
	}
	return q
}

// D returns the duration of n samples, rounded to the nearest nanosecond.
func (r SampleRate) D(n int64) time.Duration {
	// n*1e9 overflows int64 beyond ~9.2e9 samples (53 h at 48 kHz); split it.
	sec, rem := n/int64(r), n%int64(r)
	return time.Duration(sec)*time.Second + time.Duration((rem*int64(time.Second)+int64(r)/2)/int64(r))
}

// Seconds returns the number of samples in s seconds, rounded to the nearest sample.
func (r SampleRate) Seconds(s int) int64 { return int64(s) * int64(r) }

// Ms returns n samples as milliseconds (for JSON and display at the edges).
func (r SampleRate) Ms(n int64) float64 { return float64(n) * 1000 / float64(r) }

// FrameDuration is the frame recsim advances a caller stream by unless it
// is told otherwise: 20 ms, the packet time of telephony RTP (160 samples
// at 8 kHz, 320 at 16 kHz; docs/audio.md).
const FrameDuration = 20 * time.Millisecond

// Frame is a block of mono signed 16-bit samples and the index, on the
// stream's sample clock, of its first sample. The producer owns PCM: a
// consumer must copy what it wants to keep before it returns.
type Frame struct {
	Start int64
	PCM   []int16
}

// End returns the index one past the frame's last sample.
func (f Frame) End() int64 { return f.Start + int64(len(f.PCM)) }
