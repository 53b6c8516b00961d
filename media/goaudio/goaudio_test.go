package goaudio_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/media/goaudio"
	"github.com/recsim/recsim/media/mediatest"
)

// soxCase is one entry of ../testdata/sox/manifest.json: a WAV file
// written by sox, an independent tool.
type soxCase struct {
	Case       string `json:"case"`
	WAV        string `json:"wav"`
	Rate       int    `json:"rate"`
	Channels   int    `json:"channels"`
	Encoding   string `json:"encoding"`
	Bits       int    `json:"bits"`
	Extensible bool   `json:"extensible"`
	Frames     int    `json:"frames"`
}

var soxDir = filepath.Join("..", "testdata", "sox")

func soxCases(t *testing.T) []soxCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(soxDir, "manifest.json"))
	require.NoError(t, err)
	var cs []soxCase
	require.NoError(t, json.Unmarshal(b, &cs))
	require.NotEmpty(t, cs)
	return cs
}

// mediaReads returns the file's bytes and what media's own reader makes of
// them.
func mediaReads(t *testing.T, name string) ([]byte, []int16, media.SampleRate) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(soxDir, name))
	require.NoError(t, err)
	pcm, rate := mediaReadsBytes(t, b)
	return b, pcm, rate
}

func mediaReadsBytes(t *testing.T, b []byte) ([]int16, media.SampleRate) {
	t.Helper()
	rd, err := media.NewReader(bytes.NewReader(b), "test.wav")
	require.NoError(t, err)
	pcm, err := media.ReadAll(rd)
	require.NoError(t, err)
	return pcm, rd.Rate()
}

// requireSameSamples compares sample by sample and names the first
// difference.
func requireSameSamples(t *testing.T, want, got []int16, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: sample %d is %d, media's reader gives %d", what, i, got[i], want[i])
		}
	}
}

// ambiguous reports whether go-audio cannot tell the case's integer
// samples from float ones (see the package documentation).
func ambiguous(c soxCase) bool { return c.Extensible && (c.Bits == 32 || c.Bits == 64) }

func TestFromIntBufferMatchesMediaOnSoxFiles(t *testing.T) {
	n := 0
	for _, c := range soxCases(t) {
		if c.Encoding != "pcm" {
			continue // an IntBuffer of a float file holds bit patterns
		}
		n++
		t.Run(c.Case+" decoded by go-audio converts to what media reads", func(t *testing.T) {
			b, want, wantRate := mediaReads(t, c.WAV)
			require.Len(t, want, c.Frames)
			buf, err := wav.NewDecoder(bytes.NewReader(b)).FullPCMBuffer()
			require.NoError(t, err)
			require.Equal(t, c.Bits, buf.SourceBitDepth)
			got, rate, err := goaudio.FromIntBuffer(buf)
			require.NoError(t, err)
			assert.Equal(t, wantRate, rate)
			requireSameSamples(t, want, got, c.Case)
		})
	}
	assert.GreaterOrEqual(t, n, 15, "every integer PCM case of the manifest")
}

// readAll drains s in reads of size samples.
func readAll(t *testing.T, s *goaudio.Source, size int) []int16 {
	t.Helper()
	var out []int16
	dst := make([]int16, size)
	for {
		n, err := s.Read(dst)
		out = append(out, dst[:n]...)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
	}
}

func TestSourceMatchesMediaOnSoxFiles(t *testing.T) {
	for _, c := range soxCases(t) {
		if ambiguous(c) {
			continue // refused: see TestNewSourceRefusesExtensibleFilesItCannotClassify
		}
		t.Run(c.Case+" read through a Source in chunks of 1, 79, 160, 479 and 4000 is what media reads", func(t *testing.T) {
			b, want, wantRate := mediaReads(t, c.WAV)
			for _, size := range mediatest.ChunkSizes() {
				s, err := goaudio.NewSource(wav.NewDecoder(bytes.NewReader(b)))
				require.NoError(t, err)
				assert.Equal(t, wantRate, s.Rate())
				assert.EqualValues(t, c.Frames, s.Len())
				requireSameSamples(t, want, readAll(t, s, size), fmt.Sprintf("%s in chunks of %d", c.Case, size))
			}
		})
	}
}

