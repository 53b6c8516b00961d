package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/engine/runner"
	"github.com/recsim/recsim/media"
)

// callState is a call's state as Graph names it.
type callState uint8

const (
	stateIncoming callState = iota
	stateEstablishing
	stateEstablished
	stateTerminated
)

func (s callState) String() string {
	return [...]string{"incoming", "establishing", "established", "terminated"}[s]
}

// call is one call of the mock. Locks, in the order they may nest:
// ctl (serialises the handlers that drive the engine call), then the
// engine call's lock (its runner batch's: PacedCall.Do and View; OnEvent runs
// under it; never two at once), then mu
// (a leaf: never held while taking another lock but Server.mu).
type call struct {
	s         *Server
	id        string
	direction string
	opts      callOptions // fixed at creation (ops.Rate is the default media rate)

	ctl       sync.Mutex
	rcp       atomic.Pointer[runner.PacedCall]
	rate      media.SampleRate // under ctl: the call's media rate (viewRate under mu: the same)
	rateFixed bool             // under ctl: the first media or operation fixed the rate
	media     []int16          // under ctl: the caller media last set (recycled when replaced)
	// mediaBytes is what the call's media holds of the server's media
	// budget: given back when it is replaced and when the call ends.
	mediaBytes atomic.Int64

	mu            sync.Mutex
	cond          *sync.Cond // on mu: the courier waits for holds to clear
	state         callState
	callbackURI   string
	botApp        string                // the audience of its callbacks' JWT: the app that placed or answered it
	chainID       string                // X-Microsoft-Skype-Chain-ID of its callbacks
	toneSeq       int64                 // the last toneInfo sequenceId sent
	tones         []graph.TimelineEntry // the subscription\'s digits, for /events
	source        json.RawMessage       // the call's source participantInfo
	targets       json.RawMessage       // its targets
	participantID string                // myParticipantId: the bot's leg
	endInfo       *graph.ResultInfo     // why it ended, once terminated
	created       time.Time
	viewRate      media.SampleRate
	endedAt       time.Time
	recStatus     graph.RecordingStatus // the status the bot last declared (updateRecordingStatus)
	ops           map[string]*opEntry
	files         recFile         // the call's recordings ({id}.rec in the data directory)
	lastStore     <-chan struct{} // closed when the recording stored last has been stored (or failed)
	pendingDelete int             // media operations still to end before the call's deleted notification
	deleteDue     bool            // the call ended; its deleted notification waits for pendingDelete
	// outbox
	notes   []*notification
	next    int
	courier bool
	holds   int
	seq     int64
}

func (c *call) rc() *runner.PacedCall { return c.rcp.Load() }

// expired reports whether the call ended more than its retention ago.
func (c *call) expired(now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.endedAt.IsZero() && !now.Before(c.endedAt.Add(c.opts.retention))
}

func (c *call) currentState() callState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// resource returns the call as JSON-ready; etag adds @odata.id and
// @odata.etag (notifications). The caller holds c.mu.
func (c *call) resource(etag string) callResource {
	r := callResource{ODataType: typeCall, ID: c.id, State: c.state.String(), Direction: c.direction,
		CallbackURI: c.callbackURI, RequestedModalities: []string{"audio"}, MediaConfig: odataObject{typeServiceHostedMedia},
		Source: c.source, Targets: c.targets, TenantID: c.s.id.cfg.Tenant, MyParticipantID: c.participantID, CallChainID: c.chainID, ResultInfo: c.endInfo}
	if etag != "" {
		r.ODataID, r.ODataEtag = "/communications/calls/"+c.id, etag
	}
	return r
}

// notifyCall enqueues a notification about the call itself with its
// current state. The caller holds c.mu.
func (c *call) notifyCall(changeType string) {
	res := c.resource("")
	var wait <-chan struct{}
	if changeType == "deleted" {
		// After every operation of the call is final, even one that
		// sends no completion (silent hang-up) but whose recording is
		// still being stored.
		wait = c.lastStore
	}
	c.enqueue(changeType, "/communications/calls/"+c.id, func(etag string) any {
		r := res
		r.ODataID, r.ODataEtag = "/communications/calls/"+c.id, etag
		return r
	}, wait)
}

