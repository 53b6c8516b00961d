package server

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/media"
)

// The simulation surface's view of calls, for the inspector page and the
// event stream (docs/server.md#inspecting-calls).

// callView is a call as GET /recsim/v1/calls lists it.
type callView struct {
	ID          string    `json:"id"`
	State       string    `json:"state"`
	Direction   string    `json:"direction"`
	CallbackURI string    `json:"callbackUri"`
	Created     string    `json:"createdDateTime"`
	Ended       *string   `json:"endedDateTime"`
	Rate        int       `json:"rate"`
	Operations  []opView  `json:"operations,omitempty"`
	created     time.Time // for ordering
}

// opView is an operation as the views show it.
type opView struct {
	ID                   string  `json:"id"`
	Kind                 string  `json:"kind"`
	Status               string  `json:"status"`
	CompletionReason     *string `json:"completionReason"`
	Code                 *int    `json:"code"`
	Subcode              *int    `json:"subcode"`
	Message              *string `json:"message"`
	RecordingLocation    *string `json:"recordingLocation"`
	RecordingAccessToken *string `json:"recordingAccessToken"`
	ClientContext        *string `json:"clientContext"`
}

// timelineView is a timeline entry as the stream's body.
type timelineView graph.TimelineEntry

func dateTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// view returns the call as the views show it; ops adds its operations. The
// caller holds c.mu.
func (c *call) view(ops bool) callView {
	v := callView{ID: c.id, State: c.state.String(), Direction: c.direction, CallbackURI: c.callbackURI,
		Created: dateTime(c.created), Rate: int(c.viewRate), created: c.created}
	if !c.endedAt.IsZero() {
		e := dateTime(c.endedAt)
		v.Ended = &e
	}
	if ops {
		v.Operations = []opView{}
		for _, e := range c.sortedOps() {
			v.Operations = append(v.Operations, e.view(c.opts))
		}
	}
	return v
}

// view returns the operation as the views show it. The caller holds the
// call's mu.
func (e *opEntry) view(o callOptions) opView {
	v := opView{ID: e.id, Kind: kindName(e.kind), Status: o.status(e.status), ClientContext: e.clientContext}
	if e.outcome != engine.OutcomeNone {
		r := engine.ResultOf(e.outcome)
		reason, code, sub, msg := r.Reason, r.Code, r.Subcode, r.Message
		if e.kind == kindPlay || e.kind == kindSendDtmf {
			reason = playPromptReason(e.outcome)
		}
		v.CompletionReason, v.Code, v.Subcode, v.Message = &reason, &code, &sub, &msg
	}
	if e.rec != nil && (e.ended || e.stream) {
		loc := e.rec.location
		v.RecordingLocation = &loc
		if e.rec.token != "" {
			tok := e.rec.token
			v.RecordingAccessToken = &tok
		}
	}
	return v
}

// publishCall puts the call's state on the stream (phase created or
// updated). The caller holds c.mu.
func (c *call) publishCall(phase string) {
	if !c.s.hub.armed.Load() {
		return
	}
	v := c.view(false)
	c.s.hub.publish("call", phase, c.id, v.appendJSON)
}

// publishOp puts an operation's state on the stream: phase queued,
// started, updated or completed. The caller holds c.mu.
func (c *call) publishOp(e *opEntry, phase string) {
	if !c.s.hub.armed.Load() {
		return
	}
	v := e.view(c.opts)
	c.s.hub.publish("operation", phase, c.id, v.appendJSON)
}

// publishEntries puts the timeline entries of op that the stream has not
// had yet on it. It runs under the engine call's lock (onEvent).
func (c *call) publishEntries(e *opEntry, op *engine.CallOp) {
	if op == nil || op.Op == nil {
		return
	}
	tl := op.Op.Timeline()
	if c.s.hub.armed.Load() {
		rate := op.Op.Span().Rate
		for _, ev := range tl[min(e.published, len(tl)):] {
			en := timelineView(graph.Entry(ev, rate, op.ID))
			c.s.hub.publish("event", "created", c.id, en.appendJSON)
		}
	}
	e.published = len(tl)
}

