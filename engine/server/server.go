package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/engine/runner"
	"github.com/recsim/recsim/engine/server/identity"
	"github.com/recsim/recsim/engine/server/inspector"
	"github.com/recsim/recsim/engine/server/store"
	"github.com/recsim/recsim/media"
)

// Config configures a Server. The zero value is a working server: realtime
// clock, recordings in a fresh temporary directory, any bearer token,
// 10-minute retention, the notify hang-up policy, the silence end-of-media
// policy, the schema's enum casing, prompts fetched from loopback only,
// scripted media at 16 000 Hz, no logging.
type Config struct {
	// Clock: runner.Realtime paces the caller streams in 20 ms frames;
	// runner.Fast runs each operation to its end as soon as it starts.
	Clock runner.Mode
	// DataDir holds the recordings, one file per call ({callId}.rec, the
	// call's recordings one after the other, each a complete WAV file);
	// "" makes a fresh temporary directory, removed by Close.
	DataDir string
	// Token, if set, is the only bearer token the Graph surface accepts
	// (under AuthAny).
	Token string
	// Auth: AuthAny (the zero value) accepts any bearer token (or only
	// Token); AuthStrict accepts only access tokens this server issued,
	// unexpired, for Graph, with the role the action needs
	// (docs/identity.md).
	Auth AuthMode
	// Apps are the registered applications of the token endpoint; nil:
	// identity.DefaultApp(). The first is the audience of the callbacks
	// of a call no token has claimed yet.
	Apps []identity.App
	// Tenant is the tenant ID; "": identity.DefaultTenant.
	Tenant string
	// CallbackIssuer is the iss of the notifications' JWT; "":
	// identity.BotFrameworkIssuer.
	CallbackIssuer string
	// Keys sign the access tokens and the callbacks; nil: with a data
	// directory of the caller's, the keys kept there (a new one each start,
	// the last two before it still verifying), else keys generated at the
	// first need.
	Keys *identity.Keys
	// Retention is how long recordings (and ended calls' operations)
	// outlive their call; 0 means 10 minutes.
	Retention time.Duration
	// SilentHangup: a hang-up ends operations without a completion
	// (engine.CallOptions.SilentHangup); the default sends the hang-up row.
	SilentHangup bool
	EndOfMedia   engine.EndOfMedia
	// DocsCasing sends operation status as the docs spell it ("running");
	// StrictV1 drops completionReason and rejects streamWhileRecording on
	// /v1.0; StrictCompliance refuses a recording download (403) while the
	// call's recording status is not "recording".
	DocsCasing, StrictV1, StrictCompliance bool
	// AllowPromptHosts are the hosts (or host:port) prompts may be fetched
	// from; nil means loopback only: 127.0.0.1, ::1, localhost.
	AllowPromptHosts []string
	// Rate is the default media rate of a call (and of scripted media that
	// names none); 0 means 16 000 Hz.
	Rate   media.SampleRate
	Logger *slog.Logger // nil: no logging
	// HTTPClient sends notifications and fetches prompts; nil: a client
	// with a connection pool sized for many calls.
	HTTPClient *http.Client
	// RootCAs are the certificate authorities notifications and prompt
	// fetches over HTTPS trust (nil: the system's). `recsim serve --tls`
	// adds its own certificate, so that callbacks to itself (the inbox)
	// work. Ignored with HTTPClient.
	RootCAs *x509.CertPool
	// ControlToken, if set, is the bearer token the simulation surface
	// (/recsim/v1, but for the recordings, the inbox and the OpenID
	// documents) and the inspector page require.
	ControlToken string
	// BaseURL is the server's root URL as bots reach it (e.g.
	// "https://mock.example:8443"); "": the address each connection was
	// accepted on. The Host header is never used (docs/server.md).
	BaseURL string

	// Tuning and test hooks.

	// Now is the clock for retention, expiry and dates; nil: time.Now.
	Now func() time.Time
	// RunnerClock paces the realtime runner; nil: the wall clock.
	RunnerClock runner.Clock
	// Frame is the realtime frame; 0: 20 ms.
	Frame time.Duration
	// ReceiveTimeout is the media receive timeout under the stall
	// end-of-media policy; 0: 10 s.
	ReceiveTimeout time.Duration
	// Notify tunes notification delivery.
	Notify NotifyConfig
	// PromptTimeout bounds one prompt download (0: 10 s); PromptMaxBytes
	// caps its size (0: 16 MiB).
	PromptTimeout  time.Duration
	PromptMaxBytes int64
	// MediaMemory is the budget, in bytes, for the callers' audio the
	// server holds: media being decoded plus the media of live calls
	// (0: 1 GiB). A PUT …/media that would exceed it is answered 503 with
	// Retry-After, and the server keeps serving the others.
	MediaMemory int64
	// OpenRecordingFile opens a call's recordings file (os.OpenFile's
	// arguments); nil: os.OpenFile. Fault tests inject ENOSPC and EIO here.
	OpenRecordingFile func(name string, flag int, perm os.FileMode) (RecordingFile, error)
}

