package media

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/recsim/recsim/dtmf/keypad"
)

// FullScale is the peak amplitude, in sample units, of a 0 dBFS sine.
//
// Level convention (used by every level in recsim): a sine of L dBFS has a
// peak of FullScale·10^(L/20); any other signal of L dBFS has the same mean
// power as that sine, i.e. an RMS of FullScale·10^(L/20)/√2 (AES17 style:
// a full-scale sine is 0 dBFS, full-scale white noise would be +3 dBFS).
const FullScale = 32767.0

// Amplitude returns the peak amplitude, in sample units, of a sine at level dBFS.
func Amplitude(dBFS float64) float64 { return FullScale * math.Pow(10, dBFS/20) }

// Saturate rounds x to the nearest integer (halves away from zero) and
// clamps it to the int16 range: values never wrap.
func Saturate(x float64) int16 {
	switch {
	case x >= 32767:
		return 32767
	case x <= -32768:
		return -32768
	case x != x: // NaN
		return 0
	}
	return int16(math.Round(x))
}

// SaturateInt clamps x to the int16 range.
func SaturateInt(x int32) int16 {
	if x > 32767 {
		return 32767
	}
	if x < -32768 {
		return -32768
	}
	return int16(x)
}

// Level returns the level of pcm in dBFS under the convention of FullScale
// (a sine's level is its peak; other signals by equal power). Digital
// silence and an empty slice give -Inf.
func Level(pcm []int16) float64 {
	if len(pcm) == 0 {
		return math.Inf(-1)
	}
	var sum float64
	for _, s := range pcm {
		v := float64(s)
		sum += v * v
	}
	rms := math.Sqrt(sum / float64(len(pcm)))
	return 20 * math.Log10(rms*math.Sqrt2/FullScale)
}

// Silence returns n samples of digital silence.
func Silence(n int) []int16 { return make([]int16, max(n, 0)) }

// ToneSpec describes a sine tone.
type ToneSpec struct {
	Hz    float64 // frequency in Hz, 0 < Hz < rate/2
	Level float64 // dBFS (peak of the sine, see FullScale)
	Phase float64 // starting phase in radians
	Ramp  int     // raised-cosine fade-in and fade-out length in samples (0: none)
}

// Tone returns n samples of a sine described by t at rate.
func Tone(rate SampleRate, n int, t ToneSpec) []int16 {
	acc := make([]float64, max(n, 0))
	addTone(acc, rate, t)
	return quantize(acc)
}

// addTone adds the tone described by t to acc (float sample units).
func addTone(acc []float64, rate SampleRate, t ToneSpec) {
	a := Amplitude(t.Level)
	w := 2 * math.Pi * t.Hz / float64(rate)
	n := len(acc)
	ramp := min(t.Ramp, n/2)
	for i := range acc {
		g := 1.0
		if ramp > 0 {
			switch {
			case i < ramp:
				g = rampGain(i, ramp)
			case i >= n-ramp:
				g = rampGain(n-1-i, ramp)
			}
		}
		acc[i] += g * a * math.Sin(w*float64(i)+t.Phase)
	}
}

// rampGain is the raised-cosine gain of sample i of a ramp of length n:
// 0.5·(1−cos(π·(i+0.5)/n)), rising from near 0 to near 1.
func rampGain(i, n int) float64 { return 0.5 * (1 - math.Cos(math.Pi*(float64(i)+0.5)/float64(n))) }

func quantize(acc []float64) []int16 {
	out := make([]int16, len(acc))
	for i, v := range acc {
		out[i] = Saturate(v)
	}
	return out
}

// DTMFFreqs returns the low-group and high-group frequencies in Hz of digit
// d (one of 0-9 * # A-D; lower-case a-d are accepted), from the keypad
// table of ITU-T Q.23 ([keypad.Freqs]).
func DTMFFreqs(d byte) (low, high float64, err error) {
	low, high, ok := keypad.Freqs(d)
	if !ok {
		return 0, 0, fmt.Errorf("DTMF digit %q: must be one of %s", d, keypad.Digits)
	}
	return low, high, nil
}

// DTMFSpec describes one DTMF tone pair.
type DTMFSpec struct {
	Digit      byte    // one of keypad.Digits (lower-case a-d accepted)
	Level      float64 // level of the low-group tone in dBFS
	Twist      float64 // high-group level minus low-group level, dB
	LowOffset  float64 // low-group frequency offset in percent (+1.5 = 1.5 % high)
	HighOffset float64 // high-group frequency offset in percent
	LowPhase   float64 // starting phases in radians
	HighPhase  float64
	Ramp       int // raised-cosine ramp length in samples at each end (0: none)
}