// newCall creates a call and puts it under the runner.
func (s *Server) newCall(opts callOptions, direction string, state callState, callback string) (*call, error) {
	ec, err := engine.NewCall(engine.CallOptions{Ops: opts.ops, SilentHangup: opts.silentHangup, EndOfMedia: opts.eom})
	if err != nil {
		return nil, err
	}
	c := &call{s: s, id: graph.NewID(), direction: direction, opts: opts, rate: opts.ops.Rate, state: state,
		callbackURI: callback, ops: map[string]*opEntry{}, created: s.now(), botApp: s.id.defaultApp(), chainID: graph.NewID(),
		viewRate: opts.ops.Rate, participantID: graph.NewID()}
	// The two ends as the service shows them: a caller on the phone
	// network ringing the bot, or the bot calling a target.
	bot := participant(false, "application", c.botApp, "recsim bot")
	if direction == "incoming" {
		c.source = participant(false, "phone", defaultCaller, "")
		c.targets = json.RawMessage("[" + string(participant(true, "application", c.botApp, "recsim bot")) + "]")
	} else {
		c.source = bot
		c.targets = json.RawMessage("[" + string(participant(true, "phone", defaultCaller, "")) + "]")
	}
	c.cond = sync.NewCond(&c.mu)
	c.files.path = filepath.Join(s.dataDir, c.id+".rec")
	c.rcp.Store(s.runner.Add(c.id, ec))
	c.mu.Lock()
	s.saveCall(c)
	c.publishCall("created")
	c.mu.Unlock()
	s.mu.Lock()
	s.calls[c.id] = c
	s.mu.Unlock()
	s.log.Info("call created", "call", c.id, "direction", direction, "callbackUri", callback)
	return c, nil
}

// lookup returns a call the server still knows (live, or ended within its
// retention), or nil.
func (s *Server) lookup(id string) *call {
	s.mu.Lock()
	c := s.calls[strings.ToLower(id)]
	s.mu.Unlock()
	if c == nil || c.expired(s.now()) {
		return nil
	}
	return c
}

// liveCall returns a call that has not ended; otherwise it answers 404
// (subcode 8522) and returns nil.
func (q *request) liveCall(id string) *call {
	c := q.s.lookup(id)
	if c == nil || c.currentState() == stateTerminated {
		q.callNotFound(id)
		return nil
	}
	return c
}

// callbackURI checks a request's callbackUri (required, an absolute
// http(s) URL) and answers 400 if it is not one.
func (q *request) callbackURI(uri *string) bool {
	if uri == nil {
		q.badRequest("callbackUri is required: the URL where the bot receives notifications")
		return false
	}
	if err := checkCallback("callbackUri", *uri); err != nil {
		q.badRequest("%v", err)
		return false
	}
	return true
}

// checkCallback validates a callbackUri.
func checkCallback(field, uri string) error {
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s = %s: must be an absolute http(s) URL where the bot receives notifications", field, quote(uri))
	}
	return nil
}

// placeCall answers POST /communications/calls: the bot places a call. It
// is answered at once: 201 with the call (establishing), then an updated
// notification with state established.
func (s *Server) placeCall(q *request) {
	if s.draining.Load() {
		q.unavailable()
		return
	}
	var body struct {
		CallbackURI *string         `json:"callbackUri"`
		Source      json.RawMessage `json:"source"`
		Targets     json.RawMessage `json:"targets"`
	}
	if !q.decodeBody(false, &body) {
		return
	}
	if !q.callbackURI(body.CallbackURI) {
		return
	}
	for _, f := range []struct {
		name  string
		raw   json.RawMessage
		array bool
	}{{"source", body.Source, false}, {"targets", body.Targets, true}} {
		if len(f.raw) == 0 || string(f.raw) == "null" {
			continue
		}
		var v any
		_ = json.Unmarshal(f.raw, &v)
		_, isArray := v.([]any)
		_, isObject := v.(map[string]any)
		if f.array && !isArray || !f.array && !isObject {
			want := "a participantInfo object"
			if f.array {
				want = "an array of invitationParticipantInfo"
			}
			q.badRequest("%s = %s: must be %s", f.name, shorten(string(f.raw)), want)
			return
		}
	}
	c, err := s.newCall(s.defOpts, "outgoing", stateEstablishing, *body.CallbackURI)
	if err != nil {
		q.fail(http.StatusInternalServerError, "InternalServerError", err.Error(), 0)
		return
	}
	c.hold()
	defer c.release()
	c.mu.Lock()
	q.claim(c)
	// What the bot sent is what the call shows.
	if len(body.Source) > 0 && string(body.Source) != "null" {
		c.source = compactJSON(body.Source)
	}
	if len(body.Targets) > 0 && string(body.Targets) != "null" {
		c.targets = compactJSON(body.Targets)
	}
	res := c.resource("")
	c.state = stateEstablished
	s.saveCall(c)
	c.publishCall("updated")
	c.notifyCall("updated")
	c.mu.Unlock()
	q.w.Header().Set("Location", q.base()+"/communications/calls/"+c.id)
	q.json(http.StatusCreated, res)
}