// publishNote puts a notification's state on the stream: phase queued,
// delivered or failed (an attempt that failed). The caller holds c.mu.
func (c *call) publishNote(n *notification, phase string) {
	if !c.s.hub.armed.Load() {
		return
	}
	j := n.json()
	c.s.hub.publish("notification", phase, c.id, j.appendJSON)
}

// listCalls answers GET /recsim/v1/calls?top=&skip=: the calls the server
// knows, newest first, with their operations.
func (s *Server) listCalls(q *request) {
	top, skip := 50, 0
	for name, dst := range map[string]*int{"top": &top, "skip": &skip} {
		if v := q.r.URL.Query().Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (name == "top" && (n < 1 || n > 1000)) {
				q.badRequest("%s = %s: must be a whole number (top: 1 to 1000)", name, quote(v))
				return
			}
			*dst = n
		}
	}
	now := s.now()
	s.mu.Lock()
	all := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		all = append(all, c)
	}
	s.mu.Unlock()
	views := make([]callView, 0, len(all))
	for _, c := range all {
		if c.expired(now) {
			continue
		}
		c.mu.Lock()
		views = append(views, c.view(false))
		c.mu.Unlock()
	}
	sort.Slice(views, func(i, j int) bool {
		if !views[i].created.Equal(views[j].created) {
			return views[i].created.After(views[j].created)
		}
		return views[i].ID < views[j].ID
	})
	total := len(views)
	page := views[min(skip, total):min(skip+top, total)]
	for i := range page {
		if c := s.lookup(page[i].ID); c != nil {
			c.mu.Lock()
			page[i] = c.view(true)
			c.mu.Unlock()
		}
	}
	q.json(http.StatusOK, map[string]any{"value": page, "count": total})
}

// callDetail answers GET /recsim/v1/calls/{id}.
func (s *Server) callDetail(q *request, id string) {
	c := s.lookup(id)
	if c == nil {
		q.callNotFound(id)
		return
	}
	c.mu.Lock()
	v := c.view(true)
	c.mu.Unlock()
	q.json(http.StatusOK, v)
}

// callAudio answers GET /recsim/v1/calls/{id}/audio/{caller|outbound}: the
// caller's media as last set, or what the bot played (prompts and beeps)
// placed where the operations played it on the caller's stream.
func (s *Server) callAudio(q *request, id, which string) {
	if !q.method(http.MethodGet) {
		return
	}
	c := s.lookup(id)
	if c == nil {
		q.callNotFound(id)
		return
	}
	var pcm []int16
	var rate media.SampleRate
	switch which {
	case "caller": // what the call has consumed of the media last set
		c.ctl.Lock()
		rate = c.rate
		c.rc().View(func(ec *engine.Call) {
			pcm = append([]int16(nil), c.media[:min(ec.State().MediaPosition, len(c.media))]...)
		})
		c.ctl.Unlock()
	case "outbound":
		var err error
		if pcm, rate, err = s.outbound(c); err != nil {
			s.log.Error("outbound audio not readable", "call", c.id, "error", err)
			q.fail(http.StatusNotFound, "NotFound", "The outbound audio of this call is not available.", 0)
			return
		}
	default:
		q.pathNotFound()
		return
	}
	b, err := media.EncodeWAV(pcm, rate) // 0 samples before any: still a WAV
	if err != nil {
		q.fail(http.StatusInternalServerError, "InternalServerError", "The audio could not be encoded.", 0)
		return
	}
	q.w.Header().Set("Content-Type", "audio/wav")
	q.w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	q.w.Header().Set("Cache-Control", "no-store")
	q.w.WriteHeader(http.StatusOK)
	_, _ = q.w.Write(b)
}

