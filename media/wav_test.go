package media_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-audio/wav"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/media"
)

func ramp(n int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(i*2654435761>>7) ^ int16(i) // a spread of values, both signs
	}
	return pcm
}

func TestWriterHeaderIsCanonical(t *testing.T) {
	pcm := []int16{0, 1, -1, 32767, -32768}
	b, err := media.EncodeWAV(pcm, 16000)
	require.NoError(t, err)
	require.Len(t, b, media.HeaderSize+2*len(pcm), "size is exactly 44 + 2 × samples")
	le := binary.LittleEndian
	assert.Equal(t, "RIFF", string(b[0:4]))
	assert.EqualValues(t, 36+10, le.Uint32(b[4:8]))
	assert.Equal(t, "WAVEfmt ", string(b[8:16]))
	assert.EqualValues(t, 16, le.Uint32(b[16:20]))
	assert.EqualValues(t, 1, le.Uint16(b[20:22]), "PCM")
	assert.EqualValues(t, 1, le.Uint16(b[22:24]), "mono")
	assert.EqualValues(t, 16000, le.Uint32(b[24:28]))
	assert.EqualValues(t, 32000, le.Uint32(b[28:32]))
	assert.EqualValues(t, 2, le.Uint16(b[32:34]))
	assert.EqualValues(t, 16, le.Uint16(b[34:36]))
	assert.Equal(t, "data", string(b[36:40]))
	assert.EqualValues(t, 10, le.Uint32(b[40:44]))
	for i, s := range pcm {
		assert.Equal(t, s, int16(le.Uint16(b[44+2*i:])))
	}
}

func TestWriterWithZeroSamplesIsAValidFile(t *testing.T) {
	b, err := media.EncodeWAV(nil, 8000)
	require.NoError(t, err)
	require.Len(t, b, media.HeaderSize)
	rd, err := media.NewReader(bytes.NewReader(b), "empty.wav")
	require.NoError(t, err)
	assert.EqualValues(t, 0, rd.Len())
	n, err := rd.Read(make([]int16, 10))
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF)

	d := wav.NewDecoder(bytes.NewReader(b))
	d.ReadInfo()
	assert.True(t, d.IsValidFile(), "go-audio accepts the empty file")
}

func TestWriterOutputIsReadBackIdenticallyByGoAudio(t *testing.T) {
	for _, rate := range []media.SampleRate{8000, 16000, 44100, 48000} {
		pcm := ramp(12345)
		var m media.MemFile
		wr, err := media.NewWriter(&m, rate)
		require.NoError(t, err)
		for i := 0; i < len(pcm); i += 479 { // odd frame sizes
			require.NoError(t, wr.Write(pcm[i:min(i+479, len(pcm))]))
		}
		require.NoError(t, wr.Close())

		d := wav.NewDecoder(bytes.NewReader(m.Bytes()))
		buf, err := d.FullPCMBuffer()
		require.NoError(t, err)
		assert.EqualValues(t, rate, d.SampleRate)
		assert.EqualValues(t, 1, d.NumChans)
		assert.EqualValues(t, 16, d.BitDepth)
		require.Len(t, buf.Data, len(pcm))
		for i, s := range pcm {
			if int(s) != buf.Data[i] {
				t.Fatalf("rate %d: sample %d: go-audio read %d, wrote %d", rate, i, buf.Data[i], s)
			}
		}
		// And our own reader agrees.
		rd, err := media.NewReader(bytes.NewReader(m.Bytes()), "mem.wav")
		require.NoError(t, err)
		got, err := media.ReadAll(rd)
		require.NoError(t, err)
		assert.Equal(t, pcm, got)
	}
}

func TestWriterOnAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.wav")
	wr, err := media.Create(path, 16000)
	require.NoError(t, err)
	pcm := ramp(40000) // more than one internal buffer
	require.NoError(t, wr.Write(pcm))
	require.NoError(t, wr.Close())
	require.NoError(t, wr.Close(), "Close is idempotent")
	assert.Error(t, wr.Write(pcm[:1]), "Write after Close is an error")

	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.EqualValues(t, media.HeaderSize+2*len(pcm), st.Size())
	got, rate, err := media.ReadFile(path)
	require.NoError(t, err)
	assert.EqualValues(t, 16000, rate)
	assert.Equal(t, pcm, got)
}

