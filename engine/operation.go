package engine

import (
	"bytes"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/recsim/recsim/dtmf"
	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/vad"
)

// BeepConfig describes the beep injected on the outbound stream (docs/timeline.md).
type BeepConfig struct {
	Hz       float64       // 1000 Hz (sim)
	Duration time.Duration // 400 ms (sim)
	Level    float64       // −10 dBFS (sim)
	Ramp     time.Duration // 5 ms raised-cosine ramps (sim)
	Echo     bool          // leak an echo of the beep into the caller stream (off by default)
	EchoGain float64       // echo level relative to the beep, dB (−30, sim)
}

// Options are the simulation's switches for one operation (docs/timeline.md).
type Options struct {
	Rate                  media.SampleRate // the caller stream's rate
	Beep                  BeepConfig
	StopTonesDuringPrompt bool          // stop tones end the operation during prompt and beep (default on)
	IncludeStopTone       bool          // keep the stop tone in the recording (default off: cut at its onset)
	TrimSilence           bool          // cut leading and trailing silence to TrimMargin around the speech
	TrimMargin            time.Duration // 200 ms (sim)
	// Fault makes the operation fail with this outcome (playPromptFailed at
	// its start, playBeepFailed at the beep, unspecifiedError at listen
	// start), to test a bot's error paths. OutcomeNone: no fault.
	Fault Outcome
	DTMF  *dtmf.Config // nil: dtmf.DefaultConfig(Rate)
	VAD   *vad.Config  // nil: vad.DefaultConfig(Rate)
	// Cache, if set, shares beeps and recording buffers between
	// operations (see Cache); nil: each operation builds its own.
	Cache *Cache
}

// DefaultOptions returns the defaults for a caller stream at rate.
func DefaultOptions(rate media.SampleRate) Options {
	return Options{Rate: rate,
		// The beep (recsim's choice): 1 kHz, 400 ms, −10 dBFS, 5 ms ramps;
		// its echo, when switched on, 30 dB down.
		Beep: BeepConfig{Hz: 1000, Duration: 400 * time.Millisecond, Level: -10, Ramp: 5 * time.Millisecond, EchoGain: -30}, StopTonesDuringPrompt: true, TrimMargin: 200 * time.Millisecond}
}

// PromptRate is the only rate a prompt may have (Graph docs; docs/audio.md).
const PromptRate media.SampleRate = 16000

// heldToneSlack: a tone in progress when an operation starts is estimated
// to begin at its first sample; the detector's onset error is under 2 ms
// (dtmf conformance), so 10 ms separates "already down" from a new press.
const heldToneSlack = 10 * time.Millisecond

// block is the most samples handed to the detectors at once. Decisions do
// not depend on it (every timer is evaluated at its exact sample); it bounds
// how far past the end point the detectors run and the recording buffer's
// slack.
const block = 2048

// eventsCap sizes the timeline so that typical operations never grow it
// (zero allocations per frame); a longer timeline grows amortised.
const eventsCap = 64

// Operation is one recordResponse operation on a caller stream: a
// synchronous state machine fed caller samples in order. It reads no clock
// and starts no goroutine. Not safe for concurrent use.
type Operation struct {
	play bool // a playPrompt operation: the prompt, then done
	// ignoreHeldTone: the previous operation on the stream ended on a stop
	// tone that may still be sounding; a digit whose onset is at this
	// operation's start is that key, not a new press.
	ignoreHeldTone bool
	req            RecordRequest
	opts           Options
	rate           media.SampleRate

	start, promptEnd, beepEnd, listen int64 // stream sample indices; listen = L
	pos                               int64 // samples consumed (stream index of the next sample)

	stopTones                   [16]byte
	nStop                       int
	initialAt, maxRecAt, maxSil int64 // deadlines; maxSil < 0: disarmed
	silence                     int64 // T_m in samples
	marks                       []mark
	nextMark                    int

	listened    bool  // listen start reached
	confirmed   bool  // speech confirmed in listen
	inSpeech    bool  // the VAD's state, tracked from its events
	firstSpeech int64 // first speech sample counted in listen
	lastEnd     int64 // end of the last speech (one past its last sample)

	det     *dtmf.Detector
	detFree *sync.Pool // where Release gives the detectors back (nil: nowhere)
	vdFree  *sync.Pool
	vd      *vad.Detector
	dEv     []dtmf.Event
	vEv     []vad.Event
	echo    []int16 // beep echo at the caller rate, aligned to promptEnd
	tmp     []int16 // scratch block for mixing the echo

	// The caller samples from L on, in chunks of chunkSamples (all full but
	// the last); recN counts them.
	chunks   [][]int16
	recN     int64
	released bool // the chunks went back to the cache (Release)
	outbound []int16

	timeline []Event
	done     bool
	outcome  Outcome
	end      int64 // stream index where the operation ended
	recFrom  int64 // recording range [recFrom, recTo) in stream samples
	recTo    int64
	stopTone byte
}

