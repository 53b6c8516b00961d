package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/server"
)

// quickRetry makes back-off tiny so retries take milliseconds.
func quickRetry(attempts int, timeout time.Duration) server.NotifyConfig {
	return server.NotifyConfig{Initial: time.Millisecond, Max: 4 * time.Millisecond, Attempts: attempts, Timeout: timeout}
}

type noteLog struct {
	Sequence   int64  `json:"sequence"`
	ChangeType string `json:"changeType"`
	Resource   string `json:"resourceUrl"`
	Attempts   int    `json:"attempts"`
	Delivered  bool   `json:"delivered"`
	LastError  string `json:"lastError"`
}

func (m *mock) noteLog(id string) []noteLog {
	m.t.Helper()
	var ns struct{ Value []noteLog }
	r := m.send("GET", "/recsim/v1/calls/"+id+"/notifications", nil)
	require.Equal(m.t, http.StatusOK, r.Status)
	require.NoError(m.t, json.Unmarshal(r.Body, &ns))
	return ns.Value
}

// drain waits until every notification has been delivered or given up.
func (m *mock) drain() {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(m.t, m.srv.Shutdown(ctx))
}

func TestNotificationsRetriedAfter500sArriveOnceEachInOrder(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	cfg := fast()
	cfg.Notify = quickRetry(5, 5*time.Second)
	m := newMock(t, cfg, func(_ int, body []byte) int {
		mu.Lock()
		defer mu.Unlock()
		seen[string(body)]++
		if seen[string(body)] <= 2 { // 500 twice, then 200
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	id := m.established("")
	m.script(id, speakThenPound)
	var ops []string
	for range 3 {
		ops = append(ops, m.record(id, `{"stopTones": ["#"]}`)["id"].(string))
		m.script(id, speakThenPound)
	}
	r := m.graph("DELETE", "/v1.0/communications/calls/"+id, "")
	require.Equal(t, http.StatusNoContent, r.Status)
	m.drain()

	got := m.bot.all()
	var order []string
	for _, n := range got {
		order = append(order, n.ChangeType+" "+n.ResourceURL)
	}
	want := []string{"created /communications/calls/" + id, "updated /communications/calls/" + id}
	for _, op := range ops {
		want = append(want, "deleted /communications/calls/"+id+"/operations/"+op)
	}
	want = append(want, "deleted /communications/calls/"+id)
	assert.Equal(t, want, order, "each exactly once, in order")
	for i, n := range got {
		assert.Equal(t, fmt.Sprintf(`W/"%d"`, i+1), n.str("@odata.etag"))
	}
	assert.Equal(t, 3*len(want), m.bot.postCount(), "two failures and one success each")
	for _, n := range m.noteLog(id) {
		assert.True(t, n.Delivered)
		assert.Equal(t, 3, n.Attempts)
		assert.Empty(t, n.LastError)
	}
}

func TestANotificationWithNoAnswerIsRetried(t *testing.T) {
	var mu sync.Mutex
	stalls := 0
	release := make(chan struct{})
	defer close(release)
	cfg := fast()
	cfg.Notify = quickRetry(5, 50*time.Millisecond)
	m := newMock(t, cfg, nil)
	// The first POST hangs until the server gives up on it.
	m.bot.setRespond(func(n int, _ []byte) int {
		if n == 0 {
			mu.Lock()
			stalls++
			mu.Unlock()
			select {
			case <-release:
			case <-time.After(5 * time.Second):
			}
			return http.StatusServiceUnavailable // too late: nobody listens
		}
		return http.StatusOK
	})
	id := m.incoming("")
	m.drain()
	log := m.noteLog(id)
	require.Len(t, log, 1)
	assert.True(t, log[0].Delivered)
	assert.Equal(t, 2, log[0].Attempts, "the unanswered attempt and the one that was acknowledged")
	mu.Lock()
	assert.Equal(t, 1, stalls)
	mu.Unlock()
}

func TestUndeliveredNotificationsAreKeptAndListed(t *testing.T) {
	cfg := fast()
	cfg.Notify = quickRetry(3, time.Second)
	m := newMock(t, cfg, func(int, []byte) int { return http.StatusInternalServerError })
	r := m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+m.bot.URL+`"}`), "Content-Type", "application/json")
	require.Equal(t, http.StatusCreated, r.Status)
	id := r.json(t)["id"].(string)
	require.Equal(t, http.StatusAccepted, m.graph("POST", "/v1.0/communications/calls/"+id+"/answer", "").Status)
	m.drain()
	log := m.noteLog(id)
	require.Len(t, log, 2)
	for i, n := range log {
		assert.Equal(t, int64(i+1), n.Sequence)
		assert.False(t, n.Delivered)
		assert.Equal(t, 3, n.Attempts)
		assert.Contains(t, n.LastError, "500")
	}
	assert.Equal(t, []string{"created", "updated"}, []string{log[0].ChangeType, log[1].ChangeType})
	assert.Equal(t, 6, m.bot.postCount(), "the second waited until the first was given up")
	assert.Empty(t, m.bot.all())
}

func TestAnUnreachableBotIsRetriedAndListed(t *testing.T) {
	cfg := fast()
	cfg.Notify = quickRetry(2, time.Second)
	m := newMock(t, cfg, nil)
	m.bot.Close() // nothing listens at the callbackUri any more
	r := m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+m.bot.URL+`"}`), "Content-Type", "application/json")
	require.Equal(t, http.StatusCreated, r.Status)
	m.drain()
	log := m.noteLog(r.json(t)["id"].(string))
	require.Len(t, log, 1)
	assert.False(t, log[0].Delivered)
	assert.Equal(t, 2, log[0].Attempts)
	assert.NotEmpty(t, log[0].LastError)
}

