package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/runner"
	"github.com/recsim/recsim/engine/server"
	"github.com/recsim/recsim/engine/server/identity"
	"github.com/recsim/recsim/media"
)

// note is one notification as the bot received it.
type note struct {
	ChangeType  string
	ResourceURL string
	Data        map[string]any
	Raw         []byte
}

func (n note) str(key string) string {
	s, _ := n.Data[key].(string)
	return s
}

// bot is a notification receiver. respond decides each answer (nil: 202);
// n counts every POST received, acknowledged or not.
type bot struct {
	*httptest.Server
	mu      sync.Mutex
	posts   int
	acked   []note
	ch      chan note
	respond func(n int, body []byte) int
}

func newBot(t testing.TB, respond func(n int, body []byte) int) *bot {
	b := &bot{ch: make(chan note, 10000), respond: respond}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		n := b.posts
		b.posts++
		b.mu.Unlock()
		b.mu.Lock()
		respond := b.respond
		b.mu.Unlock()
		code := http.StatusAccepted
		if respond != nil {
			code = respond(n, raw)
		}
		if code/100 == 2 {
			var env struct {
				Type  string `json:"@odata.type"`
				Value []struct {
					Type         string         `json:"@odata.type"`
					ChangeType   string         `json:"changeType"`
					ResourceURL  string         `json:"resourceUrl"`
					ResourceData map[string]any `json:"resourceData"`
				} `json:"value"`
			}
			if err := json.Unmarshal(raw, &env); err != nil || len(env.Value) != 1 || env.Type != "#microsoft.graph.commsNotifications" ||
				env.Value[0].Type != "#microsoft.graph.commsNotification" {
				t.Errorf("bad notification envelope: %s", raw)
			} else {
				v := env.Value[0]
				nt := note{ChangeType: v.ChangeType, ResourceURL: v.ResourceURL, Data: v.ResourceData, Raw: raw}
				b.mu.Lock()
				b.acked = append(b.acked, nt)
				b.mu.Unlock()
				b.ch <- nt
			}
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(b.Close)
	return b
}

// setRespond changes how the bot answers.
func (b *bot) setRespond(f func(n int, body []byte) int) {
	b.mu.Lock()
	b.respond = f
	b.mu.Unlock()
}

// next waits for the next acknowledged notification.
func (b *bot) next(t testing.TB) note {
	t.Helper()
	select {
	case n := <-b.ch:
		return n
	case <-time.After(20 * time.Second):
		t.Fatal("no notification within 20 s")
		return note{}
	}
}

// until waits for the next notification about resource with changeType,
// skipping others.
func (b *bot) until(t testing.TB, changeType, resourceSuffix string) note {
	t.Helper()
	for {
		n := b.next(t)
		if n.ChangeType == changeType && strings.HasSuffix(n.ResourceURL, resourceSuffix) {
			return n
		}
	}
}

func (b *bot) all() []note {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]note(nil), b.acked...)
}

func (b *bot) postCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.posts
}

// mock is a server under test with its bot.
type mock struct {
	t   testing.TB
	srv *server.Server
	ts  *httptest.Server
	bot *bot
	// url and client reach the server: ts's, or a server in another
	// process (the benchmark's server=process).
	url    string
	client *http.Client
	token  string // the Graph bearer token, if not bearer's
}

// testKeys are the signing keys of every test server of this package:
// an RSA key takes about 65 ms to make, and a server given none makes
// one (or, with a data directory, rotates its keys).
var testKeys = sync.OnceValue(func() *identity.Keys {
	k, err := identity.Generate()
	if err != nil {
		panic(err)
	}
	return k
})

func newMock(t testing.TB, cfg server.Config, respond func(int, []byte) int) *mock {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Keys == nil {
		cfg.Keys = testKeys()
	}
	srv, err := server.New(cfg)
	require.NoError(t, err)
	m := &mock{t: t, srv: srv, ts: httptest.NewServer(srv), bot: newBot(t, respond)}
	m.url, m.client = m.ts.URL, m.ts.Client()
	t.Cleanup(func() {
		m.ts.Close()
		srv.Close()
	})
	return m
}

func fast() server.Config { return server.Config{Clock: runner.Fast} }

// reply is an HTTP answer.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

// graphError returns the error's code, message and innerError.
func (r reply) graphError(t testing.TB) (code, message string, inner map[string]any) {
	t.Helper()
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	require.True(t, ok, "error object in %s", r.Body)
	inner, _ = e["innerError"].(map[string]any)
	require.NotNil(t, inner, "innerError in %s", r.Body)
	return e["code"].(string), e["message"].(string), inner
}

