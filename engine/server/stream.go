package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StreamEvent is one fact of the event stream (docs/server.md#the-event-stream):
// Type is "call", "operation", "event" or "notification"; Data is its
// JSON, as the SSE data line carries it.
type StreamEvent struct {
	ID     int64
	Type   string
	CallID string
	Data   json.RawMessage
}

// Stream sizes. The ring keeps the last ringSize events for resuming
// (Last-Event-ID): about 20 events a recordResponse, so the last 800 or so
// operations, 8 MiB at most. A subscriber's queue holds subBuffer events;
// one that falls that far behind is dropped and resumes from the ring when
// it reconnects, so a slow reader never holds the server up.
const (
	ringSize  = 16384
	subBuffer = 1024
	// heartbeat keeps idle streams (and proxies) alive and finds dead ones.
	heartbeat = 15 * time.Second
)

// hub is the server's event stream: a ring of recent events and the
// subscribers. Publishing costs nothing until the first subscriber.
type hub struct {
	mu    sync.Mutex
	armed bool
	seq   int64
	ring  []StreamEvent // circular once full
	next  int           // where the next event goes
	subs  map[*subscriber]struct{}
}

type subscriber struct {
	call string // "" for every call
	ch   chan StreamEvent
	gone chan struct{} // closed when the hub drops it (it fell behind)
}

// publish adds an event about call callID with data v (marshalled now, so
// v may change afterwards).
func (h *hub) publish(typ, callID string, v any) {
	h.mu.Lock()
	armed := h.armed
	h.mu.Unlock()
	if !armed {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	ev := StreamEvent{ID: h.seq, Type: typ, CallID: callID, Data: b}
	if len(h.ring) < ringSize {
		h.ring = append(h.ring, ev)
	} else {
		h.ring[h.next] = ev
	}
	h.next = (h.next + 1) % ringSize
	for s := range h.subs {
		if s.call != "" && s.call != callID {
			continue
		}
		select {
		case s.ch <- ev:
		default: // fell behind: dropped; it resumes from the ring
			delete(h.subs, s)
			close(s.gone)
		}
	}
}

// subscribe registers a subscriber to call's events ("" all) and returns
// the events after the ID after still in the ring (after < 0: none, from
// now on), and whether the ring still reaches back that far.
func (h *hub) subscribe(call string, after int64) (*subscriber, []StreamEvent, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.armed = true
	s := &subscriber{call: call, ch: make(chan StreamEvent, subBuffer), gone: make(chan struct{})}
	if h.subs == nil {
		h.subs = map[*subscriber]struct{}{}
	}
	h.subs[s] = struct{}{}
	var backlog []StreamEvent
	complete := true
	if after >= 0 {
		n := len(h.ring)
		start := 0
		if n == ringSize {
			start = h.next
		}
		for i := range n {
			ev := h.ring[(start+i)%n]
			if i == 0 && ev.ID > after+1 {
				complete = false // the ring no longer holds what came right after
			}
			if ev.ID > after && (call == "" || ev.CallID == call) {
				backlog = append(backlog, ev)
			}
		}
	}
	return s, backlog, complete
}

func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.gone)
	}
}

// Subscribe returns the events of the stream from now on, for one call
// (callID) or all (""), until ctx ends or the server closes; then the
// channel is closed. It is the in-process form of GET /recsim/v1/stream
// for tests that await a completion instead of polling. A reader that
// falls 1 024 events behind sees its channel closed early.
func (s *Server) Subscribe(ctx context.Context, callID string) <-chan StreamEvent {
	sub, _, _ := s.hub.subscribe(strings.ToLower(callID), -1)
	out := make(chan StreamEvent)
	go func() {
		defer close(out)
		defer s.hub.unsubscribe(sub)
		for {
			select {
			case ev := <-sub.ch:
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				case <-s.quit:
					return
				}
			case <-sub.gone:
				return
			case <-ctx.Done():
				return
			case <-s.quit:
				return
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
	sub, backlog, complete := s.hub.subscribe(call, after)
	defer s.hub.unsubscribe(sub)
	rc := http.NewResponseController(q.w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	h := q.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	q.w.WriteHeader(http.StatusOK)
	write := func(ev StreamEvent) error {
		_, err := fmt.Fprintf(q.w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, ev.Data)
		return err
	}
	// The client reconnects after 1 s if the stream breaks.
	_, _ = fmt.Fprint(q.w, "retry: 1000\n\n")
	if !complete {
		_, _ = fmt.Fprint(q.w, "event: gap\ndata: {\"message\": \"events after the given Last-Event-ID are no longer kept; reload the calls\"}\n\n")
	}
	for _, ev := range backlog {
		if write(ev) != nil {
			return
		}
	}
	_ = rc.Flush()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case ev := <-sub.ch:
			if write(ev) != nil {
				return
			}
			// Write what else is queued before flushing once.
			for more := true; more; {
				select {
				case ev := <-sub.ch:
					if write(ev) != nil {
						return
					}
				default:
					more = false
				}
			}
			if rc.Flush() != nil {
				return
			}
		case <-tick.C:
			if _, err := fmt.Fprint(q.w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-sub.gone:
			return // fell behind; the client resumes from the ring
		case <-q.r.Context().Done():
			return
		case <-s.quit:
			return
		}
	}
}