func TestNewSourceRefusesExtensibleFilesItCannotClassify(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(soxDir, "pcm32_mono_16000.wav"))
	require.NoError(t, err)
	s, err := goaudio.NewSource(wav.NewDecoder(bytes.NewReader(b)))
	assert.Nil(t, s)
	require.Error(t, err)
	assert.ErrorIs(t, err, media.ErrFormat)
	assert.Equal(t, "goaudio: wav.Decoder.WavAudioFormat = 0xfffe: WAVE_FORMAT_EXTENSIBLE with 32-bit samples: "+
		"go-audio does not keep the sub-format, so integer and IEEE float samples cannot be told apart; read the file with media.NewReader", err.Error())
}

// oneByteAtATime is a ReadSeeker whose reads return one byte: the short
// reads a pipe or a network stream may give.
type oneByteAtATime struct{ *bytes.Reader }

func (r oneByteAtATime) Read(p []byte) (int, error) { return r.Reader.Read(p[:min(len(p), 1)]) }

func TestSourceIsNotMisledByShortReads(t *testing.T) {
	for _, name := range []string{"pcm16_mono_16000.wav", "pcm24_stereo_48000.wav", "u8_4ch_8000.wav", "float32_stereo_44100.wav"} {
		t.Run(name+" read one byte at a time gives the same samples", func(t *testing.T) {
			b, want, _ := mediaReads(t, name)
			s, err := goaudio.NewSource(wav.NewDecoder(oneByteAtATime{bytes.NewReader(b)}))
			require.NoError(t, err)
			requireSameSamples(t, want, readAll(t, s, 479), name)
		})
	}
}

// wavSpec builds a WAV file by hand, so that every field can be wrong.
type wavSpec struct {
	tag, channels, bits uint16
	rate                uint32
	sub                 uint16 // WAVE_FORMAT_EXTENSIBLE sub-format (tag 0xFFFE)
	data                []byte
	dataSize            int // -1: len(data)
	noData              bool
}

func (s wavSpec) bytes() []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	put := func(v any) { _ = binary.Write(&b, le, v) }
	ba := s.channels * s.bits / 8
	b.WriteString("RIFF")
	put(uint32(0))
	b.WriteString("WAVE")
	b.WriteString("fmt ")
	if s.tag == 0xFFFE {
		put(uint32(40))
	} else {
		put(uint32(16))
	}
	put(s.tag)
	put(s.channels)
	put(s.rate)
	put(s.rate * uint32(ba))
	put(ba)
	put(s.bits)
	if s.tag == 0xFFFE {
		put(uint16(22))           // cbSize
		put(s.bits)               // valid bits
		put(uint32(0))            // channel mask
		put(s.sub)                // sub-format GUID, first two bytes
		b.Write(make([]byte, 14)) // rest of the GUID
	}
	if !s.noData {
		b.WriteString("data")
		ds := s.dataSize
		if ds < 0 {
			ds = len(s.data)
		}
		put(uint32(ds))
		b.Write(s.data)
		if len(s.data)%2 == 1 {
			b.WriteByte(0) // pad byte
		}
	}
	out := b.Bytes()
	le.PutUint32(out[4:8], uint32(len(out)-8))
	return out
}

func TestSourceSkipsThePadByteOfAnOddDataChunk(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec wavSpec
	}{
		{"5 frames of 8-bit mono", wavSpec{tag: 1, channels: 1, bits: 8, rate: 8000, data: []byte{0, 64, 128, 200, 255}, dataSize: -1}},
		{"6 frames of 8-bit mono (no pad byte)", wavSpec{tag: 1, channels: 1, bits: 8, rate: 8000, data: []byte{0, 64, 128, 200, 255, 1}, dataSize: -1}},
		{"3 frames of 24-bit mono", wavSpec{tag: 1, channels: 1, bits: 24, rate: 16000, data: []byte{0, 0, 0x80, 0xff, 0xff, 0x7f, 0x80, 0x12, 0x34}, dataSize: -1}},
		{"3 frames of 8-bit, 3 channels, extensible", wavSpec{tag: 0xFFFE, sub: 1, channels: 3, bits: 8, rate: 8000, data: []byte{0, 1, 2, 100, 128, 255, 250, 251, 3}, dataSize: -1}},
	} {
		t.Run(tc.name+" reads as media reads it, without a pad byte", func(t *testing.T) {
			b := tc.spec.bytes()
			want, _ := mediaReadsBytes(t, b)
			s, err := goaudio.NewSource(wav.NewDecoder(bytes.NewReader(b)))
			require.NoError(t, err)
			assert.EqualValues(t, len(want), s.Len())
			requireSameSamples(t, want, readAll(t, s, 2), tc.name)
		})
	}
}

