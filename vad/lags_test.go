package vad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/fixtures"
	"github.com/recsim/recsim/media"
)

// The per-sample loop as it was before the kernels of lags.go, kept as the
// reference they must reproduce bit for bit: refProcess is Process with it.

func (d *Detector) refProcess(dst []Event, pcm []int16) []Event {
	for len(pcm) > 0 {
		need := (d.n-d.pos)*d.dec - d.sub
		k := min(need, len(pcm))
		if d.dec == 1 {
			d.refAccumulate(pcm[:k])
		} else {
			d.refAccumulateDecimated(pcm[:k])
		}
		pcm = pcm[k:]
		if k == need {
			dst = d.endFrame(dst)
		}
	}
	return dst
}

func (d *Detector) refAccumulate(seg []int16) {
	r0, r1, r2, r3, r4 := d.r[0], d.r[1], d.r[2], d.r[3], d.r[4]
	x1, x2, x3, x4 := d.tail[7], d.tail[6], d.tail[5], d.tail[4]
	for _, s := range seg {
		x := float64(s)
		r0 += x * x
		r1 += x * x1
		r2 += x * x2
		r3 += x * x3
		r4 += x * x4
		x4, x3, x2, x1 = x3, x2, x1, x
	}
	d.r = [dim]float64{r0, r1, r2, r3, r4}
	m := len(seg)
	if m >= tailLen {
		for i := range d.tail {
			d.tail[i] = float64(seg[m-tailLen+i])
		}
	} else {
		copy(d.tail[:], d.tail[m:])
		for i, s := range seg {
			d.tail[tailLen-m+i] = float64(s)
		}
	}
	d.pos += m
}

func (d *Detector) refAccumulateDecimated(seg []int16) {
	r0, r1, r2, r3, r4 := d.r[0], d.r[1], d.r[2], d.r[3], d.r[4]
	x1, x2, x3, x4 := d.tail[7], d.tail[6], d.tail[5], d.tail[4]
	acc, sub, dec := d.acc, d.sub, d.dec
	var hist [tailLen]float64
	h := 0
	for _, s := range seg {
		acc += int(s)
		sub++
		if sub < dec {
			continue
		}
		x := float64(acc)
		acc, sub = 0, 0
		r0 += x * x
		r1 += x * x1
		r2 += x * x2
		r3 += x * x3
		r4 += x * x4
		x4, x3, x2, x1 = x3, x2, x1, x
		hist[h&(tailLen-1)] = x
		h++
	}
	d.r = [dim]float64{r0, r1, r2, r3, r4}
	d.acc, d.sub = acc, sub
	m := min(h, tailLen)
	copy(d.tail[:], d.tail[m:])
	for i := 0; i < m; i++ {
		d.tail[tailLen-m+i] = hist[(h-m+i)&(tailLen-1)]
	}
	d.pos += h
}

// withKernels runs f once on the pure-Go path and, where the CPU has AVX2,
// once on the assembly one; f sets the path (Detector.avx2) on the
// detectors it builds.
func withKernels(t *testing.T, f func(t *testing.T, avx2 bool)) {
	paths := []bool{false}
	if detectAVX2() {
		paths = append(paths, true)
	}
	for _, a := range paths {
		name := "in Go"
		if a {
			name = "in assembly"
		}
		t.Run(name, func(t *testing.T) { f(t, a) })
	}
}

// bits is the bit pattern of a float64 array, so that equal means identical.
func bits(v []float64) []uint64 {
	b := make([]uint64, len(v))
	for i, x := range v {
		b[i] = math.Float64bits(x)
	}
	return b
}

// naiveLags is r plus the lag sums of x[tailLen:], added one sample at a
// time.
func naiveLags(r [dim]float64, x []float64) []float64 {
	for p := tailLen; p < len(x); p++ {
		for k := range r {
			r[k] += x[p] * x[p-k]
		}
	}
	return r[:]
}

// randomSamples is n decimated samples: sums of dec full-scale values, with
// the extremes mixed in.
func randomSamples(rng *rand.Rand, n, dec int) []float64 {
	x := make([]float64, n)
	for i := range x {
		switch rng.IntN(8) {
		case 0:
			x[i] = -32768 * float64(dec)
		case 1:
			x[i] = 32767 * float64(dec)
		default:
			x[i] = float64(rng.IntN(65536*dec) - 32768*dec)
		}
	}
	return x
}

func TestKernelsMatchTheLoop(t *testing.T) {
	if !detectAVX2() {
		t.Skip("no AVX2: the assembly kernels are not used")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 53, 60, 74, 79, 80, 100, 110, 120} {
		for _, dec := range []int{1, 2, 6} {
			x := randomSamples(rng, tailLen+n, dec)
			r0 := [dim]float64{float64(rng.Int64N(1 << 40)), -float64(rng.Int64N(1 << 40)), 3, 0, -7}
			r := r0
			lagsOneAVX2(&r, &x[0], n)
			assert.Equal(t, bits(naiveLags(r0, x)), bits(r[:]), "lagsOneAVX2, n = %d, D = %d", n, dec)

			// Two sub-frames A and B of n samples after the history.
			ab := randomSamples(rng, tailLen+2*n, dec)
			rows := make([]float64, 2*(order+n))
			for j := -order; j < n; j++ {
				rows[2*(order+j)] = ab[tailLen+j]
				rows[2*(order+j)+1] = ab[tailLen+n+j]
			}
			got := lagsPair(rows, n)
			assert.Equal(t, bits(naiveLags([dim]float64{}, ab[:tailLen+n])), bits(got[0][:]), "lagsPair A, n = %d, D = %d", n, dec)
			assert.Equal(t, bits(naiveLags([dim]float64{}, ab[n:])), bits(got[1][:]), "lagsPair B, n = %d, D = %d", n, dec)
		}
	}
}

