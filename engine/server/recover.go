package server

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/engine/server/store"
	"github.com/recsim/recsim/media"
)

// dbName is the server's database in its data directory.
const dbName = "recsim.db"

// recover rebuilds the state a server left in its data directory (it may
// have been killed): ended calls come back as they were until their
// retention ends; calls that were live end now, as a hang-up would end
// them (a running operation gets the 410/8528 row, without its partial
// recording, which was never stored); undelivered notifications go out
// again, in order, before any new one; each recordings file is cut back
// to what the index holds, and files no call owns are removed
// (docs/server.md#restart).
func (s *Server) recover() error {
	snap, err := s.store.Load()
	if err != nil {
		return err
	}
	now := s.now()
	owned := map[string]bool{}
	restored, ended := 0, 0
	for i := range snap.Calls {
		cs := &snap.Calls[i]
		if !cs.Ended.IsZero() && !now.Before(cs.Ended.Add(cs.Retention)) {
			s.forget(cs.ID)
			continue
		}
		c, err := s.restoreCall(cs)
		if err != nil {
			return err
		}
		owned[c.id+".rec"] = true
		restored++
		if cs.Ended.IsZero() {
			ended++
		}
	}
	// Recordings files of calls the database does not hold (expired, or
	// created just before a crash): removed.
	entries, err := os.ReadDir(s.dataDir)
	if err != nil {
		return err
	}
	removed := 0
	for _, de := range entries {
		if name := de.Name(); strings.HasSuffix(name, ".rec") && !owned[name] && de.Type().IsRegular() {
			if err := os.Remove(filepath.Join(s.dataDir, name)); err == nil {
				removed++
			}
		}
	}
	if restored > 0 || removed > 0 {
		s.log.Info("state recovered", "calls", restored, "endedNow", ended, "orphanFilesRemoved", removed)
	}
	return nil
}

// restoreCall rebuilds one stored call and registers it.
func (s *Server) restoreCall(cs *store.CallState) (*call, error) {
	opts := s.defOpts
	var so savedOptions
	if len(cs.Options) > 0 {
		if err := json.Unmarshal(cs.Options, &so); err != nil {
			return nil, fmt.Errorf("call %s: options %s: %w", cs.ID, shorten(string(cs.Options)), err)
		}
	}
	opts.docsCasing, opts.strictV1, opts.strictCompliance = so.DocsCasing, so.StrictV1, so.StrictCompliance
	opts.silentHangup = false
	if so.Hangup == "silent" {
		opts.silentHangup = true
	}
	opts.retention = cs.Retention
	rs, err := graph.ParseRecordingStatus(cs.RecStatus)
	if err != nil {
		rs = graph.NotRecording
	}
	c := &call{s: s, id: cs.ID, direction: cs.Direction, opts: opts, callbackURI: cs.CallbackURI, created: cs.Created,
		endedAt: cs.Ended, recStatus: rs, ops: map[string]*opEntry{}, state: stateTerminated, rateFixed: true,
		botApp: so.BotApp, chainID: so.ChainID, viewRate: s.defOpts.ops.Rate,
		source: so.Source, targets: so.Targets, participantID: so.ParticipantID, endInfo: so.End}
	if c.botApp == "" {
		c.botApp = s.id.defaultApp()
	}
	if c.chainID == "" {
		c.chainID = graph.NewID()
	}
	c.cond = sync.NewCond(&c.mu)
	c.files.path = filepath.Join(s.dataDir, c.id+".rec")
	// An ended engine call stands in for the one that was lost: the call
	// takes no more media or operations.
	ec, err := engine.NewCall(engine.CallOptions{Ops: opts.ops, SilentHangup: opts.silentHangup, EndOfMedia: opts.eom})
	if err != nil {
		return nil, err
	}
	ec.Hangup(nil)
	c.rate = ec.State().Rate

	// The recordings, and the file cut back to what they cover.
	recs := map[string]*recording{}
	var end int64
	for _, rr := range cs.Recordings {
		r := &recording{id: rr.ID, location: rr.Location, c: c, rate: media.SampleRate(rr.Rate), final: true,
			ready: make(chan struct{}), off: rr.Offset, size: rr.Size}
		copy(r.tokenHash[:], rr.TokenHash)
		close(r.ready)
		recs[rr.ID] = r
		end = max(end, rr.Offset+rr.Size)
	}
	if err := trimFile(c.files.path, end); err != nil {
		// The server starts all the same; these recordings are gone.
		s.log.Warn("recordings not recovered", "call", c.id, "recordings", len(recs), "error", err)
		clear(recs)
		end = 0
		_ = os.Remove(c.files.path)
	}
	c.files.size, c.files.created = end, end > 0

	for _, or := range cs.Operations {
		k, ok := kindOf(or.Kind)
		if !ok {
			return nil, fmt.Errorf("call %s: operation %s: unknown kind %q", c.id, or.ID, or.Kind)
		}
		e := &opEntry{id: or.ID, kind: k, ver: or.Ver, root: or.Root, clientContext: or.ClientContext, stream: or.Stream,
			status: graph.Status(or.Status), outcome: engine.Outcome(or.Outcome), ended: or.Ended, timeline: or.Timeline, created: or.Created}
		if or.RecordingID != "" {
			e.rec = recs[or.RecordingID]
		}
		c.ops[e.id] = e
	}

	// The outbox as it was: delivered and given-up ones for the listing,
	// the others to be sent, in order, from the first not done.
	var pending []*notification
	queued := map[string]bool{} // changeType and resource of the notifications still to go
	for _, nr := range cs.Notifications {
		n := &notification{seq: nr.Seq, changeType: nr.ChangeType, resourceURL: nr.ResourceURL, body: nr.Body,
			attempts: nr.Attempts, delivered: nr.Delivered, done: nr.Done, lastError: nr.LastError}
		c.notes = append(c.notes, n)
		c.seq = max(c.seq, n.seq)
		if !n.done {
			pending = append(pending, n)
			queued[n.changeType+" "+n.resourceURL] = true
		}
	}
	c.seq = max(c.seq, cs.Seq)
	c.next = len(c.notes) - len(pending)

	c.mu.Lock()
	if cs.Ended.IsZero() {
		// Live when the server stopped: it ends now, as a hang-up.
		c.endedAt = s.now()
		c.endInfo = &graph.ResultInfo{ODataType: typeResultInfo, Code: 200, Subcode: 5001,
			Message: "The conversation has ended: the mock server stopped while the call was live."}
		for _, e := range c.sortedOps() {
			if e.ended || !e.media() {
				continue
			}
			e.status, e.outcome, e.ended, e.rec = graph.Failed, engine.OutCallTerminated, true, nil
			s.saveOp(c, e)
			// A completion already in the outbox (its recording was being
			// stored) now says this.
			if !opts.silentHangup && !queued["deleted "+e.resourceURL(c.id)] {
				c.enqueue("deleted", e.resourceURL(c.id), func(etag string) any { return e.resource(c.id, c.opts, etag) }, nil)
			}
		}
		s.saveCall(c)
		if !queued["deleted /communications/calls/"+c.id] {
			c.notifyCall("deleted")
		}
	}
	// A notification whose body was still to be built (it waited for a
	// recording being stored) is built from what the call is now.
	for _, n := range pending {
		if n.body != nil {
			continue
		}
		n.body = c.bodyFor(n)
		s.setNoteBody(c, n)
	}
	if c.next < len(c.notes) && !c.courier {
		c.courier = true
		s.work.add()
		go c.deliverAll()
	}
	c.mu.Unlock()

	s.mu.Lock()
	s.calls[c.id] = c
	for id, r := range recs {
		s.recs[id] = r
	}
	s.mu.Unlock()
	c.rcp.Store(s.runner.Add(c.id, ec))
	return c, nil
}

