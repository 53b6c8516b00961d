package media_test

import (
	"math"
	"math/cmplx"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/recsim/recsim/media"
)

func TestSampleRateConversionsAreExact(t *testing.T) {
	for _, r := range []media.SampleRate{8000, 11025, 16000, 22050, 44100, 48000} {
		for _, n := range []int64{0, 1, 79, 160, int64(r), 123456789} {
			assert.Equal(t, n, r.N(r.D(n)), "rate %d: N(D(%d))", r, n)
		}
	}
	assert.EqualValues(t, 160, media.SampleRate(8000).N(20*time.Millisecond))
	assert.EqualValues(t, 441, media.SampleRate(44100).N(10*time.Millisecond))
	assert.Equal(t, 20*time.Millisecond, media.SampleRate(8000).D(160))
	assert.EqualValues(t, 1, media.SampleRate(8000).N(62500*time.Nanosecond), "half a sample rounds up")
	assert.EqualValues(t, -1, media.SampleRate(8000).N(-62500*time.Nanosecond), "and away from zero")
	assert.InDelta(t, 12.5, media.SampleRate(8000).Ms(100), 1e-12)
	assert.Error(t, media.SampleRate(7999).Validate())
	assert.Error(t, media.SampleRate(48001).Validate())
	assert.NoError(t, media.SampleRate(44100).Validate())
}

// spectrum returns the magnitude spectrum of pcm (normalised so a sine of
// peak A reads A at its bin) and the bin width in Hz.
func spectrum(pcm []int16, rate media.SampleRate) ([]float64, float64) {
	x := make([]float64, len(pcm))
	for i, s := range pcm {
		x[i] = float64(s)
	}
	c := fourier.NewFFT(len(x)).Coefficients(nil, x)
	mag := make([]float64, len(c))
	for i, v := range c {
		mag[i] = 2 * cmplx.Abs(v) / float64(len(x))
	}
	return mag, float64(rate) / float64(len(x))
}

func peakNear(mag []float64, binHz, hz float64) (float64, float64) {
	lo, hi := int((hz-30)/binHz), int((hz+30)/binHz)
	best, at := 0.0, 0
	for i := max(lo, 0); i <= hi && i < len(mag); i++ {
		if mag[i] > best {
			best, at = mag[i], i
		}
	}
	return best, float64(at) * binHz
}

func TestDTMFMatchesTheKeypadTable(t *testing.T) {
	want := map[byte][2]float64{
		'1': {697, 1209}, '2': {697, 1336}, '3': {697, 1477}, 'A': {697, 1633},
		'4': {770, 1209}, '5': {770, 1336}, '6': {770, 1477}, 'B': {770, 1633},
		'7': {852, 1209}, '8': {852, 1336}, '9': {852, 1477}, 'C': {852, 1633},
		'*': {941, 1209}, '0': {941, 1336}, '#': {941, 1477}, 'D': {941, 1633},
	}
	const rate = 8000
	for d, f := range want {
		// One second: 1 Hz bins, so each tone sits on its bin.
		pcm, err := media.DTMF(rate, rate, media.DTMFSpec{Digit: d, Level: -10, Twist: 2})
		require.NoError(t, err)
		mag, bin := spectrum(pcm, rate)
		lo, loHz := peakNear(mag, bin, f[0])
		hi, hiHz := peakNear(mag, bin, f[1])
		assert.InDelta(t, f[0], loHz, 0.5, "digit %c low tone", d)
		assert.InDelta(t, f[1], hiHz, 0.5, "digit %c high tone", d)
		assert.InDelta(t, -10, 20*math.Log10(lo/media.FullScale), 0.05, "digit %c low level", d)
		assert.InDelta(t, -8, 20*math.Log10(hi/media.FullScale), 0.05, "digit %c high level (twist +2 dB)", d)
	}
	_, _, err := media.DTMFFreqs('E')
	assert.ErrorContains(t, err, `'E'`)
	lo, hi, err := media.DTMFFreqs('b')
	require.NoError(t, err)
	assert.Equal(t, [2]float64{770, 1633}, [2]float64{lo, hi}, "lower-case a–d are accepted")
}

