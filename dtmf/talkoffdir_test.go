package dtmf

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/recsim/recsim/media"
	"github.com/stretchr/testify/require"
)

var talkOffDir = flag.String("talkoff.dir", "", "scan every WAV under this directory for false digits (TestTalkOffDir)")

// TestTalkOffDir scans a corpus made outside the repository (see
// fixtures/make/make_fixtures.sh, section "talkoff", for how): every WAV
// file under -talkoff.dir, at its own level and 20 dB down. It is a search
// tool, skipped without the flag; each false digit is logged with the
// analysis of the windows that let it through, and fails the test.
func TestTalkOffDir(t *testing.T) {
	if *talkOffDir == "" {
		t.Skip("no -talkoff.dir")
	}
	var files []string
	require.NoError(t, filepath.WalkDir(*talkOffDir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(p, ".wav") {
			files = append(files, p)
		}
		return err
	}))
	sort.Strings(files)
	require.NotEmpty(t, files)
	secs := map[int]float64{}
	for _, f := range files {
		rd, err := media.Open(f)
		require.NoError(t, err)
		pcm, err := media.ReadAll(rd)
		require.NoError(t, err)
		rate := int(rd.Rate())
		require.NoError(t, rd.Close())
		for _, gain := range []float64{0, -20} {
			p := append([]int16(nil), pcm...)
			media.Gain(p, gain)
			var ok []diag
			ev := traced(t, rate, p, func(g diag) {
				if g.ok {
					ok = append(ok, g)
				}
			})
			secs[rate] += float64(len(p)) / float64(rate)
			for _, e := range ev {
				if e.Kind != KeyDown {
					continue
				}
				t.Errorf("%s at %+v dB: %c at %.3f s (onset sample %d, decided at %d)", f, gain, e.Digit, float64(e.Onset)/float64(rate), e.Onset, e.At)
				for _, g := range ok {
					end := (g.block + 1) * int64(rate/200)
					if end >= e.Onset && end <= e.At+int64(rate/50) {
						t.Logf("  window ending %.3f s: dev %+.4f %+.4f amp %.0f %.0f twist %+.1f dB purity %.3f fill %.3f ratio %.4f gate %.3f/%.3f spill %.4f",
							float64(end)/float64(rate), g.devLo, g.devHi, g.ampLo, g.ampHi, 20*math.Log10(g.ampHi/g.ampLo), g.purity, g.fill, g.ratio, g.gateWin, g.gateBlk, g.spill)
					}
				}
			}
		}
	}
	for rate, s := range secs {
		t.Logf("scanned %.1f min at %d Hz (%d files, two gains)", s/60, rate, len(files))
	}
}
