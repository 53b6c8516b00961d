package store

import (
	"cmp"
	"slices"
	"sync"
)

// Memory returns a Store keeping everything in process memory (no
// persistence), for tests and embedders. It has the same semantics as the SQLite store: the same keys,
// the same refusals and errors, the same normalisation (times to UTC
// nanoseconds, empty byte slices to nil) and the same Load order.
func Memory() Store {
	return &memory{calls: make(map[string]*memCall), recs: make(map[string]Recording)}
}

type memory struct {
	mu     sync.Mutex
	closed bool
	calls  map[string]*memCall
	recs   map[string]Recording // every recording, by ID (the key is global, as in SQLite)
}

type memCall struct {
	call  Call
	ops   map[string]Operation
	recs  map[string]struct{} // IDs of this call's recordings
	notes map[int64]Notification
}

func (m *memory) PutCall(c Call) error {
	if err := checkCall(c); err != nil {
		return errPutCall(c.ID, err)
	}
	c.Options = cloneBytes(c.Options)
	c.Created, _ = normTime("created", c.Created)
	c.Ended, _ = normTime("ended", c.Ended)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errPutCall(c.ID, ErrClosed)
	}
	if mc, ok := m.calls[c.ID]; ok {
		mc.call = c
		return nil
	}
	m.calls[c.ID] = &memCall{
		call:  c,
		ops:   make(map[string]Operation),
		recs:  make(map[string]struct{}),
		notes: make(map[int64]Notification),
	}
	return nil
}

func (m *memory) PutOperation(o Operation) error {
	if err := checkOperation(o); err != nil {
		return errPutOperation(o.CallID, o.ID, err)
	}
	o.ClientContext = cloneString(o.ClientContext)
	o.Timeline = cloneBytes(o.Timeline)
	o.Created, _ = normTime("created", o.Created)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errPutOperation(o.CallID, o.ID, ErrClosed)
	}
	mc, ok := m.calls[o.CallID]
	if !ok {
		return errPutOperation(o.CallID, o.ID, errNoCall(o.CallID))
	}
	mc.ops[o.ID] = o
	return nil
}

func (m *memory) PutRecording(r Recording) error {
	if err := checkRecording(r); err != nil {
		return errPutRecording(r.ID, err)
	}
	r.TokenHash = cloneBytes(r.TokenHash)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errPutRecording(r.ID, ErrClosed)
	}
	mc, ok := m.calls[r.CallID]
	if !ok {
		return errPutRecording(r.ID, errNoCall(r.CallID))
	}
	if old, ok := m.recs[r.ID]; ok && old.CallID != r.CallID {
		delete(m.calls[old.CallID].recs, r.ID)
	}
	m.recs[r.ID] = r
	mc.recs[r.ID] = struct{}{}
	return nil
}

func (m *memory) AddNotification(n Notification) error {
	if err := checkNotification(n); err != nil {
		return errAddNotification(n.CallID, n.Seq, err)
	}
	if n.Delivered || n.Done {
		n.Body = nil
	}
	n.Body = cloneBytes(n.Body)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errAddNotification(n.CallID, n.Seq, ErrClosed)
	}
	mc, ok := m.calls[n.CallID]
	if !ok {
		return errAddNotification(n.CallID, n.Seq, errNoCall(n.CallID))
	}
	if _, dup := mc.notes[n.Seq]; dup {
		return errAddNotification(n.CallID, n.Seq, ErrDuplicate)
	}
	mc.notes[n.Seq] = n
	return nil
}

func (m *memory) MarkNotification(callID string, seq int64, attempts int, delivered, done bool, lastError string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errMarkNotification(callID, seq, ErrClosed)
	}
	mc, ok := m.calls[callID]
	if !ok {
		return errMarkNotification(callID, seq, ErrNotFound)
	}
	n, ok := mc.notes[seq]
	if !ok {
		return errMarkNotification(callID, seq, ErrNotFound)
	}
	n.Attempts, n.Delivered, n.Done, n.LastError = attempts, delivered, done, lastError
	if delivered || done {
		n.Body = nil
	}
	mc.notes[seq] = n
	return nil
}

func (m *memory) SetNotificationBody(callID string, seq int64, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errSetNotificationBody(callID, seq, ErrClosed)
	}
	mc, ok := m.calls[callID]
	if !ok {
		return errSetNotificationBody(callID, seq, ErrNotFound)
	}
	n, ok := mc.notes[seq]
	if !ok {
		return errSetNotificationBody(callID, seq, ErrNotFound)
	}
	if !n.Delivered && !n.Done {
		n.Body = nil
		if len(body) > 0 {
			n.Body = append([]byte(nil), body...)
		}
	}
	mc.notes[seq] = n
	return nil
}

func (m *memory) DeleteCall(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errDeleteCall(id, ErrClosed)
	}
	mc, ok := m.calls[id]
	if !ok {
		return nil
	}
	for rid := range mc.recs {
		delete(m.recs, rid)
	}
	delete(m.calls, id)
	return nil
}

func (m *memory) Load() (*Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errLoad(ErrClosed)
	}
	snap := &Snapshot{Calls: make([]CallState, 0, len(m.calls))}
	for _, mc := range m.calls {
		cs := CallState{Call: mc.call}
		cs.Options = cloneBytes(cs.Options)
		for _, o := range mc.ops {
			o.ClientContext = cloneString(o.ClientContext)
			o.Timeline = cloneBytes(o.Timeline)
			cs.Operations = append(cs.Operations, o)
		}
		for rid := range mc.recs {
			r := m.recs[rid]
			r.TokenHash = cloneBytes(r.TokenHash)
			cs.Recordings = append(cs.Recordings, r)
		}
		for _, n := range mc.notes {
			n.Body = cloneBytes(n.Body)
			cs.Notifications = append(cs.Notifications, n)
		}
		slices.SortFunc(cs.Operations, func(a, b Operation) int {
			return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
		})
		slices.SortFunc(cs.Recordings, func(a, b Recording) int {
			return cmp.Or(cmp.Compare(a.Offset, b.Offset), cmp.Compare(a.ID, b.ID))
		})
		slices.SortFunc(cs.Notifications, func(a, b Notification) int {
			return cmp.Compare(a.Seq, b.Seq)
		})
		snap.Calls = append(snap.Calls, cs)
	}
	slices.SortFunc(snap.Calls, func(a, b CallState) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return snap, nil
}

func (m *memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.calls, m.recs = nil, nil
	return nil
}