// NotifyConfig tunes notification delivery: each POST to a callbackUri
// waits at most Timeout for an answer; a non-2xx answer or none is retried
// after an exponential back-off that starts at Initial, doubles up to Max,
// and is jittered by ±25 %; after Attempts tries the notification is given
// up, kept and listed as undelivered, and the next one goes.
type NotifyConfig struct {
	Timeout  time.Duration // 0: 5 s
	Initial  time.Duration // 0: 250 ms
	Max      time.Duration // 0: 30 s
	Attempts int           // 0: 10
	// PerHost caps the notification POSTs in flight to one callback host
	// (0: 64); the others wait their turn before their attempt's Timeout
	// starts.
	PerHost int
}

// Defaults (sim). Each names where it comes from.
const (
	// 10 minutes: the default retention after the call ends (docs/wire.md).
	defaultRetention = 10 * time.Minute
	// docs/server.md: Graph JSON bodies are capped at 1 MiB (after gunzip too).
	maxJSONBody = 1 << 20
	// docs/server.md: media bodies are capped at 64 MiB (~35 min at 16 kHz).
	maxMediaBody = 64 << 20
	// The most samples a media body can decode to: 8-bit mono, one byte
	// a sample.
	maxMediaSamples = maxMediaBody
	// 1 GiB of caller audio: 16 media bodies at the 64 MiB cap, or the
	// 5-second clips of 13 000 concurrent 8 kHz calls (80 KB each).
	defaultMediaMemory = 1 << 30
	// A prompt is at most 120 s long in practice (the longest timer);
	// 16 MiB holds 8.7 min of 16 kHz 16-bit mono, far above it.
	defaultPromptMaxBytes = 16 << 20
	// 10 s: a loopback prompt server answers in milliseconds; a prompt that
	// takes longer is a failed download (8536) rather than a stuck POST.
	defaultPromptTimeout = 10 * time.Second
	// Notification retry: 5 s per attempt (a bot should answer at once),
	// 250 ms doubling to 30 s, 10 attempts: about 2 minutes before a
	// notification is given up, enough to restart a crashed bot.
	defaultNotifyTimeout  = 5 * time.Second
	defaultNotifyInitial  = 250 * time.Millisecond
	defaultNotifyMax      = 30 * time.Second
	defaultNotifyAttempts = 10
	// 64 POSTs in flight per callback host: a bot answers in milliseconds,
	// so 64 connections carry thousands of notifications a second, and a
	// burst of completions (every call of a load test ending on the same
	// frame) waits its turn instead of opening one connection per call.
	defaultNotifyPerHost = 64
	// How often ended calls and expired recordings are swept away; they
	// are also checked on every access, so this only frees memory and disk.
	sweepEvery = 30 * time.Second
)