// getCall answers GET /communications/calls/{id}.
func (s *Server) getCall(q *request, id string) {
	c := q.liveCall(id)
	if c == nil {
		return
	}
	c.mu.Lock()
	res := c.resource("")
	c.mu.Unlock()
	q.json(http.StatusOK, res)
}

// answer answers POST …/answer: an incoming call becomes established (202,
// then an updated notification). A callbackUri in the body replaces the
// call's.
func (s *Server) answer(q *request, id string) {
	c := q.liveCall(id)
	if c == nil {
		return
	}
	var body struct {
		CallbackURI *string `json:"callbackUri"`
	}
	if !q.decodeBody(true, &body) {
		return
	}
	if body.CallbackURI != nil {
		if err := checkCallback("callbackUri", *body.CallbackURI); err != nil {
			q.badRequest("%v", err)
			return
		}
	}
	c.hold()
	defer c.release()
	c.mu.Lock()
	st := c.state
	if st == stateIncoming {
		c.state = stateEstablished
		if body.CallbackURI != nil {
			c.callbackURI = *body.CallbackURI
		}
		q.claim(c)
		s.saveCall(c)
		c.publishCall("updated")
		c.notifyCall("updated")
	}
	c.mu.Unlock()
	switch st {
	case stateIncoming:
		q.w.WriteHeader(http.StatusAccepted)
	case stateTerminated:
		q.callNotFound(id)
	default:
		q.badRequest("state = %s: only an incoming call can be answered", st)
	}
}

// hangup ends the call (the bot's DELETE or the caller): its running
// operation ends with the hang-up row (or silently), queued ones too, then
// the call's deleted notification goes. False if it had already ended.
func (s *Server) hangup(c *call, who string) bool {
	c.hold()
	defer c.release()
	c.ctl.Lock()
	defer c.ctl.Unlock()
	ok := false
	c.rc().Do(func(ec *engine.Call, ev []engine.CallEvent) []engine.CallEvent {
		if ec.State().Ended {
			return ev
		}
		ok = true
		end := endByCaller()
		if who == "bot" {
			end = endByBot()
		}
		c.terminate(end)
		return ec.Hangup(ev)
	})
	if ok {
		s.log.Info("call ended", "call", c.id, "by", who)
	}
	return ok
}

// terminate marks the call ended and arranges its deleted notification to
// follow the completions of its media operations. It runs under the engine
// call's lock, before those operations end.
func (c *call) terminate(end *graph.ResultInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateTerminated {
		return
	}
	c.state, c.endInfo = stateTerminated, end
	c.endedAt = c.s.now()
	c.s.saveCall(c)
	c.publishCall("updated")
	c.s.mediaMem.give(c.mediaBytes.Swap(0)) // an ended call plays no more media
	n := 0
	for _, e := range c.ops {
		// One whose recording is being stored has ended in the engine: its
		// completion is already in the outbox.
		if e.media() && !e.ended && !e.storing {
			n++
		}
	}
	c.pendingDelete, c.deleteDue = n, true
	if n == 0 {
		c.deleteDue = false
		c.notifyCall("deleted")
	}
}

// deleteCall answers DELETE /communications/calls/{id}: 204.
func (s *Server) deleteCall(q *request, id string) {
	c := q.liveCall(id)
	if c == nil {
		return
	}
	if !s.hangup(c, "bot") {
		q.callNotFound(id)
		return
	}
	q.w.WriteHeader(http.StatusNoContent)
}

