package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// notification is one POST to a call's callbackUri. Its mutable fields
// are guarded by the call's mu.
type notification struct {
	seq         int64
	changeType  string
	resourceURL string
	body        []byte
	wait        <-chan struct{} // closed when its recording is stored or failed to be (nil: nothing to wait for)
	build       func() []byte   // with wait: makes body once wait has closed (under the call's mu)

	attempts  int
	delivered bool
	done      bool // delivered or given up
	lastError string
}

// notificationJSON is a notification as GET …/notifications lists it.
type notificationJSON struct {
	Sequence    int64  `json:"sequence"`
	ChangeType  string `json:"changeType"`
	ResourceURL string `json:"resourceUrl"`
	Attempts    int    `json:"attempts"`
	Delivered   bool   `json:"delivered"`
	LastError   string `json:"lastError,omitempty"`
	// Payload is the POST body (null while it waits to be built).
	Payload json.RawMessage `json:"payload"`
}

// enqueue adds a notification for resource (built by data from the etag)
// to the call's outbox and makes sure its courier runs. The caller holds
// c.mu.
func (c *call) enqueue(changeType, resourceURL string, data func(etag string) any, wait <-chan struct{}) {
	c.seq++
	etag := fmt.Sprintf(`W/"%d"`, c.seq)
	n := &notification{seq: c.seq, changeType: changeType, resourceURL: resourceURL, wait: wait}
	build := func() []byte {
		b, _ := json.Marshal(commsNotifications{ODataType: typeNotifications, Value: []commsNotification{{
			ODataType: typeNotification, ChangeType: changeType, ResourceURL: resourceURL, ResourceData: data(etag),
		}}})
		return b
	}
	if wait == nil {
		n.body = build()
	} else {
		// What it says is known once wait closes (a completion says
		// whether its recording could be stored): built then, under c.mu.
		n.build = build
	}
	c.notes = append(c.notes, n)
	c.s.saveNote(c, n)
	c.publishNote(n, "queued")
	if !c.courier {
		c.courier = true
		c.s.work.add()
		go c.deliverAll()
	}
	c.cond.Broadcast()
}

// hold keeps the call's notifications from going out while a request that
// may cause them is being answered: the bot then sees the answer (e.g. the
// recordOperation Running) before the notifications it caused (in fast mode
// the operation has already ended). release lets them go.
func (c *call) hold() {
	c.mu.Lock()
	c.holds++
	c.mu.Unlock()
}

func (c *call) release() {
	c.mu.Lock()
	c.holds--
	c.cond.Broadcast()
	c.mu.Unlock()
}

// deliverAll is the call's courier: it sends the outbox in order, one
// notification at a time (a retried one keeps its place), and exits when
// the outbox is empty.
func (c *call) deliverAll() {
	s := c.s
	defer s.work.done()
	for {
		c.mu.Lock()
		for c.holds > 0 && !s.closing() {
			c.cond.Wait()
		}
		if c.next >= len(c.notes) || s.closing() {
			c.courier = false
			c.mu.Unlock()
			return
		}
		n := c.notes[c.next]
		c.mu.Unlock()

		if n.wait != nil {
			select {
			case <-n.wait:
			case <-s.quit:
				continue // closing: the loop's check exits
			}
			c.mu.Lock()
			if n.body == nil {
				n.body = n.build()
				s.setNoteBody(c, n)
			}
			c.mu.Unlock()
		}
		c.deliver(n)

		c.mu.Lock()
		c.next++
		c.mu.Unlock()
	}
}

