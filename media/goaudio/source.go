package goaudio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"

	"github.com/recsim/recsim/media"
)

// WAV format tags, as go-audio reports them in Decoder.WavAudioFormat.
const (
	tagPCM        = 1
	tagFloat      = 3
	tagExtensible = 0xFFFE
)

// readBufBytes is the Source's fixed buffer, as media's reader's: constant
// memory whatever the file length. Each Read takes a whole number of
// frames from it.
const readBufBytes = 16 << 10

// Source reads the samples of a go-audio [wav.Decoder] as mono int16, in
// chunks of the caller's size, converted as [media.Reader] converts the
// same file.
type Source struct {
	r        io.Reader // the data chunk (Decoder.PCMChunk)
	rate     media.SampleRate
	channels int
	bits     int  // bits per sample
	float    bool // IEEE float samples
	ba       int  // bytes per frame
	frames   int64
	left     int64  // data bytes not yet read
	buf      []byte // what is read, then decoded
	err      error  // sticky: the stream is unusable after an error
}

// NewSource reads the header of the WAV stream behind d and returns a
// Source positioned at its first sample. d must be fresh from
// wav.NewDecoder (its PCM data not yet accessed). It fails, naming the
// field and its value, on a stream go-audio cannot parse, a format other
// than integer PCM or IEEE float, 0 or more than 8 channels, a rate
// outside 8000–48000 Hz, an unsupported bit depth, a 32- or 64-bit
// WAVE_FORMAT_EXTENSIBLE file (see the package documentation) or a
// missing data chunk.
func NewSource(d *wav.Decoder) (*Source, error) {
	if d == nil {
		return nil, formatErr("wav.Decoder", "nil", "no decoder")
	}
	if d.WasPCMAccessed() {
		return nil, formatErr("wav.Decoder.WasPCMAccessed()", true, "the decoder is already in its sample data; NewSource takes one fresh from wav.NewDecoder")
	}
	d.ReadInfo()
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("goaudio: reading the WAV header: %w", err)
	}
	tag, channels, rate, bits := int(d.WavAudioFormat), int(d.NumChans), int(d.SampleRate), int(d.BitDepth)
	if channels == 0 {
		// Decoder.Err hides io.EOF: an empty or truncated stream leaves
		// the header unread without an error.
		return nil, formatErr("wav.Decoder.NumChans", 0, "no fmt chunk was read: not a WAV stream, or truncated")
	}
	float := false
	switch tag {
	case tagPCM:
		if _, _, ok := sampleRange(bits); !ok {
			return nil, formatErr("wav.Decoder.BitDepth", bits, "integer PCM supports 8, 16, 24 or 32")
		}
	case tagFloat:
		if bits != 32 && bits != 64 {
			return nil, formatErr("wav.Decoder.BitDepth", bits, "IEEE float supports 32 or 64")
		}
		float = true
	case tagExtensible:
		switch bits {
		case 8, 16, 24:
			// Integer PCM whatever the sub-format says: IEEE float has
			// 32 or 64 bits.
		case 32, 64:
			return nil, formatErr("wav.Decoder.WavAudioFormat", fmt.Sprintf("0x%04x", tag),
				"WAVE_FORMAT_EXTENSIBLE with %d-bit samples: go-audio does not keep the sub-format, so integer and IEEE float samples cannot be told apart; read the file with media.NewReader", bits)
		default:
			return nil, formatErr("wav.Decoder.BitDepth", bits, "integer PCM supports 8, 16, 24 or 32")
		}
	default:
		return nil, formatErr("wav.Decoder.WavAudioFormat", fmt.Sprintf("0x%04x", tag), "only PCM (1), IEEE float (3) and WAVE_FORMAT_EXTENSIBLE (0xFFFE) are supported")
	}
	if err := checkLayout("wav.Decoder.NumChans", channels, "wav.Decoder.SampleRate", rate); err != nil {
		return nil, err
	}

	// FwdToPCM returns nil when the header fails to parse and keeps the
	// error in Err: check both.
	if err := d.FwdToPCM(); err != nil {
		return nil, fmt.Errorf("goaudio: looking for the data chunk: %w", err)
	}
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("goaudio: looking for the data chunk: %w", err)
	}
	if d.PCMChunk == nil {
		return nil, formatErr("wav.Decoder.PCMChunk", "nil", "no data chunk")
	}
	ba := channels * bits / 8
	// go-audio rounds an odd data size up to take in the pad byte that
	// follows the data (Decoder.PCMSize). With an odd frame size of 3
	// bytes or more, one byte over a whole number of frames is that pad;
	// with 1-byte frames (8-bit mono) the pad would read as a sample, so
	// the size the file declares is read again.
	size := int64(d.PCMSize)
	if ba == 1 && size > 0 {
		declared, err := declaredDataSize(d, size)
		if err != nil {
			return nil, err
		}
		size = declared
	}
	frames := size / int64(ba)
	if rem := size % int64(ba); rem != 0 && !(rem == 1 && ba%2 == 1) {
		return nil, formatErr("wav.Decoder.PCMSize", size, "not a whole number of %d-byte frames", ba)
	}
	return &Source{
		r: d.PCMChunk, rate: media.SampleRate(rate), channels: channels, bits: bits, float: float, ba: ba,
		frames: frames, left: frames * int64(ba),
		buf: make([]byte, readBufBytes/ba*ba),
	}, nil
}

