package media_test

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/media"
)

// soxCase is one entry of testdata/sox/manifest.json: a WAV written by sox
// (an independent tool) from a raw 16-bit source whose samples we know.
type soxCase struct {
	Case       string `json:"case"`
	WAV        string `json:"wav"`
	Src        string `json:"src"`
	Rate       int    `json:"rate"`
	Channels   int    `json:"channels"`
	Encoding   string `json:"encoding"`
	Bits       int    `json:"bits"`
	Extensible bool   `json:"extensible"`
	Frames     int    `json:"frames"`
}

// TestReaderAgreesWithSoxWrittenFiles reads every sox-written format and
// compares each sample with the down-mix of the known source: exactly, for
// every lossless format; for 8-bit, with sox's documented rounding applied
// to the source first.
func TestReaderAgreesWithSoxWrittenFiles(t *testing.T) {
	dir := filepath.Join("testdata", "sox")
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	require.NoError(t, err)
	var cases []soxCase
	require.NoError(t, json.Unmarshal(b, &cases))
	require.NotEmpty(t, cases)
	var formats []string
	for _, c := range cases {
		t.Run(c.Case+" reads as the source down-mixed", func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, c.Src))
			require.NoError(t, err)
			require.Equal(t, c.Frames*c.Channels*2, len(raw))

			rd, err := media.Open(filepath.Join(dir, c.WAV))
			require.NoError(t, err)
			defer rd.Close()
			f := rd.Format()
			assert.EqualValues(t, c.Rate, f.Rate)
			assert.Equal(t, c.Channels, f.Channels)
			assert.Equal(t, c.Bits, f.Bits)
			assert.Equal(t, c.Encoding, f.Encoding.String())
			assert.Equal(t, c.Extensible, f.Extensible)
			assert.EqualValues(t, c.Frames, rd.Len())
			got, err := media.ReadAll(rd)
			require.NoError(t, err)
			require.Len(t, got, c.Frames)

			for i := range c.Frames {
				var sum int64
				for ch := range c.Channels {
					x := int64(int16(binary.LittleEndian.Uint16(raw[2*(i*c.Channels+ch):])))
					if c.Bits == 8 {
						// sox: u8 = min(255, ((x+128)>>8)+128); back to 16 bits: (u−128)<<8.
						u := min(255, ((x+128)>>8)+128)
						x = (u - 128) << 8
					}
					sum += x
				}
				want := media.Saturate(float64(sum) / float64(c.Channels))
				if got[i] != want {
					t.Fatalf("frame %d: read %d, want %d (mean of the source's channels)", i, got[i], want)
				}
			}
			formats = append(formats, c.Case)
		})
	}
	t.Logf("formats proven against sox-written files: %s", strings.Join(formats, ", "))
}
