package engine

import (
	"errors"
	"fmt"

	"github.com/recsim/recsim/dtmf"
	"github.com/recsim/recsim/media"
)

// CallOptions configure a call.
type CallOptions struct {
	Ops        Options // the template of every operation's options (its Rate is the call's media rate)
	EndOfMedia EndOfMedia
	// SilentHangup: a hang-up ends the running and queued operations
	// without a completion (CallOp.Silent), as users report of the real
	// service; otherwise they end with the hang-up row (410/8528) and the
	// running one keeps its partial recording (docs/call.md).
	SilentHangup bool
}

// CallOp is an operation queued on, running on or ended on a call. It is
// queued while Op is nil and Outcome is OutcomeNone, running while Op is
// set and Outcome is OutcomeNone, and ended once Outcome is set (Op stays
// nil for an operation that ended before it started).
type CallOp struct {
	ID     string
	Play   bool // playPrompt (else recordResponse)
	Req    RecordRequest
	prompt *PromptAudio
	Op     *Operation // nil until it starts (and for ops ended before starting)
	// Outcome once ended; Silent marks an operation ended by a silent
	// hang-up, which sends no completion.
	Outcome Outcome
	Silent  bool
}

// CallEvent is one change reported by the call. Its Kind is one of
//
//   - EvStart: Op was dequeued and runs;
//   - EvListenStart: Op started recording (streamWhileRecording's early
//     notification);
//   - EvProgress: Op's timeline has new entries (at most one per Advance,
//     only when it grew; the entries an EvStart, EvListenStart or
//     EvCompleted brings are not announced twice);
//   - EvCompleted: Op ended; its Outcome says how;
//   - EvDigit: the call's tone subscription (SubscribeTones) heard Tone,
//     which began at caller-stream sample At (Op is nil);
//   - EvHangup: the caller hung up (end of media under the hang-up policy,
//     or SetMedia's hangupAtEnd); Op is nil, and the EvCompleted events of
//     the operations it ended follow.
type CallEvent struct {
	Kind EventKind
	Op   *CallOp // nil for EvDigit and EvHangup
	Tone byte    // EvDigit: '0'-'9', '*', '#', 'A'-'D'
	At   int64   // EvDigit: the caller-stream sample where the tone began
}

// CallState is what a call is doing, as Call.State reports it.
type CallState struct {
	Rate          media.SampleRate // the call's media rate
	Position      int64            // caller-stream samples consumed so far
	MediaPosition int              // samples of the media last set that the call has consumed
	Busy          bool             // an operation is running or queued
	// Advancing: Advance would consume caller samples now (an operation
	// runs, or a tone subscription listens to media still to play).
	// A queued operation waiting for its prompt (PromptAudio.Pending)
	// leaves a call Busy but not Advancing.
	Advancing bool
	// Stalled: the media ended under the stall policy and the caller
	// sends no more frames; whoever drives the call decides when the
	// receive timeout has passed and calls Stall (package runner does).
	Stalled    bool
	Subscribed bool // a tone subscription is on (SubscribeTones)
	Ended      bool
}

// Call is one call's continuous caller stream and media queue
// (docs/call.md): playPrompt and recordResponse operations run in order; the caller
// stream is consumed only while one runs. Synchronous: no clock, no
// goroutine; Advance moves the stream on. Not safe for concurrent use.
type Call struct {
	opts    CallOptions
	rate    media.SampleRate
	queue   []*CallOp // queue[0] runs when running is true
	running bool
	pos     int64 // caller stream samples consumed

	media     []int16 // the caller's audio from now on
	mediaPos  int
	hangupEnd bool // the caller hangs up at the end of media
	stalled   bool // media ended under the stall policy: no more frames
	silence   []int16

	ended        bool
	lastStopTone bool      // the last operation ended on a stop tone (its key may still be down)
	history      []*CallOp // every operation, in the order queued

	// tones listens to the whole caller stream once subscribed
	// (SubscribeTones), whether an operation runs or not.
	tones     *dtmf.Detector
	tonesFrom int64 // the stream sample the subscription began at
	toneEv    []dtmf.Event
}

// ErrCallEnded is returned for actions on a call that has ended.
var ErrCallEnded = errors.New("call ended")

// NewCall returns an idle call with no media (the caller is silent until
// SetMedia).
func NewCall(opts CallOptions) (*Call, error) {
	if err := opts.Ops.Rate.Validate(); err != nil {
		return nil, fmt.Errorf("engine: call media rate: %w", err)
	}
	return &Call{opts: opts, rate: opts.Ops.Rate, silence: make([]int16, block)}, nil
}

// SubscribeTones makes the call report every digit on the caller stream
// from now on as an EvDigit event (subscribeToTone,
// docs/call.md#tones), whether an operation runs or not: a subscribed
// call consumes its caller stream even when idle, until its media ends
// (then only while an operation runs). A second call does nothing.
func (c *Call) SubscribeTones() error {
	if c.ended {
		return ErrCallEnded
	}
	if c.tones != nil {
		return nil
	}
	cfg := dtmf.DefaultConfig(int(c.rate))
	if c.opts.Ops.DTMF != nil {
		cfg = *c.opts.Ops.DTMF
	}
	d, _, err := c.opts.Ops.Cache.detector(cfg)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	c.tones, c.tonesFrom, c.toneEv = d, c.pos, make([]dtmf.Event, 0, 4)
	return nil
}

