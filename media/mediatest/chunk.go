package mediatest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// ChunkSizes returns, in a new slice, the frame sizes docs/audio.md names
// for chunking invariance: a single sample, odd sizes that straddle every
// internal block boundary, the 20 ms frame at 8 kHz and a large one.
func ChunkSizes() []int { return []int{1, 79, 160, 479, 4000} }

// Chunks calls fn with consecutive pieces of pcm of at most size samples and
// the index of each piece's first sample.
func Chunks(pcm []int16, size int, fn func(start int64, chunk []int16)) {
	if size <= 0 {
		panic(fmt.Sprintf("mediatest.Chunks: size %d", size))
	}
	for i := 0; i < len(pcm); i += size {
		fn(int64(i), pcm[i:min(i+size, len(pcm))])
	}
}

// RequireChunkingInvariant runs process over pcm once in a single chunk and
// once for each of ChunkSizes() (plus any extra sizes), and requires every run
// to return a result equal to the single-chunk one. process must build a
// fresh processor each time, feed it every chunk through feed, and return
// what it observed (events, bytes, a summary).
func RequireChunkingInvariant[T any](t testing.TB, pcm []int16, process func(feed func(fn func(start int64, chunk []int16))) T, extra ...int) T {
	t.Helper()
	whole := process(func(fn func(int64, []int16)) {
		if len(pcm) > 0 {
			fn(0, pcm)
		}
	})
	sizes := append(ChunkSizes(), extra...)
	for _, size := range sizes {
		got := process(func(fn func(int64, []int16)) { Chunks(pcm, size, fn) })
		require.Equal(t, whole, got, "chunks of %d samples give a result different from one chunk of %d", size, len(pcm))
	}
	return whole
}
