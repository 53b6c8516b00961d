package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/media"
)

// tone sends the call updated notification of a digit its subscription
// heard (toneInfo, sequenceId from 1). It runs under the engine call's
// lock (onEvent).
func (c *call) tone(d byte, at int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.toneSeq++
	info := &toneInfo{ODataType: typeToneInfo, SequenceID: c.toneSeq, Tone: graph.ToneName(d)}
	// On the call's timeline (/events) too, without an operation.
	entry := graph.TimelineEntry{Type: "tone", Sample: at, Ms: c.viewRate.Ms(at),
		Detail: fmt.Sprintf("%s (%c), toneInfo sequenceId %d", info.Tone, d, info.SequenceID)}
	if len(c.tones) < maxToneEntries {
		c.tones = append(c.tones, entry)
	}
	if c.s.hub.armed.Load() {
		v := timelineView(entry)
		c.s.hub.publish("event", "created", c.id, v.appendJSON)
	}
	res := c.resource("")
	c.enqueue("updated", "/communications/calls/"+c.id, func(etag string) any {
		r := res
		r.ODataID, r.ODataEtag, r.ToneInfo = "/communications/calls/"+c.id, etag, info
		return r
	}, nil)
	c.s.log.Info("tone heard", "call", c.id, "tone", info.Tone, "sequenceId", info.SequenceID)
}

// maxToneEntries bounds the tone entries a call keeps for /events: a
// caller pressing a key a second for 3 hours.
const maxToneEntries = 10000

// subscribeToTone answers POST …/subscribeToTone: 200 with a completed
// subscribeToToneOperation; from then on every digit on the caller stream
// is sent as a call updated notification with toneInfo
// (docs/call.md#tones), whatever runs in the media queue.
func (s *Server) subscribeToTone(q *request, id string) {
	c := q.liveCall(id)
	if c == nil {
		return
	}
	cc, ok := q.clientContextBody()
	if !ok {
		return
	}
	if st := c.currentState(); st != stateEstablished {
		q.badRequest("state = %s: subscribeToTone needs an established call (answer it first)", st)
		return
	}
	e := &opEntry{id: graph.NewID(), kind: kindSubscribeTone, ver: q.ver, root: q.root(), clientContext: cc, status: graph.Completed, ended: true}
	s.completedOp(q, c, e, func(ec *engine.Call, ev []engine.CallEvent) ([]engine.CallEvent, error) {
		if ec.State().Ended {
			return ev, engine.ErrCallEnded
		}
		return ev, ec.SubscribeTones()
	})
}

// The DTMF sendDtmfTones plays (sim: the Graph docs give none of these).
const (
	// 100 ms a tone: 2.5 times the 40 ms a Q.24 receiver must accept, as
	// a scenario's dtmf segment lasts by default (docs/scenarios.md).
	sendToneMs = 100
	// −10 dBFS a tone of the pair: a scenario's default dtmf level, well
	// inside the −40…−3 dBFS a receiver must accept (docs/detectors.md#dtmf).
	sendToneLevel = -10
	// 300 ms between tones unless the request says: three times the tone,
	// the spacing of a person keying digits.
	defaultToneDelay = 300
	// At most 5 s between tones and 64 tones a request: enough for any
	// number a bot dials, small enough that one request cannot queue
	// hours of outbound audio.
	maxToneDelay    = 5000
	maxTonesPerSend = 64
	// 5 ms raised-cosine edges keep the pair's spectrum clean (no click).
	sendToneRampMs = 5
)

func msDuration(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }

// sendDtmfTones answers POST …/sendDtmfTones: the tones are synthesised
// (Q.23 pairs, 100 ms each) and played on the outbound stream, queued like
// playPrompt: 200 with the sendDtmfTonesOperation, then its completion.
func (s *Server) sendDtmfTones(q *request, id string) {
	c := q.liveCall(id)
	if c == nil {
		return
	}
	var body struct {
		Tones         json.RawMessage `json:"tones"`
		Delay         json.RawMessage `json:"delayBetweenTonesMs"`
		ClientContext json.RawMessage `json:"clientContext"`
	}
	if !q.decodeBody(false, &body) {
		return
	}
	cc, err := parseClientContext(body.ClientContext)
	if err != nil {
		q.badRequest("%v", err)
		return
	}
	var names []string
	if len(body.Tones) == 0 || string(body.Tones) == "null" {
		q.badRequest("tones is required: 1 to %d of tone0…tone9, star, pound, a, b, c, d", maxTonesPerSend)
		return
	}
	if json.Unmarshal(body.Tones, &names) != nil || len(names) == 0 || len(names) > maxTonesPerSend {
		q.badRequest("tones = %s: must be an array of 1 to %d tone names (tone0…tone9, star, pound, a, b, c, d)", shorten(string(body.Tones)), maxTonesPerSend)
		return
	}
	delay := defaultToneDelay
	if len(body.Delay) > 0 && string(body.Delay) != "null" {
		if json.Unmarshal(body.Delay, &delay) != nil || delay < 0 || delay > maxToneDelay {
			q.badRequest("delayBetweenTonesMs = %s: must be a whole number of milliseconds from 0 to %d", shorten(string(body.Delay)), maxToneDelay)
			return
		}
	}
	for i, n := range names {
		if _, ok := graph.ParseTone(n); !ok {
			q.badRequest("tones[%d] = %s: must be tone0…tone9, star, pound, a, b, c or d", i, quote(n))
			return
		}
	}
	pcm, err := dtmfPrompt(names, delay)
	if err != nil {
		q.fail(http.StatusInternalServerError, "InternalServerError", err.Error(), 0)
		return
	}
	if c = q.mediaCall(id, "sendDtmfTones"); c == nil {
		return
	}
	prompt := &engine.PromptAudio{PCM: pcm}
	e := &opEntry{id: graph.NewID(), kind: kindSendDtmf, ver: q.ver, root: q.root(), clientContext: cc, tones: names, toneDelay: delay}
	s.startMedia(q, c, e, nil, prompt, false, func(ec *engine.Call, ev []engine.CallEvent) (*engine.CallOp, []engine.CallEvent, error) {
		return ec.PlayPrompt(e.id, prompt, false, ev)
	})
}

// dtmfPrompt synthesises what sendDtmfTones plays, at the prompt rate:
// each named tone's Q.23 pair for 100 ms, delay ms of silence between.
func dtmfPrompt(names []string, delay int) ([]int16, error) {
	rate := engine.PromptRate
	var pcm []int16
	for i, n := range names {
		d, ok := graph.ParseTone(n)
		if !ok {
			return nil, fmt.Errorf("tone %q: not a tone name", n)
		}
		if i > 0 {
			pcm = append(pcm, media.Silence(int(rate.N(msDuration(delay))))...)
		}
		t, err := media.DTMF(rate, int(rate.N(msDuration(sendToneMs))), media.DTMFSpec{Digit: d, Level: sendToneLevel, Ramp: int(rate.N(msDuration(sendToneRampMs)))})
		if err != nil {
			return nil, fmt.Errorf("tone %s: %w", n, err)
		}
		pcm = append(pcm, t...)
	}
	return pcm, nil
}