// Server is the mock Graph server: an http.Handler serving the Graph
// surface under /v1.0 and /beta and the simulation control under
// /recsim/v1. Create it with New, mount it anywhere (httptest.NewServer
// works), and Close it when done.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	client  *http.Client
	prompts *http.Client // client with the allow-list check on redirects
	allow   map[string]bool
	runner  *runner.Runner
	dataDir string
	tempDir bool // dataDir was made by New; Close removes it
	defOpts callOptions
	// cache shares beeps and recording buffers between every call's
	// operations (bounded: NewCache's default of 16 beep shapes).
	cache *engine.Cache
	// mediaBufs recycles caller media: a call's media is dropped by the
	// engine when the next PUT replaces it, and a test suite PUTs
	// thousands of clips of the same length, so the next decode reuses
	// the buffer instead of allocating (and faulting in) a fresh one.
	mediaBufs media.Pool

	mu       sync.Mutex // leaf: guards calls and recordings
	calls    map[string]*call
	recs     map[string]*recording
	draining atomic.Bool
	inbox    inbox
	slots    hostSlots // notification POSTs in flight per callback host
	id       identityState
	hub      hub          // the event stream
	page     http.Handler // the inspector page (engine/server/inspector)
	store    store.Store  // the state that survives a restart (persist.go); nil without a data directory of the caller\'s
	mediaMem budget       // bytes of caller audio decoded or held (Config.MediaMemory)

	work      tracker // notifications being delivered, recordings being written
	quit      chan struct{}
	baseCtx   context.Context // cancelled by Close: aborts deliveries and fetches
	cancel    context.CancelFunc
	bg        sync.WaitGroup // runner and janitor goroutines
	closeOnce sync.Once
}