// sortedOps returns the call's operations in the order they were made.
// The caller holds c.mu.
func (c *call) sortedOps() []*opEntry {
	out := make([]*opEntry, 0, len(c.ops))
	for _, e := range c.ops {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *opEntry) int {
		return cmp.Or(a.created.Compare(b.created), strings.Compare(a.id, b.id))
	})
	return out
}

// bodyFor builds the body of notification n from the call's state now:
// the call itself, or the operation its resourceURL names. The caller
// holds c.mu.
func (c *call) bodyFor(n *notification) []byte {
	etag := fmt.Sprintf(`W/"%d"`, n.seq)
	var data any
	if n.resourceURL == "/communications/calls/"+c.id {
		r := c.resource("")
		r.ODataID, r.ODataEtag = n.resourceURL, etag
		data = r
	} else if i := strings.LastIndex(n.resourceURL, "/operations/"); i >= 0 {
		if e := c.ops[n.resourceURL[i+len("/operations/"):]]; e != nil {
			data = e.resource(c.id, c.opts, etag)
		}
	}
	b, _ := json.Marshal(commsNotifications{ODataType: typeNotifications, Value: []commsNotification{{
		ODataType: typeNotification, ChangeType: n.changeType, ResourceURL: n.resourceURL, ResourceData: data,
	}}})
	return b
}

// trimFile cuts the file at path to size bytes (what the index covers: a
// region appended but not indexed before a crash goes), or removes it
// when nothing of it is indexed. A missing file is fine when size is 0.
func trimFile(path string, size int64) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if size > 0 {
			return fmt.Errorf("%d bytes of recordings are indexed but the file is missing", size)
		}
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case size == 0:
		return os.Remove(path)
	case st.Size() > size:
		return os.Truncate(path, size)
	case st.Size() < size:
		return fmt.Errorf("the file holds %d bytes, the index %d", st.Size(), size)
	}
	return nil
}