func TestWriteWAVAtWritesWholeFilesAtTheirOffsets(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "calls.rec"))
	require.NoError(t, err)
	defer f.Close()
	a := media.Noise(media.White, 1, 1601, -20)
	b := media.Tone(8000, 333, media.ToneSpec{Hz: 440, Level: -6})
	n1, err := media.WriteWAVAt(f, 0, a, 16000)
	require.NoError(t, err)
	n2, err := media.WriteWAVAt(f, n1, b, 8000)
	require.NoError(t, err)
	n3, err := media.WriteWAVAt(f, n1+n2, nil, 8000)
	require.NoError(t, err)
	assert.Equal(t, []int64{media.HeaderSize + 2*1601, media.HeaderSize + 2*333, media.HeaderSize}, []int64{n1, n2, n3})
	all, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	require.Len(t, all, int(n1+n2+n3))
	for _, c := range []struct {
		off, n int64
		pcm    []int16
		rate   media.SampleRate
	}{{0, n1, a, 16000}, {n1, n2, b, 8000}, {n1 + n2, n3, nil, 8000}} {
		want, err := media.EncodeWAV(c.pcm, c.rate)
		require.NoError(t, err)
		assert.Equal(t, want, all[c.off:c.off+c.n], "byte for byte what EncodeWAV gives")
	}
	_, err = media.WriteWAVAt(f, 0, a, 0)
	assert.Error(t, err, "a bad rate")
}

func TestWriteInt32Saturates(t *testing.T) {
	var m media.MemFile
	wr, err := media.NewWriter(&m, 8000)
	require.NoError(t, err)
	require.NoError(t, wr.WriteInt32([]int32{40000, -40000, 32767, -32768, 5}))
	require.NoError(t, wr.Close())
	rd, err := media.NewReader(bytes.NewReader(m.Bytes()), "sat.wav")
	require.NoError(t, err)
	got, err := media.ReadAll(rd)
	require.NoError(t, err)
	assert.Equal(t, []int16{32767, -32768, 32767, -32768, 5}, got, "40000 saturates to 32767, never wraps to −25536")
}

func TestWriterRejectsABadRate(t *testing.T) {
	_, err := media.NewWriter(&media.MemFile{}, 7999)
	assert.ErrorContains(t, err, "7999")
}

func TestWriterDoesNotAllocatePerFrame(t *testing.T) {
	var m media.MemFile
	m.Grow(1 << 24)
	wr, err := media.NewWriter(&m, 8000)
	require.NoError(t, err)
	frame := ramp(160)
	allocs := testing.AllocsPerRun(1000, func() { _ = wr.Write(frame) })
	assert.Zero(t, allocs)
}

func TestReaderDoesNotAllocatePerFrame(t *testing.T) {
	b, err := media.EncodeWAV(ramp(1<<20), 8000)
	require.NoError(t, err)
	rd, err := media.NewReader(bytes.NewReader(b), "a.wav")
	require.NoError(t, err)
	dst := make([]int16, 160)
	allocs := testing.AllocsPerRun(1000, func() { _, _ = rd.Read(dst) })
	assert.Zero(t, allocs)
}

// wavBytes builds a WAV file by hand so that every header field can be
// set to a wrong value.
type wavSpec struct {
	tag, channels    uint16
	rate             uint32
	blockAlign, bits uint16
	data             []byte
	dataSize         int64 // -1: len(data)
	extraChunk       bool
	fmtSize          uint32
}

func (s wavSpec) bytes() []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	fmtSize := s.fmtSize
	if fmtSize == 0 {
		fmtSize = 16
	}
	b.WriteString("RIFF")
	_ = binary.Write(&b, le, uint32(0))
	b.WriteString("WAVE")
	if s.extraChunk {
		b.WriteString("LIST")
		_ = binary.Write(&b, le, uint32(5))
		b.WriteString("abcde\x00") // odd size, padded
	}
	b.WriteString("fmt ")
	_ = binary.Write(&b, le, fmtSize)
	_ = binary.Write(&b, le, s.tag)
	_ = binary.Write(&b, le, s.channels)
	_ = binary.Write(&b, le, s.rate)
	_ = binary.Write(&b, le, s.rate*uint32(s.blockAlign))
	_ = binary.Write(&b, le, s.blockAlign)
	_ = binary.Write(&b, le, s.bits)
	if fmtSize > 16 {
		b.Write(make([]byte, fmtSize-16))
	}
	b.WriteString("data")
	ds := s.dataSize
	if ds < 0 {
		ds = int64(len(s.data))
	}
	_ = binary.Write(&b, le, uint32(ds))
	b.Write(s.data)
	out := b.Bytes()
	le.PutUint32(out[4:8], uint32(len(out)-8))
	return out
}

