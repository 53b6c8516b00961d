package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"unsafe"
)

// ErrFormat is matched (errors.Is) by every *FormatError.
var ErrFormat = errors.New("unsupported or malformed WAV file")

// FormatError reports a WAV file recsim cannot read. It names the file, the
// header field and the offending value.
type FormatError struct {
	File   string // file name as given to Open or NewReader
	Field  string // e.g. "fmt.channels", "data.size"
	Value  any    // the value found
	Reason string // what was expected
}

// Error names the file, the field and its value.
func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: %s = %v: %s", e.File, e.Field, e.Value, e.Reason)
}

// Is makes errors.Is(err, ErrFormat) true.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

// Encoding is how a WAV file stores its samples.
type Encoding int

// Encodings.
const (
	PCM   Encoding = 1 // integer PCM (8-bit unsigned, 16/24/32-bit signed)
	Float Encoding = 3 // IEEE 754 float, 32 or 64 bits
)

// String returns the encoding's name (PCM, float).
func (e Encoding) String() string {
	switch e {
	case PCM:
		return "pcm"
	case Float:
		return "float"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// Format describes a WAV file's sample format as read from its fmt chunk.
type Format struct {
	Rate       SampleRate
	Channels   int
	Bits       int // bits per sample of the container: 8, 16, 24, 32 or 64
	Encoding   Encoding
	Extensible bool // WAVE_FORMAT_EXTENSIBLE
	BlockAlign int  // bytes per frame (all channels)
}

// WAV format tags.
const (
	tagPCM        = 1
	tagFloat      = 3
	tagExtensible = 0xFFFE
)

// readBufBytes is the reader's fixed buffer: constant memory whatever the
// file length. 16 KiB holds 8 192 16-bit mono samples; a multiple of every
// block align (1–8 channels × 1–8 bytes) is taken from it.
const readBufBytes = 16 << 10

// Reader streams mono int16 samples out of a WAV file, down-mixing channels
// by averaging and converting every supported encoding to 16-bit with
// rounding and saturation. Its memory is constant whatever the file length.
type Reader struct {
	name   string
	r      io.Reader
	closer io.Closer
	format Format
	frames int64  // frames declared by the data chunk
	left   int64  // data bytes not yet read
	direct bool   // the data bytes are the samples: read into the caller's slice
	buf    []byte // otherwise: what is read, then decoded
}

// Open opens the WAV file at path for streaming. The caller must Close it.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var size int64 = -1
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	r, err := newReader(f, path, size)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads the WAV header from r and returns a Reader positioned at
// the first sample. name is used in error messages. If r is an io.Seeker
// the data chunk's size is checked against the stream's length up front;
// otherwise a short data chunk is reported when the stream ends.
func NewReader(r io.Reader, name string) (*Reader, error) {
	var size int64 = -1
	if s, ok := r.(io.Seeker); ok {
		if cur, err := s.Seek(0, io.SeekCurrent); err == nil {
			if end, err := s.Seek(0, io.SeekEnd); err == nil {
				size = end - cur
			}
			if _, err := s.Seek(cur, io.SeekStart); err != nil {
				return nil, err
			}
		}
	}
	return newReader(r, name, size)
}

func newReader(r io.Reader, name string, size int64) (*Reader, error) {
	rd := &Reader{name: name, r: r}
	if err := rd.readHeader(size); err != nil {
		return nil, err
	}
	f := rd.format
	// 16-bit mono PCM on a little-endian machine is read straight into
	// the caller's samples: no buffer.
	rd.direct = littleEndian() && f.Encoding == PCM && f.Bits == 16 && f.Channels == 1
	if !rd.direct {
		rd.buf = make([]byte, readBufBytes/f.BlockAlign*f.BlockAlign)
	}
	return rd, nil
}

func (rd *Reader) errf(field string, value any, format string, args ...any) error {
	return &FormatError{File: rd.name, Field: field, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// readFull reads exactly len(b) header bytes; a short read is a truncation.
func (rd *Reader) readFull(b []byte, field string, pos int64) error {
	n, err := io.ReadFull(rd.r, b)
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return rd.errf(field, fmt.Sprintf("%d of %d bytes", n, len(b)), "file truncated at byte %d", pos+int64(n))
	}
	return fmt.Errorf("%s: reading %s: %w", rd.name, field, err)
}

func (rd *Reader) readHeader(size int64) error {
	var hdr [12]byte
	if err := rd.readFull(hdr[:], "RIFF header", 0); err != nil {
		return err
	}
	if string(hdr[0:4]) != "RIFF" {
		if string(hdr[0:4]) == "RIFX" || string(hdr[0:4]) == "RF64" {
			return rd.errf("RIFF.id", string(hdr[0:4]), "only little-endian RIFF WAV files are supported")
		}
		return rd.errf("RIFF.id", fmt.Sprintf("%q", hdr[0:4]), `not a WAV file: expected "RIFF"`)
	}
	if string(hdr[8:12]) != "WAVE" {
		return rd.errf("RIFF.format", fmt.Sprintf("%q", hdr[8:12]), `not a WAV file: expected "WAVE"`)
	}
	pos := int64(12)
	haveFmt := false
	for {
		var ch [8]byte
		if err := rd.readFull(ch[:], "chunk header", pos); err != nil {
			var fe *FormatError
			if errors.As(err, &fe) && !haveFmt {
				fe.Field, fe.Reason = "fmt", "no fmt chunk before the end of the file"
			} else if errors.As(err, &fe) {
				fe.Field, fe.Reason = "data", "no data chunk before the end of the file"
			}
			return err
		}
		pos += 8
		id := string(ch[0:4])
		csize := int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if haveFmt {
				return rd.errf("fmt", "second fmt chunk", "a WAV file has one fmt chunk")
			}
			if err := rd.readFmt(csize, pos); err != nil {
				return err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return rd.errf("data", "data chunk before fmt chunk", "the fmt chunk must come first")
			}
			ba := int64(rd.format.BlockAlign)
			if csize%ba != 0 {
				return rd.errf("data.size", csize, "not a whole number of %d-byte frames", ba)
			}
			if size >= 0 && pos+csize > size {
				return rd.errf("data.size", csize, "larger than the %d bytes left in the file", max(size-pos, 0))
			}
			rd.frames = csize / ba
			rd.left = csize
			return nil
		default:
			if err := rd.skip(csize+csize&1, id, pos); err != nil {
				return err
			}
		}
		pos += csize + csize&1
	}
}

func (rd *Reader) skip(n int64, id string, pos int64) error {
	if s, ok := rd.r.(io.Seeker); ok {
		if _, err := s.Seek(n, io.SeekCurrent); err == nil {
			return nil
		}
	}
	got, err := io.CopyN(io.Discard, rd.r, n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return rd.errf(fmt.Sprintf("%q chunk size", id), n, "file ends %d bytes into the chunk at byte %d", got, pos)
		}
		return fmt.Errorf("%s: skipping %q chunk: %w", rd.name, id, err)
	}
	return nil
}

func (rd *Reader) readFmt(csize, pos int64) error {
	if csize < 16 {
		return rd.errf("fmt.size", csize, "must be at least 16 bytes")
	}
	if csize > 1024 {
		return rd.errf("fmt.size", csize, "implausibly large (at most 1024 bytes)")
	}
	b := make([]byte, csize+csize&1)
	if err := rd.readFull(b, "fmt chunk", pos); err != nil {
		return err
	}
	le := binary.LittleEndian
	tag := int(le.Uint16(b[0:2]))
	channels := int(le.Uint16(b[2:4]))
	rate := int64(le.Uint32(b[4:8]))
	blockAlign := int(le.Uint16(b[12:14]))
	bits := int(le.Uint16(b[14:16]))
	f := Format{Channels: channels, Bits: bits, BlockAlign: blockAlign}
	switch tag {
	case tagPCM:
		f.Encoding = PCM
	case tagFloat:
		f.Encoding = Float
	case tagExtensible:
		f.Extensible = true
		if csize < 40 {
			return rd.errf("fmt.size", csize, "WAVE_FORMAT_EXTENSIBLE needs at least 40 bytes")
		}
		valid := int(le.Uint16(b[18:20]))
		sub := int(le.Uint16(b[24:26]))
		switch sub {
		case tagPCM:
			f.Encoding = PCM
		case tagFloat:
			f.Encoding = Float
		default:
			return rd.errf("fmt.subFormat", fmt.Sprintf("0x%04x", sub), "only PCM (1) and IEEE float (3) are supported")
		}
		if valid > bits {
			return rd.errf("fmt.validBitsPerSample", valid, "exceeds bitsPerSample %d", bits)
		}
	default:
		return rd.errf("fmt.formatTag", fmt.Sprintf("0x%04x", tag), "only PCM (1), IEEE float (3) and WAVE_FORMAT_EXTENSIBLE (0xFFFE) are supported")
	}
	if channels < 1 || channels > 8 {
		return rd.errf("fmt.channels", channels, "must be 1–8")
	}
	if rate < int64(MinRate) || rate > int64(MaxRate) {
		return rd.errf("fmt.sampleRate", rate, "must be %d–%d Hz", int(MinRate), int(MaxRate))
	}
	f.Rate = SampleRate(rate)
	switch {
	case f.Encoding == PCM && (bits == 8 || bits == 16 || bits == 24 || bits == 32):
	case f.Encoding == Float && (bits == 32 || bits == 64):
	default:
		return rd.errf("fmt.bitsPerSample", bits, "%s supports %s", f.Encoding, map[Encoding]string{PCM: "8, 16, 24 or 32", Float: "32 or 64"}[f.Encoding])
	}
	if want := channels * bits / 8; blockAlign != want {
		return rd.errf("fmt.blockAlign", blockAlign, "contradicts %d channels × %d bits (expected %d)", channels, bits, want)
	}
	rd.format = f
	return nil
}

// Format returns the file's sample format.
func (rd *Reader) Format() Format { return rd.format }

// Rate returns the file's sample rate.
func (rd *Reader) Rate() SampleRate { return rd.format.Rate }

// Len returns the number of sample frames the data chunk declares.
func (rd *Reader) Len() int64 { return rd.frames }

// Read fills dst with up to len(dst) mono samples and returns how many it
// stored. At the end of the data it returns 0, io.EOF. A data chunk that
// ends early is a *FormatError. Read does not allocate.
func (rd *Reader) Read(dst []int16) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	if rd.left == 0 {
		return 0, io.EOF
	}
	ba := rd.format.BlockAlign
	// Direct: the bytes are the samples, read straight into dst (dst past
	// the samples returned is scratch, as io.Reader allows).
	direct := rd.direct
	var b []byte
	if direct {
		b = unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), min(2*int64(len(dst)), rd.left))
	} else {
		b = rd.buf[:min(int64(len(dst))*int64(ba), int64(len(rd.buf)), rd.left)]
	}
	n, err := io.ReadFull(rd.r, b)
	n -= n % ba
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("%s: reading samples: %w", rd.name, err)
	}
	got := n / ba
	if !direct {
		got = rd.decode(dst, rd.buf[:n])
	}
	if err != nil {
		read := rd.frames*int64(ba) - rd.left + int64(n)
		rd.left = 0
		return got, rd.errf("data.size", rd.frames*int64(ba), "file ends after %d bytes of sample data", read)
	}
	rd.left -= int64(n)
	return got, nil
}