// listen feeds pcm, the stream from sample c.pos on, to the tone
// subscription and appends the digits it decided.
func (c *Call) listen(pcm []int16, ev []CallEvent) []CallEvent {
	c.toneEv = c.tones.Process(c.toneEv[:0], pcm)
	for _, e := range c.toneEv {
		if e.Kind == dtmf.KeyDown {
			ev = append(ev, CallEvent{Kind: EvDigit, Tone: e.Digit, At: c.tonesFrom + e.Onset})
		}
	}
	return ev
}

// idleListening reports whether the call consumes its stream without an
// operation: subscribed, with media still to play.
func (c *Call) idleListening() bool {
	return c.tones != nil && !c.running && !c.ended && !c.stalled && c.mediaPos < len(c.media)
}

// active reports whether Advance would consume anything.
func (c *Call) active() bool { return (c.running || c.idleListening()) && !c.ended }

// State reports what the call is doing.
func (c *Call) State() CallState {
	return CallState{Rate: c.rate, Position: c.pos, MediaPosition: c.mediaPos, Busy: len(c.queue) > 0,
		Advancing: c.active(), Stalled: c.stalled, Subscribed: c.tones != nil, Ended: c.ended}
}

// History returns every operation of the call in the order queued.
func (c *Call) History() []*CallOp { return c.history }

// SetMedia makes pcm the caller's audio from the next frame on (or from
// the next operation's first sample when idle). hangupAtEnd makes the
// caller hang up when it ends; otherwise the end-of-media policy applies.
// The call reads pcm (never writes it) until the next SetMedia and keeps
// no reference to it after that one returns, so the caller may then
// reuse it.
func (c *Call) SetMedia(pcm []int16, hangupAtEnd bool) error {
	if c.ended {
		return ErrCallEnded
	}
	c.media, c.mediaPos, c.hangupEnd, c.stalled = pcm, 0, hangupAtEnd, false
	return nil
}

// Record queues a recordResponse. With bargeInAllowed it first cancels the
// running and queued operations (returned in ev as EvCompleted) and starts at
// once. The returned op is running or queued.
func (c *Call) Record(id string, req RecordRequest, prompt *PromptAudio, ev []CallEvent) (*CallOp, []CallEvent, error) {
	return c.enqueue(&CallOp{ID: id, Req: req, prompt: prompt}, req.BargeInAllowed, ev)
}

// PlayPrompt queues a playPrompt of prompt.
func (c *Call) PlayPrompt(id string, prompt *PromptAudio, bargeIn bool, ev []CallEvent) (*CallOp, []CallEvent, error) {
	return c.enqueue(&CallOp{ID: id, Play: true, prompt: prompt}, bargeIn, ev)
}

func (c *Call) enqueue(op *CallOp, bargeIn bool, ev []CallEvent) (*CallOp, []CallEvent, error) {
	if c.ended {
		return nil, ev, ErrCallEnded
	}
	if bargeIn {
		ev = c.CancelMedia(ev)
	}
	c.queue = append(c.queue, op)
	c.history = append(c.history, op)
	ev = c.startNext(ev)
	return op, ev, nil
}

// SetPrompt gives op, queued with a pending prompt, its prompt (loaded,
// or failed: the operation then fails at its start as any failed prompt
// does) and starts it if it is at the head of the queue. It does nothing
// if op has ended meanwhile (canceled, hung up).
func (c *Call) SetPrompt(op *CallOp, prompt *PromptAudio, ev []CallEvent) []CallEvent {
	if op.prompt == nil || !op.prompt.Pending || op.Op != nil || op.Outcome != OutcomeNone || c.ended {
		return ev
	}
	op.prompt = prompt
	return c.startNext(ev)
}

// startNext starts the head of the queue if nothing runs and its prompt
// is not pending.
func (c *Call) startNext(ev []CallEvent) []CallEvent {
	for !c.running && len(c.queue) > 0 {
		op := c.queue[0]
		if op.prompt != nil && op.prompt.Pending {
			break
		}
		var err error
		if op.Play {
			op.Op, err = newPlayPrompt(op.prompt, c.opts.Ops, c.pos)
		} else {
			op.Op, err = NewOperation(op.Req, op.prompt, c.opts.Ops, c.pos)
		}
		if err != nil { // options were validated with the call; unreachable
			op.Op, op.Outcome = nil, OutUnspecified
			c.queue = c.queue[1:]
			ev = append(ev, CallEvent{Kind: EvCompleted, Op: op})
			continue
		}
		if !op.Play && c.lastStopTone {
			op.Op.ignoreHeldTone = true
		}
		c.running = true
		ev = append(ev, CallEvent{Kind: EvStart, Op: op})
		if op.Op.listened {
			ev = append(ev, CallEvent{Kind: EvListenStart, Op: op})
		}
		ev = c.reap(ev) // it may have ended at once (a prompt that failed)
	}
	return ev
}