// mark is a scheduled point on the operation's own clock: a phase change or
// an injected fault.
type mark struct {
	at   int64
	kind EventKind
}

// NewOperation prepares req to run on a caller stream from stream sample
// start. prompt is the loaded prompt (see LoadPrompt), or nil when the
// request has none. Errors are misuse (invalid options), never outcomes.
func NewOperation(req RecordRequest, prompt *PromptAudio, opts Options, start int64) (*Operation, error) {
	if err := opts.Rate.Validate(); err != nil {
		return nil, fmt.Errorf("engine: Options.Rate: %w", err)
	}
	r := opts.Rate
	op := &Operation{req: req, opts: opts, rate: r, start: start, pos: start, maxSil: -1,
		silence: r.Seconds(req.MaxSilenceTimeoutInSeconds), timeline: make([]Event, 0, eventsCap)}
	for _, d := range req.StopTones {
		if op.nStop < len(op.stopTones) {
			op.stopTones[op.nStop] = d
			op.nStop++
		}
	}
	dc := dtmf.DefaultConfig(int(r))
	if opts.DTMF != nil {
		dc = *opts.DTMF
	}
	vc := vad.DefaultConfig(int(r))
	if opts.VAD != nil {
		vc = *opts.VAD
	}
	var err error
	if op.det, op.detFree, err = opts.Cache.detector(dc); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if op.vd, op.vdFree, err = opts.Cache.voiceDetector(vc); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	op.dEv = make([]dtmf.Event, 0, 16)
	op.vEv = make([]vad.Event, 0, 16)

	op.add(Event{Kind: EvStart, Sample: start})
	// Failures known before any audio: the prompt, an injected fault.
	if prompt != nil && prompt.Outcome != OutcomeNone {
		op.finish(prompt.Outcome, start, start)
		return op, nil
	}
	if opts.Fault == OutPromptFailed || opts.Fault == OutPromptBadFormat || opts.Fault == OutPromptDownload {
		op.finish(opts.Fault, start, start)
		return op, nil
	}

	promptOut, beep, beepOK := outboundParts(req, prompt, opts)
	op.promptEnd = start + int64(len(promptOut))
	if len(beep) > 0 {
		b := opts.Beep
		if b.Echo {
			op.echo = append([]int16(nil), beep...)
			media.Gain(op.echo, b.EchoGain)
			op.tmp = make([]int16, block)
		}
	}
	op.beepEnd = op.promptEnd + int64(len(beep))
	op.listen = op.beepEnd
	op.outbound = beep // shared and read-only (Cache) when there is no prompt
	if len(promptOut) > 0 {
		op.outbound = media.Concat(promptOut, beep)
	}

	if prompt != nil {
		op.marks = append(op.marks, mark{start, EvPromptStart}, mark{op.promptEnd, EvPromptEnd})
	}
	if req.PlayBeep {
		if !beepOK {
			op.marks = append(op.marks, mark{op.promptEnd, evBeepFault})
		} else {
			op.marks = append(op.marks, mark{op.promptEnd, EvBeepStart}, mark{op.beepEnd, EvBeepEnd})
		}
	}
	op.marks = append(op.marks, mark{op.listen, EvListenStart})
	if opts.Fault == OutUnspecified {
		op.marks = append(op.marks, mark{op.listen, evFault})
	}
	op.initialAt = op.listen + r.Seconds(req.InitialSilenceTimeoutInSeconds)
	op.maxRecAt = op.listen + r.Seconds(req.MaxRecordDurationInSeconds)
	op.firstSpeech, op.lastEnd = -1, -1
	op.fireMarks(start, true) // prompt start, or listen start at once
	return op, nil
}