func TestSourceReportsADataChunkThatEndsEarly(t *testing.T) {
	b := wavSpec{tag: 1, channels: 2, bits: 16, rate: 8000, data: make([]byte, 40), dataSize: 400}.bytes()
	s, err := goaudio.NewSource(wav.NewDecoder(bytes.NewReader(b)))
	require.NoError(t, err)
	dst := make([]int16, 1000)
	n, err := s.Read(dst)
	assert.Equal(t, 10, n, "the whole frames that are there")
	require.Error(t, err)
	assert.ErrorIs(t, err, media.ErrFormat)
	assert.Equal(t, "goaudio: wav.Decoder.PCMSize = 400: the stream ends after 40 bytes of sample data", err.Error())
	_, again := s.Read(dst)
	assert.Equal(t, err, again, "the error sticks")
}

func TestNewSourceRejectsWhatItCannotReadWithTheFieldAndValue(t *testing.T) {
	pcm := func(mod func(*wavSpec)) []byte {
		s := wavSpec{tag: 1, channels: 1, bits: 16, rate: 8000, data: make([]byte, 320), dataSize: -1}
		mod(&s)
		return s.bytes()
	}
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"an empty stream is refused", nil, "goaudio: wav.Decoder.NumChans = 0: no fmt chunk was read: not a WAV stream, or truncated"},
		{"a stream that is not RIFF is refused", []byte("RIFX\x24\x00\x00\x00WAVEfmt "), "goaudio: reading the WAV header: RIFX - format not supported"},
		{"an ADPCM file is refused", pcm(func(s *wavSpec) { s.tag = 2 }), "goaudio: wav.Decoder.WavAudioFormat = 0x0002: only PCM (1), IEEE float (3) and WAVE_FORMAT_EXTENSIBLE (0xFFFE) are supported"},
		{"12-bit PCM is refused", pcm(func(s *wavSpec) { s.bits = 12 }), "goaudio: wav.Decoder.BitDepth = 12: integer PCM supports 8, 16, 24 or 32"},
		{"16-bit float is refused", pcm(func(s *wavSpec) { s.tag = 3 }), "goaudio: wav.Decoder.BitDepth = 16: IEEE float supports 32 or 64"},
		{"a 64-bit extensible file is refused", pcm(func(s *wavSpec) { s.tag, s.sub, s.bits = 0xFFFE, 3, 64 }),
			"goaudio: wav.Decoder.WavAudioFormat = 0xfffe: WAVE_FORMAT_EXTENSIBLE with 64-bit samples: go-audio does not keep the sub-format, so integer and IEEE float samples cannot be told apart; read the file with media.NewReader"},
		{"nine channels are refused", pcm(func(s *wavSpec) { s.channels = 9; s.data = make([]byte, 36) }), "goaudio: wav.Decoder.NumChans = 9: must be 1–8"},
		{"96 kHz is refused", pcm(func(s *wavSpec) { s.rate = 96000 }), "goaudio: wav.Decoder.SampleRate = 96000: must be 8000–48000 Hz"},
		{"7 999 Hz is refused", pcm(func(s *wavSpec) { s.rate = 7999 }), "goaudio: wav.Decoder.SampleRate = 7999: must be 8000–48000 Hz"},
		{"a data chunk of half a frame is refused", pcm(func(s *wavSpec) { s.channels = 2; s.data = make([]byte, 6) }), "goaudio: wav.Decoder.PCMSize = 6: not a whole number of 4-byte frames"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := goaudio.NewSource(wav.NewDecoder(bytes.NewReader(tt.file)))
			assert.Nil(t, s)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
	t.Run("a nil decoder is refused", func(t *testing.T) {
		_, err := goaudio.NewSource(nil)
		require.Error(t, err)
		assert.Equal(t, "goaudio: wav.Decoder = nil: no decoder", err.Error())
	})
	t.Run("a decoder already in its sample data is refused", func(t *testing.T) {
		d := wav.NewDecoder(bytes.NewReader(pcm(func(*wavSpec) {})))
		require.NoError(t, d.FwdToPCM())
		_, err := goaudio.NewSource(d)
		require.Error(t, err)
		assert.Equal(t, "goaudio: wav.Decoder.WasPCMAccessed() = true: the decoder is already in its sample data; NewSource takes one fresh from wav.NewDecoder", err.Error())
	})
	t.Run("a file without a data chunk is refused", func(t *testing.T) {
		_, err := goaudio.NewSource(wav.NewDecoder(bytes.NewReader(pcm(func(s *wavSpec) { s.noData = true }))))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "goaudio: looking for the data chunk: ")
	})
}

