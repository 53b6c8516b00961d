package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/recsim/recsim/engine/runner"
	"github.com/recsim/recsim/engine/server"
	"github.com/recsim/recsim/media"
)

// ServerRequest is the recordResponse every server-load call runs: it
// ends on the '#' at the end of the call's audio.
const ServerRequest = `{"stopTones": ["#"], "maxRecordDurationInSeconds": 10, "clientContext": "recsim bench"}`

// serverRounds is how many calls each of the concurrent bots places one
// after the other: M concurrent bots make M × serverRounds operations.
const serverRounds = 5

// serverToken is the bearer token the bench's bot sends (the mock server
// accepts any unless one is configured).
const serverToken = "Bearer recsim-bench"

// ServerRun is one server load run.
type ServerRun struct {
	Calls      int     `json:"calls"`      // concurrent bots
	Operations int     `json:"operations"` // recordResponses posted
	Seconds    float64 `json:"seconds"`    // first POST to last notification
	PerSec     float64 `json:"completionsPerSec"`
	P50        float64 `json:"latencyP50Ms"` // POST recordResponse → its completion notification
	P99        float64 `json:"latencyP99Ms"`
	Max        float64 `json:"latencyMaxMs"`
	Completed  int64   `json:"completed"`
	Lost       int64   `json:"lost"`
	Duplicated int64   `json:"duplicated"`
	OtherCores float64 `json:"otherCores"`
}

// ServerResult is the server load over the runs.
type ServerResult struct {
	Calls      int         `json:"calls"`
	PerSec     Stat        `json:"completionsPerSec"`
	P50        Stat        `json:"latencyP50Ms"`
	P99        Stat        `json:"latencyP99Ms"`
	Max        Stat        `json:"latencyMaxMs"`
	Completed  Stat        `json:"completed"`
	Lost       Stat        `json:"lost"`
	Duplicated Stat        `json:"duplicated"`
	OtherCores Stat        `json:"otherCores"`
	Runs       []ServerRun `json:"runs"`
}

func serverResult(cfg Config, runs []ServerRun) *ServerResult {
	f := func(g func(ServerRun) float64) Stat { return collect(runs, g) }
	return &ServerResult{Calls: cfg.ServerCalls, Runs: runs,
		PerSec:     f(func(r ServerRun) float64 { return r.PerSec }),
		P50:        f(func(r ServerRun) float64 { return r.P50 }),
		P99:        f(func(r ServerRun) float64 { return r.P99 }),
		Max:        f(func(r ServerRun) float64 { return r.Max }),
		Completed:  f(func(r ServerRun) float64 { return float64(r.Completed) }),
		Lost:       f(func(r ServerRun) float64 { return float64(r.Lost) }),
		Duplicated: f(func(r ServerRun) float64 { return float64(r.Duplicated) }),
		OtherCores: f(func(r ServerRun) float64 { return r.OtherCores }),
	}
}

// serverCaller is the audio every server-load call sends: half a second
// of line noise, an utterance, a pause, '#' and half a second more, at
// 8 kHz (about 5 s).
func serverCaller() ([]byte, error) {
	a, err := newAudio(8000)
	if err != nil {
		return nil, err
	}
	pcm := a.withNoise(media.Concat(media.Silence(a.ms(600)), a.clips[0], media.Silence(a.ms(400)), a.tone('#'), media.Silence(a.ms(500))))
	return media.EncodeWAV(pcm, a.rate)
}

// notifications is the bench's bot: it acknowledges every notification
// and notes when each recordOperation's completion arrived.
type notifications struct {
	mu      sync.Mutex
	arrived map[string][]time.Time // operation id → completion notifications
	some    chan struct{}          // signalled on each completion
}

func (n *notifications) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(r.Body)
	var env struct {
		Value []struct {
			ChangeType   string `json:"changeType"`
			ResourceData struct {
				Type string `json:"@odata.type"`
				ID   string `json:"id"`
			} `json:"resourceData"`
		} `json:"value"`
	}
	if json.Unmarshal(body, &env) == nil {
		for _, v := range env.Value {
			if v.ChangeType == "deleted" && v.ResourceData.Type == "#microsoft.graph.recordOperation" {
				n.mu.Lock()
				n.arrived[v.ResourceData.ID] = append(n.arrived[v.ResourceData.ID], at)
				n.mu.Unlock()
				select {
				case n.some <- struct{}{}:
				default:
				}
			}
		}
	}
	w.WriteHeader(http.StatusAccepted)
}

// listen serves h on a loopback port and returns its base URL.
func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = hs.Close() }, nil
}