// getOperation answers GET …/operations/{opId}; it works until the call's
// retention ends.
func (s *Server) getOperation(q *request, callID, opID string) {
	c := s.lookup(callID)
	if c == nil {
		q.callNotFound(callID)
		return
	}
	c.mu.Lock()
	e := c.ops[strings.ToLower(opID)]
	var res any
	if e != nil {
		res = e.resource(c.id, c.opts, "")
	}
	c.mu.Unlock()
	if e == nil {
		q.fail(http.StatusNotFound, "NotFound", fmt.Sprintf("Operation %s not found on call %s.", opID, c.id), 0)
		return
	}
	q.json(http.StatusOK, res)
}

// mediaCall is the common start of the media actions: a live, established
// call, not draining. It answers and returns nil otherwise.
func (q *request) mediaCall(id, action string) *call {
	c := q.liveCall(id)
	if c == nil {
		return nil
	}
	if q.s.draining.Load() {
		q.unavailable()
		return nil
	}
	if st := c.currentState(); st != stateEstablished {
		q.badRequest("state = %s: %s needs an established call (answer it first)", st, action)
		return nil
	}
	return c
}

// recordResponse answers POST …/recordResponse (and record): 200, the
// recordOperation Running (NotStarted when queued), and its Location.
func (s *Server) recordResponse(q *request, id string) {
	c := q.liveCall(id)
	if c == nil {
		return
	}
	b, ok := q.jsonBody(true)
	if !ok {
		return
	}
	req, err := graph.ParseRecordRequest(b, c.opts.strictV1 && q.ver == "v1.0")
	if err != nil {
		q.badRequest("%v", err)
		return
	}
	if c = q.mediaCall(id, "recordResponse"); c == nil {
		return
	}
	prompt := s.promptOf(req.Prompts)
	e := &opEntry{id: graph.NewID(), kind: kindRecord, ver: q.ver, root: q.root(), clientContext: req.ClientContext, stream: req.StreamWhileRecording,
		prompts: req.Prompts}
	s.startMedia(q, c, e, req.Prompts, prompt, req.BargeInAllowed, func(ec *engine.Call, ev []engine.CallEvent) (*engine.CallOp, []engine.CallEvent, error) {
		return ec.Record(e.id, req, prompt, ev)
	})
}

// playPrompt answers POST …/playPrompt: 200, a playPromptOperation and its
// Location.
func (s *Server) playPrompt(q *request, id string) {
	c := q.liveCall(id)
	if c == nil {
		return
	}
	b, ok := q.jsonBody(false)
	if !ok {
		return
	}
	prompts, cc, err := parsePlayPrompt(b)
	if err != nil {
		q.badRequest("%v", err)
		return
	}
	if c = q.mediaCall(id, "playPrompt"); c == nil {
		return
	}
	prompt := s.promptOf(prompts)
	e := &opEntry{id: graph.NewID(), kind: kindPlay, ver: q.ver, root: q.root(), clientContext: cc, prompts: prompts}
	s.startMedia(q, c, e, prompts, prompt, false, func(ec *engine.Call, ev []engine.CallEvent) (*engine.CallOp, []engine.CallEvent, error) {
		return ec.PlayPrompt(e.id, prompt, false, ev)
	})
}

