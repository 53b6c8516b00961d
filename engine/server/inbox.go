package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
)

// inboxSize is how many notifications the inbox keeps: enough for a curl
// session or a small test, bounded so a long run cannot grow it.
const inboxSize = 1000

// inbox is a notification sink built into the server, for people trying
// the mock with curl and no bot: use {root}/recsim/v1/inbox as the
// callbackUri, then GET it to read what arrived.
type inbox struct {
	mu    sync.Mutex
	items []json.RawMessage
}

// serveInbox answers POST /recsim/v1/inbox (202: the notification is
// kept and logged) and GET /recsim/v1/inbox ({"value": [bodies…]}, oldest
// first; ?call=ID keeps one call's).
func (s *Server) serveInbox(q *request) {
	switch q.r.Method {
	case http.MethodPost:
		b, ok := q.jsonBody(false)
		if !ok {
			return
		}
		if !json.Valid(b) {
			q.badRequest("body: not valid JSON")
			return
		}
		s.inbox.mu.Lock()
		s.inbox.items = append(s.inbox.items, json.RawMessage(b))
		if n := len(s.inbox.items); n > inboxSize {
			s.inbox.items = append(s.inbox.items[:0:0], s.inbox.items[n-inboxSize:]...)
		}
		s.inbox.mu.Unlock()
		var n struct {
			Value []struct {
				ChangeType   string `json:"changeType"`
				ResourceURL  string `json:"resourceUrl"`
				ResourceData struct {
					Status           string `json:"status"`
					State            string `json:"state"`
					CompletionReason string `json:"completionReason"`
				} `json:"resourceData"`
			} `json:"value"`
		}
		if json.Unmarshal(b, &n) == nil && len(n.Value) > 0 {
			v := n.Value[0]
			s.log.Info("inbox received", "changeType", v.ChangeType, "resource", v.ResourceURL, "state", v.ResourceData.State,
				"status", v.ResourceData.Status, "completionReason", v.ResourceData.CompletionReason)
		}
		q.w.WriteHeader(http.StatusAccepted)
	case http.MethodGet:
		call := q.r.URL.Query().Get("call")
		s.inbox.mu.Lock()
		items := make([]json.RawMessage, 0, len(s.inbox.items))
		for _, it := range s.inbox.items {
			if call == "" || bytes.Contains(it, []byte(`"/communications/calls/`+call)) {
				items = append(items, it)
			}
		}
		s.inbox.mu.Unlock()
		q.json(http.StatusOK, map[string]any{"value": items})
	default:
		q.notAllowed("GET, POST")
	}
}