// New returns a running server: in realtime mode its runner paces the
// calls from now on. Close stops it.
func New(cfg Config) (*Server, error) {
	if cfg.Rate == 0 {
		cfg.Rate = 16000
	}
	if err := cfg.Rate.Validate(); err != nil {
		return nil, fmt.Errorf("server: Config.Rate = %d: %w", int(cfg.Rate), err)
	}
	if cfg.Clock != runner.Realtime && cfg.Clock != runner.Fast {
		return nil, fmt.Errorf("server: Config.Clock = %d: must be runner.Realtime or runner.Fast", cfg.Clock)
	}
	if cfg.Retention < 0 {
		return nil, fmt.Errorf("server: Config.Retention = %s: must not be negative", cfg.Retention)
	}
	if cfg.Retention == 0 {
		cfg.Retention = defaultRetention
	}
	if cfg.BaseURL != "" && !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return nil, fmt.Errorf("server: Config.BaseURL = %q: must be an http:// or https:// URL", cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	n := &cfg.Notify
	if n.Timeout <= 0 {
		n.Timeout = defaultNotifyTimeout
	}
	if n.Initial <= 0 {
		n.Initial = defaultNotifyInitial
	}
	if n.Max <= 0 {
		n.Max = defaultNotifyMax
	}
	n.Max = max(n.Max, n.Initial)
	if n.Attempts <= 0 {
		n.Attempts = defaultNotifyAttempts
	}
	if n.PerHost <= 0 {
		n.PerHost = defaultNotifyPerHost
	}
	if cfg.PromptTimeout <= 0 {
		cfg.PromptTimeout = defaultPromptTimeout
	}
	if cfg.PromptMaxBytes <= 0 {
		cfg.PromptMaxBytes = defaultPromptMaxBytes
	}
	if cfg.MediaMemory < 0 {
		return nil, fmt.Errorf("server: Config.MediaMemory = %d: must not be negative", cfg.MediaMemory)
	}
	if cfg.MediaMemory == 0 {
		cfg.MediaMemory = defaultMediaMemory
	}
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now, client: cfg.HTTPClient,
		calls: map[string]*call{}, recs: map[string]*recording{}, quit: make(chan struct{}), cache: engine.NewCache(0),
		mediaMem: budget{limit: cfg.MediaMemory}, page: inspector.Handler()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.hub.now = s.now
	if s.client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Many calls notify the same bot at once: keep their connections
		// (at most PerHost per host: deliveries wait for a slot) instead of
		// opening, and leaving in TIME_WAIT, one per POST. No global idle
		// cap: the transport closes the oldest idle connection when there
		// are more than MaxIdleConns, and a connection goes idle just
		// before its bodiless 202 reaches the caller, so under a burst a
		// POST the bot had answered failed ("putIdleConn: too many idle
		// connections") and its retry was a duplicate. Idle connections
		// are bounded by PerHost per host and closed after 30 s.
		t.MaxIdleConns = 0
		t.MaxIdleConnsPerHost = n.PerHost
		t.MaxConnsPerHost = n.PerHost
		t.IdleConnTimeout = 30 * time.Second
		if cfg.RootCAs != nil {
			t.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
		}
		s.client = &http.Client{Transport: t}
	}
	hosts := cfg.AllowPromptHosts
	if hosts == nil {
		hosts = []string{"127.0.0.1", "::1", "localhost"}
	}
	s.allow = map[string]bool{}
	for _, h := range hosts {
		h = strings.ToLower(strings.TrimSpace(h))
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		if h != "" {
			s.allow[h] = true
		}
	}
	// Notifications never follow a redirect: a 3xx is a failed attempt, as
	// the service would not re-POST a payload (with its recording tokens)
	// to another host (docs/wire.md#notifications). The caller's client is copied, not
	// changed.
	nc := *s.client
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.client = &nc
	pc := *s.client
	pc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !s.promptHostAllowed(req.URL) {
			return fmt.Errorf("redirect to %s: host not on the prompt allow-list", req.URL.Host)
		}
		if len(via) >= 5 {
			return errors.New("more than 5 redirects")
		}
		return nil
	}
	s.prompts = &pc

	o, err := s.baseOptions()
	if err != nil {
		return nil, err
	}
	s.defOpts = o

	if cfg.DataDir == "" {
		d, err := os.MkdirTemp("", "recsim-recordings-")
		if err != nil {
			return nil, fmt.Errorf("server: data dir: %w", err)
		}
		s.dataDir, s.tempDir = d, true
	} else {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("server: Config.DataDir = %q: %w", cfg.DataDir, err)
		}
		s.dataDir = cfg.DataDir
	}

	s.runner = runner.New(runner.Options{Mode: cfg.Clock, Clock: cfg.RunnerClock, Frame: cfg.Frame,
		ReceiveTimeout: cfg.ReceiveTimeout, OnEvent: s.onEvent})
	s.baseCtx, s.cancel = context.WithCancel(context.Background())
	if err := s.id.init(cfg, s.now, s.tempDir, s.dataDir); err != nil {
		return nil, err
	}
	// A data directory of the caller's keeps the server's state in an
	// embedded database beside the recordings, and a restart on it carries
	// on (docs/server.md#restart). A temporary one has no store at all: a
	// copy of the state that no restart will read is work and memory spent
	// twice.
	if !s.tempDir {
		st, err := store.Open(filepath.Join(s.dataDir, dbName))
		if err != nil {
			return nil, fmt.Errorf("server: Config.DataDir = %q: %w", cfg.DataDir, err)
		}
		s.store = st
		if err := s.recover(); err != nil {
			_ = st.Close()
			return nil, fmt.Errorf("server: recovering the state in %s: %w", cfg.DataDir, err)
		}
	}
	s.bg.Add(2)
	go func() {
		defer s.bg.Done()
		_ = s.runner.Pace(s.baseCtx)
	}()
	go s.janitor()
	return s, nil
}

// Tick advances every running operation of a realtime server by one frame
// and returns how many it advanced. It is for tests that drive the server
// by hand: give Config.RunnerClock a clock whose ticker never fires and
// call Tick (with the clock's Now moved on by a frame each time, if media
// receive timeouts matter).
func (s *Server) Tick() int { return s.runner.Tick() }

// DataDir returns the directory holding the recordings.
func (s *Server) DataDir() string { return s.dataDir }