// serverLoad drives calls concurrent bots through the mock server's HTTP
// handler over loopback (fast clock): each places serverRounds incoming
// calls one after the other, answers each, puts its audio and posts a
// recordResponse, and the server notifies the bot's callback server when
// the operation completes.
func serverLoad(ctx context.Context, calls int, p Progress) (ServerRun, error) {
	run := ServerRun{Calls: calls, Operations: calls * serverRounds}
	wav, err := serverCaller()
	if err != nil {
		return run, err
	}
	// The server's defaults, notification timeouts included: what `recsim
	// serve` runs with.
	srv, err := server.New(server.Config{Clock: runner.Fast})
	if err != nil {
		return run, err
	}
	defer srv.Close()
	base, stopSrv, err := listen(srv)
	if err != nil {
		return run, err
	}
	defer stopSrv()
	bot := &notifications{arrived: map[string][]time.Time{}, some: make(chan struct{}, 1)}
	botURL, stopBot, err := listen(bot)
	if err != nil {
		return run, err
	}
	defer stopBot()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConns: 2 * calls, MaxIdleConnsPerHost: 2 * calls}}
	defer client.CloseIdleConnections()

	do := func(method, path string, body []byte, contentType string, want int) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", serverToken)
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != want {
			err = fmt.Errorf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, oneLineOf(b))
		}
		return b, err
	}
	var mu sync.Mutex
	posted := map[string]time.Time{} // operation id → POST recordResponse sent
	oneCall := func() error {
		b, err := do("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+botURL+`/notify"}`), "application/json", http.StatusCreated)
		if err != nil {
			return err
		}
		var c struct{ ID string }
		if err := json.Unmarshal(b, &c); err != nil || c.ID == "" {
			return fmt.Errorf("POST /recsim/v1/calls: no call id in %s", oneLineOf(b))
		}
		calls := "/v1.0/communications/calls/" + c.ID
		if _, err := do("PUT", "/recsim/v1/calls/"+c.ID+"/media", wav, "audio/wav", http.StatusNoContent); err != nil {
			return err
		}
		if _, err := do("POST", calls+"/answer", []byte(`{"callbackUri": "`+botURL+`/notify"}`), "application/json", http.StatusAccepted); err != nil {
			return err
		}
		t0 := time.Now()
		b, err = do("POST", calls+"/recordResponse", []byte(ServerRequest), "application/json", http.StatusOK)
		if err != nil {
			return err
		}
		var op struct{ ID string }
		if err := json.Unmarshal(b, &op); err != nil || op.ID == "" {
			return fmt.Errorf("POST recordResponse: no operation id in %s", oneLineOf(b))
		}
		mu.Lock()
		posted[op.ID] = t0
		mu.Unlock()
		// The bot hangs up, as bots do once they have the recording: an
		// ended call gives its media back to the server's media budget.
		// (Fast clock: the operation has already ended; its completion
		// still goes out, before the call's deleted.)
		_, err = do("DELETE", calls, nil, "application/json", http.StatusNoContent)
		return err
	}

	st := p.Stage(fmt.Sprintf("server: %d bots × %d calls through the HTTP handler", calls, serverRounds), int64(run.Operations))
	defer st.Done()
	load := startLoad()
	start := time.Now()
	errs := make(chan error, calls)
	var wg sync.WaitGroup
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range serverRounds {
				if err := oneCall(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return run, fmt.Errorf("server load: %w", err)
	}
	// Wait for every completion (or a minute without progress), then
	// drain the server so that a duplicate would have arrived too.
	for {
		bot.mu.Lock()
		n := len(bot.arrived)
		bot.mu.Unlock()
		st.Set(int64(n))
		if n >= len(posted) {
			break
		}
		select {
		case <-bot.some:
		case <-time.After(time.Minute):
			n = -1
		case <-ctx.Done():
			return run, ctx.Err()
		}
		if n < 0 {
			break
		}
	}
	wall := time.Since(start)
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_ = srv.Shutdown(dctx) // every pending notification delivered or given up

	bot.mu.Lock()
	defer bot.mu.Unlock()
	var lat []time.Duration
	var last time.Time
	for id, t0 := range posted {
		got := bot.arrived[id]
		switch len(got) {
		case 0:
			run.Lost++
			continue
		default:
			run.Duplicated += int64(len(got) - 1)
		}
		run.Completed++
		lat = append(lat, got[0].Sub(t0))
		if got[0].After(last) {
			last = got[0]
		}
	}
	if !last.IsZero() {
		wall = last.Sub(start)
	}
	run.OtherCores = load.others(wall)
	run.Seconds = wall.Seconds()
	run.PerSec = float64(run.Completed) / run.Seconds
	run.P50, run.P99, run.Max = ms(quantileOf(lat, 0.5)), ms(quantileOf(lat, 0.99)), ms(quantileOf(lat, 1))
	return run, nil
}

func oneLineOf(b []byte) string {
	s := string(bytes.Join(bytes.Fields(b), []byte(" ")))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