func good() wavSpec {
	return wavSpec{tag: 1, channels: 1, rate: 8000, blockAlign: 2, bits: 16, data: make([]byte, 320), dataSize: -1}
}

func TestReaderRejectsMalformedFilesWithTheFieldAndValue(t *testing.T) {
	full := good().bytes()
	cases := []struct {
		name  string
		file  []byte
		field string
		value string
	}{
		{"an empty file", nil, "RIFF header", "0 of 12"},
		{"a truncated header", full[:30], "fmt chunk", "at byte 30"},
		{"a file that is not RIFF", append([]byte("OggS"), full[4:]...), "RIFF.id", "OggS"},
		{"a RIFF file that is not WAVE", append(append([]byte{}, full[:8]...), append([]byte("AVI "), full[12:]...)...), "RIFF.format", "AVI "},
		{"zero channels", func() []byte { s := good(); s.channels = 0; return s.bytes() }(), "fmt.channels", "0"},
		{"nine channels", func() []byte { s := good(); s.channels = 9; s.blockAlign = 18; return s.bytes() }(), "fmt.channels", "9"},
		{"a rate of 0", func() []byte { s := good(); s.rate = 0; return s.bytes() }(), "fmt.sampleRate", "0"},
		{"a rate of 10 MHz", func() []byte { s := good(); s.rate = 10_000_000; return s.bytes() }(), "fmt.sampleRate", "10000000"},
		{"a block align that contradicts the format", func() []byte { s := good(); s.blockAlign = 4; return s.bytes() }(), "fmt.blockAlign", "4"},
		{"12-bit samples", func() []byte { s := good(); s.bits = 12; return s.bytes() }(), "fmt.bitsPerSample", "12"},
		{"16-bit float", func() []byte { s := good(); s.tag = 3; return s.bytes() }(), "fmt.bitsPerSample", "16"},
		{"A-law", func() []byte { s := good(); s.tag = 6; s.bits = 8; s.blockAlign = 1; return s.bytes() }(), "fmt.formatTag", "0x0006"},
		{"a data chunk longer than the file", func() []byte { s := good(); s.dataSize = 1 << 20; return s.bytes() }(), "data.size", "1048576"},
		{"a data chunk of half a frame", func() []byte { s := good(); s.data = make([]byte, 3); return s.bytes() }(), "data.size", "3"},
		{"a short fmt chunk", func() []byte { s := good(); s.fmtSize = 14; return s.bytes()[:60] }(), "fmt.size", "14"},
	}
	for _, c := range cases {
		t.Run("it rejects "+c.name, func(t *testing.T) {
			_, err := media.NewReader(bytes.NewReader(c.file), "bad.wav")
			require.Error(t, err)
			assert.ErrorIs(t, err, media.ErrFormat)
			var fe *media.FormatError
			require.True(t, errors.As(err, &fe), "a *media.FormatError: %v", err)
			assert.Equal(t, "bad.wav", fe.File)
			assert.Equal(t, c.field, fe.Field)
			assert.Contains(t, err.Error(), c.value)
			assert.Contains(t, err.Error(), "bad.wav")
		})
	}
}

func TestReaderReportsADataChunkThatEndsEarlyOnAStream(t *testing.T) {
	s := good()
	s.dataSize = 1000
	b := s.bytes()
	// io.MultiReader hides the Seeker: the size can't be checked up front.
	rd, err := media.NewReader(io.MultiReader(bytes.NewReader(b)), "stream.wav")
	require.NoError(t, err)
	_, err = media.ReadAll(rd)
	require.ErrorIs(t, err, media.ErrFormat)
	assert.ErrorContains(t, err, "data.size = 1000")
	assert.ErrorContains(t, err, "320 bytes")
}

func TestReaderSkipsUnknownChunks(t *testing.T) {
	s := good()
	s.extraChunk = true
	s.data = []byte{1, 0, 2, 0, 0xff, 0xff}
	rd, err := media.NewReader(io.MultiReader(bytes.NewReader(s.bytes())), "list.wav")
	require.NoError(t, err)
	got, err := media.ReadAll(rd)
	require.NoError(t, err)
	assert.Equal(t, []int16{1, 2, -1}, got)
}

