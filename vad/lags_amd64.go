package vad

// lagsOneAVX2 adds to r the lag sums of the n samples after x[:tailLen].
//
//go:noescape
func lagsOneAVX2(r *[dim]float64, x *float64, n int)

// lagsPairAVX2 accumulates, from 0, the lag sums of the two sub-frames of n
// samples whose rows start at t after order rows of history, and writes the
// lanes of its three accumulators to s (see framePair).
//
//go:noescape
func lagsPairAVX2(s *[2 * dim]float64, t *float64, n int)

// widenAVX2 converts the n samples of pcm, n a multiple of 8, to float64.
//
//go:noescape
func widenAVX2(dst *float64, pcm *int16, n int)

// pairSumsAVX2 writes the n sums of pairs of the 2n samples of pcm, n a
// multiple of 8.
//
//go:noescape
func pairSumsAVX2(dst *float64, pcm *int16, n int)

// widenPairAVX2 writes the rows a[j], b[j] of the n samples of a and b, n a
// multiple of 4.
//
//go:noescape
func widenPairAVX2(t *float64, a, b *int16, n int)

// pairSumsPairAVX2 writes the rows of the n sums of pairs of the 2n samples
// of a and of b, n a multiple of 4.
//
//go:noescape
func pairSumsPairAVX2(t *float64, a, b *int16, n int)