// outboundParts returns what a record operation plays at opts.Rate: its
// prompt resampled to the caller rate and its beep (shared, read-only,
// from opts.Cache), and whether the beep can play.
func outboundParts(req RecordRequest, prompt *PromptAudio, opts Options) (promptOut, beep []int16, beepOK bool) {
	r := opts.Rate
	if prompt != nil && prompt.Outcome == OutcomeNone {
		promptOut = media.Resample(prompt.PCM, PromptRate, r)
	}
	beepOK = opts.Beep.Hz > 0 && opts.Beep.Hz < float64(r)/2 && opts.Beep.Duration > 0 && opts.Fault != OutBeepFailed
	if req.PlayBeep && beepOK {
		beep = opts.Cache.beep(r, opts.Beep)
	}
	return promptOut, beep, beepOK
}

// OutboundAudio returns what an operation played at opts.Rate, made again
// from its request, prompt and options: the prompt at the caller rate,
// then the beep (for a playPrompt, play, the prompt alone). It is the audio
// operation plays while it runs; it keeps no copy once released. The
// result is the caller's.
func OutboundAudio(req RecordRequest, prompt *PromptAudio, play bool, opts Options) []int16 {
	if play {
		if prompt == nil || prompt.Outcome != OutcomeNone {
			return nil
		}
		return media.Resample(prompt.PCM, PromptRate, opts.Rate)
	}
	p, b, _ := outboundParts(req, prompt, opts)
	return media.Concat(p, b)
}

// newPlayPrompt prepares a playPrompt operation from stream sample start:
// it plays the prompt (or fails as loading it did) and ends with the
// prompt-played row; the caller's audio only advances its clock.
func newPlayPrompt(prompt *PromptAudio, opts Options, start int64) (*Operation, error) {
	if err := opts.Rate.Validate(); err != nil {
		return nil, fmt.Errorf("engine: Options.Rate: %w", err)
	}
	op := &Operation{play: true, opts: opts, rate: opts.Rate, start: start, pos: start, maxSil: -1,
		timeline: make([]Event, 0, 8), firstSpeech: -1, lastEnd: -1}
	op.add(Event{Kind: EvStart, Sample: start})
	if prompt == nil || prompt.Outcome != OutcomeNone {
		o := OutPromptFailed
		if prompt != nil {
			o = prompt.Outcome
		}
		op.finish(o, start, start)
		return op, nil
	}
	pcm := media.Resample(prompt.PCM, PromptRate, opts.Rate)
	op.outbound = pcm
	op.promptEnd = start + int64(len(pcm))
	op.beepEnd, op.listen = op.promptEnd, op.promptEnd
	op.marks = []mark{{start, EvPromptStart}, {op.promptEnd, EvPromptEnd}}
	op.fireMarks(start, true)
	return op, nil
}

// Process feeds the next caller samples (the stream continues where the
// last call left off, from Span().Start) and returns how many of them the
// operation consumed: all of them, unless it ended inside pcm, in which
// case the rest belongs to whatever follows on the stream. It does not
// allocate in steady state and does not retain pcm.
func (op *Operation) Process(pcm []int16) int {
	from := op.pos
	if op.play { // a playPrompt has no detectors: the caller's audio only advances its clock
		if len(pcm) > 0 && !op.done {
			op.pos += int64(len(pcm))
			op.fireMarks(op.pos, true)
		}
		if op.done {
			return int(op.end - from)
		}
		return int(op.pos - from)
	}
	for len(pcm) > 0 && !op.done {
		n := min(len(pcm), block)
		blk := pcm[:n]
		p, e := op.pos, op.pos+int64(n)
		if op.echo != nil && e > op.promptEnd && p < op.beepEnd {
			blk = op.tmp[:n]
			copy(blk, pcm[:n])
			media.Mix(blk, op.echo, int(op.promptEnd-p))
		}
		if e > op.listen {
			op.record(blk[max(op.listen-p, 0):])
		}
		op.dEv = op.det.Process(op.dEv[:0], blk)
		op.vEv = op.vd.Process(op.vEv[:0], blk)
		op.toStream()
		op.pos = e
		op.handle(p, e)
		pcm = pcm[n:]
	}
	if op.done {
		return int(op.end - from)
	}
	return int(op.pos - from)
}

// toStream moves the detectors' events from their own clock (0 at the
// operation's start) to the stream's.
func (op *Operation) toStream() {
	for i := range op.dEv {
		e := &op.dEv[i]
		e.At += op.start
		e.Onset += op.start
		if e.Release >= 0 {
			e.Release += op.start
		}
	}
	for i := range op.vEv {
		op.vEv[i].At += op.start
		op.vEv[i].Sample += op.start
	}
}