// Shutdown stops accepting new calls and operations (503), cancels the
// running and queued ones (each ends with operationCanceled and its
// notification), and waits until every pending notification is delivered
// or given up and every recording is written, or ctx ends. Downloads and
// GETs keep working until Close. It returns ctx.Err() if ctx ended first.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	for _, c := range s.liveCalls() {
		c.ctl.Lock()
		c.rc().Do(func(call *engine.Call, ev []engine.CallEvent) []engine.CallEvent {
			return call.CancelMedia(ev)
		})
		c.ctl.Unlock()
	}
	return s.work.wait(ctx)
}

// Close stops the runner, abandons notifications still being retried,
// and removes the data directory if New made it. It is safe to call more
// than once.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.draining.Store(true)
		close(s.quit)
		s.cancel()
		s.bg.Wait()
		_ = s.work.wait(context.Background()) // they all stop at quit
		if s.store != nil {
			if cerr := s.store.Close(); cerr != nil {
				err = cerr
			}
		}
		if s.tempDir {
			err = os.RemoveAll(s.dataDir)
		}
	})
	return err
}

func (s *Server) liveCalls() []*call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		out = append(out, c)
	}
	return out
}

// janitor sweeps ended calls and expired recordings away.
func (s *Server) janitor() {
	defer s.bg.Done()
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			s.sweep()
		}
	}
}

// sweep forgets calls whose retention has passed and deletes their
// recordings.
func (s *Server) sweep() {
	now := s.now()
	var gone []*call
	s.mu.Lock()
	for id, c := range s.calls {
		if c.expired(now) {
			delete(s.calls, id)
			s.runner.Remove(c.rc())
			gone = append(gone, c)
		}
	}
	for id, r := range s.recs {
		if r.expired(now) {
			delete(s.recs, id)
		}
	}
	s.mu.Unlock()
	for _, c := range gone {
		s.forget(c.id)
		c.files.remove()
		s.mediaMem.give(c.mediaBytes.Swap(0))
	}
}

// tracker counts background work (deliveries, writes) so Shutdown can wait
// for it.
type tracker struct {
	mu   sync.Mutex
	n    int
	zero chan struct{}
}

func (t *tracker) add() {
	t.mu.Lock()
	if t.n == 0 {
		t.zero = make(chan struct{})
	}
	t.n++
	t.mu.Unlock()
}

func (t *tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 {
		close(t.zero)
	}
	t.mu.Unlock()
}