// startMedia queues a media operation on the call and answers with its
// status at that moment. A pending prompt (promptOf) is fetched after the
// answer, off the request: the operation waits for it at the head of the
// queue, and fails with 8536 if the fetch fails or times out.
func (s *Server) startMedia(q *request, c *call, e *opEntry, uris []string, prompt *engine.PromptAudio, bargeIn bool, queue func(*engine.Call, []engine.CallEvent) (*engine.CallOp, []engine.CallEvent, error)) {
	c.hold()
	defer c.release()
	c.ctl.Lock()
	var res any
	var err error
	pending := prompt != nil && prompt.Pending
	c.rc().Do(func(ec *engine.Call, ev []engine.CallEvent) []engine.CallEvent {
		head := !ec.State().Busy || bargeIn
		var op *engine.CallOp
		op, ev, err = queue(ec, ev)
		if err != nil {
			return ev
		}
		// Running when it started at once, even if it has already ended
		// (a prompt that failed to load), or when it is first in line
		// waiting for its prompt: the bot learns the result from the
		// notification, as from the service.
		st := graph.StatusOf(op)
		if st != graph.NotStarted || pending && head {
			st = graph.Running
		}
		c.mu.Lock()
		e.cop, e.status, e.created = op, st, s.now()
		c.ops[e.id] = e
		s.saveOp(c, e)
		if st == graph.NotStarted {
			c.publishOp(e, "queued")
		} else {
			c.publishOp(e, "started")
		}
		res = e.resource(c.id, c.opts, "")
		c.mu.Unlock()
		return ev
	})
	c.rateFixed = true
	c.ctl.Unlock()
	if errors.Is(err, engine.ErrCallEnded) {
		q.callNotFound(c.id)
		return
	}
	if err != nil {
		q.fail(http.StatusInternalServerError, "InternalServerError", err.Error(), 0)
		return
	}
	if pending {
		s.work.add()
		go s.fetchPrompts(c, e, uris)
	}
	q.w.Header().Set("Location", q.base()+e.resourceURL(c.id))
	q.json(http.StatusOK, res)
}

// parsePlayPrompt parses a playPrompt body: prompts (1 to 10 mediaPrompts
// with mediaInfo.uri) and clientContext.
func parsePlayPrompt(b []byte) ([]string, *string, error) {
	var body struct {
		Prompts       json.RawMessage `json:"prompts"`
		ClientContext json.RawMessage `json:"clientContext"`
	}
	if err := decodeObject(b, &body); err != nil {
		return nil, nil, err
	}
	cc, err := parseClientContext(body.ClientContext)
	if err != nil {
		return nil, nil, err
	}
	var items []json.RawMessage
	if len(body.Prompts) == 0 || string(body.Prompts) == "null" {
		return nil, nil, errors.New("prompts is required: 1 to 10 mediaPrompts with mediaInfo.uri")
	}
	if json.Unmarshal(body.Prompts, &items) != nil || len(items) == 0 || len(items) > 10 {
		return nil, nil, fmt.Errorf("prompts = %s: must be an array of 1 to 10 mediaPrompts", shorten(string(body.Prompts)))
	}
	var out []string
	for i, it := range items {
		// Each item is validated as recordResponse validates its one prompt.
		req, err := graph.ParseRecordRequest([]byte(`{"prompts":[`+string(it)+`]}`), false)
		if err != nil {
			var re *graph.RequestError
			if errors.As(err, &re) {
				re.Field = strings.Replace(re.Field, "prompts[0]", fmt.Sprintf("prompts[%d]", i), 1)
				return nil, nil, re
			}
			return nil, nil, err
		}
		out = append(out, req.Prompts...)
	}
	return out, cc, nil
}

// clientContextBody reads the body of an action that takes nothing but
// an optional clientContext (the body itself may be empty); it answers
// and returns false when the body is wrong.
func (q *request) clientContextBody() (*string, bool) {
	var body struct {
		ClientContext json.RawMessage `json:"clientContext"`
	}
	if !q.decodeBody(true, &body) {
		return nil, false
	}
	cc, err := parseClientContext(body.ClientContext)
	if err != nil {
		q.badRequest("%v", err)
		return nil, false
	}
	return cc, true
}

// parseClientContext parses an optional clientContext (≤ 256 characters).
func parseClientContext(v json.RawMessage) (*string, error) {
	if len(v) == 0 || string(v) == "null" {
		return nil, nil
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return nil, fmt.Errorf("clientContext = %s: must be a string of at most 256 characters", shorten(string(v)))
	}
	if n := utf8.RuneCountInString(s); n > graph.MaxClientContext {
		return nil, fmt.Errorf("clientContext = %d characters: must be at most 256 characters", n)
	}
	return &s, nil
}