// deliver sends n until the bot acknowledges it (2xx) or the attempts run
// out, backing off exponentially with jitter between attempts.
func (c *call) deliver(n *notification) {
	s := c.s
	nc := s.cfg.Notify
	backoff := nc.Initial
	for {
		c.mu.Lock()
		uri := c.callbackURI
		n.attempts++
		attempt := n.attempts
		c.mu.Unlock()

		err := s.post(c, n.seq, uri, n.body)

		c.mu.Lock()
		if err == nil {
			n.delivered, n.done, n.lastError = true, true, ""
		} else {
			n.lastError = err.Error()
			if attempt >= nc.Attempts {
				n.done = true
			}
		}
		done := n.done
		s.markNote(c, n)
		if n.delivered {
			c.publishNote(n, "delivered")
		} else {
			c.publishNote(n, "failed")
		}
		c.mu.Unlock()
		// (A notification abandoned because the server closes is not marked
		// done in the store: a restart delivers it.)
		if err == nil {
			s.log.Debug("notification delivered", "call", c.id, "sequence", n.seq, "changeType", n.changeType, "resource", n.resourceURL, "attempts", attempt)
			return
		}
		if done {
			s.log.Warn("notification given up", "call", c.id, "sequence", n.seq, "changeType", n.changeType, "resource", n.resourceURL, "attempts", attempt, "error", err)
			return
		}
		s.log.Info("notification retry", "call", c.id, "sequence", n.seq, "attempt", attempt, "error", err)
		// ±25 % jitter keeps many calls that failed together from retrying
		// in lockstep.
		d := time.Duration(float64(backoff) * (0.75 + 0.5*rand.Float64()))
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-s.quit:
			t.Stop()
			c.mu.Lock()
			n.done = true
			n.lastError += " (server closed before it was delivered)"
			c.mu.Unlock()
			return
		}
		backoff = min(2*backoff, nc.Max)
	}
}

// post sends one notification body; nil means the bot acknowledged it.
// It first waits for one of the callback host's delivery slots; the
// attempt's timeout starts once it has one.
func (s *Server) post(c *call, seq int64, uri string, body []byte) error {
	host := uri
	if u, err := url.Parse(uri); err == nil {
		host = u.Host
	}
	if !s.slots.acquire(host, s.cfg.Notify.PerHost, s.quit) {
		return errors.New("server closed before it was sent")
	}
	defer s.slots.release(host)
	ctx, cancel := context.WithTimeout(s.baseCtx, s.cfg.Notify.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := s.signCallback(req, c, seq); err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return fmt.Errorf("no answer within %s", s.cfg.Notify.Timeout)
		}
		return err
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg := strings.Join(strings.Fields(string(b)), " ")
		if msg != "" {
			msg = ": " + shorten(msg)
		}
		return fmt.Errorf("callback answered %d%s", resp.StatusCode, msg)
	}
	return nil
}

func (s *Server) closing() bool {
	select {
	case <-s.quit:
		return true
	default:
		return false
	}
}

// notifications answers GET /recsim/v1/calls/{id}/notifications.
func (s *Server) notifications(q *request, id string) {
	c := s.lookup(id)
	if c == nil {
		q.callNotFound(id)
		return
	}
	c.mu.Lock()
	out := make([]notificationJSON, 0, len(c.notes))
	for _, n := range c.notes {
		out = append(out, n.json())
	}
	c.mu.Unlock()
	q.json(http.StatusOK, map[string]any{"value": out})
}

// hostSlots bounds the POSTs in flight per host. A host's entry exists
// only while it has POSTs in flight or waiting, so the map is bounded by
// the deliveries under way, not by every host ever notified.
type hostSlots struct {
	mu    sync.Mutex
	hosts map[string]*hostSlot
}

type hostSlot struct {
	free  chan struct{} // a token per slot
	users int           // holders and waiters
}

// acquire waits for one of host's n slots; false if quit closed first.
func (h *hostSlots) acquire(host string, n int, quit <-chan struct{}) bool {
	h.mu.Lock()
	if h.hosts == nil {
		h.hosts = map[string]*hostSlot{}
	}
	sl := h.hosts[host]
	if sl == nil {
		sl = &hostSlot{free: make(chan struct{}, n)}
		for range n {
			sl.free <- struct{}{}
		}
		h.hosts[host] = sl
	}
	sl.users++
	h.mu.Unlock()
	select {
	case <-sl.free:
		return true
	case <-quit:
		h.leave(host, sl)
		return false
	}
}

// release gives back a slot acquire returned.
func (h *hostSlots) release(host string) {
	h.mu.Lock()
	sl := h.hosts[host]
	h.mu.Unlock()
	sl.free <- struct{}{}
	h.leave(host, sl)
}

func (h *hostSlots) leave(host string, sl *hostSlot) {
	h.mu.Lock()
	sl.users--
	if sl.users == 0 {
		delete(h.hosts, host)
	}
	h.mu.Unlock()
}