func TestDecimationMatchesTheLoop(t *testing.T) {
	if !detectAVX2() {
		t.Skip("no AVX2: the assembly kernels are not used")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dec := range []int{1, 2, 3, 5, 6} {
		for _, n := range []int{0, 1, 3, 4, 7, 8, 9, 16, 31, 80, 83} {
			pcm := make([]int16, 2*n*dec+dec-1)
			for i := range pcm {
				pcm[i] = int16(rng.IntN(65536) - 32768)
				if rng.IntN(5) == 0 {
					pcm[i] = -32768
				}
			}
			sums := func(pcm []int16, acc, sub int) (out []float64, accOut, subOut int) {
				for _, s := range pcm {
					acc += int(s)
					if sub++; sub == dec {
						out = append(out, float64(acc))
						acc, sub = 0, 0
					}
				}
				return out, acc, sub
			}
			want, _, _ := sums(pcm[:2*n*dec], 0, 0)
			if n > 0 {
				got := make([]float64, 2*n)
				decimatePair(got, pcm, n, dec)
				for j := 0; j < n; j++ {
					assert.Equal(t, math.Float64bits(want[j]), math.Float64bits(got[2*j]), "decimatePair A[%d], D = %d, n = %d", j, dec, n)
					assert.Equal(t, math.Float64bits(want[n+j]), math.Float64bits(got[2*j+1]), "decimatePair B[%d], D = %d, n = %d", j, dec, n)
				}
			}
			for sub := 0; sub < dec; sub++ {
				acc := -40000 * sub
				want, wantAcc, wantSub := sums(pcm, acc, sub)
				got := make([]float64, len(pcm)/dec+1)
				h, gotAcc, gotSub := decimateFrom(got, pcm, dec, acc, sub)
				assert.Equal(t, bits(want), bits(got[:h]), "decimateFrom, D = %d, %d samples after %d", dec, len(pcm), sub)
				assert.Equal(t, [2]int{wantAcc, wantSub}, [2]int{gotAcc, gotSub}, "decimateFrom, D = %d, %d samples after %d: open group", dec, len(pcm), sub)
			}
		}
	}
}

// accState is what the per-sample work leaves in a detector, floats as bit
// patterns.
type accState struct {
	r              [dim]uint64
	tail, prevTail [tailLen]uint64
	pos, acc, sub  int
	frame          int64
}

func accStateOf(d *Detector) accState {
	return accState{
		r: [dim]uint64(bits(d.r[:])), tail: [tailLen]uint64(bits(d.tail[:])), prevTail: [tailLen]uint64(bits(d.prevTail[:])),
		pos: d.pos, acc: d.acc, sub: d.sub, frame: d.frame,
	}
}

func TestProcessMatchesThePerSampleLoop(t *testing.T) {
	type input struct {
		name   string
		pcm    []int16
		speech bool
	}
	speech := func(rate int) []int16 {
		from := 8000
		if rate >= 16000 {
			from = 16000
		}
		cs, err := fixtures.Speech(from)
		require.NoError(t, err)
		pcm := append(media.Silence(from/4), cs[3].PCM[:min(len(cs[3].PCM), from)]...)
		pcm = append(pcm, media.Silence(from/5)...)
		pcm = append(pcm, cs[7].PCM[:min(len(cs[7].PCM), from/2)]...)
		media.Mix(pcm, media.Noise(media.Pink, 5, len(pcm), -50), 0)
		return media.Resample(pcm, media.SampleRate(from), media.SampleRate(rate))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, rate := range []int{8000, 11025, 14000, 16000, 22050, 32000, 44100, 48000} {
		noise := make([]int16, rate*3/2)
		for i := range noise {
			noise[i] = int16(rng.IntN(65536) - 32768)
		}
		inputs := []input{
			{"random full-scale samples", noise, false},
			{"speech in pink noise", speech(rate), true},
			{"digital silence", make([]int16, rate), false},
		}
		for _, in := range inputs {
			t.Run(fmt.Sprintf("%s at %d Hz", in.name, rate), func(t *testing.T) {
				withKernels(t, func(t *testing.T, avx2 bool) {
					for _, chunk := range []int{1, 7, 79, 80, 160, 320, 479, 882, 4000, 0} {
						d, err := New(DefaultConfig(rate))
						require.NoError(t, err)
						d.avx2 = avx2
						ref, err := New(DefaultConfig(rate))
						require.NoError(t, err)
						var ev, want []Event
						crng := rand.New(rand.NewPCG(uint64(chunk), 7))
						for i := 0; i < len(in.pcm); {
							size := chunk
							if size == 0 { // random sizes
								size = 1 + crng.IntN(3*rate/50)
							}
							e := min(i+size, len(in.pcm))
							ev = d.Process(ev, in.pcm[i:e])
							want = ref.refProcess(want, in.pcm[i:e])
							i = e
							if s, w := accStateOf(d), accStateOf(ref); s != w || !slices.Equal(ev, want) {
								require.Equal(t, w, s, "chunks of %d: state after %d samples", chunk, i)
								require.Equal(t, want, ev, "chunks of %d: events after %d samples", chunk, i)
							}
						}
						want, ev = ref.Flush(want), d.Flush(ev)
						assert.Equal(t, want, ev, "chunks of %d: events after Flush", chunk)
						if in.speech {
							assert.NotEmpty(t, ev, "chunks of %d: speech is found", chunk)
						}
					}
				})
			})
		}
	}
}
