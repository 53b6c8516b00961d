package engine

import (
	"errors"
	"fmt"

	"github.com/recsim/recsim/dtmf"
	"github.com/recsim/recsim/media"
)

// HangupPolicy is what a hang-up does to the running operation (docs/call.md).
type HangupPolicy uint8

// Hang-up policies.
const (
	HangupNotify HangupPolicy = iota // the hang-up row (410/8528), partial recording kept (default)
	HangupSilent                     // no completion at all, as users report of the real service
)

// CallOptions configure a call.
type CallOptions struct {
	Ops        Options // the template of every operation's options (its Rate is the call's media rate)
	Hangup     HangupPolicy
	EndOfMedia EndOfMedia
}

// CallOp is an operation queued on, running on or ended on a call.
type CallOp struct {
	ID     string
	Play   bool // playPrompt (else recordResponse)
	Req    RecordRequest
	prompt *PromptAudio
	Op     *Operation // nil until it starts (and for ops ended before starting)
	Status Status
	// Outcome once ended; Silent marks an operation ended by a silent
	// hang-up, which sends no completion.
	Outcome Outcome
	Silent  bool
}

// CallEventKind says what happened to an operation during Advance.
type CallEventKind uint8

// Call event kinds.
const (
	OpStarted       CallEventKind = iota + 1 // dequeued; Op is running
	OpListenStarted                          // recording started (streamWhileRecording's early notification)
	OpEnded                                  // ended; Outcome says how
	CallHungUp                               // the caller hung up (end of media with policy hangup, or a hangup segment)
	// ToneDetected: the call's tone subscription (SubscribeTones) heard a
	// digit: Tone is the key, At the sample of the caller stream where it
	// began (Op is nil).
	ToneDetected
	// OpProgressed: the running operation's timeline has new entries
	// (at most one per Advance, only when it grew; the ones an OpStarted,
	// OpListenStarted or OpEnded brings are not announced twice).
	OpProgressed
)

// CallEvent is one change reported by the call.
type CallEvent struct {
	Kind CallEventKind
	Op   *CallOp // nil for CallHungUp and ToneDetected
	Tone byte    // ToneDetected: '0'-'9', '*', '#', 'A'-'D'
	At   int64   // ToneDetected: the caller-stream sample where the tone began
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

// Rate returns the call's media rate.
func (c *Call) Rate() media.SampleRate { return c.rate }

// Position returns the caller stream samples consumed so far.
func (c *Call) Position() int64 { return c.pos }

// Ended reports whether the call has ended.
func (c *Call) Ended() bool { return c.ended }

// Busy reports whether an operation is running or queued.
func (c *Call) Busy() bool { return len(c.queue) > 0 }

// SubscribeTones makes the call report every digit on the caller stream
// from now on as a ToneDetected event (subscribeToTone,
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

// ListenTones runs a tone subscription over the whole of pcm, a caller
// stream at opts.Rate, as a subscribed call with no operation would: the
// ToneDetected events, in order (scenarios use it for subscribeToTone).
func ListenTones(pcm []int16, opts Options) ([]CallEvent, error) {
	c, err := NewCall(CallOptions{Ops: opts, EndOfMedia: EndSilence})
	if err != nil {
		return nil, err
	}
	if err := c.SetMedia(pcm, false); err != nil {
		return nil, err
	}
	if err := c.SubscribeTones(); err != nil {
		return nil, err
	}
	var ev []CallEvent
	for c.active() {
		ev = c.Advance(block, ev)
	}
	return ev, nil
}

// Subscribed reports whether the call reports tones.
func (c *Call) Subscribed() bool { return c.tones != nil }

// listen feeds pcm, the stream from sample c.pos on, to the tone
// subscription and appends the digits it decided.
func (c *Call) listen(pcm []int16, ev []CallEvent) []CallEvent {
	c.toneEv = c.tones.Process(c.toneEv[:0], pcm)
	for _, e := range c.toneEv {
		if e.Kind == dtmf.KeyDown {
			ev = append(ev, CallEvent{Kind: ToneDetected, Tone: e.Digit, At: c.tonesFrom + e.Onset})
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

// MediaPosition returns how many samples of the media last set the call
// has consumed.
func (c *Call) MediaPosition() int { return c.mediaPos }

// Stalled reports whether the caller's media has stopped (stall policy):
// whoever drives the call decides when the receive timeout has passed and
// calls Stall (the Runner does).
func (c *Call) Stalled() bool { return c.stalled }

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
// running and queued operations (returned in ev as OpEnded) and starts at
// once. The returned op is Running or NotStarted.
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
	op.Status = NotStarted
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
	if op.prompt == nil || !op.prompt.Pending || op.Status != NotStarted || c.ended {
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
			op.Op = nil
			op.Status, op.Outcome = Failed, OutUnspecified
			c.queue = c.queue[1:]
			ev = append(ev, CallEvent{Kind: OpEnded, Op: op})
			continue
		}
		if !op.Play && c.lastStopTone {
			op.Op.ignoreHeldTone = true
		}
		op.Status = Running
		c.running = true
		ev = append(ev, CallEvent{Kind: OpStarted, Op: op})
		if op.Op.listened {
			ev = append(ev, CallEvent{Kind: OpListenStarted, Op: op})
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
	op.Status = ResultOf(op.Outcome).Status
	op.prompt = nil // played: an ended operation keeps no audio it will not use
	c.lastStopTone = op.Outcome == OutStopTone
	c.queue[0] = nil
	c.queue = c.queue[1:]
	c.running = false
	return append(ev, CallEvent{Kind: OpEnded, Op: op})
}

// CancelMedia cancels the running and all queued operations
// (cancelMediaProcessing): each ends with operationCanceled.
func (c *Call) CancelMedia(ev []CallEvent) []CallEvent {
	for i, op := range c.queue {
		if i == 0 && c.running {
			op.Op.Stop(OutCanceled)
		}
		op.Outcome, op.Status, op.prompt = OutCanceled, Failed, nil
		ev = append(ev, CallEvent{Kind: OpEnded, Op: op})
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
	silent := c.opts.Hangup == HangupSilent
	for i, op := range c.queue {
		if i == 0 && c.running {
			op.Op.Stop(OutCallTerminated)
		}
		op.Outcome, op.Status, op.Silent, op.prompt = OutCallTerminated, Failed, silent, nil
		ev = append(ev, CallEvent{Kind: OpEnded, Op: op})
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
			ev = append(ev, CallEvent{Kind: OpListenStarted, Op: op})
		} else if len(op.Op.timeline) > entries && !op.Op.Done() {
			ev = append(ev, CallEvent{Kind: OpProgressed, Op: op})
		}
		ev = c.reap(ev)
		ev = c.startNext(ev)
	}
	if (c.running || c.tones != nil) && !c.ended && c.mediaPos >= len(c.media) && !c.stalled {
		switch {
		case c.hangupEnd || c.opts.EndOfMedia == EndHangup && c.media != nil:
			ev = append(ev, CallEvent{Kind: CallHungUp})
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