func TestReaderDownMixesAndConverts(t *testing.T) {
	le := binary.LittleEndian
	t.Run("stereo 16-bit averages the channels", func(t *testing.T) {
		s := good()
		s.channels, s.blockAlign = 2, 4
		s.data = nil
		for _, v := range [][2]int16{{100, 200}, {-32768, -32768}, {32767, 32767}, {1, 2}, {-1, -2}} {
			s.data = le.AppendUint16(s.data, uint16(v[0]))
			s.data = le.AppendUint16(s.data, uint16(v[1]))
		}
		rd, err := media.NewReader(bytes.NewReader(s.bytes()), "st.wav")
		require.NoError(t, err)
		got, err := media.ReadAll(rd)
		require.NoError(t, err)
		assert.Equal(t, []int16{150, -32768, 32767, 2, -2}, got, "halves round away from zero")
	})
	t.Run("float beyond ±1 saturates and NaN is silence", func(t *testing.T) {
		s := good()
		s.tag, s.bits, s.blockAlign = 3, 32, 4
		s.data = nil
		for _, v := range []float32{0.5, -1, 2, -2, float32(math.NaN())} {
			s.data = le.AppendUint32(s.data, math.Float32bits(v))
		}
		rd, err := media.NewReader(bytes.NewReader(s.bytes()), "f.wav")
		require.NoError(t, err)
		got, err := media.ReadAll(rd)
		require.NoError(t, err)
		assert.Equal(t, []int16{16384, -32768, 32767, -32768, 0}, got)
	})
	t.Run("8-bit is unsigned", func(t *testing.T) {
		s := good()
		s.bits, s.blockAlign = 8, 1
		s.data = []byte{128, 0, 255, 129}
		rd, err := media.NewReader(bytes.NewReader(s.bytes()), "u8.wav")
		require.NoError(t, err)
		got, err := media.ReadAll(rd)
		require.NoError(t, err)
		assert.Equal(t, []int16{0, -32768, 32512, 256}, got)
	})
}

func FuzzReader(f *testing.F) {
	f.Add(good().bytes())
	s := good()
	s.extraChunk = true
	f.Add(s.bytes())
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rd, err := media.NewReader(bytes.NewReader(b), "fuzz.wav")
		if err != nil {
			return
		}
		pcm, err := media.ReadAll(rd)
		if err != nil {
			require.ErrorIs(t, err, media.ErrFormat)
			return
		}
		// What decodes cleanly has exactly the declared number of frames,
		// and re-encodes to a file that decodes to the same samples.
		require.EqualValues(t, rd.Len(), len(pcm))
		out, err := media.EncodeWAV(pcm, rd.Rate())
		require.NoError(t, err)
		rd2, err := media.NewReader(bytes.NewReader(out), "re.wav")
		require.NoError(t, err)
		pcm2, err := media.ReadAll(rd2)
		require.NoError(t, err)
		require.Equal(t, pcm, pcm2)
	})
}

func BenchmarkWriteMemory(b *testing.B) {
	frame := ramp(160) // 20 ms at 8 kHz
	var m media.MemFile
	const frames = 1 << 14
	m.Grow(media.HeaderSize + frames*2*len(frame))
	b.SetBytes(int64(frames * 2 * len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		m.Reset()
		wr, _ := media.NewWriter(&m, 8000)
		for range frames {
			_ = wr.Write(frame)
		}
		_ = wr.Close()
	}
}

func BenchmarkReadMemory(b *testing.B) {
	file, _ := media.EncodeWAV(ramp(1<<21), 8000)
	dst := make([]int16, 160)
	b.SetBytes(int64(len(file) - media.HeaderSize))
	b.ReportAllocs()
	for b.Loop() {
		rd, _ := media.NewReader(bytes.NewReader(file), "bench.wav")
		for {
			if _, err := rd.Read(dst); err != nil {
				break
			}
		}
	}
}

func TestAppendAllAppendsToWhatItIsGiven(t *testing.T) {
	pcm := media.Noise(media.White, 3, 5000, -12)
	b, err := media.EncodeWAV(pcm, 8000)
	require.NoError(t, err)
	dst := make([]int16, 2, 6000)
	dst[0], dst[1] = 7, -7
	rd, err := media.NewReader(bytes.NewReader(b), "x.wav")
	require.NoError(t, err)
	out, err := media.AppendAll(dst, rd)
	require.NoError(t, err)
	assert.Equal(t, append([]int16{7, -7}, pcm...), out)
	assert.Same(t, &dst[0], &out[0], "enough capacity: no new array")
}