// handle applies the detectors' events of the block [p, e) in sample order,
// with the marks and deadlines that fall among them.
func (op *Operation) handle(p, e int64) {
	vi, di := 0, 0
	for !op.done {
		// Next detector event: VAD before DTMF at the same sample (speech
		// state first; a stop tone then still wins over any timer).
		var at int64 = math.MaxInt64
		useVAD := false
		if vi < len(op.vEv) {
			at, useVAD = op.vEv[vi].At, true
		}
		if di < len(op.dEv) && op.dEv[di].At < at {
			at, useVAD = op.dEv[di].At, false
		}
		if at == math.MaxInt64 {
			break
		}
		// Marks at or before the event, deadlines strictly before it: an
		// event at a deadline's sample (speech confirmed "by then") counts.
		if op.fireMarks(at, true) || op.fireDeadlines(at, false) {
			return
		}
		if useVAD {
			op.onSpeech(op.vEv[vi])
			vi++
		} else {
			op.onDigit(op.dEv[di])
			di++
		}
	}
	if !op.done {
		if !op.fireMarks(e, true) {
			op.fireDeadlines(e, true)
		}
	}
}

// fireMarks fires the scheduled marks up to t; true if the operation ended.
func (op *Operation) fireMarks(t int64, inclusive bool) bool {
	for op.nextMark < len(op.marks) && !op.done {
		m := op.marks[op.nextMark]
		if m.at > t || (!inclusive && m.at == t) {
			break
		}
		op.nextMark++
		switch m.kind {
		case evBeepFault:
			op.nextMark = len(op.marks) // marks after a fault are not reached
			op.finish(OutBeepFailed, m.at, m.at)
		case evFault:
			op.nextMark = len(op.marks)
			op.finish(op.opts.Fault, m.at, m.at)
		case EvPromptEnd:
			op.add(Event{Kind: EvPromptEnd, Sample: m.at})
			if op.play {
				op.finish(OutPromptPlayed, m.at, m.at)
			}
		case EvListenStart:
			op.listened = true
			op.add(Event{Kind: EvListenStart, Sample: m.at})
			if op.inSpeech { // the caller is already talking as recording starts
				op.confirm(m.at, m.at)
			}
		default:
			op.add(Event{Kind: m.kind, Sample: m.at})
		}
	}
	return op.done
}

// fireDeadlines fires the earliest timer due before t (or at t if
// inclusive); on a tie the order of docs/timeline.md#tie-rules applies.
// True if it ended.
func (op *Operation) fireDeadlines(t int64, inclusive bool) bool {
	if !op.listened {
		return false
	}
	due := func(d int64) bool { return d >= 0 && (d < t || (inclusive && d == t)) }
	best, which := int64(math.MaxInt64), OutcomeNone
	// Candidates in tie-break order; strict < keeps the earlier in the list.
	if !op.confirmed && due(op.initialAt) && op.initialAt < best {
		best, which = op.initialAt, OutInitialSilence
	}
	if op.confirmed && !op.inSpeech && due(op.maxSil) && op.maxSil < best {
		best, which = op.maxSil, OutMaxSilence
	}
	if due(op.maxRecAt) && op.maxRecAt < best {
		best, which = op.maxRecAt, OutMaxRecordDuration
	}
	if which == OutcomeNone {
		return false
	}
	op.finish(which, best, best)
	return true
}

func (op *Operation) onSpeech(ev vad.Event) {
	start := ev.Kind == vad.SpeechStart
	kind, detail := EvSpeechEnd, ""
	if start {
		kind = EvSpeechStart
	}
	op.inSpeech = start
	early := ev.At < op.listen // speech before listen start is shown, not counted
	if early {
		detail = detailBeforeListen
	}
	op.add(Event{Kind: kind, Sample: ev.Sample, At: ev.At, Detail: detail})
	switch {
	case early:
	case start:
		op.confirm(max(ev.Sample, op.listen), ev.At)
		if op.maxSil >= 0 {
			op.add(Event{Kind: EvTimerDisarmed, Sample: ev.At, Detail: detailMaxSilence})
			op.maxSil = -1
		}
	case op.confirmed:
		op.lastEnd = max(ev.Sample, op.listen)
		// A VAD's end comes after its hangover, far less than the 1 s
		// minimum T_m; max() only guards against a deadline in the past.
		op.maxSil = max(op.lastEnd+op.silence, ev.At)
		op.add(Event{Kind: EvTimerArmed, Sample: ev.At, Deadline: op.maxSil, Detail: detailMaxSilence})
	}
}

