package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// StreamEvent is one fact of the event stream (docs/server.md#the-event-stream):
// Type is "call", "operation", "event" or "notification"; Data is its
// JSON, as the SSE data line carries it: {"type", "phase", "callId",
// "sequence", "at", "body"}.
type StreamEvent struct {
	ID     int64
	Type   string
	CallID string
	Data   json.RawMessage
	frame  []byte // the whole SSE frame (in the ring only; Data is a part of it)
}

// Stream sizes. The ring keeps the last ringSize events for resuming
// (Last-Event-ID) and for readers to catch up from: about 25 events a
// recordResponse, so the last 160 or so operations, 4–6 MiB. It is kept
// that small because every fact is written into its slot: with 16 384
// slots (16–24 MiB, beyond the caches) the writes missed the cache and a
// completion's facts cost twice the CPU (BenchmarkStreamCompletion: 1.27 %
// of a core at 1 000 completions/s against 0.62–0.70 % with 4 096). A
// reader wakes at most every batchEvery and takes everything new at once,
// so a busy stream costs one wake-up per batch, not one per event.
const (
	ringSize   = 4096
	batchEvery = 20 * time.Millisecond
	// heartbeat keeps idle streams (and proxies) alive and finds dead ones.
	heartbeat = 15 * time.Second
)

// hub is the server's event stream: a ring of recent events, read by each
// subscriber from its own position. Publishing costs nothing until the
// first subscriber.
type hub struct {
	now func() time.Time // the "at" of each fact
	// atSec and atText cache the "at" of the last second (formatting a
	// time is a tenth of a fact's cost). Under mu.
	atSec  int64
	atText []byte
	armed  atomic.Bool
	mu     sync.Mutex
	seq    int64         // the last event's ID
	ring   []StreamEvent // event id at ring[(id-1) % ringSize]
	subs   []*subscriber // a slice: publishing walks it on every fact
}

type subscriber struct {
	call string        // "" for every call
	wake chan struct{} // signalled (without blocking) when there is more
	last int64         // the last ID it has read (under hub.mu)
}

// publish adds a fact of type typ and phase about call callID whose body
// enc appends (run now, under the hub's lock, into the buffer of the ring
// slot it takes: the ring reuses its buffers, so publishing allocates
// nothing once the ring has filled).
func (h *hub) publish(typ, phase, callID string, enc func([]byte) []byte) {
	if !h.armed.Load() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	if len(h.ring) < ringSize {
		h.ring = append(h.ring, StreamEvent{})
	}
	slot := &h.ring[(h.seq-1)%ringSize]
	slot.ID, slot.Type, slot.CallID = h.seq, typ, callID
	// The whole SSE frame is made once, here; readers copy it as it is.
	b := append(slot.frame[:0], "id: "...)
	b = strconv.AppendInt(b, h.seq, 10)
	b = append(b, "\nevent: "...)
	b = append(b, typ...)
	b = append(b, "\ndata: "...)
	data := len(b)
	b = appendPlain(field(b, true, "type"), typ)
	b = appendPlain(field(b, false, "phase"), phase)
	b = appendPlain(field(b, false, "callId"), callID)
	b = strconv.AppendInt(field(b, false, "sequence"), h.seq, 10)
	b = h.appendAt(field(b, false, "at"))
	b = enc(field(b, false, "body"))
	b = append(b, '}')
	end := len(b)
	b = append(b, '\n', '\n')
	slot.frame, slot.Data = b, json.RawMessage(b[data:end:end])
	for _, s := range h.subs {
		if s.call == "" || s.call == callID {
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
}

// subscribe registers a subscriber to call's events ("" all) that reads
// from after the event with ID after (< 0: from now on).
func (h *hub) subscribe(call string, after int64) *subscriber {
	h.armed.Store(true)
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &subscriber{call: call, wake: make(chan struct{}, 1), last: h.seq}
	if after >= 0 && after < h.seq {
		s.last = after
		s.wake <- struct{}{}
	}
	h.subs = append(h.subs, s)
	return s
}

func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	h.subs = slices.DeleteFunc(h.subs, func(x *subscriber) bool { return x == s })
	h.mu.Unlock()
}

// read appends to dst copies of the subscriber's events after the last it
// read, and reports whether some were lost (they left the ring before it
// read them).
func (h *hub) read(s *subscriber, dst []StreamEvent) ([]StreamEvent, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	lost := h.lost(s)
	h.each(s, func(ev *StreamEvent) {
		dst = append(dst, StreamEvent{ID: ev.ID, Type: ev.Type, CallID: ev.CallID, Data: append(json.RawMessage(nil), ev.Data...)})
	})
	return dst, lost
}

// readSSE appends the subscriber's new events to buf as SSE frames (id,
// event, data), a gap event first if some were lost.
func (h *hub) readSSE(s *subscriber, buf []byte) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lost(s) {
		buf = append(buf, "event: reset\ndata: {\"type\": \"reset\", \"message\": \"events after the given Last-Event-ID are no longer kept; reload the calls\"}\n\n"...)
	}
	h.each(s, func(ev *StreamEvent) { buf = append(buf, ev.frame...) })
	return buf
}

