package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/engine/server"
	"github.com/recsim/recsim/engine/server/identity"
	"github.com/recsim/recsim/media"
)

// drainTimeout bounds the drain after SIGINT/SIGTERM: running operations
// are cancelled at once, so this is the time their notifications get to be
// delivered (a bot that answers at all answers within it).
const drainTimeout = 15 * time.Second

// hostList is the repeatable --allow-prompt-host flag.
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }

func (h *hostList) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("empty host")
	}
	*h = append(*h, v)
	return nil
}

// appList is the repeatable --app CLIENT_ID:SECRET[:ROLE,ROLE…].
type appList []identity.App

func (a *appList) String() string {
	var s []string
	for _, app := range *a {
		s = append(s, app.ClientID)
	}
	return strings.Join(s, ",")
}

func (a *appList) Set(v string) error {
	parts := strings.SplitN(v, ":", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return fmt.Errorf("%q: must be CLIENT_ID:SECRET or CLIENT_ID:SECRET:ROLE,ROLE…", v)
	}
	app := identity.App{ClientID: parts[0], Secret: parts[1], Roles: identity.AllRoles()}
	if len(parts) == 3 {
		app.Roles = nil
		for _, r := range strings.Split(parts[2], ",") {
			if r = strings.TrimSpace(r); r != "" {
				app.Roles = append(app.Roles, r)
			}
		}
	}
	*a = append(*a, app)
	return nil
}

const serveHelp = `
Runs the mock Microsoft Graph calls server (docs/server.md): the Graph surface under
/v1.0 and /beta (calls, answer, DELETE, recordResponse/record, playPrompt,
cancelMediaProcessing, updateRecordingStatus, subscribeToTone, sendDtmfTones,
operations; every request needs Authorization: Bearer …, any token unless
--token or --auth strict), its own token endpoint (docs/identity.md), the
simulation control under /recsim/v1 (no token unless --control-token), the
inspector page at /, and the recordings at their recordingLocation
(Bearer {recordingAccessToken}). Operations run on real caller audio;
notifications go to each call's callbackUri, in order, retried with back-off.
/recsim/v1/inbox is a built-in callbackUri for trying it without a bot: it
logs and keeps what it receives (GET it to read them, ?call=ID for one call).

Logs one line per request and per operation outcome on stderr. On SIGINT or
SIGTERM it stops accepting, cancels running operations, delivers their
notifications and exits 0.

A session to paste in a second terminal (server started with the defaults):

  S=http://127.0.0.1:8080; AUTH='Authorization: Bearer any-token'; JSON='Content-Type: application/json'
  # 1. A caller rings; notifications go to the built-in inbox.
  CALL=$(curl -s -X POST $S/recsim/v1/calls -H "$JSON" \
    -d "{\"callbackUri\": \"$S/recsim/v1/inbox\"}" | sed 's/.*"id":"\([^"]*\)".*/\1/')
  # 2. The bot answers.
  curl -s -X POST $S/v1.0/communications/calls/$CALL/answer -H "$AUTH" -H "$JSON" -d '{}'
  # 3. What the caller says: a script (or a WAV: -H 'Content-Type: audio/wav' --data-binary @caller.wav).
  curl -s -X PUT $S/recsim/v1/calls/$CALL/media -H "$JSON" \
    -d '{"caller": [{"silence": 1}, {"speech": "en_us_s160_01"}, {"silence": 0.5}, {"dtmf": "#"}]}'
  # 4. Record a response: 200 with the recordOperation Running and its Location.
  OP=$(curl -s -X POST $S/v1.0/communications/calls/$CALL/recordResponse -H "$AUTH" -H "$JSON" \
    -d '{"stopTones": ["#"], "maxRecordDurationInSeconds": 30}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
  # 5. The caller takes about 5 s (realtime); then the operation has completed.
  sleep 7; curl -s $S/v1.0/communications/calls/$CALL/operations/$OP -H "$AUTH"; echo
  curl -s "$S/recsim/v1/inbox?call=$CALL"; echo        # the call's notifications, completion included
  curl -s $S/recsim/v1/calls/$CALL/events; echo         # the timeline: beep, speech, digit, completed
  # 6. Download the recording with its token.
  R=$(curl -s $S/v1.0/communications/calls/$CALL/operations/$OP -H "$AUTH")
  LOC=$(echo "$R" | sed 's/.*"recordingLocation":"\([^"]*\)".*/\1/')
  TOK=$(echo "$R" | sed 's/.*"recordingAccessToken":"\([^"]*\)".*/\1/')
  curl -s -o recording.wav "$LOC" -H "Authorization: Bearer $TOK" && ls -l recording.wav
  # 7. Hang up.
  curl -s -X DELETE $S/v1.0/communications/calls/$CALL -H "$AUTH"

An IVR menu: subscribe to the caller's tones, then each digit is a call
"updated" notification with toneInfo (sequenceId, tone):

  CALL=$(curl -s -X POST $S/recsim/v1/calls -H "$JSON" \
    -d "{\"callbackUri\": \"$S/recsim/v1/inbox\"}" | sed 's/.*"id":"\([^"]*\)".*/\1/')
  curl -s -X POST $S/v1.0/communications/calls/$CALL/answer -H "$AUTH" -H "$JSON" -d '{}'
  curl -s -X POST $S/v1.0/communications/calls/$CALL/subscribeToTone -H "$AUTH" -H "$JSON" -d '{}'
  curl -s -X PUT $S/recsim/v1/calls/$CALL/media -H "$JSON" -d '{"caller": [{"silence": 0.5}, {"dtmf": "1"}, {"silence": 1}]}'
  sleep 2; curl -s "$S/recsim/v1/inbox?call=$CALL" | grep -o '"toneInfo":{[^}]*}'

POST /recsim/v1/calls also takes "options" with the flags below in camelCase
(hangupPolicy, endOfMedia, docsCasing, strictV1, strictCompliance,
retention, rate) and the engine's switches (stopTonesDuringPrompt,
includeStopTone, trimSilence, beepEcho, beepHz, beepMs, beepLevel, fault).`

