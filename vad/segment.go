package vad

import "math"

// segment runs the onset confirmation, continuation and hangover logic for
// sub-frame k, whose record is rec. lastConf is the last sub-frame of
// confirmed speech (the end of the segment so far, before its weak tail);
// the segment ends HangoverMs after it.
func (d *Detector) segment(dst []Event, k int64, rec *frameRec) []Event {
	w := int64(d.windowN)
	if k >= w {
		d.count(&d.ring[(k-w)&d.mask], -1)
	}
	d.count(rec, 1)
	switch {
	case d.inSpeech && d.strong(rec) && k-d.lastConf <= int64(d.bridgeN):
		// Continuation of a confirmed segment across a short gap.
		d.lastConf, d.lastStrong = k, k
		d.peakQ = max(d.peakQ, rec.q)
	case d.inSpeech && rec.sl && k-d.lastConf <= weakGap && k-d.lastStrong <= int64(d.bridgeN):
		// A weak speech-like sub-frame continues a segment only across
		// gaps of a sub-frame or two and only BridgeMs past its last strong
		// sub-frame: a louder background right after speech extends it by
		// that much at most.
		d.lastConf = k
	case d.win.sl >= d.confirmN && (d.win.big > 0 || d.win.shaped >= d.cfg.ShapeFrames) && d.win.loud > 0:
		// Confirmation: ConfirmMs of speech-like sub-frames in the window,
		// one of them loud, and speech-shaped ones (or one far above the
		// floor). Every shaped or big sub-frame is strong, so the window
		// holds at least one.
		if !d.inSpeech {
			d.peakQ = 0
		}
		first, last := int64(-1), int64(-1)
		for j := max(k-w+1, 0); j <= k; j++ {
			if r := &d.ring[j&d.mask]; d.strong(r) {
				if first < 0 {
					first = j
				}
				last = j
				d.peakQ = max(d.peakQ, r.q)
			}
		}
		if !d.inSpeech {
			// Extend the onset back over weak sub-frames.
			lo := max(k-int64(len(d.ring))+2, first-int64(d.bridgeN), (d.endLimit+d.frameLen-1)/d.frameLen)
			for first > lo && d.edge(first-1) {
				first--
			}
			d.inSpeech = true
			dst = append(dst, Event{Kind: SpeechStart, Sample: max(first*d.frameLen, d.endLimit), At: (k + 1) * d.frameLen})
		}
		d.lastConf = max(d.lastConf, last)
		d.lastStrong = max(d.lastStrong, last)
	}
	if d.inSpeech && k-d.lastConf >= int64(d.hangN) {
		dst = d.end(dst, k, (k+1)*d.frameLen)
	}
	return dst
}

// count adds (sign 1) or removes (sign −1) a sub-frame's flags to or from the
// confirmation window's tallies.
func (d *Detector) count(r *frameRec, sign int) {
	s := sign & -b2i(r.sl) // branch-free: the flags are data
	d.win.sl += s
	d.win.shaped += s & -b2i(r.shaped)
	d.win.loud += s & -b2i(r.loud)
	d.win.big += s & -b2i(r.q >= d.waiveQ)
}

// strong reports whether a speech-like sub-frame also looks like speech
// rather than like louder background: its spectrum differs from the noise
// model's, or it rises far above the floor. A segment starts at a strong
// sub-frame (extended back over the weak ones right before it) and jumps
// gaps only to strong sub-frames; a level step of the background (comfort
// noise switching level in a pause, which a codec does only after some
// real background following the speech) is speech-like but never strong.
func (d *Detector) strong(r *frameRec) bool {
	return r.sl && (r.shaped || r.q >= d.waiveQ)
}

// end closes the open segment at sub-frame k (the last analysed one),
// extending it over weak trailing sub-frames, and appends SpeechEnd.
func (d *Detector) end(dst []Event, k, at int64) []Event {
	last := d.lastConf
	for j := last + 1; j <= k && j <= d.lastStrong+int64(d.bridgeN) && j-last <= weakGap; j++ {
		if d.edge(j) {
			last = j
		}
	}
	sample := min((last+1)*d.frameLen+d.release(), at)
	d.inSpeech = false
	d.endLimit = sample
	return append(dst, Event{Kind: SpeechEnd, Sample: sample, At: at})
}

// edge reports whether sub-frame j may extend a confirmed segment: not
// tonal, loud enough, and above the tail margin over the current floor (which
// may have fallen since j was analysed, when the floor had risen during a
// long utterance).
func (d *Detector) edge(j int64) bool {
	r := &d.ring[j&d.mask]
	return r.ok && r.ew >= d.tailQ*d.floor
}

// release returns how far, in samples, the end of the open segment is
// placed after its last visible sub-frame: the expected length of the part
// of the last syllable that decays under the noise. The detector sees speech
// down to about TailMarginDB over the floor, i.e. X ≈ peak − 10.5 dB under
// the segment's active level (its loudest sub-frame stands ~8 dB over the
// active level). The extension is the median, over the fixtures, of the time
// from the last 10 ms frame within X dB of the clip's active level to the
// clip's end (see releaseTable); over digital silence or at 30 dB SNR and
// more it is 0.
func (d *Detector) release() int64 {
	x := 10*math.Log10(max(d.peakQ, 1)) - 10.5
	t := releaseTable()
	ms := t[0].ms
	for i := 1; i < len(t); i++ {
		a, b := t[i-1], t[i]
		if x >= b.depth {
			ms = b.ms
			continue
		}
		if x > a.depth {
			ms = a.ms + (b.ms-a.ms)*(x-a.depth)/(b.depth-a.depth)
		}
		break
	}
	return int64(ms * float64(d.cfg.Rate) / 1000)
}

// releaseTable: median time (ms) from the last 10 ms frame within depth dB
// of a clip's active level to the clip's last sample, measured over the 56
// espeak-ng fixtures at 8 kHz (their 75th percentiles: 91, 72, 42, 17, 8 ms
// at 10…30 dB). Beyond 35 dB the whole decay is visible.
func releaseTable() [6]struct{ depth, ms float64 } {
	return [...]struct{ depth, ms float64 }{
		{10, 43}, {15, 14}, {20, 10}, {25, 8}, {30, 4}, {35, 0},
	}
}

// b2i is 1 for true, 0 for false.
func b2i(b bool) int {
	var i int
	if b {
		i = 1
	}
	return i
}
