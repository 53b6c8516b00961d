package inspector_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/recsim/recsim/engine/server/inspector"
)

// This file is a fake of the API the inspector page talks to (the
// simulation surface under /recsim/v1, the few Graph actions, a recording
// URL behind its access token), with canned state the test evolves by
// hand. It follows the contract in docs/server.md, not the real server.

type fakeOp struct {
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

type fakeCall struct {
	ID              string   `json:"id"`
	State           string   `json:"state"`
	Direction       string   `json:"direction"`
	CallbackURI     string   `json:"callbackUri"`
	CreatedDateTime string   `json:"createdDateTime"`
	EndedDateTime   *string  `json:"endedDateTime"`
	Rate            int      `json:"rate"`
	Operations      []fakeOp `json:"operations"`
}

type fakeEntry struct {
	Type        string  `json:"type"`
	Sample      int64   `json:"sample"`
	Ms          float64 `json:"ms"`
	OperationID string  `json:"operationId,omitempty"`
	Detail      string  `json:"detail,omitempty"`
}

type fakeNotif struct {
	Sequence    int    `json:"sequence"`
	ChangeType  string `json:"changeType"`
	ResourceURL string `json:"resourceUrl"`
	Attempts    int    `json:"attempts"`
	Delivered   bool   `json:"delivered"`
	LastError   string `json:"lastError,omitempty"`
	Payload     any    `json:"payload"`
}

// resume is what the fake saw of the first stream request after a drop.
type resume struct {
	lastEventID string
	backlog     int // events replayed after it
}

type sseEvent struct {
	id   int
	typ  string
	data []byte
}

type fake struct {
	t     *testing.T
	token string // when set, /recsim/v1 asks for "Bearer token"
	rate  int

	mu       sync.Mutex
	calls    []*fakeCall // oldest first
	entries  map[string][]fakeEntry
	notifs   map[string][]fakeNotif
	log      []sseEvent
	subs     map[chan sseEvent]chan struct{} // subscriber -> closed to drop its stream
	resumed  chan resume                     // each stream opened with Last-Event-ID, once dropped
	dropped  bool
	nextCall int
	nextOp   int
	recAuth  []string // Authorization headers seen on recording downloads
	requests []string // "METHOD path" of every API request
	done     chan struct{}
	ts       *httptest.Server
}

// newFake starts the fake with the inspector mounted at /; the server
// stops (streams first) when the test ends.
func newFake(t *testing.T, token string) *fake {
	f := &fake{t: t, token: token, rate: 16000, entries: map[string][]fakeEntry{}, notifs: map[string][]fakeNotif{},
		subs: map[chan sseEvent]chan struct{}{}, resumed: make(chan resume, 8), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.Handle("/", inspector.Handler())
	mux.HandleFunc("/recsim/v1/", f.control)
	mux.HandleFunc("POST /v1.0/communications/calls/{id}/{action}", f.graph)
	mux.HandleFunc("GET /fake/recordings/{op}", f.recording)
	f.ts = httptest.NewServer(mux)
	t.Cleanup(f.ts.Close)
	t.Cleanup(func() { close(f.done) }) // runs before Close: ends the streams
	return f
}

func (f *fake) url() string { return f.ts.URL }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func graphError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// publish appends one event to the stream log and hands it to every
// subscriber; callers hold f.mu.
func (f *fake) publishLocked(typ string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		f.t.Errorf("fake: %v", err)
		return
	}
	ev := sseEvent{id: len(f.log) + 1, typ: typ, data: data}
	f.log = append(f.log, ev)
	for ch := range f.subs {
		select {
		case ch <- ev:
		default:
			f.t.Errorf("fake: a stream subscriber is %d events behind", cap(ch))
		}
	}
}

func (f *fake) findLocked(id string) *fakeCall {
	for _, c := range f.calls {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// callEvent is a call without its operations, as the stream may send it.
func callEvent(c *fakeCall) fakeCall {
	cp := *c
	cp.Operations = nil
	return cp
}

func (f *fake) authorized(r *http.Request) bool {
	return f.token == "" || r.Header.Get("Authorization") == "Bearer "+f.token
}

func (f *fake) control(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	if !f.authorized(r) {
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "the control token is missing or wrong")
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, "/recsim/v1/")
	parts := strings.Split(rest, "/")
	switch {
	case rest == "stream" && r.Method == http.MethodGet:
		f.stream(w, r)
	case rest == "calls" && r.Method == http.MethodGet:
		f.list(w, r)
	case rest == "calls" && r.Method == http.MethodPost:
		var body struct {
			CallbackURI string `json:"callbackUri"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.CallbackURI == "" {
			graphError(w, http.StatusBadRequest, "BadRequest", "callbackUri is required")
			return
		}
		writeJSON(w, http.StatusCreated, f.Ring(body.CallbackURI))
	case len(parts) >= 2 && parts[0] == "calls":
		f.callRoute(w, r, parts[1], parts[2:])
	default:
		graphError(w, http.StatusNotFound, "NotFound", "no such resource")
	}
}

func (f *fake) list(w http.ResponseWriter, r *http.Request) {
	top, _ := strconv.Atoi(r.URL.Query().Get("top"))
	skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
	f.mu.Lock()
	defer f.mu.Unlock()
	var page []fakeCall
	for i := len(f.calls) - 1 - skip; i >= 0 && len(page) < top; i-- {
		page = append(page, *f.calls[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": page, "count": len(f.calls)})
}

func (f *fake) callRoute(w http.ResponseWriter, r *http.Request, id string, sub []string) {
	f.mu.Lock()
	c := f.findLocked(id)
	if c == nil {
		f.mu.Unlock()
		graphError(w, http.StatusNotFound, "NotFound", "no call "+id)
		return
	}
	what := strings.Join(sub, "/")
	switch {
	case what == "" && r.Method == http.MethodGet:
		cp := *c
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, cp)
	case what == "events" && r.Method == http.MethodGet:
		v := append([]fakeEntry{}, f.entries[id]...)
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"value": v})
	case what == "notifications" && r.Method == http.MethodGet:
		v := append([]fakeNotif{}, f.notifs[id]...)
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"value": v})
	case what == "audio/caller" && r.Method == http.MethodGet:
		f.mu.Unlock()
		w.Header().Set("Content-Type", "audio/wav")
		_, _ = w.Write(wavTone(f.rate, 4.0, 1.8, 2.6))
	case what == "audio/outbound" && r.Method == http.MethodGet:
		f.mu.Unlock()
		graphError(w, http.StatusNotFound, "NotFound", "no outbound audio yet")
	case what == "cancel" && r.Method == http.MethodPost:
		f.mu.Unlock()
		graphError(w, http.StatusBadRequest, "8500", "nothing to cancel on this fake")
	case what == "hangup" && r.Method == http.MethodPost:
		f.mu.Unlock()
		f.SetState(id, "terminated")
		w.WriteHeader(http.StatusNoContent)
	case what == "media" && r.Method == http.MethodPut:
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		f.mu.Unlock()
		graphError(w, http.StatusNotFound, "NotFound", "no such resource")
	}
}

func (f *fake) graph(w http.ResponseWriter, r *http.Request) {
	id, action := r.PathValue("id"), r.PathValue("action")
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	c := f.findLocked(id)
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer inspector" {
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "the page must send its Graph bearer")
		return
	}
	if c == nil {
		graphError(w, http.StatusNotFound, "NotFound", "no call "+id)
		return
	}
	switch action {
	case "answer":
		f.SetState(id, "established")
		w.WriteHeader(http.StatusAccepted)
	case "recordResponse":
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			graphError(w, http.StatusBadRequest, "BadRequest", "the body is not JSON")
			return
		}
		if _, ok := body["stopTones"]; !ok {
			graphError(w, http.StatusBadRequest, "BadRequest", "the fake wants stopTones")
			return
		}
		writeJSON(w, http.StatusOK, f.StartRecord(id))
	default:
		graphError(w, http.StatusNotFound, "NotFound", "no action "+action)
	}
}

func (f *fake) recording(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.recAuth = append(f.recAuth, r.Header.Get("Authorization"))
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer rec-"+r.PathValue("op") {
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "wrong recording token")
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	_, _ = w.Write(wavTone(f.rate, 1.0, 0.2, 0.8))
}

func (f *fake) stream(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "no flusher", http.StatusInternalServerError)
		return
	}
	after, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
	ch, kick := make(chan sseEvent, 256), make(chan struct{})
	f.mu.Lock()
	var backlog []sseEvent
	if r.Header.Get("Last-Event-ID") != "" {
		for _, ev := range f.log {
			if ev.id > after {
				backlog = append(backlog, ev)
			}
		}
	}
	f.subs[ch] = kick
	if f.dropped {
		f.dropped = false
		f.resumed <- resume{lastEventID: r.Header.Get("Last-Event-ID"), backlog: len(backlog)}
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.subs, ch) // a no-op once dropped
		f.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	// A short retry keeps the reconnect test fast.
	fmt.Fprint(w, ": hello\nretry: 100\n\n")
	write := func(ev sseEvent) {
		fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.id, ev.typ, ev.data)
	}
	for _, ev := range backlog {
		write(ev)
	}
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-f.done:
			return
		case <-kick:
			return
		case ev := <-ch:
			write(ev)
			fl.Flush()
		}
	}
}

// ---- what the test does to the fake ----

// Ring adds an incoming call and announces it.
func (f *fake) Ring(callback string) fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextCall++
	c := &fakeCall{ID: fmt.Sprintf("call-%d", f.nextCall), State: "incoming", Direction: "incoming", CallbackURI: callback,
		CreatedDateTime: fmt.Sprintf("2026-01-02T03:04:%02dZ", f.nextCall), Rate: f.rate, Operations: []fakeOp{}}
	f.calls = append(f.calls, c)
	f.publishLocked("call", callEvent(c))
	return *c
}

// SetState changes a call's state and announces it in the envelope shape
// (type/phase/body), which the page accepts as well.
func (f *fake) SetState(id, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.findLocked(id)
	c.State = state
	if state == "terminated" {
		end := "2026-01-02T03:05:00Z"
		c.EndedDateTime = &end
	}
	f.publishLocked("call", map[string]any{"type": "call", "phase": "updated", "callId": id, "sequence": len(f.log) + 1,
		"at": "2026-01-02T03:04:30Z", "body": callEvent(c)})
}

// StartRecord adds a running recordResponse operation and announces it.
func (f *fake) StartRecord(callID string) fakeOp {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextOp++
	op := fakeOp{ID: fmt.Sprintf("op-%d", f.nextOp), Kind: "recordResponse", Status: "Running"}
	c := f.findLocked(callID)
	c.Operations = append(c.Operations, op)
	f.publishLocked("operation", map[string]any{"callId": callID, "operation": op})
	return op
}

// CompleteRecord ends an operation with a recording offered at
// /fake/recordings/{op} behind the token rec-{op}.
func (f *fake) CompleteRecord(callID, opID, reason string, code, subcode int) fakeOp {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.findLocked(callID)
	for i := range c.Operations {
		op := &c.Operations[i]
		if op.ID != opID {
			continue
		}
		loc := f.ts.URL + "/fake/recordings/" + opID
		tok := "rec-" + opID
		op.Status, op.CompletionReason, op.Code, op.Subcode = "Completed", &reason, &code, &subcode
		op.RecordingLocation, op.RecordingAccessToken = &loc, &tok
		f.publishLocked("operation", map[string]any{"callId": callID, "operation": *op})
		return *op
	}
	f.t.Fatalf("fake: no operation %s", opID)
	return fakeOp{}
}

// Entry appends a timeline entry at ms on the caller stream.
func (f *fake) Entry(callID, opID, typ string, ms float64, detail string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := fakeEntry{Type: typ, Sample: int64(math.Round(ms * float64(f.rate) / 1000)), Ms: ms, OperationID: opID, Detail: detail}
	f.entries[callID] = append(f.entries[callID], e)
	f.publishLocked("event", map[string]any{"callId": callID, "entry": e})
}

// Notify records and announces a notification's state.
func (f *fake) Notify(callID string, n fakeNotif) {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := f.notifs[callID]
	found := false
	for i := range list {
		if list[i].Sequence == n.Sequence {
			list[i], found = n, true
		}
	}
	if !found {
		list = append(list, n)
	}
	f.notifs[callID] = list
	f.publishLocked("notification", map[string]any{"callId": callID, "notification": n})
}

// DropStreamsThenNotify ends every open stream and, before any can
// reconnect, records n: only a resume with Last-Event-ID can bring it.
func (f *fake) DropStreamsThenNotify(callID string, n fakeNotif) {
	f.mu.Lock()
	for ch, kick := range f.subs {
		close(kick)
		delete(f.subs, ch)
	}
	f.dropped = true
	f.notifs[callID] = append(f.notifs[callID], n)
	f.publishLocked("notification", map[string]any{"callId": callID, "notification": n})
	f.mu.Unlock()
}

func (f *fake) recordingAuth() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.recAuth...)
}

func (f *fake) seen(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

// wavTone is a mono 16-bit PCM WAV of seconds at rate, silent but for a
// 440 Hz tone at -6 dBFS from 'from' to 'to' seconds.
func wavTone(rate int, seconds, from, to float64) []byte {
	n := int(math.Round(seconds * float64(rate)))
	b := make([]byte, 44+2*n)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*n))
	for i := range n {
		t := float64(i) / float64(rate)
		if t >= from && t < to {
			s := int16(16384 * math.Sin(2*math.Pi*440*t))
			binary.LittleEndian.PutUint16(b[44+2*i:], uint16(s))
		}
	}
	return b
}