func runServe(e *env, args []string) int {
	fs := newFlags(e, "serve", "[--addr 127.0.0.1:8080] [--clock realtime|fast] [--data-dir DIR] [flags]", serveHelp)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	clock := fs.String("clock", "realtime", "realtime: pace caller audio at its real rate; fast: run each operation to its end at once")
	dataDir := fs.String("data-dir", "", "directory for the recordings (default: a fresh temporary one, removed at exit)")
	token := fs.String("token", "", "require this bearer token on the Graph surface (default: any token)")
	retention := fs.Duration("retention", 10*time.Minute, "how long recordings outlive their call")
	hangup := fs.String("hangup-policy", "notify", "a hang-up ends the running operation with 410/8528 (notify) or with no notification (silent)")
	eom := fs.String("end-of-media", "silence", "when the caller's media ends: silence, hangup or stall")
	docsCasing := fs.Bool("docs-casing", false, "operation status as the docs spell it (running) instead of the schema (Running)")
	strictV1 := fs.Bool("strict-v1", false, "on /v1.0: no completionReason, streamWhileRecording rejected")
	strictCompliance := fs.Bool("strict-compliance", false, "refuse recording downloads (403) while the call's recording status is not recording")
	var hosts hostList
	fs.Var(&hosts, "allow-prompt-host", "a host prompts may be fetched from (repeatable; default: 127.0.0.1, ::1, localhost)")
	rate := fs.Int("rate", 16000, "a call's media rate until its first media says otherwise (Hz)")
	maxConns := fs.Int("max-conns", defaultMaxConns(), "connections served at once; past it a new connection gets 503 (default: half the open-file limit, at most 8192)")
	mediaMiB := fs.Int("media-memory", 1024, "MiB of caller audio the server holds at most (media being decoded and live calls' media); a PUT …/media past it gets 503")
	var apps appList
	fs.Var(&apps, "app", "a registered app of the token endpoint, CLIENT_ID:SECRET[:ROLE,ROLE…] (repeatable; default roles: Calls.AccessMedia.All, Calls.JoinGroupCall.All, Calls.Initiate.All; default app: "+identity.DefaultApp().ClientID+":"+identity.DefaultApp().Secret+")")
	controlToken := fs.String("control-token", "", "require this bearer token on the simulation surface (/recsim/v1) and in the inspector page (default: none)")
	tenant := fs.String("tenant", identity.DefaultTenant, "the tenant ID of the token endpoint and its tokens")
	auth := fs.String("auth", "any", "any: any bearer token (or --token); strict: only this server's access tokens, with the role of each action")
	cbIssuer := fs.String("callback-issuer", identity.BotFrameworkIssuer, "the iss of the JWT on every notification")
	useTLS := fs.Bool("tls", false, "serve HTTPS with a certificate made at start (written with its key to the data directory, or to a temporary one; the log names it)")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this certificate (PEM; with --tls-key)")
	tlsKey := fs.String("tls-key", "", "the private key of --tls-cert (PEM)")
	baseURL := fs.String("base-url", "", "root URL for Location and recordingLocation, as bots reach the server (default: the address each connection was accepted on; never the Host header)")
	pos, err := parse(fs, args)
	if err == nil {
		err = wantArgs(pos, 0, "")
	}
	cfg := server.Config{DataDir: *dataDir, Token: *token, Retention: *retention, DocsCasing: *docsCasing,
		StrictV1: *strictV1, StrictCompliance: *strictCompliance, Rate: media.SampleRate(*rate), BaseURL: *baseURL}
	cfg.MediaMemory = int64(*mediaMiB) << 20
	cfg.Apps, cfg.Tenant, cfg.CallbackIssuer, cfg.ControlToken = apps, *tenant, *cbIssuer, *controlToken
	if err == nil {
		if cfg.Auth, err = server.ParseAuthMode(*auth); err != nil {
			err = fmt.Errorf("--auth: %w", err)
		}
	}
	if err == nil && (*tlsCert == "") != (*tlsKey == "") {
		err = errors.New("--tls-cert and --tls-key go together")
	}
	if err == nil && *tenant == "" {
		err = errors.New("--tenant: must not be empty")
	}
	if err == nil && *mediaMiB < 1 {
		err = fmt.Errorf("--media-memory = %d: must be at least 1 (MiB)", *mediaMiB)
	}
	if err == nil && *maxConns < 1 {
		err = fmt.Errorf("--max-conns = %d: must be at least 1", *maxConns)
	}
	if err == nil && *retention <= 0 {
		err = fmt.Errorf("--retention = %s: must be positive", *retention)
	}
	if err == nil && media.SampleRate(*rate).Validate() != nil {
		err = fmt.Errorf("--rate = %d: must be 8000–48000 Hz", *rate)
	}
	if err == nil {
		if cfg.Clock, err = graph.ParseMode(*clock); err != nil {
			err = fmt.Errorf("--clock: %w", err)
		}
	}
	if err == nil {
		if cfg.SilentHangup, err = graph.ParseHangupPolicy(*hangup); err != nil {
			err = fmt.Errorf("--hangup-policy: %w", err)
		}
	}
	if err == nil {
		if cfg.EndOfMedia, err = graph.ParseEndOfMedia(*eom); err != nil {
			err = fmt.Errorf("--end-of-media: %w", err)
		}
	}
	if err != nil {
		return fail(e, "serve", err)
	}
	if len(hosts) > 0 {
		cfg.AllowPromptHosts = hosts
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	cfg.Logger = log

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(e, "serve", fmt.Errorf("--addr = %s: %w", *addr, err))
	}
	scheme := "http"
	var tlsConf *tls.Config
	if *useTLS || *tlsCert != "" {
		scheme = "https"
		if tlsConf, err = serveTLS(ln.Addr(), *baseURL, *dataDir, *tlsCert, *tlsKey, log); err != nil {
			ln.Close()
			return fail(e, "serve", err)
		}
	}
	if tlsConf != nil {
		cfg.RootCAs = trusting(tlsConf)
	}
	srv, err := server.New(cfg)
	if err != nil {
		ln.Close()
		return fail(e, "serve", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Every connection is bounded in time as well as in number: a client
	// that sends its body or reads its answer slower than this loses its
	// connection instead of holding it (a 64 MiB media body at 1 MB/s fits).
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
	served := make(chan error, 1)
	var capped net.Listener = newCapListener(ln, *maxConns)
	if tlsConf != nil {
		capped = tls.NewListener(capped, tlsConf)
	}
	go func() { served <- hs.Serve(capped) }()
	log.Info("recsim serve listening", "url", scheme+"://"+ln.Addr().String(), "clock", cfg.Clock.String(),
		"dataDir", srv.DataDir(), "token", *token != "", "auth", cfg.Auth.String(), "tenant", *tenant,
		"hangupPolicy", *hangup, "endOfMedia", *eom)

	code := exitOK
	select {
	case <-ctx.Done():
		log.Info("recsim serve stopping: draining")
	case err := <-served:
		log.Error("recsim serve: listener failed", "error", err)
		code = exitFailure
	}
	stop()
	dctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	// New calls and operations get 503 from now on; the listener stays up
	// so notifications to /recsim/v1/inbox and downloads still work.
	if err := srv.Shutdown(dctx); err != nil {
		log.Warn("recsim serve: drain incomplete; undelivered notifications dropped", "error", err)
	}
	_ = hs.Shutdown(dctx) // stop accepting; let answers in flight finish
	if err := srv.Close(); err != nil {
		log.Warn("recsim serve: removing the data directory", "error", err)
	}
	log.Info("recsim serve stopped")
	return code
}
