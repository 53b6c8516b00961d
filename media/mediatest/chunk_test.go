package mediatest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestChunkSizesAreTheSizesTheDocsName(t *testing.T) {
	assert.Equal(t, []int{1, 79, 160, 479, 4000}, ChunkSizes())
	s := ChunkSizes()
	s[0] = 7
	assert.Equal(t, 1, ChunkSizes()[0], "each call returns a new slice")
}

func TestChunksCoverTheStreamInOrder(t *testing.T) {
	pcm := make([]int16, 10)
	for i := range pcm {
		pcm[i] = int16(i)
	}
	var starts []int64
	var got []int16
	Chunks(pcm, 4, func(start int64, chunk []int16) {
		starts = append(starts, start)
		got = append(got, chunk...)
	})
	assert.Equal(t, []int64{0, 4, 8}, starts)
	assert.Equal(t, pcm, got)
	assert.Panics(t, func() { Chunks(pcm, 0, func(int64, []int16) {}) }, "a size of 0 is a bug in the test")
}
