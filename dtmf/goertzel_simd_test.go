package dtmf

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireSameState fails unless got and want are bit-identical (so that
// −0 and +0 differ, and NaNs compare).
func requireSameState(t *testing.T, want, got *state, msg string, args ...any) {
	t.Helper()
	where := fmt.Sprintf(msg, args...)
	for i := range 8 {
		require.Equal(t, math.Float64bits(want.a[i]), math.Float64bits(got.a[i]), "s[n−1] of resonator %d: %s", i, where)
		require.Equal(t, math.Float64bits(want.b[i]), math.Float64bits(got.b[i]), "s[n−2] of resonator %d: %s", i, where)
		require.Equal(t, math.Float64bits(want.pow[i]), math.Float64bits(got.pow[i]), "power of resonator %d: %s", i, where)
	}
	require.Equal(t, want.e, got.e, "Σ x²: %s", where)
	require.Equal(t, want.sum, got.sum, "Σ x: %s", where)
}

// randomPCM returns n samples: full-scale noise, quiet noise or a tone,
// sometimes with runs of silence and of the extremes −32768 and 32767.
func randomPCM(rng *rand.Rand, n int) []int16 {
	x := make([]int16, n)
	kind := rng.IntN(4)
	amp := []float64{32768, 300, 20000, 0}[kind]
	w := 0.1 + rng.Float64()
	for i := range x {
		switch {
		case kind == 2:
			x[i] = int16(amp * math.Sin(w*float64(i)))
		case kind == 3:
			x[i] = []int16{-32768, 32767, 0, 1, -1}[rng.IntN(5)]
		default:
			x[i] = int16(math.Max(-32768, math.Min(32767, (rng.Float64()*2-1)*amp)))
		}
	}
	return x
}

// TestKernelMatchesGo checks the AVX2 kernel against runGo, bit for bit:
// three lanes of any length from any state, run in any chunks, and blocks
// for every group size and many block lengths.
func TestKernelMatchesGo(t *testing.T) {
	if !detectAVX2() {
		t.Skip("no AVX2 kernel on this machine: runGo is all there is")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	wr, wc := [4]float64{0.55, 0.6, 0.67, 0.74}, [4]float64{0.95, 1.05, 1.16, 1.28}
	g := newGoertzel(wr, wc, 480, true)
	// Bins beyond π/2 too (negative coefficients).
	h := newGoertzel([4]float64{0.1, 1.7, 2.9, 3.1}, [4]float64{0.01, 2.2, 1.5708, 3.14159}, 480, true)

	t.Run("three lanes from random states over 0 to 100 samples give runGo's states", func(t *testing.T) {
		for _, b := range []*goertzel{&g, &h} {
			for n := range 101 {
				var lanes, want [3]state
				x := make([]int16, 3*n+1) // +1: a valid pointer when n = 0
				size := int(unsafe.Sizeof(state{}))
				p := plan{n: 1, samples: 3 * n, s: [maxStretches]stretch{{n: n, x: [3]int{0, n, 2 * n}, st: [3]int{0, size, 2 * size}}}}
				for k := range 3 {
					runGo(&b.c, &lanes[k], randomPCM(rng, rng.IntN(50))) // a random state
					want[k] = lanes[k]
					copy(x[k*n:], randomPCM(rng, n))
					runGo(&b.c, &want[k], x[k*n:(k+1)*n])
				}
				planAVX2(&b.c, &lanes[0], &x[0], &p)
				for k := range 3 {
					requireSameState(t, &want[k], &lanes[k], "lane %d, %d samples", k, n)
				}
			}
		}
	})

	t.Run("run in random chunks gives runGo's state over the whole", func(t *testing.T) {
		for i := range 200 {
			x := randomPCM(rng, rng.IntN(600))
			if i == 0 {
				x = randomPCM(rng, 3*maxSamples+7) // more than one kernel call takes
			}
			var want state
			runGo(&g.c, &want, x)
			var w lanes
			var e, sum int64
			for i := 0; i < len(x); {
				n := min(1+rng.IntN(60), len(x)-i)
				if len(x) > maxSamples {
					n = len(x)
				}
				de, ds := g.run(&w, x[i:i+n])
				e, sum = e+de, sum+ds
				i += n
			}
			got := w.cur
			got.e, got.sum = e, sum
			requireSameState(t, &want, &got, "%d samples", len(x))
		}
	})

	t.Run("blocks gives runGo's states for 1 to 6 blocks (up to maxSamples) of 2 to 480 samples", func(t *testing.T) {
		for _, m := range []int{2, 3, 5, 16, 40, 41, 55, 80, 110, 160, 221, 240, 479, 480} {
			g := newGoertzel(wr, wc, m, true)
			require.Equal(t, min(maxGroup, maxSamples/m), g.group)
			for nb := 1; nb <= g.group; nb++ {
				x := randomPCM(rng, nb*m+rng.IntN(m))
				out := make([]state, nb)
				for j := range out { // blocks must not read what out held
					out[j] = state{a: [8]float64{math.NaN()}, b: [8]float64{1e300}, e: -1, sum: 7}
				}
				g.blocks(x, out)
				for j := range nb {
					var want state
					runGo(&g.c, &want, x[j*m:(j+1)*m])
					requireSameState(t, &want, &out[j], "block %d of %d, %d samples each", j, nb, m)
				}
			}
		}
	})
}

// TestDetectorMatchesGoPath runs a detector on the AVX2 kernel and one on
// runGo over DTMF scenes and random audio in many chunkings: the stored
// blocks must be bit-identical and the events identical.
func TestDetectorMatchesGoPath(t *testing.T) {
	if !detectAVX2() {
		t.Skip("no AVX2 kernel on this machine: runGo is all there is")
	}
	for _, rate := range []int{8000, 16000, 11025, 48000} {
		rng := rand.New(rand.NewPCG(uint64(rate), 13))
		scenes := map[string][]int16{
			"DTMF scene": digitScene(t, rate, uint64(rate)+1),
			"random":     randomPCM(rng, rate/3),
		}
		for name, pcm := range scenes {
			for _, chunk := range []int{1, 7, 79, 160, rate / 50, 479, 4000, 0} {
				t.Run(fmt.Sprintf("%s at %d Hz in chunks of %d (0: random)", name, rate, chunk), func(t *testing.T) {
					fast, err := New(DefaultConfig(rate))
					require.NoError(t, err)
					require.True(t, fast.bank.gz.simd, "NewBank picks the kernel where the CPU has AVX2")
					slowBank, err := newBank(DefaultConfig(rate), false)
					require.NoError(t, err)
					slow := slowBank.New()
					var ef, es []Event
					for i := 0; i < len(pcm); {
						n := chunk
						if n == 0 {
							n = 1 + rng.IntN(5*fast.bank.m)
						}
						n = min(n, len(pcm)-i)
						ef = fast.Process(ef, pcm[i:i+n])
						es = slow.Process(es, pcm[i:i+n])
						i += n
						require.Equal(t, slow.nblk, fast.nblk)
						require.True(t, sameRing(&slow.ring, &fast.ring), "the stored blocks differ after %d samples", i)
						require.Equal(t, slow.fill, fast.fill)
						if !sameState(&slow.lanes.cur, &fast.lanes.cur) {
							requireSameState(t, &slow.lanes.cur, &fast.lanes.cur, "the block in progress after %d samples", i)
						}
					}
					assert.Equal(t, slow.Flush(es), fast.Flush(ef))
				})
			}
		}
	}
}

// sameState reports whether two states are bit-identical.
func sameState(p, q *state) bool {
	for i := range 8 {
		if math.Float64bits(p.a[i]) != math.Float64bits(q.a[i]) || math.Float64bits(p.b[i]) != math.Float64bits(q.b[i]) ||
			math.Float64bits(p.pow[i]) != math.Float64bits(q.pow[i]) {
			return false
		}
	}
	return p.e == q.e && p.sum == q.sum
}

// sameRing reports whether two detectors' stored blocks are bit-identical.
func sameRing(a, b *[ringBlocks]blockRec) bool {
	same := func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) }
	for j := range a {
		p, q := &a[j], &b[j]
		if !same(p.e, q.e) || !same(p.mean, q.mean) {
			return false
		}
		for k := range nTones {
			if !same(p.s1[k], q.s1[k]) || !same(p.s2[k], q.s2[k]) || !same(p.pow[k], q.pow[k]) {
				return false
			}
		}
	}
	return true
}

