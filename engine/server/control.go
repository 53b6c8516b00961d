package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/engine/runner"
	"github.com/recsim/recsim/engine/scenario"
	"github.com/recsim/recsim/media"
)

// incomingCall answers POST /recsim/v1/calls: a caller rings the bot. 201
// {"id", "state": "incoming"}, then a created notification (state
// incoming) goes to the callbackUri.
func (s *Server) incomingCall(q *request) {
	if s.draining.Load() {
		q.unavailable()
		return
	}
	var body struct {
		CallbackURI *string         `json:"callbackUri"`
		Options     json.RawMessage `json:"options"`
	}
	if !q.decodeBody(false, &body) {
		return
	}
	if !q.callbackURI(body.CallbackURI) {
		return
	}
	opts, err := applyOptions(body.Options, s.defOpts)
	if err != nil {
		q.badRequest("%v", err)
		return
	}
	c, err := s.newCall(opts, "incoming", stateIncoming, *body.CallbackURI)
	if err != nil {
		q.fail(http.StatusInternalServerError, "InternalServerError", err.Error(), 0)
		return
	}
	c.hold()
	defer c.release()
	c.mu.Lock()
	c.notifyCall("created")
	c.mu.Unlock()
	q.w.Header().Set("Location", q.root()+"/v1.0/communications/calls/"+c.id)
	q.json(http.StatusCreated, map[string]string{"id": c.id, "state": stateIncoming.String()})
}

// isWAV reports whether a media type names a WAV file.
func isWAV(mt string) bool {
	switch mt {
	case "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave":
		return true
	}
	return false
}

// putMedia answers PUT /recsim/v1/calls/{id}/media: a WAV (audio/wav) or
// a scenario script (application/json) becomes the caller's audio from
// the next frame (or the next operation's first sample). 204.
func (s *Server) putMedia(q *request, id string) {
	c := q.liveCall(id)
	if c == nil {
		return
	}
	mt := mediaType(q.r)
	var pcm []int16
	var rate media.SampleRate
	var reserved int64 // of the media budget, for pcm
	hangupEnd := false
	switch {
	case isWAV(mt):
		body, done, err := openBody(q.r, maxMediaBody)
		if err != nil {
			q.bodyFail(err)
			return
		}
		// Decoded as it arrives: no copy of the whole body is kept. What
		// the header says it holds is reserved from the media budget
		// first, and what it turned out to hold is kept.
		rd, err := media.NewReader(body, "media")
		if err == nil {
			reserved = 2 * min(max(rd.Len(), 0), maxMediaSamples)
			if !s.mediaMem.take(reserved) {
				done()
				q.mediaBusy(reserved)
				return
			}
			pcm, err = media.AppendAll(s.mediaBufs.Get(0), rd)
		}
		done()
		if err != nil {
			s.recycleMedia(pcm)
			s.mediaMem.give(reserved)
			var be *bodyError
			if errors.As(err, &be) {
				q.bodyFail(be)
				return
			}
			q.badRequest("%v", err)
			return
		}
		rate = rd.Rate()
	case mt == "application/json":
		b, err := readBody(q.r, maxJSONBody)
		if err != nil {
			q.bodyFail(err)
			return
		}
		c.ctl.Lock()
		def := c.rate
		c.ctl.Unlock()
		audio, err := buildScript(b, def)
		if err != nil {
			q.badRequest("%v", err)
			return
		}
		pcm, rate, hangupEnd = audio.PCM, audio.Rate, audio.Hangup
		if reserved = 2 * int64(len(pcm)); !s.mediaMem.take(reserved) {
			q.mediaBusy(reserved)
			return
		}
	default:
		q.fail(http.StatusUnsupportedMediaType, "UnsupportedMediaType",
			fmt.Sprintf("Content-Type = %q: media must be audio/wav (a WAV file) or application/json (a scenario script).", q.r.Header.Get("Content-Type")), 0)
		return
	}

	// Keep the reservation to what was decoded (a header may claim more
	// than the body held).
	if held := 2 * int64(len(pcm)); held != reserved {
		s.mediaMem.give(reserved - held)
		reserved = held
	}
	c.ctl.Lock()
	defer c.ctl.Unlock()
	set := false
	defer func() { // what no call holds goes back to the pool and the budget
		if set {
			s.recycleMedia(c.media)
			c.media = pcm
			s.mediaMem.give(c.mediaBytes.Swap(reserved))
			if c.currentState() == stateTerminated { // it ended meanwhile
				s.mediaMem.give(c.mediaBytes.Swap(0))
			}
		} else {
			s.recycleMedia(pcm)
			s.mediaMem.give(reserved)
		}
	}()
	if rate != c.rate {
		if c.rateFixed {
			q.badRequest("media rate = %d Hz: the call's media rate is %d Hz, fixed by its first media or operation; nothing is resampled", int(rate), int(c.rate))
			return
		}
		if err := s.setRate(c, rate); err != nil {
			if errors.Is(err, engine.ErrCallEnded) {
				q.callNotFound(id)
				return
			}
			q.badRequest("media rate = %d Hz: %v", int(rate), err)
			return
		}
	}
	c.rateFixed = true
	var err error
	c.rc().Do(func(ec *engine.Call, ev []engine.CallEvent) []engine.CallEvent {
		err = ec.SetMedia(pcm, hangupEnd)
		return ev
	})
	if err != nil {
		q.callNotFound(id)
		return
	}
	set = true
	if s.logging() {
		s.log.Info("media set", "call", c.id, "samples", len(pcm), "rate", int(rate), "hangupAtEnd", hangupEnd)
	}
	q.w.WriteHeader(http.StatusNoContent)
}