// confirm records that speech is confirmed in listen (first time only).
func (op *Operation) confirm(speech, at int64) {
	if op.confirmed {
		return
	}
	op.confirmed = true
	op.firstSpeech = speech
	op.add(Event{Kind: EvTimerDisarmed, Sample: at, Detail: detailInitialSilence})
}

func (op *Operation) isStopTone(d byte) bool {
	return bytes.IndexByte(op.stopTones[:op.nStop], d) >= 0
}

func (op *Operation) onDigit(ev dtmf.Event) {
	if ev.Kind != dtmf.KeyDown {
		return
	}
	if op.ignoreHeldTone && ev.Onset < op.start+op.rate.N(heldToneSlack) {
		// The key that ended the previous operation is still down.
		op.add(Event{Kind: EvDigit, Sample: ev.Onset, At: ev.At, Digit: ev.Digit, Detail: detailHeldTone})
		return
	}
	stop := op.isStopTone(ev.Digit)
	early := ev.At < op.listen
	switch {
	case stop && (!early || op.opts.StopTonesDuringPrompt):
		op.add(Event{Kind: EvDigit, Sample: ev.Onset, At: ev.At, Digit: ev.Digit, Detail: detailStopTone})
		op.stopTone = ev.Digit
		cut := ev.At
		if !op.opts.IncludeStopTone {
			cut = ev.Onset
		}
		op.finish(OutStopTone, ev.At, cut)
	case stop:
		op.add(Event{Kind: EvDigit, Sample: ev.Onset, At: ev.At, Digit: ev.Digit, Detail: detailIgnoredEarly})
	default:
		op.add(Event{Kind: EvDigit, Sample: ev.Onset, At: ev.At, Digit: ev.Digit, Detail: detailNotStopTone})
	}
}

// finish ends the operation at stream sample t with outcome o; cut is where
// the recording ends (≤ t).
func (op *Operation) finish(o Outcome, t, cut int64) {
	if op.done {
		return
	}
	op.fireMarks(t, true) // phase marks up to the end belong to the timeline
	op.done, op.outcome, op.end = true, o, t
	op.recFrom, op.recTo = op.listen, op.listen
	if p := ResultOf(o).recording; p == withRecording || p == partialRecording {
		// Before listen start nothing was recorded: [L, L) — an empty
		// recording, as a stop tone during the prompt gives.
		op.recTo = min(max(cut, op.listen), op.listen+op.recN)
	}
	if op.opts.TrimSilence && op.firstSpeech >= 0 && op.recTo > op.recFrom {
		m := op.rate.N(op.opts.TrimMargin)
		op.recFrom = max(op.recFrom, op.firstSpeech-m)
		if !op.inSpeech && op.lastEnd >= 0 {
			op.recTo = min(op.recTo, op.lastEnd+m)
		}
		op.recTo = max(op.recTo, op.recFrom)
	}
	op.add(Event{Kind: EvCompleted, Sample: t, Outcome: o, Digit: op.stopTone})
}

// Stop ends a running operation at its current position with outcome o:
// OutCanceled for cancelMediaProcessing or a barge-in, OutCallTerminated
// when the call ends (the partial recording is kept), OutMediaReceive
// when the caller stream stops delivering frames (the stream's clock
// stops with its frames, so no other timer can fire first), or any other
// row to force it. It does nothing once the operation has ended.
func (op *Operation) Stop(o Outcome) {
	if o == OutcomeNone {
		return
	}
	op.finish(o, op.pos, op.pos)
}

// Done reports whether the operation has ended.
func (op *Operation) Done() bool { return op.done }

// Result returns the results-table row the operation ended with (the row
// of OutcomeNone while it runs).
func (op *Operation) Result() Result {
	r := ResultOf(op.outcome)
	r.HasRecording = op.hasRecording()
	return r
}

// Span says where the operation's phases, timers and recording fall on
// the caller stream, in samples.
type Span struct {
	Rate     media.SampleRate // the caller stream's rate
	Start    int64            // the operation's first sample (where it was dequeued)
	Listen   int64            // L, where recording starts (once Listened)
	End      int64            // where the operation ended (once Done)
	Listened bool             // listen start was reached
	// The deadlines of initialSilence (L + T_i) and maxRecordDuration
	// (L + D), and T_m in samples: meaningful once Listened.
	InitialSilenceAt, MaxRecordAt, MaxSilence int64
	RecordFrom, RecordTo                      int64 // the recording's stream samples [from, to), once Done
	StopTone                                  byte  // the stop tone that ended the operation, or 0
}

