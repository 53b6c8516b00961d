package picture_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/picture"
	"github.com/recsim/recsim/engine/scenario"
)

var update = flag.Bool("update", false, "rewrite the golden scenes")

func run(t *testing.T, name string) *scenario.Result {
	t.Helper()
	path := filepath.Join("..", "..", "fixtures", "scenarios", name+".json")
	s, err := scenario.Load(path)
	require.NoError(t, err)
	res, err := s.Simulate(path, filepath.Dir(path))
	require.NoError(t, err)
	return res
}

// TestSceneGolden compares the picture's structure (what is drawn where,
// in seconds) with a golden file: fonts and anti-aliasing can't break it.
func TestSceneGolden(t *testing.T) {
	for _, name := range []string{"demo", "max_silence", "digits_not_stop_tones", "initial_silence", "beep_failed", "ivr_menu"} {
		t.Run("the "+name+" scene matches its golden", func(t *testing.T) {
			res := run(t, name)
			sc := picture.BuildScene(res.Op, len(res.Audio.PCM))
			sc.AddTones(res.Op, res.Tones) // none but for subscribing scenarios
			got, err := json.MarshalIndent(sc, "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')
			gp := filepath.Join("testdata", name+".scene.golden")
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(gp, got, 0o644))
				return
			}
			want, err := os.ReadFile(gp)
			require.NoError(t, err, "run go test ./engine/picture -update")
			if !bytes.Equal(want, got) {
				_ = os.WriteFile(filepath.Join("testdata", name+".scene.got"), got, 0o644)
			}
			assert.Equal(t, string(want), string(got))
		})
	}
}

func TestTheDemoSceneShowsWhyTheRecordingEnded(t *testing.T) {
	res := run(t, "demo")
	sc := picture.BuildScene(res.Op, len(res.Audio.PCM))
	end := float64(res.Op.Span().End) / float64(res.Op.Span().Rate)
	kinds := map[string]int{}
	for _, s := range sc.Spans {
		kinds[s.Kind]++
		assert.LessOrEqual(t, s.From, s.To, "span %s", s.Kind)
	}
	for _, m := range sc.Marks {
		kinds[m.Kind]++
	}
	assert.Equal(t, 1, kinds["prompt"])
	assert.Equal(t, 1, kinds["beep"])
	assert.Equal(t, 1, kinds["listen"])
	assert.Equal(t, 2, kinds["speech"], "the caller speaks twice")
	assert.Equal(t, 1, kinds["digit"])
	assert.Equal(t, 1, kinds["completion"])
	last := sc.Marks[len(sc.Marks)-1]
	assert.Equal(t, "completion", last.Kind)
	assert.Equal(t, "stopToneDetected 8514", last.Label)
	assert.InDelta(t, end, last.At, 0.001)
	assert.Contains(t, sc.Title, "stopToneDetected")
}

// TestThePNGHasItsElementsWhereTheSceneSaysTheyAre checks the rendered
// picture loosely: its size, and that the completion line, the speech
// bands and the digit line are drawn in their colours, in the right order
// from left to right.
func TestThePNGHasItsElementsWhereTheSceneSaysTheyAre(t *testing.T) {
	res := run(t, "demo")
	var buf bytes.Buffer
	require.NoError(t, picture.WritePNG(&buf, res.Op, res.Audio.PCM))
	img, err := png.Decode(&buf)
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, picture.Width, picture.Height), img.Bounds())

	cols := func(c color.RGBA) []int {
		var xs []int
		for x := 0; x < picture.Width; x++ {
			for y := 0; y < picture.Height; y++ {
				r, g, b, _ := img.At(x, y).RGBA()
				if uint8(r>>8) == c.R && uint8(g>>8) == c.G && uint8(b>>8) == c.B {
					xs = append(xs, x)
					break
				}
			}
		}
		return xs
	}
	red, green, blue := cols(picture.ColorCompletion()), cols(picture.ColorSpeech()), cols(picture.ColorDigit())
	require.NotEmpty(t, red, "the completion line is drawn")
	require.NotEmpty(t, green, "the speech bands are drawn")
	require.NotEmpty(t, blue, "the digit line is drawn")
	assert.Less(t, red[len(red)-1]-red[0], 12, "one thin completion line")
	assert.Less(t, green[0], blue[0], "speech before the digit")
	assert.LessOrEqual(t, blue[0], red[0]+2, "the digit's onset before the completion")
	frac := float64(red[0]) / picture.Width
	sc := picture.BuildScene(res.Op, len(res.Audio.PCM))
	assert.InDelta(t, (sc.End-sc.From)/(sc.To-sc.From), frac, 0.08, "the completion line sits at its time on the axis")
}
