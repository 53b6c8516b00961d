package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"unsafe"
)

// HeaderSize is the size of the canonical WAV header the Writer emits: a
// RIFF chunk descriptor, a 16-byte PCM fmt chunk and the data chunk header.
const HeaderSize = 44

// maxDataBytes is the largest data chunk a 32-bit RIFF size can describe
// (the RIFF size field holds 36 + data bytes).
const maxDataBytes = 1<<32 - 1 - (HeaderSize - 8)

// writeBufBytes is the Writer's fixed buffer: frames are copied into it and
// written out when it fills, so small frames don't cost a write each.
const writeBufBytes = 32 << 10

// ErrTooLong is returned when a recording would exceed what a 32-bit RIFF
// header can describe (about 37 hours at 16 kHz).
var ErrTooLong = errors.New("WAV data would exceed 4 GiB")

// Writer streams mono 16-bit PCM into a canonical 44-byte-header WAV file.
// The header is written first with zero sizes and patched by Close, so the
// output is a valid WAV file of exactly HeaderSize + 2×samples bytes. A
// Writer does not allocate per frame.
type Writer struct {
	w       io.WriteSeeker
	start   int64 // position of the header in w
	closer  io.Closer
	rate    SampleRate
	buf     []byte
	n       int // bytes pending in buf
	samples int64
	err     error // first write error; sticky
	closed  bool
}

// NewWriter returns a Writer for samples at rate that writes a WAV file into
// w from w's current position. The header is buffered with the first
// samples; Close patches it.
func NewWriter(w io.WriteSeeker, rate SampleRate) (*Writer, error) {
	if err := rate.Validate(); err != nil {
		return nil, fmt.Errorf("media.NewWriter: %w", err)
	}
	start, err := w.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("media.NewWriter: %w", err)
	}
	wr := &Writer{w: w, start: start, rate: rate, buf: make([]byte, writeBufBytes)}
	putHeader(wr.buf[:HeaderSize], rate, 0)
	wr.n = HeaderSize
	return wr, nil
}

// Create creates (or truncates) the file at path and returns a Writer on
// it; Close closes the file.
func Create(path string, rate SampleRate) (*Writer, error) {
	if err := rate.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	wr, err := NewWriter(f, rate)
	if err != nil {
		f.Close()
		return nil, err
	}
	wr.closer = f
	return wr, nil
}

// putHeader writes the canonical header for samples mono 16-bit samples.
func putHeader(h []byte, rate SampleRate, samples int64) {
	le := binary.LittleEndian
	data := uint32(2 * samples)
	copy(h[0:4], "RIFF")
	le.PutUint32(h[4:8], 36+data)
	copy(h[8:12], "WAVE")
	copy(h[12:16], "fmt ")
	le.PutUint32(h[16:20], 16)
	le.PutUint16(h[20:22], tagPCM)
	le.PutUint16(h[22:24], 1)
	le.PutUint32(h[24:28], uint32(rate))
	le.PutUint32(h[28:32], uint32(rate)*2)
	le.PutUint16(h[32:34], 2)
	le.PutUint16(h[34:36], 16)
	copy(h[36:40], "data")
	le.PutUint32(h[40:44], data)
}

// littleEndian reports whether the machine is little-endian, where []int16
// already has the byte layout of WAV PCM data. The compiler folds it to a
// constant: the branches on it cost nothing.
func littleEndian() bool { return binary.NativeEndian.Uint16([]byte{1, 0}) == 1 }

// Write appends pcm to the recording. It copies pcm before it returns.
func (wr *Writer) Write(pcm []int16) error {
	if wr.closed {
		return errors.New("media.Writer: Write after Close")
	}
	if wr.err != nil {
		return wr.err
	}
	if 2*(wr.samples+int64(len(pcm))) > maxDataBytes {
		return ErrTooLong
	}
	wr.samples += int64(len(pcm))
	for len(pcm) > 0 {
		if wr.n == len(wr.buf) {
			if err := wr.flush(); err != nil {
				return err
			}
		}
		k := min(len(pcm), (len(wr.buf)-wr.n)/2)
		dst := wr.buf[wr.n : wr.n+2*k]
		if littleEndian() {
			copy(dst, unsafe.Slice((*byte)(unsafe.Pointer(&pcm[0])), 2*k))
		} else {
			for i, s := range pcm[:k] {
				binary.LittleEndian.PutUint16(dst[2*i:], uint16(s))
			}
		}
		wr.n += 2 * k
		pcm = pcm[k:]
	}
	return nil
}

// WriteInt32 appends samples given as int32, saturating each to the int16
// range (40000 becomes 32767, never −25536).
func (wr *Writer) WriteInt32(x []int32) error {
	var tmp [256]int16
	for len(x) > 0 {
		k := min(len(x), len(tmp))
		for i, v := range x[:k] {
			tmp[i] = SaturateInt(v)
		}
		if err := wr.Write(tmp[:k]); err != nil {
			return err
		}
		x = x[k:]
	}
	return nil
}

func (wr *Writer) flush() error {
	if wr.n == 0 {
		return nil
	}
	_, err := wr.w.Write(wr.buf[:wr.n])
	wr.n = 0
	if err != nil {
		wr.err = err
	}
	return err
}

// Samples returns the number of samples written so far.
func (wr *Writer) Samples() int64 { return wr.samples }

// Rate returns the writer's sample rate.
func (wr *Writer) Rate() SampleRate { return wr.rate }