// declaredDataSize returns the size field of the data chunk whose first
// byte d has just reached (FwdToPCM), rounded is what go-audio made of it.
// It seeks back to the field, reads it through the chunk's reader, and
// returns to the data with Decoder.Rewind, which parses the header again
// and gives the chunk a reader with its full length.
func declaredDataSize(d *wav.Decoder, rounded int64) (int64, error) {
	fail := func(err error) (int64, error) {
		return 0, fmt.Errorf("goaudio: reading the data chunk's size again: %w", err)
	}
	pos, err := d.Seek(0, io.SeekCurrent)
	if err != nil {
		return fail(err)
	}
	if _, err := d.Seek(pos-4, io.SeekStart); err != nil {
		return fail(err)
	}
	var b [4]byte
	if _, err := io.ReadFull(d.PCMChunk, b[:]); err != nil {
		return fail(err)
	}
	if err := d.Rewind(); err != nil {
		return fail(err)
	}
	if err := d.Err(); err != nil {
		return fail(err)
	}
	size := int64(binary.LittleEndian.Uint32(b[:]))
	if at, err := d.Seek(0, io.SeekCurrent); err != nil || at != pos || (size != rounded && size != rounded-1) || d.PCMChunk == nil {
		return fail(fmt.Errorf("the decoder is not back at the data: at byte %d, not %d, or size field %d for go-audio's %d", at, pos, size, rounded))
	}
	return size, nil
}

// Rate returns the stream's sample rate.
func (s *Source) Rate() media.SampleRate { return s.rate }

// Len returns the number of frames (mono samples out) the data chunk
// declares.
func (s *Source) Len() int64 { return s.frames }

// Read fills dst with up to len(dst) mono samples and returns how many it
// stored. At the end of the data it returns 0, io.EOF. A stream that ends
// before its data chunk does is a *FormatError; after any error every Read
// returns it again. Read does not allocate.
func (s *Source) Read(dst []int16) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if len(dst) == 0 {
		return 0, nil
	}
	if s.left == 0 {
		return 0, io.EOF
	}
	b := s.buf[:min(int64(len(dst))*int64(s.ba), int64(len(s.buf)), s.left)]
	n, err := io.ReadFull(s.r, b)
	n -= n % s.ba
	got := s.decode(dst, b[:n])
	switch {
	case err == nil:
		s.left -= int64(n)
		return got, nil
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		read := s.frames*int64(s.ba) - s.left + int64(n)
		s.err = formatErr("wav.Decoder.PCMSize", s.frames*int64(s.ba), "the stream ends after %d bytes of sample data", read)
	default:
		s.err = fmt.Errorf("goaudio: reading samples: %w", err)
	}
	s.left = 0
	return got, s.err
}

// decode converts the whole frames in b to mono int16 in dst, by media's
// reader's rules: integer samples widened to 32 bits, averaged exactly and
// rounded; float samples averaged, scaled by 32768, rounded and saturated,
// NaN taken for 0.
func (s *Source) decode(dst []int16, b []byte) int {
	frames := len(b) / s.ba
	bps := s.bits / 8
	le := binary.LittleEndian
	if !s.float && s.bits == 16 && s.channels == 1 {
		// The rule below gives the samples themselves.
		dst, b = dst[:frames], b[:2*frames] // no bounds checks in the loop
		for i := range dst {
			dst[i] = int16(le.Uint16(b[2*i:]))
		}
		return frames
	}
	for i := range frames {
		fr := b[i*s.ba : (i+1)*s.ba]
		if s.float {
			var sum float64
			for c := range s.channels {
				var v float64
				if bps == 4 {
					v = float64(math.Float32frombits(le.Uint32(fr[c*4:])))
				} else {
					v = math.Float64frombits(le.Uint64(fr[c*8:]))
				}
				if v != v { // NaN carries no signal
					v = 0
				}
				sum += v
			}
			dst[i] = media.Saturate(sum / float64(s.channels) * 32768)
			continue
		}
		var sum int64
		for c := range s.channels {
			sum += left32(sampleValue(fr[c*bps:], s.bits), s.bits)
		}
		dst[i] = roundTo16(sum, s.channels)
	}
	return frames
}

// sampleValue decodes one little-endian integer sample as go-audio's
// decoder does: 8-bit samples unsigned, the others signed.
func sampleValue(b []byte, bits int) int {
	le := binary.LittleEndian
	switch bits {
	case 8:
		return int(b[0])
	case 16:
		return int(int16(le.Uint16(b)))
	case 24:
		return int(audio.Int24LETo32(b[:3]))
	}
	return int(int32(le.Uint32(b)))
}
