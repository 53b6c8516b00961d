package server

import (
	"crypto/sha256"
	"encoding/json"
	"sort"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/engine/server/store"
)

// The server keeps its state in s.store as it changes, so that a server
// restarted on the same data directory carries on (recover.go;
// docs/server.md#restart). Each save builds its row under the call's mu
// (the caller holds it) and writes it at once: the rows of one call are
// written in the order its changes happened. A write that fails is logged;
// only the recordings index decides an outcome (storeRecording). Without a
// store (a temporary data directory) every save does nothing.

// savedOptions is what a call row keeps of its options: what its ended
// operations and recordings still need.
type savedOptions struct {
	DocsCasing       bool              `json:"docsCasing,omitempty"`
	StrictV1         bool              `json:"strictV1,omitempty"`
	StrictCompliance bool              `json:"strictCompliance,omitempty"`
	Hangup           string            `json:"hangupPolicy,omitempty"`
	BotApp           string            `json:"botApp,omitempty"`
	ChainID          string            `json:"chainId,omitempty"`
	Source           json.RawMessage   `json:"source,omitempty"`
	Targets          json.RawMessage   `json:"targets,omitempty"`
	ParticipantID    string            `json:"myParticipantId,omitempty"`
	End              *graph.ResultInfo `json:"resultInfo,omitempty"`
}

// kindName is an opKind's name in the store; kindOf is its inverse.
func kindName(k opKind) string {
	return [...]string{"recordResponse", "playPrompt", "cancelMediaProcessing", "updateRecordingStatus", "subscribeToTone", "sendDtmfTones"}[k]
}

func kindOf(name string) (opKind, bool) {
	for k := kindRecord; k <= kindSendDtmf; k++ {
		if kindName(k) == name {
			return k, true
		}
	}
	return 0, false
}

// saveCall writes c's row. The caller holds c.mu.
func (s *Server) saveCall(c *call) {
	if s.store == nil {
		return
	}
	o := savedOptions{DocsCasing: c.opts.docsCasing, StrictV1: c.opts.strictV1, StrictCompliance: c.opts.strictCompliance,
		BotApp: c.botApp, ChainID: c.chainID, Source: c.source, Targets: c.targets, ParticipantID: c.participantID, End: c.endInfo}
	if c.opts.silentHangup {
		o.Hangup = "silent"
	}
	b, _ := json.Marshal(o)
	s.logStore(s.store.PutCall(store.Call{ID: c.id, Direction: c.direction, State: c.state.String(), CallbackURI: c.callbackURI,
		RecStatus: c.recStatus.String(), Options: b, Seq: c.seq, Created: c.created, Ended: c.endedAt, Retention: c.opts.retention}))
}

// saveOp writes e's row. The caller holds c.mu.
func (s *Server) saveOp(c *call, e *opEntry) {
	if s.store == nil {
		return
	}
	row := store.Operation{CallID: c.id, ID: e.id, Kind: kindName(e.kind), Ver: e.ver, Root: e.root, ClientContext: e.clientContext,
		Status: int(e.status), Outcome: int(e.outcome), Ended: e.ended, Stream: e.stream, Timeline: e.timeline, Created: e.created}
	if e.rec != nil && e.ended {
		row.RecordingID = e.rec.id
	}
	s.logStore(s.store.PutOperation(row))
}

// saveRecording writes the index row of r, just stored at [off, off+size)
// of its call's file. Unlike the other saves its error matters: a
// recording the index does not hold could not be found after a restart.
func (s *Server) saveRecording(r *recording, opID string, off, size int64) error {
	if s.store == nil {
		return nil
	}
	return s.store.PutRecording(store.Recording{ID: r.id, CallID: r.c.id, OpID: opID, TokenHash: r.tokenHash[:],
		Location: r.location, Offset: off, Size: size, Rate: int(r.rate)})
}

// saveNote adds n to the stored outbox of c. The caller holds c.mu.
func (s *Server) saveNote(c *call, n *notification) {
	if s.store == nil {
		return
	}
	s.logStore(s.store.AddNotification(store.Notification{CallID: c.id, Seq: n.seq, ChangeType: n.changeType,
		ResourceURL: n.resourceURL, Body: n.body}))
}

// markNote records n's last attempt, and setNoteBody the body it was
// built with once its recording was stored. The caller holds c.mu.
func (s *Server) markNote(c *call, n *notification) {
	if s.store != nil {
		s.logStore(s.store.MarkNotification(c.id, n.seq, n.attempts, n.delivered, n.done, n.lastError))
	}
}

func (s *Server) setNoteBody(c *call, n *notification) {
	if s.store != nil {
		s.logStore(s.store.SetNotificationBody(c.id, n.seq, n.body))
	}
}

// forget removes a call whose retention has ended.
func (s *Server) forget(id string) {
	if s.store != nil {
		s.logStore(s.store.DeleteCall(id))
	}
}

// keepsTimelines reports whether ended operations' timelines are kept as
// JSON: only a store needs them (a restarted server serves /events from
// them); otherwise the engine's operations still hold their timelines.
func (s *Server) keepsTimelines() bool { return s.store != nil }

func (s *Server) logStore(err error) {
	if err != nil {
		s.log.Error("store write failed", "error", err)
	}
}

// hashToken is what the store and the server compare bearer tokens by.
func hashToken(tok string) [sha256.Size]byte { return sha256.Sum256([]byte(tok)) }

// timelineOf returns the JSON of an ended operation's timeline (nil for
// operations that have none).
func timelineOf(op *engine.CallOp) []byte {
	if op == nil || op.Op == nil {
		return nil
	}
	b, _ := json.Marshal(appendEntries(nil, op))
	return b
}

// appendEntries appends op's timeline, as /events shows it, to dst.
func appendEntries(dst []graph.TimelineEntry, op *engine.CallOp) []graph.TimelineEntry {
	rate := op.Op.Span().Rate
	for _, ev := range op.Op.Timeline() {
		dst = append(dst, graph.Entry(ev, rate, op.ID))
	}
	return dst
}

// sortEntries orders timeline entries by sample, stably.
func sortEntries(out []graph.TimelineEntry) {
	sort.SliceStable(out, func(i, j int) bool { return out[i].Sample < out[j].Sample })
}
