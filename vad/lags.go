package vad

// The per-sample work: decimation and the lag sums r[k] = Σ x[n]·x[n−k] of
// each sub-frame.
//
// Each r[k] of a sub-frame is its own running sum: it receives x[n]·x[n−k]
// (the product rounded, then added: no FMA) for one sample after the other,
// in stream order, from 0 at the start of the sub-frame. Every product and
// partial sum is an integer below 2⁵³, so the arithmetic is exact anyway,
// but both paths below keep that order all the same: they give the same
// bits as the plain loop on any input and any CPU.
//
// That order makes a sub-frame's accumulation a chain of dependent
// additions (one per sample, 3 cycles each on current x86), however the five
// sums are spread over registers. The sums of two sub-frames are
// independent, though. With AVX2 (Detector.avx2, set by NewModel), Process decimates two whole
// sub-frames at a time into interleaved rows (decimatePair), accumulates
// both side by side with one vector load per sample serving both
// (lagsPairAVX2), then analyses them in order (framePair); the rest of a
// chunk goes through the same buffer one stretch at a time (accumulateAVX2).
// Without it, one pass over the samples decimates and accumulates
// (accumulateGo).

// accumulateGo adds the lag products of seg, which does not reach past the
// end of the current sub-frame, to the running sums, decimating on the way.
// A decimation group left open at the end of seg is carried to the next
// call.
func (d *Detector) accumulateGo(seg []int16) {
	switch {
	case d.dec == 1:
		d.accumulate1(seg)
	case d.dec == 2 && d.sub == 0:
		d.accumulate2(seg)
	default:
		d.accumulateD(seg)
	}
}

// accumulate1 is accumulateGo without decimation.
func (d *Detector) accumulate1(seg []int16) {
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

// accumulate2 is accumulateGo for D = 2 from the start of a pair: no branch
// per sample, and the tail is summed again from seg afterwards.
func (d *Detector) accumulate2(seg []int16) {
	r0, r1, r2, r3, r4 := d.r[0], d.r[1], d.r[2], d.r[3], d.r[4]
	x1, x2, x3, x4 := d.tail[7], d.tail[6], d.tail[5], d.tail[4]
	m := len(seg) / 2
	for p := seg[:2*m]; len(p) >= 2; p = p[2:] {
		x := float64(int(p[0]) + int(p[1]))
		r0 += x * x
		r1 += x * x1
		r2 += x * x2
		r3 += x * x3
		r4 += x * x4
		x4, x3, x2, x1 = x3, x2, x1, x
	}
	d.r = [dim]float64{r0, r1, r2, r3, r4}
	k := min(m, tailLen)
	copy(d.tail[:], d.tail[k:])
	for i, j := tailLen-k, 2*(m-k); i < tailLen; i, j = i+1, j+2 {
		d.tail[i] = float64(int(seg[j]) + int(seg[j+1]))
	}
	d.pos += m
	if len(seg) > 2*m {
		d.acc, d.sub = int(seg[2*m]), 1
	}
}

// accumulateD is accumulateGo for any D and any start within a group.
func (d *Detector) accumulateD(seg []int16) {
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

// framePair accumulates and analyses the two whole sub-frames in pcm, which
// starts at a sub-frame boundary (AVX2 path).
func (d *Detector) framePair(dst []Event, pcm []int16) []Event {
	n := d.n
	t := d.xs[:2*(order+n)]
	rows := t[2*order:]
	decimatePair(rows, pcm, n, d.dec)
	for k := 1; k <= order; k++ {
		t[2*(order-k)] = d.tail[tailLen-k] // before A: the previous sub-frame
		t[2*(order-k)+1] = rows[2*(n-k)]   // before B: the end of A
	}
	rs := lagsPair(t, n)
	for i := range rs {
		for k := range d.tail {
			d.tail[k] = rows[2*(n-tailLen+k)+i]
		}
		d.r = rs[i]
		dst = d.endFrame(dst)
	}
	return dst
}

// lagsPair returns the lag sums of two consecutive whole sub-frames A and B
// of n samples each, given as rows t[2(order+j)] = A[j], t[2(order+j)+1] =
// B[j] for j = −order … n−1, where A[−k] is the k-th sample before A and
// B[−k] = A[n−k] (AVX2 path).
func lagsPair(t []float64, n int) [2][dim]float64 {
	t = t[:2*(order+n)]
	var s [2 * dim]float64
	lagsPairAVX2(&s, &t[0], n)
	// s holds the lanes [r1A r1B r0A r0B | r3A r3B r2A r2B | r4A r4B].
	return [2][dim]float64{
		{s[2], s[0], s[6], s[4], s[8]},
		{s[3], s[1], s[7], s[5], s[9]},
	}
}

// accumulateAVX2 is accumulateGo through the buffer and the kernels of the
// AVX2 path.
func (d *Detector) accumulateAVX2(seg []int16) {
	xs := d.xs
	copy(xs, d.tail[:])
	h, acc, sub := decimateFrom(xs[tailLen:], seg, d.dec, d.acc, d.sub)
	d.acc, d.sub = acc, sub
	if h == 0 {
		return
	}
	lagsOneAVX2(&d.r, &xs[0], h)
	d.tail = [tailLen]float64(xs[h:])
	d.pos += h
}

// decimatePair writes the rows of two consecutive whole sub-frames,
// A = pcm[:n·D] and B = pcm[n·D:], to t: t[2j], t[2j+1] = A[j], B[j].
func decimatePair(t []float64, pcm []int16, n, dec int) {
	t = t[:2*n]
	a, b := pcm[:n*dec], pcm[n*dec:2*n*dec]
	j := 0
	if dec <= 2 {
		j = n &^ 3
		if j > 0 {
			if dec == 1 {
				widenPairAVX2(&t[0], &a[0], &b[0], j)
			} else {
				pairSumsPairAVX2(&t[0], &a[0], &b[0], j)
			}
		}
	}
	for ; j < n; j++ {
		t[2*j] = group(a[j*dec : (j+1)*dec])
		t[2*j+1] = group(b[j*dec : (j+1)*dec])
	}
}

// decimateFrom writes to dst the sums of dec samples of seg, the first group
// completing the sum acc of sub samples before seg, and returns how many it
// wrote and the group left open.
func decimateFrom(dst []float64, seg []int16, dec, acc, sub int) (h, accOut, subOut int) {
	for sub > 0 && len(seg) > 0 {
		acc += int(seg[0])
		seg = seg[1:]
		sub++
		if sub == dec {
			dst[h] = float64(acc)
			h++
			acc, sub = 0, 0
		}
	}
	w := len(seg) / dec
	if dec <= 2 && w >= 8 {
		m := w &^ 7
		if dec == 1 {
			widenAVX2(&dst[h], &seg[0], m)
		} else {
			pairSumsAVX2(&dst[h], &seg[0], m)
		}
		h, seg, w = h+m, seg[m*dec:], w-m
	}
	for ; w > 0; w-- {
		dst[h] = group(seg[:dec])
		h, seg = h+1, seg[dec:]
	}
	for _, s := range seg { // fewer than dec samples: the group stays open
		acc += int(s)
		sub++
	}
	return h, acc, sub
}

// group returns the sum of the samples of s as a float64.
func group(s []int16) float64 {
	acc := 0
	for _, v := range s {
		acc += int(v)
	}
	return float64(acc)
}
