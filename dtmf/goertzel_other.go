//go:build !amd64

package dtmf

// hasAVX2 is false off amd64: the bank runs runGo.
const hasAVX2 = false

// planAVX2 exists on amd64 only; bank never calls it when !hasAVX2.
func planAVX2(c *[8]float64, out *state, pcm *int16, p *plan) {
	panic("dtmf: planAVX2 without AVX2")
}