func TestFromIntBufferRejectsBadBuffersWithTheFieldAndValue(t *testing.T) {
	buf := func(channels, rate, bits int, data ...int) *audio.IntBuffer {
		return &audio.IntBuffer{Format: &audio.Format{NumChannels: channels, SampleRate: rate}, SourceBitDepth: bits, Data: data}
	}
	tests := []struct {
		name string
		b    *audio.IntBuffer
		want string
	}{
		{"a nil buffer is refused", nil, "goaudio: IntBuffer = nil: no buffer"},
		{"a buffer without a format is refused", &audio.IntBuffer{SourceBitDepth: 16}, "goaudio: IntBuffer.Format = nil: the buffer has no channel count or rate"},
		{"zero channels are refused", buf(0, 8000, 16), "goaudio: IntBuffer.Format.NumChannels = 0: must be 1–8"},
		{"nine channels are refused", buf(9, 8000, 16), "goaudio: IntBuffer.Format.NumChannels = 9: must be 1–8"},
		{"a rate under 8 kHz is refused", buf(1, 7999, 16), "goaudio: IntBuffer.Format.SampleRate = 7999: must be 8000–48000 Hz"},
		{"a rate over 48 kHz is refused", buf(1, 96000, 16), "goaudio: IntBuffer.Format.SampleRate = 96000: must be 8000–48000 Hz"},
		{"an unknown bit depth is refused", buf(1, 8000, 0), "goaudio: IntBuffer.SourceBitDepth = 0: must be 8, 16, 24 or 32"},
		{"64-bit samples are refused", buf(1, 8000, 64), "goaudio: IntBuffer.SourceBitDepth = 64: must be 8, 16, 24 or 32"},
		{"half a frame is refused", buf(2, 8000, 16, 1, 2, 3), "goaudio: len(IntBuffer.Data) = 3: not a whole number of 2-channel frames"},
		{"a 16-bit sample over 32767 is refused", buf(2, 8000, 16, 0, 0, 5, 40000), "goaudio: IntBuffer.Data[3] = 40000: outside the 16-bit range -32768…32767"},
		{"a signed 8-bit sample is refused", buf(1, 8000, 8, 128, -1), "goaudio: IntBuffer.Data[1] = -1: outside the 8-bit range 0…255"},
		{"a 24-bit sample under −2²³ is refused", buf(1, 8000, 24, -1<<23-1), "goaudio: IntBuffer.Data[0] = -8388609: outside the 24-bit range -8388608…8388607"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pcm, rate, err := goaudio.FromIntBuffer(tt.b)
			require.Error(t, err)
			assert.Nil(t, pcm)
			assert.Zero(t, rate)
			assert.Equal(t, tt.want, err.Error())
			assert.ErrorIs(t, err, media.ErrFormat)
			var fe *goaudio.FormatError
			require.ErrorAs(t, err, &fe)
			assert.Contains(t, tt.want, fe.Field, "the error names the field")
		})
	}
}

func TestFromIntBufferConvertsEachBitDepthAsMediaDoes(t *testing.T) {
	// One stereo frame per row: go-audio's values, and the mean media's
	// reader gives for the same PCM bytes (rounded half away from zero).
	tests := []struct {
		bits int
		l, r int
		want int16
	}{
		{8, 0, 0, -32768},
		{8, 255, 255, 32512},
		{8, 128, 129, 128},
		{16, -32768, -32768, -32768},
		{16, 3, 4, 4},
		{16, -3, -4, -4},
		{24, 0x7fffff, 0x7fffff, 32767},
		{24, 0x80, 0x80, 1},
		{24, -0x80, -0x80, -1},
		{32, math.MaxInt32, math.MaxInt32, 32767},
		{32, math.MinInt32, math.MinInt32, -32768},
		{32, 0x8000, 0x7fff, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d-bit samples %d and %d average to %d", tt.bits, tt.l, tt.r, tt.want), func(t *testing.T) {
			b := &audio.IntBuffer{Format: &audio.Format{NumChannels: 2, SampleRate: 8000}, SourceBitDepth: tt.bits, Data: []int{tt.l, tt.r}}
			got, _, err := goaudio.FromIntBuffer(b)
			require.NoError(t, err)
			assert.Equal(t, []int16{tt.want}, got)

			// The same PCM written by go-audio's encoder, read by media.
			var f media.MemFile
			e := wav.NewEncoder(&f, 8000, tt.bits, 2, 1)
			require.NoError(t, e.Write(b))
			require.NoError(t, e.Close())
			want, _ := mediaReadsBytes(t, f.Bytes())
			assert.Equal(t, want, got, "media's reader on the same PCM")
		})
	}
}

