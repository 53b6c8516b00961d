package dtmf

// findOnset estimates the first sample of the tone accepted at block b.
// The tone's amplitudes and phases come from a coherent average over the
// interior of the last window (blocks b−K+2 … b−1, whole blocks whatever
// the tone's alignment). From there it walks back, predicting each block
// from that reference and fitting how much of it the tone fills
// (fitSliver), until a block is less than half filled; the tone's samples
// in that block and the one after it then place the onset. Using both
// blocks means no block has to be classed as full or partial: noise at
// 15 dB SNR moves a full block's fit by up to 20 % (measured), which would
// make a hard "full" threshold misplace an onset by a whole block.
func (d *Detector) findOnset(b int64) int64 {
	m := int64(d.bank.m)
	first := b - int64(d.bank.k) + 2
	a, beta := d.reference(first, d.bank.k-2)
	back, backC := expj(-d.wr*float64(d.bank.m)), expj(-d.wc*float64(d.bank.m))
	oldest := max(0, d.nblk-ringBlocks+1)
	next := d.bank.m // the tone's samples in block j+1
	for j := first - 1; j >= oldest; j-- {
		a, beta = a*back, beta*backC
		l := d.fitBlock(j, pairAmps{a, beta}, true)
		if 2*l <= d.bank.m {
			return max((j+2)*m-int64(l+next), 0)
		}
		next = l
	}
	return oldest * m
}

// findRelease estimates the index one past the held tone's last sample,
// walking forward as findOnset walks back, from a reference made of the
// full blocks before the last one the tone filled (that one may be a
// sliver taken for a full block); the block being filled when the stream
// ends counts with the samples it has.
func (d *Detector) findRelease() int64 {
	m := int64(d.bank.m)
	n := int64(min(d.fullRun-1, d.bank.k-2))
	first := d.lastFull - n
	if n == 0 {
		n = 1
	}
	a, beta := d.reference(first, int(n))
	fwd, fwdC := expj(d.wr*float64(d.bank.m)), expj(d.wc*float64(d.bank.m))
	for range n - 1 {
		a, beta = a*fwd, beta*fwdC
	}
	prev := d.bank.m // the tone's samples in block j−1
	j := first + n
	for ; j < d.nblk; j++ {
		a, beta = a*fwd, beta*fwdC
		l := d.fitBlock(j, pairAmps{a, beta}, false)
		if 2*l <= d.bank.m {
			return max((j-1)*m+int64(prev+l), d.onset+1)
		}
		prev = l
	}
	// The tone fills at least half of every complete block since: it ends
	// in the last of them, or runs on into the partial one.
	end := (j-1)*m + int64(prev)
	if d.fill > 0 {
		a, beta = a*fwd, beta*fwdC
		mean := complex(float64(d.sBlk)/float64(d.fill), 0)
		s1, s2 := d.lanes.states(d.row)
		u := d.bank.res[d.row].outputN(s1, s2, d.fill) - mean*geometric(-d.bank.res[d.row].omega, d.fill)
		s1, s2 = d.lanes.states(4 + d.col)
		v := d.bank.res[4+d.col].outputN(s1, s2, d.fill) - mean*geometric(-d.bank.res[4+d.col].omega, d.fill)
		end += int64(d.fitSliver(u, v, d.fill, a, beta, false))
	}
	return max(end, d.onset+1)
}

// reference returns the held tones' complex amplitudes at the start of
// block first, averaged coherently over n full blocks from first on:
// averaging brings the noise down by √n and removes what distortion
// products and residual images change from block to block.
func (d *Detector) reference(first int64, n int) (a, beta complex128) {
	back, backC := expj(-d.wr*float64(d.bank.m)), expj(-d.wc*float64(d.bank.m))
	ra, rb := complex(1, 0), complex(1, 0)
	for j := range int64(n) {
		x, y := d.amps(first+j, d.row, d.col, &d.unmix)
		a += x * ra
		beta += y * rb
		ra, rb = ra*back, rb*backC
	}
	return a / complex(float64(n), 0), beta / complex(float64(n), 0)
}

// blockAmps returns the held tones' amplitudes at the start of block j+1,
// averaged over the n blocks ending with j (see reference).
func (d *Detector) blockAmps(j int64, n int) pairAmps {
	a, beta := d.reference(j-int64(n)+1, n)
	step, stepC := expj(d.wr*float64(d.bank.m*n)), expj(d.wc*float64(d.bank.m*n))
	return pairAmps{a * step, beta * stepC}
}

// pairAmps are the complex amplitudes of a row and a column tone.
type pairAmps struct{ a, beta complex128 }

// fitBlock is fitSliver on full block j of the ring, with the tones'
// amplitudes p at the block's start.
func (d *Detector) fitBlock(j int64, p pairAmps, tail bool) int {
	r := &d.ring[j&(ringBlocks-1)]
	return d.fitSliver(d.blockOut(r, d.row), d.blockOut(r, 4+d.col), d.bank.m, p.a, p.beta, tail)
}

// fitSliver returns the length L (0..n) of the part of an n-sample block
// that the held tone pair occupies, at the block's end (tail) or start: the
// L whose predicted resonator outputs come closest (least squares) to the
// measured u and v. The prediction is the pair itself,
// Re(a·e^{j·wr·m}) + Re(β·e^{j·wc·m}) for the block's samples m, with a and
// β referred to the block's first sample; it includes the leakage between
// the tones and their images, so for a clean tone the fit is exact, and
// other sound at the two frequencies only moves it as far as it moves the
// resonators. O(n), run only when a digit starts or ends.
func (d *Detector) fitSliver(u, v complex128, n int, a, beta complex128, tail bool) int {
	pa, pb := a, beta
	sa, sb := expj(d.wr), expj(d.wc)
	wr, wc := d.bank.res[d.row].omega, d.bank.res[4+d.col].omega
	dr, dc := complex(1, 0), complex(1, 0)
	sr, sc := expj(-wr), expj(-wc)
	// Pass 1 (tail only): the whole block's predicted outputs, so that a
	// suffix is the total minus a prefix.
	var tu, tv complex128
	if tail {
		for range n {
			x := complex(real(pa)+real(pb), 0)
			tu += x * dr
			tv += x * dc
			pa, pb, dr, dc = pa*sa, pb*sb, dr*sr, dc*sc
		}
		pa, pb, dr, dc = a, beta, 1, 1
	}
	cost := func(pu, pv complex128) float64 {
		if tail {
			pu, pv = tu-pu, tv-pv
		}
		return sq(real(u-pu)) + sq(imag(u-pu)) + sq(real(v-pv)) + sq(imag(v-pv))
	}
	// Pass 2: prefix sums; prefix k is the tone on [0, k) (release) or,
	// through the total, on [k, n) (onset).
	var pu, pv complex128
	bestK, best := 0, cost(0, 0)
	for k := 1; k <= n; k++ {
		x := complex(real(pa)+real(pb), 0)
		pu += x * dr
		pv += x * dc
		pa, pb, dr, dc = pa*sa, pb*sb, dr*sr, dc*sc
		if c := cost(pu, pv); c < best {
			bestK, best = k, c
		}
	}
	if tail {
		return n - bestK
	}
	return bestK
}