func TestDTMFFrequencyOffsetIsInPercent(t *testing.T) {
	const rate = 16000
	pcm, err := media.DTMF(rate, 4*rate, media.DTMFSpec{Digit: '1', Level: -6, LowOffset: 3.5, HighOffset: -1.5})
	require.NoError(t, err)
	mag, bin := spectrum(pcm, rate)
	_, loHz := peakNear(mag, bin, 697*1.035)
	_, hiHz := peakNear(mag, bin, 1209*0.985)
	assert.InDelta(t, 697*1.035, loHz, 0.25)
	assert.InDelta(t, 1209*0.985, hiHz, 0.25)
}

func TestToneLevelRampAndSaturation(t *testing.T) {
	pcm := media.Tone(8000, 8000, media.ToneSpec{Hz: 1000, Level: -10, Ramp: 40})
	assert.InDelta(t, -10, media.Level(pcm[40:len(pcm)-40]), 0.01, "a sine's level is its peak in dBFS")
	assert.Less(t, math.Abs(float64(pcm[0])), 5.0, "the ramp starts near zero")
	assert.Less(t, math.Abs(float64(pcm[len(pcm)-1])), 5.0, "and ends near zero")
	loud := media.Tone(8000, 800, media.ToneSpec{Hz: 440, Level: 6})
	assert.Contains(t, loud, int16(32767), "a +6 dBFS sine saturates")
	assert.Contains(t, loud, int16(-32768))
}

func TestNoiseLevelsAndColours(t *testing.T) {
	const rate = 16000
	slope := func(pcm []int16) float64 { // dB per octave between 250–500 Hz and 2–4 kHz bands
		mag, bin := spectrum(pcm, rate)
		band := func(a, b float64) float64 {
			var p float64
			for i := int(a / bin); i < int(b/bin); i++ {
				p += mag[i] * mag[i]
			}
			return 10 * math.Log10(p/(b-a))
		}
		return (band(2000, 4000) - band(250, 500)) / 3
	}
	for _, c := range []struct {
		color media.NoiseColor
		slope float64
	}{{media.White, 0}, {media.Pink, -3}, {media.Brown, -6}} {
		t.Run(c.color.String()+" noise has its level and slope", func(t *testing.T) {
			pcm := media.Noise(c.color, 7, 4*rate, -30)
			assert.InDelta(t, -30, media.Level(pcm), 0.05)
			assert.InDelta(t, c.slope, slope(pcm), 0.6)
			assert.Equal(t, pcm, media.Noise(c.color, 7, 4*rate, -30), "the same seed gives the same noise")
			assert.NotEqual(t, pcm, media.Noise(c.color, 8, 4*rate, -30), "another seed gives other noise")
		})
	}
}

func TestMixConcatGain(t *testing.T) {
	dst := []int16{1, 2, 32000, -32000, 5}
	media.Mix(dst, []int16{10, 1000, -1000, 7, 7}, 1)
	assert.Equal(t, []int16{1, 12, 32767, -32768, 12}, dst, "mixing saturates and drops what overhangs")
	media.Mix(dst, []int16{100, 100}, -1)
	assert.Equal(t, int16(101), dst[0], "a negative offset drops the head")
	assert.Equal(t, []int16{1, 2, 3}, media.Concat([]int16{1}, nil, []int16{2, 3}))
	g := []int16{1000, -1000, 30000}
	media.Gain(g, 6.0206) // ×2
	assert.Equal(t, []int16{2000, -2000, 32767}, g)
	assert.True(t, math.IsInf(media.Level(media.Silence(10)), -1))
	assert.Equal(t, int16(32767), media.Saturate(1e9))
	assert.Equal(t, int16(-32768), media.Saturate(-1e9))
	assert.Equal(t, int16(0), media.Saturate(math.NaN()))
	assert.Equal(t, int16(-3), media.Saturate(-2.5), "halves round away from zero")
}