// Close flushes the buffered samples, patches the header's sizes and, for a
// Writer made by Create, closes the file. Calling it again does nothing and
// returns the first call's error.
func (wr *Writer) Close() error {
	if wr.closed {
		return wr.err
	}
	wr.closed = true
	err := wr.flush()
	if err == nil {
		err = wr.patch()
	}
	if wr.closer != nil {
		if cerr := wr.closer.Close(); err == nil {
			err = cerr
		}
	}
	if wr.err == nil {
		wr.err = err
	}
	return err
}

// patch rewrites the two size fields and leaves w positioned at the end.
func (wr *Writer) patch() error {
	var h [HeaderSize]byte
	putHeader(h[:], wr.rate, wr.samples)
	if _, err := wr.w.Seek(wr.start, io.SeekStart); err != nil {
		return fmt.Errorf("media.Writer: seeking to the header: %w", err)
	}
	if _, err := wr.w.Write(h[:]); err != nil {
		return err
	}
	_, err := wr.w.Seek(wr.start+HeaderSize+2*wr.samples, io.SeekStart)
	return err
}

// WriteWAVAt writes pcm at rate as a complete canonical WAV file into w at
// offset off, with two writes (the header, then the samples, taken in
// place on little-endian machines), and returns its size in bytes. It
// does not allocate on little-endian machines.
func WriteWAVAt(w io.WriterAt, off int64, pcm []int16, rate SampleRate) (int64, error) {
	return WriteWAVPartsAt(w, off, [][]int16{pcm}, rate)
}

// WriteWAVPartsAt writes the samples of parts, one after the other, at
// rate as one complete canonical WAV file into w at offset off: the
// header, then each part in place (little-endian machines), so a
// recording kept in chunks is written without being joined first. It
// returns the file's size in bytes.
func WriteWAVPartsAt(w io.WriterAt, off int64, parts [][]int16, rate SampleRate) (int64, error) {
	if err := rate.Validate(); err != nil {
		return 0, fmt.Errorf("media.WriteWAVAt: %w", err)
	}
	var n int64
	for _, p := range parts {
		n += int64(len(p))
	}
	if 2*n > maxDataBytes {
		return 0, ErrTooLong
	}
	var h [HeaderSize]byte
	putHeader(h[:], rate, n)
	if _, err := w.WriteAt(h[:], off); err != nil {
		return 0, err
	}
	at := off + HeaderSize
	for _, pcm := range parts {
		if len(pcm) == 0 {
			continue
		}
		var err error
		if littleEndian() {
			_, err = w.WriteAt(unsafe.Slice((*byte)(unsafe.Pointer(&pcm[0])), 2*len(pcm)), at)
		} else {
			b := make([]byte, 2*len(pcm))
			for i, s := range pcm {
				binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
			}
			_, err = w.WriteAt(b, at)
		}
		if err != nil {
			return HeaderSize + 2*n, err
		}
		at += 2 * int64(len(pcm))
	}
	return HeaderSize + 2*n, nil
}

// EncodeWAV returns pcm as a complete canonical WAV file.
func EncodeWAV(pcm []int16, rate SampleRate) ([]byte, error) {
	var m MemFile
	m.Grow(HeaderSize + 2*len(pcm))
	wr, err := NewWriter(&m, rate)
	if err != nil {
		return nil, err
	}
	if err := wr.Write(pcm); err != nil {
		return nil, err
	}
	if err := wr.Close(); err != nil {
		return nil, err
	}
	return m.Bytes(), nil
}

// MemFile is an in-memory io.WriteSeeker (and io.ReadSeeker over what was
// written), for recordings that never touch a disk.
type MemFile struct {
	b   []byte
	pos int64
}

// Grow makes room for n more bytes without reallocating.
func (m *MemFile) Grow(n int) {
	if cap(m.b)-len(m.b) < n {
		nb := make([]byte, len(m.b), len(m.b)+n)
		copy(nb, m.b)
		m.b = nb
	}
}

// Write writes p at the current position, extending the file as needed.
func (m *MemFile) Write(p []byte) (int, error) {
	end := m.pos + int64(len(p))
	if end > int64(len(m.b)) {
		if end > int64(cap(m.b)) {
			nb := make([]byte, end, max(end, 2*int64(cap(m.b))))
			copy(nb, m.b)
			m.b = nb
		}
		m.b = m.b[:end]
	}
	copy(m.b[m.pos:], p)
	m.pos = end
	return len(p), nil
}

// Read reads from the current position.
func (m *MemFile) Read(p []byte) (int, error) {
	if m.pos >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[m.pos:])
	m.pos += int64(n)
	return n, nil
}

// Seek sets the position for the next Read or Write.
func (m *MemFile) Seek(offset int64, whence int) (int64, error) {
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = m.pos
	case io.SeekEnd:
		base = int64(len(m.b))
	default:
		return 0, fmt.Errorf("media.MemFile.Seek: whence %d", whence)
	}
	if base+offset < 0 {
		return 0, fmt.Errorf("media.MemFile.Seek: negative position %d", base+offset)
	}
	m.pos = base + offset
	return m.pos, nil
}

// Bytes returns the file's contents; the slice aliases the MemFile.
func (m *MemFile) Bytes() []byte { return m.b }

// Len returns the file's length in bytes.
func (m *MemFile) Len() int { return len(m.b) }

// Reset empties the file, keeping its memory.
func (m *MemFile) Reset() { m.b, m.pos = m.b[:0], 0 }
