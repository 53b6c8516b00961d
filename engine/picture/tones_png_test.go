package picture_test

import (
	"bytes"
	"image/png"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/picture"
)

func TestTheIVRPictureMarksTheSubscribedTones(t *testing.T) {
	res := run(t, "ivr_menu")
	require.Len(t, res.Tones, 2)
	var with, without bytes.Buffer
	require.NoError(t, picture.WritePNGWithTones(&with, res.Op, res.Audio.PCM, res.Tones))
	require.NoError(t, picture.WritePNG(&without, res.Op, res.Audio.PCM))
	img, err := png.Decode(bytes.NewReader(with.Bytes()))
	require.NoError(t, err)
	violet := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == 0x80 && g>>8 == 0x30 && bl>>8 == 0xc0 {
				violet++
			}
		}
	}
	assert.Positive(t, violet, "the tone marks are drawn in ColorTone")
	assert.NotEqual(t, without.Bytes(), with.Bytes())
}
