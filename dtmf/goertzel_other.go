//go:build !amd64

package dtmf

// detectAVX2 is false off amd64: the resonators run runGo.
func detectAVX2() bool { return false }

// planAVX2 exists on amd64 only; goertzel never calls it without simd,
// which detectAVX2 never allows here.
func planAVX2(c *[8]float64, out *state, pcm *int16, p *plan) {
	panic("dtmf: planAVX2 without AVX2")
}