// outbound makes the call's outbound audio again (engine.OutboundAudio):
// each operation's prompts, resolved again, and beep, placed at the sample
// of the caller's stream where the operation started. Ended operations
// keep no audio (Release), so nothing is held for this.
func (s *Server) outbound(c *call) ([]int16, media.SampleRate, error) {
	type part struct {
		cop   *engine.CallOp
		uris  []string
		play  bool
		dtmf  []int16 // sendDtmfTones: its prompt, made again
		start int64
		rate  media.SampleRate
	}
	var parts []*part
	c.mu.Lock()
	for _, e := range c.sortedOps() {
		switch {
		case e.cop != nil && (e.kind == kindRecord || e.kind == kindPlay):
			parts = append(parts, &part{cop: e.cop, uris: e.prompts, play: e.kind == kindPlay})
		case e.cop != nil && e.kind == kindSendDtmf:
			if pcm, err := dtmfPrompt(e.tones, e.toneDelay); err == nil {
				parts = append(parts, &part{cop: e.cop, play: true, dtmf: pcm})
			}
		}
	}
	c.mu.Unlock()
	var rate media.SampleRate
	c.rc().View(func(ec *engine.Call) {
		rate = ec.State().Rate
		for _, p := range parts {
			if p.cop.Op != nil {
				sp := p.cop.Op.Span()
				p.start, p.rate = sp.Start, sp.Rate
			}
		}
	})
	var out []int16
	for _, p := range parts {
		if p.rate == 0 { // never started
			continue
		}
		opts := c.opts.ops
		opts.Rate, opts.Cache = p.rate, s.cache
		prompt := s.loadPrompts(s.baseCtx, p.uris)
		if p.dtmf != nil {
			prompt = &engine.PromptAudio{PCM: p.dtmf}
		}
		pcm := engine.OutboundAudio(p.cop.Req, prompt, p.play, opts)
		end := p.start + int64(len(pcm))
		if end > maxMediaSamples {
			return nil, 0, fmt.Errorf("outbound audio of %d samples: over the %d-sample cap", end, maxMediaSamples)
		}
		if int64(len(out)) < end {
			out = append(out, make([]int16, end-int64(len(out)))...)
		}
		copy(out[p.start:], pcm)
		rate = p.rate
	}
	return out, rate, nil
}

// json returns n as the notifications list shows it, with its payload. The
// caller holds the call's mu.
func (n *notification) json() notificationJSON {
	j := notificationJSON{Sequence: n.seq, ChangeType: n.changeType, ResourceURL: n.resourceURL,
		Attempts: n.attempts, Delivered: n.delivered, LastError: n.lastError}
	if n.body != nil {
		j.Payload = json.RawMessage(n.body)
	}
	return j
}

// controlAuthorized checks --control-token on the simulation surface and
// the inspector.
func (q *request) controlAuthorized() bool {
	want := q.s.cfg.ControlToken
	if want == "" {
		return true
	}
	tok, ok := bearer(q.r)
	if ok && constantEqual(tok, want) {
		return true
	}
	q.w.Header().Set("WWW-Authenticate", `Bearer realm="recsim-control"`)
	msg := "The simulation surface needs Authorization: Bearer {control token} (recsim serve --control-token)."
	if ok {
		msg = "The bearer token is not the control token this server was started with."
	}
	q.fail(http.StatusUnauthorized, "InvalidAuthenticationToken", msg, 0)
	return false
}

func isControlPath(path string) bool {
	return strings.HasPrefix(path, "/recsim/v1/") && !strings.HasPrefix(path, "/recsim/v1/recordings/") &&
		!strings.HasPrefix(path, "/recsim/v1/.well-known/") && path != "/recsim/v1/inbox/"
}

func constantEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// opRecording answers GET /recsim/v1/calls/{id}/operations/{opId}/recording:
// the operation's recording for the inspector (the simulation surface's
// own URL: behind --control-token, not the recording's access token).
func (s *Server) opRecording(q *request, callID, opID string) {
	c := s.lookup(callID)
	if c == nil {
		q.callNotFound(callID)
		return
	}
	c.mu.Lock()
	var r *recording
	if e := c.ops[strings.ToLower(opID)]; e != nil {
		r = e.rec
	}
	c.mu.Unlock()
	if r == nil {
		q.fail(http.StatusNotFound, "NotFound", "Operation "+opID+" of call "+c.id+" has no recording.", 0)
		return
	}
	s.serveRecording(q, r)
}

// controlCancel answers POST /recsim/v1/calls/{id}/cancel: the inspector's
// cancelMediaProcessing, made with the server's own credentials.
func (s *Server) controlCancel(q *request, id string) {
	q.ver = "v1.0"
	s.cancelMedia(q, id)
}