func TestTheBotSeesTheAnswerBeforeTheNotificationsItCaused(t *testing.T) {
	// In fast mode the operation has ended before the POST is answered; its
	// completion is held until the answer has been written.
	m := newMock(t, fast(), nil)
	id := m.established("")
	m.script(id, speakThenPound)
	before := m.bot.postCount()
	w := &probeWriter{ResponseRecorder: httptest.NewRecorder(), probe: m.bot.postCount}
	req := httptest.NewRequest("POST", "/v1.0/communications/calls/"+id+"/recordResponse", strings.NewReader(`{"stopTones": ["#"]}`))
	req.Header.Set("Authorization", bearer)
	req.Header.Set("Content-Type", "application/json")
	m.srv.ServeHTTP(w, req)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, []int{before}, w.seen, "no notification had gone out when the answer was written")
	var op map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &op))
	assert.Equal(t, "Running", op["status"])
	assert.Equal(t, "Completed", m.completion(op["id"].(string)).str("status"))
}

// probeWriter records probe() at each Write.
type probeWriter struct {
	*httptest.ResponseRecorder
	probe func() int
	seen  []int
}

func (w *probeWriter) Write(b []byte) (int, error) {
	w.seen = append(w.seen, w.probe())
	return w.ResponseRecorder.Write(b)
}

func TestResourceDataIsTheOperationWithODataIDAndEtag(t *testing.T) {
	m := newMock(t, fast(), nil)
	id := m.established("")
	m.script(id, speakThenPound)
	op := m.record(id, `{"stopTones": ["#"], "clientContext": "ctx-1"}`)
	n := m.completion(op["id"].(string))
	var env map[string]any
	require.NoError(t, json.Unmarshal(n.Raw, &env))
	value := env["value"].([]any)
	require.Len(t, value, 1)
	item := value[0].(map[string]any)
	assert.Equal(t, "deleted", item["changeType"])
	assert.Equal(t, "/communications/calls/"+id+"/operations/"+op["id"].(string), item["resourceUrl"])
	d := n.Data
	assert.Equal(t, "#microsoft.graph.recordOperation", d["@odata.type"])
	assert.Equal(t, item["resourceUrl"], d["@odata.id"])
	assert.Regexp(t, `^W/"\d+"$`, d["@odata.etag"])
	assert.Equal(t, op["id"], d["id"])
	assert.Equal(t, "ctx-1", d["clientContext"])
	assert.Equal(t, "Completed", d["status"])
	assert.Equal(t, "stopToneDetected", d["completionReason"])
	ri := d["resultInfo"].(map[string]any)
	assert.Equal(t, 200.0, ri["code"])
	assert.Equal(t, 8514.0, ri["subcode"])
	assert.Equal(t, engine.ResultOf(engine.OutStopTone).Message, ri["message"])
}

func TestACallbackThatRedirectsIsAFailedAttemptAndThePayloadGoesNowhereElse(t *testing.T) {
	var elsewhere sync.Mutex
	posts := 0
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		elsewhere.Lock()
		posts++
		elsewhere.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer other.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect) // 307 re-POSTs the body
	}))
	defer redirector.Close()

	cfg := fast()
	cfg.Notify = quickRetry(3, time.Second)
	m := newMock(t, cfg, nil)
	r := m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+redirector.URL+`"}`), "Content-Type", "application/json")
	require.Equal(t, http.StatusCreated, r.Status)
	m.drain()
	log := m.noteLog(r.json(t)["id"].(string))
	require.Len(t, log, 1)
	assert.False(t, log[0].Delivered, "a 3xx is not an acknowledgement")
	assert.Equal(t, 3, log[0].Attempts, "it is retried like any failed attempt")
	assert.Contains(t, log[0].LastError, "307")
	elsewhere.Lock()
	defer elsewhere.Unlock()
	assert.Zero(t, posts, "the redirect target never receives the payload")
}
