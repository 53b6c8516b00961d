package dtmf

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/recsim/recsim/dtmf/keypad"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/dsp/fourier"
)

// TestGoertzelMatchesFFT checks the resonator bank against gonum's FFT: at
// integer bins k of an n-point block, Σ x[m]·e^{−j2πkm/n} computed from the
// bank's final states (output) must equal FFT coefficient k, and power must
// equal its squared magnitude, to 1e-6 relative, whatever the chunking.
func TestGoertzelMatchesFFT(t *testing.T) {
	for _, tc := range []struct {
		n, rate int
		bins    [nTones]int
	}{
		// Row bins anywhere, column bins near the DTMF column frequencies.
		{40, 8000, [nTones]int{1, 3, 4, 5, 6, 7, 8, 9}},
		{80, 16000, [nTones]int{0, 3, 4, 5, 6, 7, 8, 9}},
		{205, 8000, [nTones]int{18, 20, 22, 24, 31, 34, 38, 42}},
		{240, 48000, [nTones]int{2, 3, 4, 5, 6, 7, 8, 9}},
		{441, 44100, [nTones]int{7, 8, 9, 10, 12, 13, 15, 16}},
	} {
		t.Run(fmt.Sprintf("a %d-point block at %d Hz matches the FFT at bins %v", tc.n, tc.rate, tc.bins), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.n), 1))
			x := make([]int16, tc.n)
			seq := make([]float64, tc.n)
			for i := range x {
				x[i] = int16(rng.IntN(65536) - 32768)
				seq[i] = float64(x[i])
			}
			coeff := fourier.NewFFT(tc.n).Coefficients(nil, seq)
			var wr, wc [4]float64
			for i, k := range tc.bins {
				w := 2 * math.Pi * float64(k) / float64(tc.n)
				if i < 4 {
					wr[i] = w
				} else {
					wc[i-4] = w
				}
			}
			g := newGoertzel(wr, wc, tc.n, detectAVX2())
			var w lanes
			var res [nTones]resonator
			for i := range 4 {
				res[i] = newResonatorW(0, wr[i], tc.n)
				res[4+i] = newResonatorW(0, wc[i], tc.n)
			}
			for _, chunk := range []int{tc.n, 1, 7, 33} {
				w.clear()
				var e, sum int64
				for i := 0; i < tc.n; i += chunk {
					de, ds := g.run(&w, x[i:min(i+chunk, tc.n)])
					e, sum = e+de, sum+ds
				}
				var want, wantSum int64
				for _, v := range x {
					want += int64(v) * int64(v)
					wantSum += int64(v)
				}
				require.Equal(t, want, e, "energy")
				require.Equal(t, wantSum, sum, "sum")
				for i, k := range tc.bins {
					s1, s2 := w.states(i)
					z := res[i].output(s1, s2)
					ref := coeff[k]
					scale := max(cmplx.Abs(ref), 1e-9*math.Sqrt(float64(want)))
					assert.InDelta(t, 0, cmplx.Abs(z-ref)/scale, 1e-6, "bin %d, chunks of %d: Goertzel %v, FFT %v", k, chunk, z, ref)
					assert.InDelta(t, 0, math.Abs(power(g.coef(i), s1, s2)-sq(cmplx.Abs(ref)))/sq(scale), 1e-6, "power at bin %d", k)
					assert.InDelta(t, 0, cmplx.Abs(res[i].outputN(s1, s2, tc.n)-ref)/scale, 1e-6, "outputN at bin %d", k)
				}
			}
		})
	}
}

// TestUnmixRecoversTwoTones checks the block model that undoes leakage and
// images: for two exact sinusoids (no quantisation) at any offsets, the
// amplitudes come back to 1e-9.
func TestUnmixRecoversTwoTones(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, rate := range []int{8000, 16000, 44100} {
		m := rate / 200
		for r := range 4 {
			for c := range 4 {
				t.Run(fmt.Sprintf("%c at %d Hz with random offsets, twist and phases", keypad.Digits[4*r+c], rate), func(t *testing.T) {
					res := [2]resonator{newResonator(keypad.Rows()[r], rate, m), newResonator(keypad.Cols()[c], rate, m)}
					dr := (rng.Float64()*6 - 3) / 100 * res[0].omega
					dc := (rng.Float64()*6 - 3) / 100 * res[1].omega
					a := cmplx.Rect(1000+rng.Float64()*9000, rng.Float64()*7)
					beta := cmplx.Rect(1000+rng.Float64()*9000, rng.Float64()*7)
					var u, v complex128
					for n := range m {
						x := real(a*expj((res[0].omega+dr)*float64(n))) + real(beta*expj((res[1].omega+dc)*float64(n)))
						u += complex(x, 0) * expj(-res[0].omega*float64(n))
						v += complex(x, 0) * expj(-res[1].omega*float64(n))
					}
					um := newUnmix(res[0].omega, res[1].omega, dr, dc, m)
					ga, gb := um.apply(u, v)
					assert.InDelta(t, 0, cmplx.Abs(ga-a)/cmplx.Abs(a), 1e-9, "row tone: got %v want %v", ga, a)
					assert.InDelta(t, 0, cmplx.Abs(gb-beta)/cmplx.Abs(beta), 1e-9, "column tone: got %v want %v", gb, beta)
				})
			}
		}
	}
}

// TestGeometricSum checks the closed form of Σ_{n<m} e^{jνn}.
func TestGeometricSum(t *testing.T) {
	for _, nu := range []float64{0, 1e-13, 0.3, -1.2, math.Pi, 2 * math.Pi, 5.5} {
		for _, m := range []int{1, 40, 241} {
			var want complex128
			for n := range m {
				want += expj(nu * float64(n))
			}
			assert.InDelta(t, 0, cmplx.Abs(geometric(nu, m)-want), 1e-9*float64(m), "ν=%v m=%d", nu, m)
		}
	}
}