// each calls f for the subscriber's events after the last it read, in
// order, and moves it past them. The caller holds h.mu.
func (h *hub) each(s *subscriber, f func(*StreamEvent)) {
	for id := max(s.last+1, h.oldest()); id <= h.seq; id++ {
		ev := &h.ring[(id-1)%ringSize]
		if s.call == "" || ev.CallID == s.call {
			f(ev)
		}
	}
	s.last = h.seq
}

// oldest is the ID of the oldest event the ring holds; lost reports
// whether events after the subscriber's last have left it unread. The
// caller holds h.mu.
func (h *hub) oldest() int64 { return max(h.seq-int64(len(h.ring))+1, 1) }

func (h *hub) lost(s *subscriber) bool { return s.last+1 < h.oldest() }

// Subscribe returns the events of the stream from now on, for one call
// (callID) or all (""), until ctx ends or the server closes; then the
// channel is closed. It is the in-process form of GET /recsim/v1/stream
// for tests that await a completion instead of polling. A reader that
// falls more than 4 096 events behind sees its channel closed early
// rather than miss some.
func (s *Server) Subscribe(ctx context.Context, callID string) <-chan StreamEvent {
	sub := s.hub.subscribe(strings.ToLower(callID), -1)
	out := make(chan StreamEvent)
	go func() {
		defer close(out)
		defer s.hub.unsubscribe(sub)
		var batch []StreamEvent
		for {
			select {
			case <-sub.wake:
			case <-ctx.Done():
				return
			case <-s.quit:
				return
			}
			var lost bool
			batch, lost = s.hub.read(sub, batch[:0])
			if lost {
				return
			}
			for _, ev := range batch {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				case <-s.quit:
					return
				}
			}
		}
	}()
	return out
}

// stream answers GET /recsim/v1/stream: Server-Sent Events, one per fact,
// resumable with Last-Event-ID (or ?lastEventId=), for one call with
// ?call=ID.
func (s *Server) stream(q *request) {
	if !q.method(http.MethodGet) {
		return
	}
	call := strings.ToLower(q.r.URL.Query().Get("call"))
	if call != "" && s.lookup(call) == nil {
		q.callNotFound(call)
		return
	}
	after := int64(-1)
	last := q.r.Header.Get("Last-Event-ID")
	if last == "" {
		last = q.r.URL.Query().Get("lastEventId")
	}
	if last != "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			q.badRequest("Last-Event-ID = %s: must be the id of an event of this stream (a whole number)", quote(last))
			return
		}
		after = n
	}
	sub := s.hub.subscribe(call, after)
	defer s.hub.unsubscribe(sub)
	rc := http.NewResponseController(q.w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	h := q.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	q.w.WriteHeader(http.StatusOK)
	// The client reconnects after 1 s if the stream breaks.
	if _, err := io.WriteString(q.w, "retry: 1000\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	var buf []byte
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-sub.wake:
		case <-tick.C:
			if _, err := io.WriteString(q.w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
			continue
		case <-q.r.Context().Done():
			return
		case <-s.quit:
			return
		}
		buf = s.hub.readSSE(sub, buf[:0])
		if _, err := q.w.Write(buf); err != nil || rc.Flush() != nil {
			return
		}
		// At most one batch every 20 ms: what comes meanwhile waits for
		// the next (one wake-up and one write per batch).
		t := time.NewTimer(batchEvery)
		select {
		case <-t.C:
		case <-q.r.Context().Done():
			t.Stop()
			return
		case <-s.quit:
			t.Stop()
			return
		}
	}
}

// appendAt appends now as a quoted RFC 3339 UTC time with milliseconds.
// The caller holds h.mu.
func (h *hub) appendAt(b []byte) []byte {
	at := time.Now()
	if h.now != nil {
		at = h.now()
	}
	at = at.UTC()
	if sec := at.Unix(); sec != h.atSec || h.atText == nil {
		h.atSec, h.atText = sec, at.AppendFormat(h.atText[:0], "2006-01-02T15:04:05")
	}
	b = append(b, '"')
	b = append(b, h.atText...)
	ms := at.Nanosecond() / 1e6
	b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z', '"')
	return b
}