// TestPlansCoverEveryBlockInOrder checks blocks' schedules for every block
// length Config allows (16 to 480 samples) and every group size: each
// block's samples run once, in order, on one lane at a time, from cleared
// states at its first piece; lane 0 is never idle (the kernel relies on
// it); the plan takes max(m, ⌈nb·m/3⌉) steps.
func TestPlansCoverEveryBlockInOrder(t *testing.T) {
	for m := 16; m <= 480; m++ {
		for nb := 1; nb <= maxGroup; nb++ {
			p := newPlan(nb, m)
			var next [maxGroup]int
			steps := 0
			size := int(unsafe.Sizeof(state{}))
			require.Equal(t, nb*m, p.samples)
			for _, s := range p.s[:p.n] {
				require.Positive(t, s.n, "m=%d nb=%d", m, nb)
				require.GreaterOrEqual(t, s.st[0], 0, "m=%d nb=%d: lane 0 idle", m, nb)
				for k, st := range s.st {
					if st < 0 {
						require.Equal(t, s.x[0], s.x[k], "m=%d nb=%d: an idle lane repeats lane 0", m, nb)
						continue
					}
					j := st / size
					for k2 := range k {
						require.NotEqual(t, st, s.st[k2], "m=%d nb=%d: block %d on two lanes", m, nb, j)
					}
					require.Equal(t, j*m+next[j], s.x[k], "m=%d nb=%d: block %d out of order", m, nb, j)
					require.Equal(t, next[j] == 0, s.fresh[k] == 1, "m=%d nb=%d: block %d starts from zero exactly once", m, nb, j)
					next[j] += s.n
				}
				steps += s.n
			}
			for j := range nb {
				require.Equal(t, m, next[j], "m=%d nb=%d: block %d", m, nb, j)
			}
			require.Equal(t, max(m, (nb*m+2)/3), steps, "m=%d nb=%d", m, nb)
		}
	}
}