// send makes a request; headers come in name, value pairs.
func (m *mock) send(method, path string, body []byte, headers ...string) reply {
	m.t.Helper()
	req, err := http.NewRequest(method, m.url+path, bytes.NewReader(body))
	require.NoError(m.t, err)
	if body == nil {
		req.Body = http.NoBody
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := m.client.Do(req)
	require.NoError(m.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(m.t, err)
	return reply{resp.StatusCode, resp.Header, b}
}

const bearer = "Bearer test-token"

// graph sends a JSON request to the Graph surface with a bearer token
// (m.token if set: a strict server's).
func (m *mock) graph(method, path, body string) reply {
	m.t.Helper()
	auth := bearer
	if m.token != "" {
		auth = "Bearer " + m.token
	}
	if body == "" && method != http.MethodPost {
		return m.send(method, path, nil, "Authorization", auth)
	}
	return m.send(method, path, []byte(body), "Authorization", auth, "Content-Type", "application/json")
}

// incoming rings the bot and returns the call id (after its created
// notification).
func (m *mock) incoming(options string) string {
	m.t.Helper()
	body := `{"callbackUri": "` + m.bot.URL + `/notify"`
	if options != "" {
		body += `, "options": ` + options
	}
	r := m.send("POST", "/recsim/v1/calls", []byte(body+"}"), "Content-Type", "application/json")
	require.Equal(m.t, http.StatusCreated, r.Status, "%s", r.Body)
	id := r.json(m.t)["id"].(string)
	n := m.bot.until(m.t, "created", "/communications/calls/"+id)
	require.Equal(m.t, "incoming", n.str("state"))
	return id
}

// established rings and answers a call and returns its id.
func (m *mock) established(options string) string {
	m.t.Helper()
	id := m.incoming(options)
	r := m.graph("POST", "/v1.0/communications/calls/"+id+"/answer", `{}`)
	require.Equal(m.t, http.StatusAccepted, r.Status, "%s", r.Body)
	n := m.bot.until(m.t, "updated", "/communications/calls/"+id)
	require.Equal(m.t, "established", n.str("state"))
	return id
}

func (m *mock) script(id, script string) {
	m.t.Helper()
	r := m.send("PUT", "/recsim/v1/calls/"+id+"/media", []byte(script), "Content-Type", "application/json")
	require.Equal(m.t, http.StatusNoContent, r.Status, "%s", r.Body)
}

// record posts a recordResponse and returns the answer's operation.
func (m *mock) record(id, body string) map[string]any {
	m.t.Helper()
	r := m.graph("POST", "/v1.0/communications/calls/"+id+"/recordResponse", body)
	require.Equal(m.t, http.StatusOK, r.Status, "%s", r.Body)
	return r.json(m.t)
}

// completion waits for the deleted notification of operation opID.
func (m *mock) completion(opID string) note {
	m.t.Helper()
	return m.bot.until(m.t, "deleted", "/operations/"+opID)
}

// download fetches a recording; token "" sends no Authorization.
func (m *mock) download(location, token string) reply {
	m.t.Helper()
	require.True(m.t, strings.HasPrefix(location, m.url), "location %q on this server", location)
	if token == "" {
		return m.send("GET", strings.TrimPrefix(location, m.url), nil)
	}
	return m.send("GET", strings.TrimPrefix(location, m.url), nil, "Authorization", "Bearer "+token)
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// fakeClock is a realtime runner clock whose ticker never fires: tests
// advance it frame by frame with step, which calls Server.Tick.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) NewTicker(time.Duration) runner.Ticker { return fakeTicker{} }

type fakeTicker struct{}

func (fakeTicker) C() <-chan time.Time { return nil }
func (fakeTicker) Stop()               {}

// step moves the clock on by n 20 ms frames, advancing the server's calls
// by a frame each time.
func (m *mock) step(f *fakeClock, n int) {
	for range n {
		f.mu.Lock()
		f.now = f.now.Add(20 * time.Millisecond)
		f.mu.Unlock()
		m.srv.Tick()
	}
}

// realtime returns a realtime config on a fake clock.
func realtime(clk *fakeClock) server.Config {
	return server.Config{Clock: runner.Realtime, RunnerClock: clk}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func encodeWAV(t testing.TB, pcm []int16, rate int) []byte {
	t.Helper()
	b, err := media.EncodeWAV(pcm, media.SampleRate(rate))
	require.NoError(t, err)
	return b
}

// decodeWAV checks b is a canonical recsim recording and returns it.
func decodeWAV(t testing.TB, b []byte) ([]int16, int) {
	t.Helper()
	rd, err := media.NewReader(bytes.NewReader(b), "download")
	require.NoError(t, err)
	pcm, err := media.ReadAll(rd)
	require.NoError(t, err)
	f := rd.Format()
	require.Equal(t, 1, f.Channels)
	require.Equal(t, 16, f.Bits)
	require.Len(t, b, media.HeaderSize+2*len(pcm), "exact size")
	return pcm, int(rd.Rate())
}

// noteCount returns how many notifications the call has queued so far.
func (m *mock) noteCount(id string) int {
	m.t.Helper()
	var ns struct {
		Value []json.RawMessage `json:"value"`
	}
	r := m.send("GET", "/recsim/v1/calls/"+id+"/notifications", nil)
	require.Equal(m.t, http.StatusOK, r.Status)
	require.NoError(m.t, json.Unmarshal(r.Body, &ns))
	return len(ns.Value)
}

// countingReader yields zero bytes up to limit and counts what was read.
type countingReader struct {
	n, limit int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.n >= r.limit {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.limit-r.n)
	clear(p[:k])
	r.n += k
	return int(k), nil
}