// decode converts whole frames in b to mono int16 in dst.
func (rd *Reader) decode(dst []int16, b []byte) int {
	f := rd.format
	frames := len(b) / f.BlockAlign
	le := binary.LittleEndian
	if f.Encoding == PCM && f.Bits == 16 && f.Channels == 1 {
		dst, b = dst[:frames], b[:2*frames] // no bounds checks in the loop
		for i := range dst {
			dst[i] = int16(le.Uint16(b[2*i:]))
		}
		return frames
	}
	bps := f.Bits / 8
	for i := range frames {
		fr := b[i*f.BlockAlign:]
		if f.Encoding == Float {
			var sum float64
			for c := range f.Channels {
				s := fr[c*bps:]
				var v float64
				if bps == 4 {
					v = float64(math.Float32frombits(le.Uint32(s)))
				} else {
					v = math.Float64frombits(le.Uint64(s))
				}
				if v != v { // NaN carries no signal
					v = 0
				}
				sum += v
			}
			dst[i] = Saturate(sum / float64(f.Channels) * 32768)
			continue
		}
		// Integer PCM: every sample is widened to a 32-bit left-justified
		// value, averaged exactly in int64, then rounded to 16 bits.
		var sum int64
		for c := range f.Channels {
			s := fr[c*bps:]
			var v int32
			switch bps {
			case 1:
				v = (int32(s[0]) - 128) << 24
			case 2:
				v = int32(le.Uint16(s)) << 16
			case 3:
				v = int32(uint32(s[0])<<8 | uint32(s[1])<<16 | uint32(s[2])<<24)
			default:
				v = int32(le.Uint32(s))
			}
			sum += int64(v)
		}
		dst[i] = roundTo16(sum, f.Channels)
	}
	return frames
}