// Span returns where the operation's phases and timers fall.
func (op *Operation) Span() Span {
	return Span{Rate: op.rate, Start: op.start, Listen: op.listen, End: op.end, Listened: op.listened,
		InitialSilenceAt: op.initialAt, MaxRecordAt: op.maxRecAt, MaxSilence: op.silence,
		RecordFrom: op.recFrom, RecordTo: op.recTo, StopTone: op.stopTone}
}

// hasRecording reports whether the result offers a recording
// (Result.HasRecording).
func (op *Operation) hasRecording() bool {
	switch ResultOf(op.outcome).recording {
	case withRecording:
		return op.done
	case partialRecording:
		return op.recTo > op.recFrom
	}
	return false
}

// record appends caller samples to the recording, taking a chunk from
// the Cache each time the last is full (none in steady state once the
// Cache has chunks to give back).
func (op *Operation) record(p []int16) {
	for len(p) > 0 {
		if len(op.chunks) == 0 || len(op.chunks[len(op.chunks)-1]) == chunkSamples {
			op.chunks = append(op.chunks, op.opts.Cache.chunk())
		}
		last := &op.chunks[len(op.chunks)-1]
		n := min(len(p), chunkSamples-len(*last))
		*last = append(*last, p[:n]...)
		op.recN += int64(n)
		p = p[n:]
	}
}

// RecordingParts returns the recording as the parts of the operation's
// chunks that hold it, in order, without copying: what a writer streams
// (media.WriteWAVPartsAt); slices.Concat(op.RecordingParts()...) makes it
// one slice. Once the operation has ended it is the whole recording (nil
// when Result().HasRecording is false); while it runs, what has been
// recorded up to now (streamWhileRecording); nil after Release. The parts
// are the operation's: read them, and copy what must outlive the next
// Process or Release.
func (op *Operation) RecordingParts() [][]int16 {
	switch {
	case op.released:
		return nil
	case op.done && !op.hasRecording():
		return nil
	case op.done:
		return op.parts(op.recFrom-op.listen, op.recTo-op.listen)
	}
	return op.parts(0, min(op.recN, max(op.pos-op.listen, 0)))
}

// parts returns the recorded samples [from, to) (offsets from L) as
// slices of the chunks.
func (op *Operation) parts(from, to int64) [][]int16 {
	var parts [][]int16
	for i := from; i < to; {
		ch := op.chunks[i/chunkSamples]
		j := min(to-i, chunkSamples-i%chunkSamples)
		parts = append(parts, ch[i%chunkSamples:i%chunkSamples+j])
		i += j
	}
	return parts
}

// Release frees what an ended operation no longer needs: its recording
// buffer goes back to its Options.Cache for reuse by later operations
// (sparing them a large allocation and the page faults of fresh memory;
// without a Cache it is only dropped), and its detectors, outbound audio
// and beep echo are dropped, so that an ended operation kept for its
// result holds no audio (a beep can be 188 KiB at 48 kHz). Afterwards
// RecordingParts and Outbound return nil; Result, Span and Timeline are
// unchanged. Call it once nothing reads the audio any more
// (the mock server does once the recording is on disk). It does nothing
// while the operation runs, and nothing the second time.
func (op *Operation) Release() {
	if !op.done || op.released {
		return
	}
	op.released = true
	op.opts.Cache.releaseChunks(op.chunks)
	op.chunks, op.outbound, op.echo, op.tmp = nil, nil, nil, nil
	// The detectors go back, reset, for the next operation of the same
	// configuration (a DTMF detector is 17 KiB: making one for every
	// operation was most of an operation's allocation).
	if op.detFree != nil && op.det != nil {
		op.det.Reset()
		op.detFree.Put(op.det)
	}
	if op.vdFree != nil && op.vd != nil {
		op.vd.Reset()
		op.vdFree.Put(op.vd)
	}
	op.det, op.vd, op.dEv, op.vEv = nil, nil, nil, nil
}

// Outbound returns the audio the operation plays on the outbound stream,
// at the caller's rate and from its first sample: the prompt, then the
// beep. The slice may be shared with other operations (the beep comes
// from the Cache): read it, do not modify it. nil after Release;
// OutboundAudio makes it again from the request.
func (op *Operation) Outbound() []int16 { return op.outbound }

// Timeline returns the operation's events in sample order. The slice
// aliases the operation's; copy it to keep it.
func (op *Operation) Timeline() []Event { return op.timeline }

func (op *Operation) add(e Event) {
	if e.At == 0 {
		e.At = e.Sample
	}
	op.timeline = append(op.timeline, e)
}