// reap moves an ended running operation out of the queue.
func (c *Call) reap(ev []CallEvent) []CallEvent {
	if !c.running || !c.queue[0].Op.Done() {
		return ev
	}
	op := c.queue[0]
	op.Outcome = op.Op.outcome
	op.prompt = nil // played: an ended operation keeps no audio it will not use
	c.lastStopTone = op.Outcome == OutStopTone
	c.queue[0] = nil
	c.queue = c.queue[1:]
	c.running = false
	return append(ev, CallEvent{Kind: EvCompleted, Op: op})
}

// CancelMedia cancels the running and all queued operations
// (cancelMediaProcessing): each ends with operationCanceled.
func (c *Call) CancelMedia(ev []CallEvent) []CallEvent {
	for i, op := range c.queue {
		if i == 0 && c.running {
			op.Op.Stop(OutCanceled)
		}
		op.Outcome, op.prompt = OutCanceled, nil
		ev = append(ev, CallEvent{Kind: EvCompleted, Op: op})
		c.queue[i] = nil
	}
	c.queue, c.running, c.lastStopTone = c.queue[:0], false, false
	return ev
}

// Hangup ends the call (the bot's DELETE or the caller): the running
// operation ends with the hang-up row and keeps its partial recording;
// queued ones end with the same row and no recording. Under the silent
// policy they end without a completion (Silent set).
func (c *Call) Hangup(ev []CallEvent) []CallEvent {
	if c.ended {
		return ev
	}
	c.ended = true
	silent := c.opts.SilentHangup
	for i, op := range c.queue {
		if i == 0 && c.running {
			op.Op.Stop(OutCallTerminated)
		}
		op.Outcome, op.Silent, op.prompt = OutCallTerminated, silent, nil
		ev = append(ev, CallEvent{Kind: EvCompleted, Op: op})
		c.queue[i] = nil
	}
	c.queue, c.running = c.queue[:0], false
	return ev
}

// Stall fails the running operation with mediaReceiveTimeout: called by
// the runner once the stream has delivered nothing for the receive
// timeout. Later operations start and stall in turn.
func (c *Call) Stall(ev []CallEvent) []CallEvent {
	for c.running && !c.ended {
		c.queue[0].Op.Stop(OutMediaReceive)
		ev = c.reap(ev)
		ev = c.startNext(ev)
	}
	return ev
}

// Advance feeds up to n samples of the caller stream to the running
// operations (a frame; what one operation leaves goes to the next) and
// appends what happened to ev. An idle, ended or stalled call consumes
// nothing. It does not allocate in steady state.
func (c *Call) Advance(n int, ev []CallEvent) []CallEvent {
	for n > 0 && (c.running || c.idleListening()) && !c.ended && !c.stalled {
		pcm, fromMedia := c.next(n)
		if pcm == nil { // the media ended under hangup or stall
			break
		}
		if !c.running { // idle, but listening for tones
			if !fromMedia {
				break
			}
			ev = c.listen(pcm, ev)
			c.pos += int64(len(pcm))
			c.mediaPos += len(pcm)
			n -= len(pcm)
			continue
		}
		op := c.queue[0]
		listened := op.Op.listened
		entries := len(op.Op.timeline)
		used := op.Op.Process(pcm)
		if c.tones != nil {
			ev = c.listen(pcm[:used], ev)
		}
		c.pos += int64(used)
		if fromMedia {
			c.mediaPos += used
		}
		n -= used
		if !listened && op.Op.listened {
			ev = append(ev, CallEvent{Kind: EvListenStart, Op: op})
		} else if len(op.Op.timeline) > entries && !op.Op.Done() {
			ev = append(ev, CallEvent{Kind: EvProgress, Op: op})
		}
		ev = c.reap(ev)
		ev = c.startNext(ev)
	}
	if (c.running || c.tones != nil) && !c.ended && c.mediaPos >= len(c.media) && !c.stalled {
		switch {
		case c.hangupEnd || c.opts.EndOfMedia == EndHangup && c.media != nil:
			ev = append(ev, CallEvent{Kind: EvHangup})
			ev = c.Hangup(ev)
		case c.opts.EndOfMedia == EndStall && c.media != nil:
			c.stalled = true
		}
	}
	return ev
}

// next returns up to n caller samples: media while it lasts, then silence
// (policy silence, or no media yet), or nil when the media has ended under
// the hangup or stall policies.
func (c *Call) next(n int) ([]int16, bool) {
	if c.mediaPos < len(c.media) {
		return c.media[c.mediaPos:min(c.mediaPos+n, len(c.media))], true
	}
	if c.media != nil && (c.hangupEnd || c.opts.EndOfMedia != EndSilence) {
		return nil, false
	}
	return c.silence[:min(n, len(c.silence))], false
}