// roundTo16 returns sum/channels (32-bit left-justified units) rounded to
// the nearest 16-bit value, halves away from zero, saturating.
func roundTo16(sum int64, channels int) int16 {
	if channels == 1 && sum&0xFFFF == 0 {
		return int16(sum >> 16)
	}
	return Saturate(float64(sum) / float64(channels) / 65536)
}

// Close closes the underlying file if the Reader was made by Open.
func (rd *Reader) Close() error {
	if rd.closer == nil {
		return nil
	}
	c := rd.closer
	rd.closer = nil
	return c.Close()
}

// ReadFile reads a whole WAV file into memory as mono int16.
func ReadFile(path string) ([]int16, SampleRate, error) {
	rd, err := Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer rd.Close()
	pcm, err := ReadAll(rd)
	return pcm, rd.Rate(), err
}

// ReadAll reads every remaining sample of rd. It sizes its result from
// the data chunk's size, up to 2^20 samples (a header read from a stream
// may claim more than the stream holds), and grows it beyond.
func ReadAll(rd *Reader) ([]int16, error) { return AppendAll(nil, rd) }

// AppendAll appends every remaining sample of rd to dst and returns the
// extended slice (strconv.Append style): with a dst of enough capacity,
// for example one recycled from an earlier stream, it does not allocate.
func AppendAll(dst []int16, rd *Reader) ([]int16, error) {
	out := slices.Grow(dst, int(min(max(rd.Len(), 0), 1<<20)))
	for {
		if len(out) == cap(out) {
			if rd.left == 0 {
				return out, nil
			}
			out = slices.Grow(out, 4096) // over 2^20 samples
		}
		n, err := rd.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}