// wait returns when nothing is tracked, or ctx.Err() when ctx ends first.
func (t *tracker) wait(ctx context.Context) error {
	for {
		t.mu.Lock()
		if t.n == 0 {
			t.mu.Unlock()
			return nil
		}
		z := t.zero
		t.mu.Unlock()
		select {
		case <-z:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ServeHTTP serves the Graph surface, the simulation control and the
// recordings, and logs one line per request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &statusWriter{ResponseWriter: w}
	rid := graph.NewID()
	crid := r.Header.Get("client-request-id")
	if crid == "" {
		crid = rid
	}
	rw.Header().Set("request-id", rid)
	rw.Header().Set("client-request-id", crid)
	rq := &request{s: s, w: rw, r: r, id: rid, clientID: crid}
	s.route(rq)
	if s.logging() {
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rw.code(), "bytes", rw.n,
			"ms", float64(time.Since(start).Microseconds())/1000, "request-id", rid)
	}
}

// logging reports whether Info lines are kept: the lines logged per
// request and per operation check it first, so that a server without a
// logger does not box their attributes (a dozen allocations per request).
func (s *Server) logging() bool { return s.log.Enabled(context.Background(), slog.LevelInfo) }

type statusWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// Flush sends buffered data to the client.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// request is one request being served.
type request struct {
	s        *Server
	w        http.ResponseWriter
	r        *http.Request
	id       string
	clientID string
	ver      string          // "v1.0" or "beta" on the Graph surface
	token    *identity.Token // the verified access token (AuthStrict)
}

// root returns the server's root URL as the client reached it.
func (q *request) root() string {
	if q.s.cfg.BaseURL != "" {
		return q.s.cfg.BaseURL
	}
	scheme := "http"
	if q.r.TLS != nil {
		scheme = "https"
	}
	// The address the connection was accepted on, never the Host header
	// (a client could make the server hand out links to any host;
	// docs/server.md). A request that did not come through a listener
	// (a handler called directly) gets localhost.
	host := "localhost"
	if a, ok := q.r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && a.String() != "" {
		host = a.String()
	}
	return scheme + "://" + host
}

// base returns the Graph base URL of the request's version.
func (q *request) base() string { return q.root() + "/" + q.ver }

// route dispatches a request by its path.
func (s *Server) route(q *request) {
	path := strings.Trim(q.r.URL.Path, "/")
	seg := strings.Split(path, "/")
	switch {
	case len(seg) >= 3 && (strings.EqualFold(seg[0], "v1.0") || strings.EqualFold(seg[0], "beta")) && strings.EqualFold(seg[1], "communications") && strings.EqualFold(seg[2], "calls"):
		q.ver = strings.ToLower(seg[0])
		if !q.authorized(s.graphAction(q.r.Method, seg[3:])) {
			return
		}
		s.routeGraph(q, seg[3:])
	case len(seg) == 4 && seg[1] == "oauth2" && seg[2] == "v2.0" && seg[3] == "token":
		s.tokenEndpoint(q, seg[0])
	case len(seg) == 4 && seg[1] == "v2.0" && seg[2] == ".well-known" && seg[3] == "openid-configuration":
		s.discovery(q, seg[0])
	case len(seg) == 4 && seg[1] == "discovery" && seg[2] == "v2.0" && seg[3] == "keys":
		s.jwks(q, seg[0])
	case len(seg) == 4 && seg[0] == "recsim" && seg[1] == "v1" && seg[2] == ".well-known" && strings.EqualFold(seg[3], "OpenIdConfiguration"):
		s.callbackDiscovery(q)
	case len(seg) == 4 && seg[0] == "recsim" && seg[1] == "v1" && seg[2] == ".well-known" && seg[3] == "keys":
		s.callbackJWKS(q)
	case path == "" || path == "index.html" || strings.HasPrefix(path, "assets/"):
		// The inspector page (its API calls carry the control token).
		s.page.ServeHTTP(q.w, q.r)
	case path == "recsim" && !strings.HasSuffix(q.r.URL.Path, "/"):
		http.Redirect(q.w, q.r, "/recsim/", http.StatusMovedPermanently)
	case path == "recsim" || path == "recsim/index.html" || strings.HasPrefix(path, "recsim/assets/"):
		http.StripPrefix("/recsim", s.page).ServeHTTP(q.w, q.r)
	case isControlPath("/"+path+"/") && !q.controlAuthorized():
		return
	case len(seg) >= 3 && seg[0] == "recsim" && seg[1] == "v1" && seg[2] == "calls":
		s.routeControl(q, seg[3:])
	case len(seg) == 3 && seg[0] == "recsim" && seg[1] == "v1" && seg[2] == "stream":
		s.stream(q)
	case len(seg) == 3 && seg[0] == "recsim" && seg[1] == "v1" && seg[2] == "inbox":
		s.serveInbox(q)
	case len(seg) == 4 && seg[0] == "recsim" && seg[1] == "v1" && seg[2] == "recordings":
		if !q.method(http.MethodGet) {
			return
		}
		s.download(q, seg[3])
	default:
		q.pathNotFound()
	}
}

func (s *Server) routeGraph(q *request, seg []string) {
	switch {
	case len(seg) == 0:
		if q.method(http.MethodPost) {
			s.placeCall(q)
		}
	case len(seg) == 1:
		switch q.r.Method {
		case http.MethodGet:
			s.getCall(q, seg[0])
		case http.MethodDelete:
			s.deleteCall(q, seg[0])
		default:
			q.notAllowed("GET, DELETE")
		}
	case len(seg) == 3 && strings.EqualFold(seg[1], "operations"):
		if q.method(http.MethodGet) {
			s.getOperation(q, seg[0], seg[2])
		}
	case len(seg) == 2:
		h, _ := s.action(actionName(seg[1]))
		if h == nil {
			q.fail(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment %q.", seg[1]), 0)
			return
		}
		if q.method(http.MethodPost) {
			h(q, seg[0])
		}
	default:
		q.pathNotFound()
	}
}

// action returns the handler of a call action (lower case, without the
// microsoft.graph. namespace), or nil. A switch, not a map built per request.
// action returns the handler of a call action (its lower-case name,
// without the microsoft.graph. prefix) and the action as the permission
// table knows it; a nil handler for an unknown name. The one table of
// the actions: routing and auth both read it.
func (s *Server) action(name string) (func(*request, string), identity.Action) {
	switch name {
	case "answer":
		return s.answer, identity.ActAnswer
	case "recordresponse", "record":
		return s.recordResponse, identity.ActRecordResponse
	case "playprompt":
		return s.playPrompt, identity.ActPlayPrompt
	case "cancelmediaprocessing":
		return s.cancelMedia, identity.ActCancelMedia
	case "updaterecordingstatus":
		return s.updateRecordingStatus, identity.ActUpdateRecordingStatus
	case "subscribetotone":
		return s.subscribeToTone, identity.ActSubscribeToTone
	case "senddtmftones":
		return s.sendDtmfTones, identity.ActSendDtmfTones
	}
	return nil, identity.ActGetCall // answered 400 before auth matters
}

// actionName is seg, a call action's path segment, as action takes it.
func actionName(seg string) string {
	return strings.TrimPrefix(strings.ToLower(seg), "microsoft.graph.")
}

// pathNotFound answers 404 for a path no route knows.
func (q *request) pathNotFound() {
	q.fail(http.StatusNotFound, "NotFound", fmt.Sprintf("Resource not found for the path %q.", q.r.URL.Path), 0)
}

func (s *Server) routeControl(q *request, seg []string) {
	switch {
	case len(seg) == 0:
		switch q.r.Method {
		case http.MethodPost:
			s.incomingCall(q)
		case http.MethodGet:
			s.listCalls(q)
		default:
			q.notAllowed("GET, POST")
		}
	case len(seg) == 1:
		if q.method(http.MethodGet) {
			s.callDetail(q, seg[0])
		}
	case len(seg) == 3 && seg[1] == "audio":
		s.callAudio(q, seg[0], seg[2])
	case len(seg) == 4 && seg[1] == "operations" && seg[3] == "recording":
		if q.method(http.MethodGet) {
			s.opRecording(q, seg[0], seg[2])
		}
	case len(seg) == 2 && seg[1] == "cancel":
		if q.method(http.MethodPost) {
			s.controlCancel(q, seg[0])
		}
	case len(seg) == 2 && seg[1] == "media":
		if q.method(http.MethodPut) {
			s.putMedia(q, seg[0])
		}
	case len(seg) == 2 && seg[1] == "hangup":
		if q.method(http.MethodPost) {
			s.callerHangup(q, seg[0])
		}
	case len(seg) == 2 && seg[1] == "events":
		if q.method(http.MethodGet) {
			s.events(q, seg[0])
		}
	case len(seg) == 2 && seg[1] == "notifications":
		if q.method(http.MethodGet) {
			s.notifications(q, seg[0])
		}
	default:
		q.pathNotFound()
	}
}

// method checks the request's method; on a mismatch it answers 405.
func (q *request) method(m string) bool {
	if q.r.Method == m {
		return true
	}
	q.notAllowed(m)
	return false
}

func (q *request) notAllowed(allow string) {
	q.w.Header().Set("Allow", allow)
	q.fail(http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("Method %s is not allowed on %s; allowed: %s.", q.r.Method, q.r.URL.Path, allow), 0)
}

// budget is a byte budget: take reserves without waiting (false when it
// would go over the limit), give returns.
type budget struct {
	mu    sync.Mutex
	used  int64
	limit int64
}

func (b *budget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > 0 && b.used+n > b.limit {
		return false
	}
	b.used += n
	return true
}

func (b *budget) give(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

// inUse returns the bytes reserved now.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
