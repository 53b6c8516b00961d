package dtmf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/recsim/recsim/media"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var talkOffLong = flag.String("talkoff.long", "", "with -long: the directory the corpus-long section of fixtures/make/make_fixtures.sh wrote (TestTalkOffCorpusLong)")

// corpusDir is the default talk-off corpus, made by
// fixtures/make/make_fixtures.sh (section "corpus") and read from disk.
var corpusDir = filepath.Join("..", "fixtures", "testdata", "talkoff", "corpus")

// ulaw expands one G.711 μ-law byte to linear 16-bit PCM (the standard
// expansion: complement, 3-bit exponent, 4-bit mantissa, bias 0x84;
// results within ±32124).
func ulaw(b byte) int16 {
	u := ^b
	t := (int(u&0x0f)<<3 + 0x84) << ((u & 0x70) >> 4)
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

// readCorpusWAV reads a mono WAV file of the talk-off corpus: G.711 μ-law
// (format tag 7, 8 bits) or 16-bit PCM (tag 1). Package media reads only
// the second; the corpus is stored as the first to keep it small.
func readCorpusWAV(path string) (pcm []int16, rate int, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("%s: not a RIFF/WAVE file", path)
	}
	var tag, bits int
	for p := 12; p+8 <= len(data); {
		id, size := string(data[p:p+4]), int(binary.LittleEndian.Uint32(data[p+4:p+8]))
		body := data[p+8 : min(p+8+size, len(data))]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, 0, fmt.Errorf("%s: fmt chunk of %d bytes", path, len(body))
			}
			tag, rate, bits = int(binary.LittleEndian.Uint16(body)), int(binary.LittleEndian.Uint32(body[4:])), int(binary.LittleEndian.Uint16(body[14:]))
			if ch := binary.LittleEndian.Uint16(body[2:]); ch != 1 {
				return nil, 0, fmt.Errorf("%s: %d channels, want 1", path, ch)
			}
		case "data":
			switch {
			case tag == 7 && bits == 8:
				pcm = make([]int16, len(body))
				for i, b := range body {
					pcm[i] = ulaw(b)
				}
			case tag == 1 && bits == 16:
				pcm = make([]int16, len(body)/2)
				for i := range pcm {
					pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
				}
			default:
				return nil, 0, fmt.Errorf("%s: format tag %d with %d bits, want 7 (μ-law, 8 bits) or 1 (PCM, 16 bits)", path, tag, bits)
			}
			return pcm, rate, nil
		}
		p += 8 + size + size&1
	}
	return nil, 0, fmt.Errorf("%s: no data chunk", path)
}

// corpusEntry is one line of a corpus manifest.tsv.
type corpusEntry struct {
	file, family, variant, language, level string
	pitch, speed                           string // "-" for music
	seconds                                float64
}

// readManifest reads dir/manifest.tsv and checks that it lists exactly the
// WAV files under dir/8k and dir/16k.
func readManifest(t *testing.T, dir string) []corpusEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "manifest.tsv"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	require.True(t, sc.Scan(), "manifest header")
	require.Equal(t, "file\tfamily\tvariant\tlanguage\tpitch\tspeed\tlevel\tseconds", sc.Text())
	var es []corpusEntry
	listed := map[string]bool{}
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		require.Len(t, c, 8, "manifest line %q", sc.Text())
		secs, err := strconv.ParseFloat(c[7], 64)
		require.NoError(t, err)
		es = append(es, corpusEntry{file: c[0], family: c[1], variant: c[2], language: c[3], pitch: c[4], speed: c[5], level: c[6], seconds: secs})
		listed[filepath.FromSlash(c[0])] = true
	}
	require.NoError(t, sc.Err())
	var onDisk []string
	for _, sub := range []string{"8k", "16k"} {
		fs, err := filepath.Glob(filepath.Join(dir, sub, "*.wav"))
		require.NoError(t, err)
		for _, p := range fs {
			rel, err := filepath.Rel(dir, p)
			require.NoError(t, err)
			onDisk = append(onDisk, rel)
		}
	}
	sort.Strings(onDisk)
	var want []string
	for k := range listed {
		want = append(want, k)
	}
	sort.Strings(want)
	require.Equal(t, want, onDisk, "the manifest lists exactly the WAV files of %s", dir)
	require.NotEmpty(t, es)
	return es
}