// recycleMedia gives b, which nothing may use afterwards, to the server's
// media pool, unless it is over 2^24 samples (32 MiB, half the 64 MiB body
// limit): a rare huge upload should not stay in memory for the next small
// one.
func (s *Server) recycleMedia(b []int16) {
	if cap(b) <= 1<<24 {
		s.mediaBufs.Put(b)
	}
}

// buildScript renders a scenario script's caller audio. A script without
// a rate takes def (the call's media rate). Only the caller audio is used:
// the bot sends the request, and the call's options are the switches. WAV
// segments are refused: the server does not read its own disk for a
// client.
func buildScript(b []byte, def media.SampleRate) (scenario.Audio, error) {
	sc, err := scenario.Parse(b, "media")
	if err != nil {
		return scenario.Audio{}, err
	}
	var probe struct {
		Rate *int `json:"rate"`
	}
	_ = json.Unmarshal(b, &probe) // Parse accepted it
	if probe.Rate == nil {
		sc.Rate = int(def)
	}
	total := 0.0
	for i, g := range sc.Caller {
		if g.WAV != "" {
			return scenario.Audio{}, fmt.Errorf("media: caller[%d].wav = %q: the server reads no files; PUT the WAV itself (Content-Type: audio/wav)", i, g.WAV)
		}
		total += segmentSeconds(g)
	}
	// A script renders no more audio than the largest WAV a PUT may carry.
	if limit := float64(maxMediaBody/2) / float64(sc.Rate); total > limit {
		return scenario.Audio{}, fmt.Errorf("media: caller = %.0f s: a script may render at most %.0f s at %d Hz (the 64 MiB media limit)", total, limit, sc.Rate)
	}
	return sc.Build("media", "")
}

// segmentSeconds bounds the length of a script segment from above (the
// longest committed speech clip is 5.0 s; 10 s is counted for each). Negative or NaN values
// count as nothing here: Build rejects them.
func segmentSeconds(g scenario.Segment) float64 {
	pos := func(v float64) float64 {
		if v > 0 {
			return v
		}
		return 0
	}
	switch {
	case g.Silence != nil:
		return pos(*g.Silence)
	case g.Speech != "":
		return 10
	case g.DTMF != "":
		d, gap := 0.1, 0.1
		if g.Seconds > 0 {
			d = g.Seconds
		}
		if g.Gap != nil {
			gap = pos(*g.Gap)
		}
		return float64(len(g.DTMF)) * (pos(d) + gap)
	}
	return pos(g.Seconds)
}

// callerHangup answers POST /recsim/v1/calls/{id}/hangup: 204.
func (s *Server) callerHangup(q *request, id string) {
	c := q.liveCall(id)
	if c == nil {
		return
	}
	if !s.hangup(c, "caller") {
		q.callNotFound(id)
		return
	}
	q.w.WriteHeader(http.StatusNoContent)
}

