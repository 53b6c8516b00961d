package goaudio

import (
	"fmt"

	"github.com/go-audio/audio"

	"github.com/recsim/recsim/media"
)

// maxChannels is the most channels media's reader down-mixes (fmt.channels
// 1–8); the adapter accepts the same.
const maxChannels = 8

// FormatError reports a go-audio buffer or WAV stream the adapter cannot
// convert. It names the go-audio field ("IntBuffer.SourceBitDepth",
// "wav.Decoder.NumChans", …) and the value found. errors.Is(err,
// media.ErrFormat) is true for every FormatError.
type FormatError struct {
	Field  string // the go-audio field, e.g. "IntBuffer.Format.NumChannels"
	Value  any    // the value found
	Reason string // what was expected
}

// Error says what the buffer or decoder holds and what is supported.
func (e *FormatError) Error() string {
	return fmt.Sprintf("goaudio: %s = %v: %s", e.Field, e.Value, e.Reason)
}

// Is makes errors.Is(err, media.ErrFormat) true.
func (e *FormatError) Is(target error) bool { return target == media.ErrFormat }

func formatErr(field string, value any, format string, args ...any) error {
	return &FormatError{Field: field, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// checkLayout checks a channel count and a rate, named chField and
// rateField in errors.
func checkLayout(chField string, channels int, rateField string, rate int) error {
	if channels < 1 || channels > maxChannels {
		return formatErr(chField, channels, "must be 1–%d", maxChannels)
	}
	if rate < int(media.MinRate) || rate > int(media.MaxRate) {
		return formatErr(rateField, rate, "must be %d–%d Hz", int(media.MinRate), int(media.MaxRate))
	}
	return nil
}

// sampleRange returns the range of go-audio's int values at bit depth bits:
// unsigned for 8 bits, signed for the others.
func sampleRange(bits int) (lo, hi int, ok bool) {
	switch bits {
	case 8:
		return 0, 255, true
	case 16:
		return -1 << 15, 1<<15 - 1, true
	case 24:
		return -1 << 23, 1<<23 - 1, true
	case 32:
		return -1 << 31, 1<<31 - 1, true
	}
	return 0, 0, false
}

// left32 widens go-audio's value v of a bits-bit sample to a 32-bit
// left-justified value, as media's reader widens the same PCM bytes.
func left32(v, bits int) int64 {
	switch bits {
	case 8:
		return int64(v-128) << 24
	case 16:
		return int64(v) << 16
	case 24:
		return int64(v) << 8
	}
	return int64(v)
}

// roundTo16 returns sum/channels (32-bit left-justified units) rounded to
// the nearest 16-bit value, halves away from zero, saturating: media's
// reader's rule for integer PCM.
func roundTo16(sum int64, channels int) int16 {
	if channels == 1 && sum&0xFFFF == 0 {
		return int16(sum >> 16)
	}
	return media.Saturate(float64(sum) / float64(channels) / 65536)
}

// FromIntBuffer converts b, integer PCM as go-audio decodes it, to mono
// int16 at b's rate: channels averaged, SourceBitDepth 8, 16, 24 or 32
// rounded to 16 bits, exactly as [media.Reader] converts the same PCM. The
// result is new. It fails, naming the field and its value, on a nil buffer
// or Format, 0 or more than 8 channels, a rate outside 8000–48000 Hz, any
// other bit depth, a Data length that is not a whole number of frames, or
// a value outside its bit depth's range.
//
// An IntBuffer does not say whether its file held integer or IEEE float
// samples; go-audio decodes float files as integer bit patterns, which
// FromIntBuffer cannot recognise. Read float files with [NewSource] or
// package media.
func FromIntBuffer(b *audio.IntBuffer) ([]int16, media.SampleRate, error) {
	if b == nil {
		return nil, 0, formatErr("IntBuffer", "nil", "no buffer")
	}
	if b.Format == nil {
		return nil, 0, formatErr("IntBuffer.Format", "nil", "the buffer has no channel count or rate")
	}
	channels, rate := b.Format.NumChannels, b.Format.SampleRate
	if err := checkLayout("IntBuffer.Format.NumChannels", channels, "IntBuffer.Format.SampleRate", rate); err != nil {
		return nil, 0, err
	}
	bits := b.SourceBitDepth
	lo, hi, ok := sampleRange(bits)
	if !ok {
		return nil, 0, formatErr("IntBuffer.SourceBitDepth", bits, "must be 8, 16, 24 or 32")
	}
	if len(b.Data)%channels != 0 {
		return nil, 0, formatErr("len(IntBuffer.Data)", len(b.Data), "not a whole number of %d-channel frames", channels)
	}
	out := make([]int16, len(b.Data)/channels)
	for i := range out {
		fr := b.Data[i*channels : (i+1)*channels]
		var sum int64
		for c, v := range fr {
			if v < lo || v > hi {
				return nil, 0, formatErr(fmt.Sprintf("IntBuffer.Data[%d]", i*channels+c), v, "outside the %d-bit range %d…%d", bits, lo, hi)
			}
			sum += left32(v, bits)
		}
		out[i] = roundTo16(sum, channels)
	}
	return out, media.SampleRate(rate), nil
}

// ToIntBuffer returns pcm as a new mono go-audio buffer at rate:
// SourceBitDepth 16, a Format of its own (NumChannels 1, SampleRate rate),
// and one int per sample.
func ToIntBuffer(pcm []int16, rate media.SampleRate) *audio.IntBuffer {
	data := make([]int, len(pcm))
	for i, s := range pcm {
		data[i] = int(s)
	}
	return &audio.IntBuffer{
		Format:         &audio.Format{NumChannels: 1, SampleRate: int(rate)},
		Data:           data,
		SourceBitDepth: 16,
	}
}