// cancelMedia answers POST …/cancelMediaProcessing: the running and queued
// operations end with operationCanceled; 200 with a completed
// cancelMediaProcessingOperation and its Location.
func (s *Server) cancelMedia(q *request, id string) {
	c := q.liveCall(id)
	if c == nil {
		return
	}
	cc, ok := q.clientContextBody()
	if !ok {
		return
	}
	e := &opEntry{id: graph.NewID(), kind: kindCancel, ver: q.ver, root: q.root(), clientContext: cc, status: graph.Completed, ended: true}
	s.completedOp(q, c, e, func(ec *engine.Call, ev []engine.CallEvent) ([]engine.CallEvent, error) {
		if ec.State().Ended {
			return ev, engine.ErrCallEnded
		}
		return ec.CancelMedia(ev), nil
	})
}

// updateRecordingStatus answers POST …/updateRecordingStatus: 200 with a
// completed updateRecordingStatusOperation and its Location.
func (s *Server) updateRecordingStatus(q *request, id string) {
	c := q.liveCall(id)
	if c == nil {
		return
	}
	var body struct {
		ClientContext json.RawMessage `json:"clientContext"`
		Status        json.RawMessage `json:"status"`
	}
	if !q.decodeBody(false, &body) {
		return
	}
	cc, err := parseClientContext(body.ClientContext)
	if err != nil {
		q.badRequest("%v", err)
		return
	}
	var name string
	if len(body.Status) == 0 || string(body.Status) == "null" {
		q.badRequest("status is required: notRecording, recording or failed")
		return
	}
	if json.Unmarshal(body.Status, &name) != nil {
		q.badRequest("status = %s: must be a string: notRecording, recording or failed", shorten(string(body.Status)))
		return
	}
	st, err := graph.ParseRecordingStatus(name)
	if err != nil {
		q.badRequest("status = %s: must be notRecording, recording or failed", quote(name))
		return
	}
	e := &opEntry{id: graph.NewID(), kind: kindUpdateStatus, ver: q.ver, root: q.root(), clientContext: cc, status: graph.Completed, ended: true}
	s.completedOp(q, c, e, func(ec *engine.Call, ev []engine.CallEvent) ([]engine.CallEvent, error) {
		if ec.State().Ended {
			return ev, engine.ErrCallEnded
		}
		c.mu.Lock()
		c.recStatus = st
		s.saveCall(c)
		c.publishCall("updated")
		c.mu.Unlock()
		return ev, nil
	})
}

// completedOp runs an action that completes at once and answers 200 with
// its operation and Location.
func (s *Server) completedOp(q *request, c *call, e *opEntry, act func(*engine.Call, []engine.CallEvent) ([]engine.CallEvent, error)) {
	c.hold()
	defer c.release()
	c.ctl.Lock()
	var err error
	c.rc().Do(func(ec *engine.Call, ev []engine.CallEvent) []engine.CallEvent {
		ev, err = act(ec, ev)
		if err == nil {
			c.mu.Lock()
			e.created = s.now()
			c.ops[e.id] = e
			s.saveOp(c, e)
			c.publishOp(e, "completed")
			c.mu.Unlock()
		}
		return ev
	})
	c.ctl.Unlock()
	if errors.Is(err, engine.ErrCallEnded) {
		q.callNotFound(c.id)
		return
	}
	if err != nil {
		q.fail(http.StatusInternalServerError, "InternalServerError", err.Error(), 0)
		return
	}
	c.mu.Lock()
	res := e.resource(c.id, c.opts, "")
	c.mu.Unlock()
	q.w.Header().Set("Location", q.base()+e.resourceURL(c.id))
	q.json(http.StatusOK, res)
}

// setRate changes the media rate of a call that has had neither media nor
// an operation yet, by replacing its (idle, empty) engine call. The caller
// holds c.ctl.
func (s *Server) setRate(c *call, rate media.SampleRate) error {
	old := c.rc()
	ended := false
	old.View(func(ec *engine.Call) { ended = ec.State().Ended })
	if ended {
		return engine.ErrCallEnded
	}
	opts := c.opts
	opts.ops.Rate = rate
	ec, err := engine.NewCall(engine.CallOptions{Ops: opts.ops, SilentHangup: opts.silentHangup, EndOfMedia: opts.eom})
	if err != nil {
		return err
	}
	c.rcp.Store(s.runner.Add(c.id, ec))
	s.runner.Remove(old)
	c.rate = rate
	c.mu.Lock()
	c.viewRate = rate
	c.mu.Unlock()
	return nil
}