// DTMF returns n samples of the tone pair described by s at rate. The two
// tones are summed before quantisation; the sum saturates.
func DTMF(rate SampleRate, n int, s DTMFSpec) ([]int16, error) {
	lo, hi, err := DTMFFreqs(s.Digit)
	if err != nil {
		return nil, err
	}
	acc := make([]float64, max(n, 0))
	addTone(acc, rate, ToneSpec{Hz: lo * (1 + s.LowOffset/100), Level: s.Level, Phase: s.LowPhase, Ramp: s.Ramp})
	addTone(acc, rate, ToneSpec{Hz: hi * (1 + s.HighOffset/100), Level: s.Level + s.Twist, Phase: s.HighPhase, Ramp: s.Ramp})
	return quantize(acc), nil
}

// NoiseColor selects the spectrum of Noise.
type NoiseColor int

// Noise colours.
const (
	White NoiseColor = iota // flat spectrum
	Pink                    // −3 dB per octave
	Brown                   // −6 dB per octave (leaky integrated white noise)
)

// String returns the colour's name.
func (c NoiseColor) String() string {
	switch c {
	case White:
		return "white"
	case Pink:
		return "pink"
	case Brown:
		return "brown"
	}
	return fmt.Sprintf("NoiseColor(%d)", int(c))
}

// Noise returns n samples of seeded Gaussian noise of colour c scaled so that
// its level over the n samples is exactly level dBFS (before quantisation).
// The same seed gives the same samples.
func Noise(c NoiseColor, seed uint64, n int, level float64) []int16 {
	n = max(n, 0)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	acc := make([]float64, n)
	switch c {
	case Pink:
		// Paul Kellet's economy pink filter (three first-order sections,
		// within ±0.5 dB of −3 dB/octave above ~9 Hz at 44.1 kHz; flatter
		// at low rates but still pink over the speech band).
		var b0, b1, b2 float64
		for i := range acc {
			w := rng.NormFloat64()
			b0 = 0.99765*b0 + w*0.0990460
			b1 = 0.96300*b1 + w*0.2965164
			b2 = 0.57000*b2 + w*1.0526913
			acc[i] = b0 + b1 + b2 + w*0.1848
		}
	case Brown:
		// Leaky integrator: the leak (pole at 0.995) keeps the signal from
		// wandering off while leaving −6 dB/octave above ~6 Hz at 8 kHz.
		var y float64
		for i := range acc {
			y = 0.995*y + rng.NormFloat64()
			acc[i] = y
		}
	default:
		for i := range acc {
			acc[i] = rng.NormFloat64()
		}
	}
	var sum float64
	for _, v := range acc {
		sum += v * v
	}
	if n > 0 && sum > 0 {
		g := Amplitude(level) / math.Sqrt2 / math.Sqrt(sum/float64(n))
		for i := range acc {
			acc[i] *= g
		}
	}
	return quantize(acc)
}

// Mix adds src into dst starting at dst[at], saturating; samples of src that
// fall outside dst are dropped. A negative at drops the head of src.
func Mix(dst, src []int16, at int) {
	for i, s := range src {
		j := at + i
		if j < 0 {
			continue
		}
		if j >= len(dst) {
			return
		}
		dst[j] = SaturateInt(int32(dst[j]) + int32(s))
	}
}

// Concat returns a new slice holding parts one after another.
func Concat(parts ...[]int16) []int16 {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]int16, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Gain multiplies pcm in place by dB decibels, saturating.
func Gain(pcm []int16, dB float64) {
	g := math.Pow(10, dB/20)
	for i, s := range pcm {
		pcm[i] = Saturate(float64(s) * g)
	}
}

// Resample converts pcm from rate from to rate to by linear interpolation
// (adequate for the outbound prompt track, which is informational; the
// detectors never see resampled audio). Equal rates return pcm itself.
func Resample(pcm []int16, from, to SampleRate) []int16 {
	if from == to || len(pcm) == 0 {
		return pcm
	}
	n := int((int64(len(pcm))*int64(to) + int64(from)/2) / int64(from))
	out := make([]int16, n)
	step := float64(from) / float64(to)
	for i := range out {
		x := float64(i) * step
		j := int(x)
		if j >= len(pcm)-1 {
			out[i] = pcm[len(pcm)-1]
			continue
		}
		f := x - float64(j)
		out[i] = Saturate(float64(pcm[j])*(1-f) + float64(pcm[j+1])*f)
	}
	return out
}