// scanCorpus runs the default Detector, in 20 ms frames, over every file
// of the corpus in dir at its own level and 20 dB down; a digit fails the
// test and is logged with the windows that let it through. It logs the minutes
// scanned per rate and per family.
func scanCorpus(t *testing.T, dir string) {
	es := readManifest(t, dir)
	type key struct {
		rate   int
		family string
	}
	secs := map[key]float64{}
	digits := map[int]int{}
	for _, e := range es {
		pcm, rate, err := readCorpusWAV(filepath.Join(dir, filepath.FromSlash(e.file)))
		require.NoError(t, err)
		require.Equal(t, strings.SplitN(e.file, "/", 2)[0], fmt.Sprintf("%dk", rate/1000), "%s: rate %d", e.file, rate)
		require.InDelta(t, e.seconds, float64(len(pcm))/float64(rate), 0.001, "%s: length in the manifest", e.file)
		for _, gain := range []float64{0, -20} {
			p := append([]int16(nil), pcm...)
			media.Gain(p, gain)
			var ok []diag
			d, err := New(DefaultConfig(rate))
			require.NoError(t, err)
			d.trace = func(g diag) {
				if g.ok {
					ok = append(ok, g)
				}
			}
			var ev []Event
			for i := 0; i < len(p); i += rate / 50 {
				ev = d.Process(ev, p[i:min(i+rate/50, len(p))])
			}
			ev = d.Flush(ev)
			if assert.Empty(t, digitsOf(ev), "%s (%s, %s, pitch %s, speed %s, %s) at %+v dB", e.file, e.family, e.language, e.pitch, e.speed, e.level, gain) {
				continue
			}
			for _, ev := range ev {
				if ev.Kind != KeyDown {
					continue
				}
				digits[rate]++
				t.Logf("%s at %+v dB: %c at %.3f s (onset sample %d, decided at %d)", e.file, gain, ev.Digit, float64(ev.Onset)/float64(rate), ev.Onset, ev.At)
				for _, g := range ok {
					end := (g.block + 1) * int64(rate/200)
					if end >= ev.Onset && end <= ev.At+int64(rate/50) {
						t.Logf("  window ending %.3f s: dev %+.4f %+.4f amp %.0f %.0f twist %+.1f dB purity %.3f fill %.3f ratio %.4f gate %.3f/%.3f spill %.4f",
							float64(end)/float64(rate), g.devLo, g.devHi, g.ampLo, g.ampHi, 20*math.Log10(g.ampHi/g.ampLo), g.purity, g.fill, g.ratio, g.gateWin, g.gateBlk, g.spill)
					}
				}
			}
		}
		secs[key{rate, e.family}] += e.seconds
		secs[key{rate, "all"}] += e.seconds
	}
	ks := make([]key, 0, len(secs))
	for k := range secs {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].rate != ks[j].rate {
			return ks[i].rate < ks[j].rate
		}
		return ks[i].family < ks[j].family
	})
	for _, k := range ks {
		t.Logf("%5d Hz %-8s %6.1f min (scanned twice: at its level and 20 dB down)", k.rate, k.family, secs[k]/60)
	}
	for _, rate := range []int{8000, 16000} {
		t.Logf("%5d Hz: %d false digits", rate, digits[rate])
	}
}

// TestTalkOffCorpus: no digit on the default talk-off corpus
// (fixtures/testdata/talkoff/corpus, 15 minutes a rate of espeak-ng speech
// in every variant family at extreme pitches and speeds, and music with
// sustained dyads near the DTMF pairs; docs/detectors.md#dtmf).
func TestTalkOffCorpus(t *testing.T) {
	scanCorpus(t, corpusDir)
}

// TestTalkOffCorpusLong runs the same scan over the long corpus (two hours
// a rate or more), which is not committed: make it with
// fixtures/make/make_fixtures.sh corpus-long DIR, then run with -long
// -talkoff.long=DIR.
func TestTalkOffCorpusLong(t *testing.T) {
	if !*long {
		t.Skip("the long talk-off corpus runs with -long -talkoff.long=DIR")
	}
	if *talkOffLong == "" {
		t.Skip("no -talkoff.long=DIR: make the corpus with `bash fixtures/make/make_fixtures.sh corpus-long DIR` (needs sox and espeak-ng), then go test ./dtmf -run TalkOffCorpusLong -args -long -talkoff.long=DIR")
	}
	scanCorpus(t, *talkOffLong)
}

// TestCorpusReader checks the test's own WAV reader: the μ-law expansion
// at its fixed points, and that package media still refuses μ-law files
// (format tag 7), which is why the reader is here.
func TestCorpusReader(t *testing.T) {
	t.Run("the μ-law expansion gives the G.711 values at the ends and zero", func(t *testing.T) {
		assert.Equal(t, int16(0), ulaw(0xff))
		assert.Equal(t, int16(0), ulaw(0x7f))
		assert.Equal(t, int16(-32124), ulaw(0x00))
		assert.Equal(t, int16(32124), ulaw(0x80))
		assert.Equal(t, int16(-8), ulaw(0x7e))
		assert.Equal(t, int16(8), ulaw(0xfe))
	})
	t.Run("the μ-law expansion is odd and increasing in each half", func(t *testing.T) {
		for b := 0; b < 128; b++ {
			assert.Equal(t, -ulaw(byte(b)), ulaw(byte(b|0x80)), "byte %#x", b)
			if b > 0 {
				assert.Greater(t, ulaw(byte(b-1)|0x80), ulaw(byte(b)|0x80), "byte %#x", b)
			}
		}
	})
	t.Run("package media refuses the corpus's μ-law files", func(t *testing.T) {
		fs, err := filepath.Glob(filepath.Join(corpusDir, "8k", "*.wav"))
		require.NoError(t, err)
		require.NotEmpty(t, fs)
		rd, err := media.Open(fs[0])
		if err == nil {
			_, err = media.ReadAll(rd)
			rd.Close()
		}
		assert.True(t, errors.Is(err, media.ErrFormat), "media.Open(%s): %v", fs[0], err)
	})
}