func TestToIntBufferRoundTripsThroughGoAudioAndMedia(t *testing.T) {
	for _, rate := range []media.SampleRate{8000, 11025, 16000, 44100, 48000} {
		t.Run(fmt.Sprintf("samples at %d Hz written by go-audio's encoder read back identically", rate), func(t *testing.T) {
			pcm := media.Concat([]int16{-32768, 32767, 0, -1, 1}, media.Noise(media.White, uint64(rate), int(rate)/10, -3))
			b := ToIntBufferChecked(t, pcm, rate)
			var f media.MemFile
			e := wav.NewEncoder(&f, b.Format.SampleRate, b.SourceBitDepth, b.Format.NumChannels, 1)
			require.NoError(t, e.Write(b))
			require.NoError(t, e.Close())

			got, gotRate := mediaReadsBytes(t, f.Bytes())
			assert.Equal(t, rate, gotRate)
			requireSameSamples(t, pcm, got, "media's reader")

			s, err := goaudio.NewSource(wav.NewDecoder(bytes.NewReader(f.Bytes())))
			require.NoError(t, err)
			requireSameSamples(t, pcm, readAll(t, s, 160), "the Source")

			back, backRate, err := goaudio.FromIntBuffer(b)
			require.NoError(t, err)
			assert.Equal(t, rate, backRate)
			requireSameSamples(t, pcm, back, "FromIntBuffer")
		})
	}
}

// ToIntBufferChecked is ToIntBuffer with its contract checked.
func ToIntBufferChecked(t *testing.T, pcm []int16, rate media.SampleRate) *audio.IntBuffer {
	t.Helper()
	b := goaudio.ToIntBuffer(pcm, rate)
	require.NotNil(t, b.Format)
	assert.Equal(t, audio.Format{NumChannels: 1, SampleRate: int(rate)}, *b.Format)
	assert.Equal(t, 16, b.SourceBitDepth)
	require.Len(t, b.Data, len(pcm))
	return b
}

func TestToIntBufferOwnsItsFormatAndData(t *testing.T) {
	pcm := []int16{1, 2, 3}
	a, b := goaudio.ToIntBuffer(pcm, 48000), goaudio.ToIntBuffer(pcm, 48000)
	t.Run("every buffer has a Format of its own, never a predefined one", func(t *testing.T) {
		assert.NotSame(t, a.Format, b.Format)
		assert.NotSame(t, audio.FormatMono48000, a.Format)
		a.Format.SampleRate = 8000
		assert.Equal(t, 48000, b.Format.SampleRate)
		assert.Equal(t, 48000, audio.FormatMono48000.SampleRate)
	})
	t.Run("the buffer does not alias the samples", func(t *testing.T) {
		pcm[0] = 99
		assert.Equal(t, []int{1, 2, 3}, b.Data)
	})
}

func TestSourceReadDoesNotAllocate(t *testing.T) {
	b, _, _ := mediaReads(t, "pcm24_stereo_48000.wav")
	// The sources are made before measuring: AllocsPerRun counts every
	// allocation of the process, so the measured function does nothing
	// but read (its first call is AllocsPerRun's warm-up).
	const runs = 10
	sources := make([]*goaudio.Source, runs+1)
	for i := range sources {
		s, err := goaudio.NewSource(wav.NewDecoder(bytes.NewReader(b)))
		require.NoError(t, err)
		sources[i] = s
	}
	dst := make([]int16, 160)
	next, frames := 0, 0
	allocs := testing.AllocsPerRun(runs, func() {
		s := sources[next]
		next++
		for {
			n, err := s.Read(dst)
			frames += n
			if err != nil {
				break
			}
		}
	})
	require.Equal(t, runs+1, next)
	assert.Equal(t, (runs+1)*9876, frames, "every source was read to its end")
	assert.Zero(t, allocs, "reading the 9 876 frames allocates nothing")
}