// events answers GET /recsim/v1/calls/{id}/events: the timelines of the
// call's operations in sample order.
func (s *Server) events(q *request, id string) {
	c := s.lookup(id)
	if c == nil {
		q.callNotFound(id)
		return
	}
	var out []graph.TimelineEntry
	seen := map[string]bool{}
	c.rc().View(func(ec *engine.Call) {
		for _, op := range ec.History() {
			if op.Op == nil {
				continue
			}
			seen[op.ID] = true
			out = appendEntries(out, op)
		}
	})
	// Operations recovered after a restart: their stored timelines; and
	// the digits of a tone subscription.
	c.mu.Lock()
	out = append(out, c.tones...)
	for id, e := range c.ops {
		if !seen[id] && e.timeline != nil {
			var tl []graph.TimelineEntry
			if json.Unmarshal(e.timeline, &tl) == nil {
				out = append(out, tl...)
			}
		}
	}
	c.mu.Unlock()
	sortEntries(out)
	if out == nil {
		out = []graph.TimelineEntry{}
	}
	q.json(http.StatusOK, map[string]any{"value": out})
}

// onEvent is the runner's hook: it runs with the engine call locked, in
// order per call, both inside handlers (RunCall.Do) and on the realtime
// runner's ticks.
func (s *Server) onEvent(rc *runner.PacedCall, ev engine.CallEvent) {
	s.mu.Lock()
	c := s.calls[rc.ID]
	s.mu.Unlock()
	if c == nil {
		return
	}
	if ev.Kind == engine.EvDigit {
		c.tone(ev.Tone, ev.At)
		return
	}
	if ev.Kind == engine.EvHangup {
		c.terminate(endByCaller())
		s.log.Info("call ended", "call", c.id, "by", "caller (end of media)")
		return
	}
	op := ev.Op
	c.mu.Lock()
	e := c.ops[op.ID]
	var rec *recording
	if e != nil {
		rec = e.rec
	}
	c.mu.Unlock()
	if e == nil {
		return
	}
	switch ev.Kind {
	case engine.EvStart:
		c.mu.Lock()
		e.status = graph.StatusOf(op)
		c.publishOp(e, "started")
		c.publishEntries(e, op)
		c.mu.Unlock()
	case engine.EvProgress:
		c.mu.Lock()
		c.publishEntries(e, op)
		c.mu.Unlock()
	case engine.EvListenStart:
		if e.kind != kindRecord || !e.stream {
			return
		}
		r := s.newRecording(c, rc, e)
		c.mu.Lock()
		e.rec, e.status = r, graph.StatusOf(op)
		c.publishEntries(e, op)
		c.publishOp(e, "updated")
		c.enqueue("updated", e.resourceURL(c.id), func(etag string) any { return e.resource(c.id, c.opts, etag) }, nil)
		c.mu.Unlock()
	case engine.EvCompleted:
		stored := e.kind == kindRecord && op.Op != nil && op.Op.Result().HasRecording
		if stored && rec == nil {
			rec = s.newRecording(c, rc, e)
		} else if !stored && rec != nil {
			s.drop(rec)
			rec = nil
		}
		c.mu.Lock()
		e.rec = rec
		if s.keepsTimelines() {
			e.timeline = timelineOf(op)
		}
		if stored {
			c.lastStore = rec.ready
			// The operation ends once its recording is stored whole
			// (storeRecording): until then it is running, and its
			// completion keeps its place in the outbox, built when it goes.
			e.storing = true
		} else {
			e.status, e.outcome, e.ended = graph.StatusOf(op), op.Outcome, true
			s.saveOp(c, e)
		}
		c.publishEntries(e, op)
		if !stored {
			c.publishOp(e, "completed")
		}
		if !op.Silent {
			var wait <-chan struct{}
			if stored {
				wait = rec.ready
			}
			c.enqueue("deleted", e.resourceURL(c.id), func(etag string) any { return e.resource(c.id, c.opts, etag) }, wait)
		}
		if c.deleteDue {
			c.pendingDelete--
			if c.pendingDelete <= 0 {
				c.deleteDue = false
				c.notifyCall("deleted")
			}
		}
		c.mu.Unlock()
		if stored {
			s.storeRecording(rec, e, graph.StatusOf(op), op.Outcome, op.Op.RecordingParts())
		} else if op.Op != nil {
			op.Op.Release() // the ended call is kept for its results only
		}
		r := engine.ResultOf(op.Outcome)
		var samples int64
		if op.Op != nil && op.Op.Result().HasRecording {
			sp := op.Op.Span()
			samples = sp.RecordTo - sp.RecordFrom
		}
		kind := kindName(e.kind)
		if s.logging() {
			s.log.Info("operation ended", "call", c.id, "operation", op.ID, "kind", kind, "status", graph.StatusOf(op).String(),
				"completionReason", r.Reason, "code", r.Code, "subcode", r.Subcode, "recordedSamples", samples, "notified", !op.Silent)
		}
	}
}
