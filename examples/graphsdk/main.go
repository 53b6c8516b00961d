// Command graphsdk drives recsim's mock Graph server with Microsoft's
// official Go SDK (github.com/microsoftgraph/msgraph-sdk-go) the way a
// calling bot does: a caller rings, the bot answers, declares that it
// records, asks for a recorded response behind a prompt, polls the
// operation, receives the completion notification and downloads the WAV
// with its token; then it cancels a second recording midway and hangs up.
// A second call is an IVR menu (ivr.go): the bot subscribes to the
// caller's tones, records a message once the caller presses 1, up to #,
// and sends DTMF tones back. Last, a load run: -load calls (200) at once,
// each answered and given a recordResponse through the SDK, whose
// completions its own bot counts:
// one lost or duplicated fails the run. Any mismatch with what the SDK
// parses fails the run (exit 1).
//
// Auth is the production kind: the mock runs with strict auth over TLS; the
// bot gets its access token with azidentity's client secret credential
// pointed at the mock as its Entra ID authority, the SDK sends it through
// kiota's azidentity authentication provider, a second app without
// Calls.AccessMedia.All is refused recordResponse (403 Forbidden), and every
// notification's bearer JWT is validated against the callback OpenID
// configuration the mock publishes (go-jose). One callback that does not
// validate fails the run.
//
//	go run .                     # the mock in process (strict auth, TLS, realtime clock)
//	go run . -mock http://127.0.0.1:8080 -token T   # against `recsim serve` (--auth any)
//	go run . -mock https://127.0.0.1:8443 -ca DIR/tls-cert.pem \
//	    -client-id ID -client-secret S [-nomedia ID2:S2]   # `recsim serve --auth strict --tls`
//
// It imports only the SDK's communications and models packages (and the
// kiota runtime they need, with kiota's azidentity authentication
// provider), not the whole service client, which halves the build.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	kiotaazure "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/communications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/recsim/recsim/engine/runner"
	"github.com/recsim/recsim/engine/server"
	"github.com/recsim/recsim/engine/server/identity"
	"github.com/recsim/recsim/media"
)

// options are the command line.
type options struct {
	mock, token, tenant  string
	clientID, secret, ca string
	noMedia              string // ID:SECRET of an app without Calls.AccessMedia.All
	load                 int
}

// inProcessApps are the two apps of the in-process mock: the bot, with
// every role (the first app: the audience of an incoming call's callbacks
// before it is answered), and one that may answer and place calls but not
// record.
func inProcessApps() (bot, noMedia identity.App) {
	return identity.App{ClientID: "0b07c0de-0000-4000-8000-00000000b0a7", Secret: "graphsdk-bot-secret", Roles: identity.AllRoles()},
		identity.App{ClientID: "0b07c0de-0000-4000-8000-0000000000ff", Secret: "graphsdk-nomedia-secret",
			Roles: []string{identity.RoleJoinGroupCall, identity.RoleInitiate}}
}

func main() {
	var o options
	flag.StringVar(&o.mock, "mock", "", "URL of a running `recsim serve` (default: start the mock in process, strict auth over TLS)")
	flag.StringVar(&o.token, "token", "sdk-example-token", "fixed bearer token for the Graph surface (when no -client-id/-client-secret)")
	flag.StringVar(&o.tenant, "tenant", identity.DefaultTenant, "tenant ID of the mock (recsim serve --tenant)")
	flag.StringVar(&o.clientID, "client-id", "", "the bot's client ID (recsim serve --app ID:SECRET); with -client-secret, get tokens with azidentity from -mock; alone, the expected audience of the callbacks")
	flag.StringVar(&o.secret, "client-secret", "", "the bot's client secret")
	flag.StringVar(&o.ca, "ca", "", "PEM certificate to trust for -mock (recsim serve --tls writes {data-dir}/tls-cert.pem); default: the system's roots")
	flag.StringVar(&o.noMedia, "nomedia", "", "ID:SECRET of an app without Calls.AccessMedia.All, to show the 403 (with -mock; in process: its own)")
	flag.IntVar(&o.load, "load", 200, "then this many calls at once, each a recordResponse whose completion must arrive exactly once (0: none)")
	flag.Parse()
	start := time.Now()
	if err := run(o); err != nil {
		log.Fatalf("graphsdk: FAIL: %v", err)
	}
	fmt.Printf("graphsdk: PASS in %.1f s\n", time.Since(start).Seconds())
}

// bearerAuth is the SDK's authentication hook: it adds the bearer token.
type bearerAuth string

func (b bearerAuth) AuthenticateRequest(_ context.Context, r *abs.RequestInformation, _ map[string]any) error {
	r.Headers.Add("Authorization", "Bearer "+string(b))
	return nil
}

// notification is one notification as the bot received it: the envelope
// decoded, resourceData parsed by the SDK.
type notification struct {
	changeType  string
	resourceURL string
	op          models.CommsOperationable // resourceData of an operation
	call        models.Callable           // resourceData of a call
	callState   string                    // resourceData of a call: its state as sent
	body        []byte                    // the notification's body as received
}

// bot receives notifications and hands them over in arrival order. It is
// plain http on loopback, as a bot behind a TLS-terminating proxy would be.
type bot struct {
	*httptest.Server
	ch chan notification
}

// mustValidate fails the run at once (exit 1) on a notification whose
// bearer JWT does not validate: a bot must never act on one.
func mustValidate(auth *callbackAuth, r *http.Request) {
	if err := auth.check(r); err != nil {
		log.Fatalf("graphsdk: FAIL: notification %s %s: %v", r.Method, r.URL.Path, err)
	}
}

func newBot(auth *callbackAuth) *bot {
	b := &bot{ch: make(chan notification, 100)}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mustValidate(auth, r)
		raw, _ := io.ReadAll(r.Body)
		var env struct {
			Type  string `json:"@odata.type"`
			Value []struct {
				Type         string          `json:"@odata.type"`
				ChangeType   string          `json:"changeType"`
				ResourceURL  string          `json:"resourceUrl"`
				ResourceData json.RawMessage `json:"resourceData"`
			} `json:"value"`
		}
		if err := json.Unmarshal(raw, &env); err != nil || env.Type != "#microsoft.graph.commsNotifications" || len(env.Value) != 1 {
			log.Fatalf("graphsdk: FAIL: bad notification envelope: %s", raw)
		}
		v := env.Value[0]
		n := notification{changeType: v.ChangeType, resourceURL: v.ResourceURL, body: raw}
		node, err := jsonser.NewJsonParseNode(v.ResourceData)
		if err != nil {
			log.Fatalf("graphsdk: FAIL: resourceData: %v", err)
		}
		if strings.Contains(v.ResourceURL, "/operations/") {
			p, err := node.GetObjectValue(models.CreateCommsOperationFromDiscriminatorValue)
			if err != nil {
				log.Fatalf("graphsdk: FAIL: the SDK cannot parse resourceData: %v: %s", err, v.ResourceData)
			}
			n.op = p.(models.CommsOperationable)
		} else {
			p, err := node.GetObjectValue(models.CreateCallFromDiscriminatorValue)
			if err != nil {
				log.Fatalf("graphsdk: FAIL: the SDK cannot parse the call in resourceData: %v: %s", err, v.ResourceData)
			}
			n.call = p.(models.Callable)
			var c struct{ State string }
			_ = json.Unmarshal(v.ResourceData, &c)
			n.callState = c.State
		}
		b.ch <- n
		w.WriteHeader(http.StatusAccepted)
	}))
	return b
}

// next waits for the next notification on resource (a suffix) with
// changeType, skipping others.
func (b *bot) next(changeType, resource string) (notification, error) {
	timeout := time.After(30 * time.Second)
	for {
		select {
		case n := <-b.ch:
			if n.changeType == changeType && strings.HasSuffix(n.resourceURL, resource) {
				return n, nil
			}
		case <-timeout:
			return notification{}, fmt.Errorf("no %s notification for %s within 30 s", changeType, resource)
		}
	}
}

// recv waits for the next notification, whatever it is.
func (b *bot) recv(what string) (notification, error) {
	select {
	case n := <-b.ch:
		return n, nil
	case <-time.After(30 * time.Second):
		return notification{}, fmt.Errorf("no notification within 30 s (waiting for %s)", what)
	}
}

func ptr[T any](v T) *T { return &v }

// answer answers call with service-hosted audio, its notifications going
// to callback.
func answer(ctx context.Context, call *communications.CallsCallItemRequestBuilder, callback string) error {
	body := communications.NewCallsItemAnswerPostRequestBody()
	body.SetCallbackUri(ptr(callback))
	body.SetAcceptedModalities([]models.Modality{models.AUDIO_MODALITY})
	body.SetMediaConfig(models.NewServiceHostedMediaConfig())
	if err := call.Answer().Post(ctx, body, nil); err != nil {
		return fmt.Errorf("Answer: %w", describe(err))
	}
	return nil
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// check fails the run unless ok.
func check(ok bool, format string, args ...any) error {
	if !ok {
		return fmt.Errorf(format, args...)
	}
	return nil
}

// startMock starts the mock in process: strict auth, the two apps of
// inProcessApps, over TLS with a self-signed certificate made as `recsim
// serve --tls` makes it. It returns the URL, the certificate to trust and
// a stop function.
func startMock(gzipped *atomic.Int64) (string, []byte, func(), error) {
	bot, noMedia := inProcessApps()
	srv, err := server.New(server.Config{Clock: runner.Realtime, Auth: server.AuthStrict, Apps: []identity.App{bot, noMedia}})
	if err != nil {
		return "", nil, nil, err
	}
	certPEM, keyPEM, err := identity.SelfSigned([]string{"127.0.0.1", "::1", "localhost"}, time.Now())
	if err != nil {
		srv.Close()
		return "", nil, nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		srv.Close()
		return "", nil, nil, err
	}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Encoding") == "gzip" {
			gzipped.Add(1)
		}
		srv.ServeHTTP(w, r)
	}))
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	ts.StartTLS()
	return ts.URL, certPEM, func() { ts.Close(); srv.Close() }, nil
}

func run(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var gzipped atomic.Int64 // request bodies the SDK compressed (in process only)
	inProcess := o.mock == ""
	var certPEM []byte
	if inProcess {
		var stop func()
		var err error
		if o.mock, certPEM, stop, err = startMock(&gzipped); err != nil {
			return err
		}
		defer stop()
		bot, noMedia := inProcessApps()
		o.clientID, o.secret, o.noMedia = bot.ClientID, bot.Secret, noMedia.ClientID+":"+noMedia.Secret
		fmt.Printf("mock: %s, strict auth, TLS with its own certificate\n", o.mock)
	} else {
		var err error
		if certPEM, err = readCA(o.ca); err != nil {
			return err
		}
	}
	mockURL := strings.TrimSuffix(o.mock, "/")
	u, err := url.Parse(mockURL)
	if err != nil {
		return fmt.Errorf("-mock %q: %w", o.mock, err)
	}
	roots, err := trust(certPEM)
	if err != nil {
		return err
	}
	// One transport trusting the mock's certificate for everything: MSAL,
	// the SDK, the simulation control, the downloads.
	tr := transport(roots)
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	// The bot's Graph authentication: azidentity against the mock's
	// authority when it has a client ID and secret, else the fixed token.
	var graphAuth absauth.AuthenticationProvider = bearerAuth(o.token)
	accessTok, botID := o.token, o.clientID
	if o.clientID != "" && o.secret != "" {
		cred, err := credential(mockURL, o.tenant, o.clientID, o.secret, client)
		if err != nil {
			return err
		}
		tok, err := accessToken(ctx, cred)
		if err != nil {
			return fmt.Errorf("azidentity: %w", err)
		}
		accessTok = tok.Token
		fmt.Printf("azidentity: app %s got a token from %s/%s/oauth2/v2.0/token: roles %s, expires in %.0f min\n",
			o.clientID, mockURL, o.tenant, strings.Join(rolesOf(tok.Token), ", "), time.Until(tok.ExpiresOn).Minutes())
		// kiota's provider for azidentity credentials, the one
		// msgraph-sdk-go's service client uses; it sends the token only
		// to the hosts it is given.
		if graphAuth, err = kiotaazure.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{graphScope}, []string{u.Hostname()}); err != nil {
			return err
		}
	}
	if botID == "" {
		botID = identity.DefaultApp().ClientID // recsim serve's app when --app names none
	}
	callbacks, err := newCallbackAuth(client, mockURL+"/recsim/v1/.well-known/OpenIdConfiguration", botID, o.tenant)
	if err != nil {
		return fmt.Errorf("callback OpenID configuration: %w", err)
	}
	fmt.Printf("callbacks: validated against issuer %s, %d key(s) from %s, audience %s\n",
		callbacks.issuer, len(callbacks.keys.Keys), callbacks.jwksURI, botID)
	b := newBot(callbacks)
	defer b.Close()

	// A prompt on a loopback host (the mock's default allow-list): 1 s of
	// a 440 Hz tone, 16 kHz mono 16-bit as Graph requires.
	promptWAV, err := media.EncodeWAV(media.Tone(16000, 16000, media.ToneSpec{Hz: 440, Level: -20, Ramp: 80}), 16000)
	if err != nil {
		return err
	}
	prompts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(promptWAV) }))
	defer prompts.Close()

	// The SDK: kiota's HTTP adapter (with its default middleware, which
	// gzips request bodies) and JSON serialization, on the mock's /v1.0.
	abs.RegisterDefaultSerializer(func() absser.SerializationWriterFactory { return jsonser.NewJsonSerializationWriterFactory() })
	abs.RegisterDefaultDeserializer(func() absser.ParseNodeFactory { return jsonser.NewJsonParseNodeFactory() })
	comms, err := graphClient(graphAuth, tr, mockURL)
	if err != nil {
		return err
	}

	// 1. A caller rings (simulation control, no token): the bot gets a
	// created notification with state incoming.
	callID, err := control(client, mockURL, "POST", "/recsim/v1/calls", `{"callbackUri": "`+b.URL+`/notify"}`)
	if err != nil {
		return err
	}
	n, err := b.next("created", "/communications/calls/"+callID)
	if err != nil {
		return err
	}
	if err := check(n.callState == "incoming", "created notification: state %q, want incoming", n.callState); err != nil {
		return err
	}
	fmt.Printf("incoming call %s: created notification, state %s\n", callID, n.callState)
	// What the caller does: waits through the prompt and the beep, speaks,
	// presses #.
	if _, err := control(client, mockURL, "PUT", "/recsim/v1/calls/"+callID+"/media",
		`{"caller": [{"silence": 2}, {"speech": "en_us_s145_48"}, {"silence": 0.5}, {"dtmf": "#"}, {"silence": 2}]}`); err != nil {
		return err
	}
	call := comms.Calls().ByCallId(callID)

	// 2. Answer.
	if err := answer(ctx, call, b.URL+"/notify"); err != nil {
		return err
	}
	if n, err = b.next("updated", "/communications/calls/"+callID); err != nil {
		return err
	}
	if err := check(n.callState == "established", "answer: notification state %q, want established", n.callState); err != nil {
		return err
	}
	got, err := call.Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("GET call: %w", describe(err))
	}
	if err := check(got.GetState() != nil && *got.GetState() == models.ESTABLISHED_CALLSTATE, "GET call: state %v", got.GetState()); err != nil {
		return err
	}
	fmt.Println("answered: updated notification, state established; GET call parsed: established")

	// 3. updateRecordingStatus.
	urs := communications.NewCallsItemUpdateRecordingStatusPostRequestBody()
	urs.SetStatus(ptr(models.RECORDING_RECORDINGSTATUS))
	urs.SetClientContext(ptr("sdk-urs"))
	ursOp, err := call.UpdateRecordingStatus().Post(ctx, urs, nil)
	if err != nil {
		return fmt.Errorf("UpdateRecordingStatus: %w", describe(err))
	}
	if err := check(ursOp.GetStatus() != nil && *ursOp.GetStatus() == models.COMPLETED_OPERATIONSTATUS && str(ursOp.GetClientContext()) == "sdk-urs",
		"UpdateRecordingStatus: status %v, clientContext %s", ursOp.GetStatus(), str(ursOp.GetClientContext())); err != nil {
		return err
	}
	fmt.Printf("updateRecordingStatus: %s, clientContext %s\n", ursOp.GetStatus(), str(ursOp.GetClientContext()))

	// 4. An app without Calls.AccessMedia.All may not record: its own
	// azidentity token, the same request through the SDK → 403 Forbidden.
	if o.noMedia != "" {
		if err := forbidden(ctx, o, mockURL, client, tr, callID); err != nil {
			return err
		}
	} else {
		fmt.Println("403: skipped (no -nomedia app)")
	}

	// 5. recordResponse behind the prompt.
	prompt := models.NewMediaPrompt()
	mi := models.NewMediaInfo()
	mi.SetUri(ptr(prompts.URL + "/prompt.wav"))
	prompt.SetMediaInfo(mi)
	rr := communications.NewCallsItemRecordResponsePostRequestBody()
	rr.SetPrompts([]models.Promptable{prompt})
	rr.SetBargeInAllowed(ptr(false))
	rr.SetInitialSilenceTimeoutInSeconds(ptr(int32(5)))
	rr.SetMaxSilenceTimeoutInSeconds(ptr(int32(3)))
	rr.SetMaxRecordDurationInSeconds(ptr(int32(30)))
	rr.SetPlayBeep(ptr(true))
	rr.SetStopTones([]string{"#"})
	rr.SetClientContext(ptr("sdk-record"))
	op, err := call.RecordResponse().Post(ctx, rr, nil)
	if err != nil {
		return fmt.Errorf("RecordResponse: %w", describe(err))
	}
	if err := check(op.GetStatus() != nil, "RecordResponse: the SDK parsed no status (enum casing?)"); err != nil {
		return err
	}
	if err := check(*op.GetStatus() == models.RUNNING_OPERATIONSTATUS && op.GetId() != nil && str(op.GetClientContext()) == "sdk-record" &&
		op.GetResultInfo() == nil && op.GetRecordingLocation() == nil,
		"RecordResponse: status %s, id %s, clientContext %s, resultInfo %v, recordingLocation %s",
		op.GetStatus(), str(op.GetId()), str(op.GetClientContext()), op.GetResultInfo(), str(op.GetRecordingLocation())); err != nil {
		return err
	}
	opID := *op.GetId()
	fmt.Printf("recordResponse: operation %s %s\n", opID, op.GetStatus())

	// 6. Poll the operation until it ends.
	var final models.RecordOperationable
	polls := 0
	for deadline := time.Now().Add(30 * time.Second); ; polls++ {
		c, err := call.Operations().ByCommsOperationId(opID).Get(ctx, nil)
		if err != nil {
			return fmt.Errorf("GET operation: %w", describe(err))
		}
		ro, ok := c.(models.RecordOperationable)
		if err := check(ok, "GET operation: the SDK parsed a %T, want a recordOperation", c); err != nil {
			return err
		}
		if err := check(ro.GetStatus() != nil, "GET operation: no status parsed"); err != nil {
			return err
		}
		if *ro.GetStatus() != models.RUNNING_OPERATIONSTATUS {
			final = ro
			break
		}
		if time.Now().After(deadline) {
			return errors.New("the operation still runs after 30 s")
		}
		time.Sleep(250 * time.Millisecond)
	}
	ri := final.GetResultInfo()
	if err := check(*final.GetStatus() == models.COMPLETED_OPERATIONSTATUS && ri != nil && *ri.GetCode() == 200 && *ri.GetSubcode() == 8514 &&
		str(final.GetRecordingLocation()) != "" && str(final.GetRecordingAccessToken()) != "",
		"final operation: status %s, resultInfo %v, location %s", final.GetStatus(), ri, str(final.GetRecordingLocation())); err != nil {
		return err
	}
	fmt.Printf("polled %d times: %s, resultInfo %d/%d %q\n", polls, final.GetStatus(), *ri.GetCode(), *ri.GetSubcode(), str(ri.GetMessage()))

	// 7. The completion notification, parsed by the SDK.
	if n, err = b.next("deleted", "/operations/"+opID); err != nil {
		return err
	}
	nro, ok := n.op.(models.RecordOperationable)
	if err := check(ok && nro.GetStatus() != nil && *nro.GetStatus() == models.COMPLETED_OPERATIONSTATUS &&
		str(nro.GetRecordingLocation()) == str(final.GetRecordingLocation()) && str(nro.GetRecordingAccessToken()) == str(final.GetRecordingAccessToken()),
		"completion notification: %T status %v", n.op, n.op.GetStatus()); err != nil {
		return err
	}
	reason, _ := nro.GetAdditionalData()["completionReason"].(*string)
	fmt.Printf("completion notification: %s, completionReason %s\n", nro.GetStatus(), str(reason))

	// 8. Download the recording with its token.
	wav, pcm, rate, err := downloadWAV(client, str(nro.GetRecordingLocation()), str(nro.GetRecordingAccessToken()))
	if err != nil {
		return err
	}
	if err := check(rate == 16000 && len(pcm) > 16000, "recording: %d Hz, %d samples", rate, len(pcm)); err != nil {
		return err
	}
	if _, err := download(client, str(nro.GetRecordingLocation()), "wrong"); err == nil {
		return errors.New("a wrong recording token was accepted")
	}
	fmt.Printf("recording: %d bytes, %d Hz, %.2f s\n", len(wav), rate, float64(len(pcm))/16000)

	// 9. playPrompt.
	pp := communications.NewCallsItemPlayPromptPostRequestBody()
	pp.SetPrompts([]models.Promptable{prompt})
	pp.SetClientContext(ptr("sdk-play"))
	ppOp, err := call.PlayPrompt().Post(ctx, pp, nil)
	if err != nil {
		return fmt.Errorf("PlayPrompt: %w", describe(err))
	}
	if err := check(ppOp.GetStatus() != nil && *ppOp.GetStatus() == models.RUNNING_OPERATIONSTATUS, "PlayPrompt: status %v", ppOp.GetStatus()); err != nil {
		return err
	}
	if n, err = b.next("deleted", "/operations/"+str(ppOp.GetId())); err != nil {
		return err
	}
	ppDone, ok := n.op.(models.PlayPromptOperationable)
	// completionReason is not in v1.0's playPromptOperation: the SDK keeps it in AdditionalData.
	ppReason, _ := n.op.GetAdditionalData()["completionReason"].(*string)
	if err := check(ok && *ppDone.GetStatus() == models.COMPLETED_OPERATIONSTATUS && str(ppReason) == "completedSuccessfully",
		"playPrompt completion: %T, completionReason %s", n.op, str(ppReason)); err != nil {
		return err
	}
	fmt.Printf("playPrompt: %s, then completion %s (%s)\n", ppOp.GetStatus(), ppDone.GetStatus(), str(ppReason))

	// 10. A second recording, cancelled while it runs.
	rr2 := communications.NewCallsItemRecordResponsePostRequestBody()
	rr2.SetInitialSilenceTimeoutInSeconds(ptr(int32(60)))
	rr2.SetMaxRecordDurationInSeconds(ptr(int32(60)))
	op2, err := call.RecordResponse().Post(ctx, rr2, nil)
	if err != nil {
		return fmt.Errorf("RecordResponse: %w", describe(err))
	}
	time.Sleep(300 * time.Millisecond) // let it run a little (realtime)
	cm := communications.NewCallsItemCancelMediaProcessingPostRequestBody()
	cm.SetClientContext(ptr("sdk-cancel"))
	cmOp, err := call.CancelMediaProcessing().Post(ctx, cm, nil)
	if err != nil {
		return fmt.Errorf("CancelMediaProcessing: %w", describe(err))
	}
	if err := check(cmOp.GetStatus() != nil && *cmOp.GetStatus() == models.COMPLETED_OPERATIONSTATUS, "CancelMediaProcessing: status %v", cmOp.GetStatus()); err != nil {
		return err
	}
	if n, err = b.next("deleted", "/operations/"+str(op2.GetId())); err != nil {
		return err
	}
	c2, ok := n.op.(models.RecordOperationable)
	if err := check(ok && *c2.GetStatus() == models.FAILED_OPERATIONSTATUS && *c2.GetResultInfo().GetSubcode() == 8508 &&
		c2.GetRecordingLocation() != nil && *c2.GetRecordingLocation() == "" && c2.GetRecordingAccessToken() != nil && *c2.GetRecordingAccessToken() == "",
		"cancelled recording: %v", n.op.GetStatus()); err != nil {
		return err
	}
	fmt.Printf("cancelMediaProcessing: %s; the running recording ended %s %d/%d, location %q\n",
		cmOp.GetStatus(), c2.GetStatus(), *c2.GetResultInfo().GetCode(), *c2.GetResultInfo().GetSubcode(), *c2.GetRecordingLocation())

	// 11. Hang up; the call is gone (404, subcode 8522) and a wrong token is 401.
	if err := call.Delete(ctx, nil); err != nil {
		return fmt.Errorf("DELETE call: %w", describe(err))
	}
	if n, err = b.next("deleted", "/communications/calls/"+callID); err != nil {
		return err
	}
	if err := check(n.callState == "terminated", "deleted notification: state %q", n.callState); err != nil {
		return err
	}
	_, err = call.Get(ctx, nil)
	if err := wantError(err, "NotFound"); err != nil {
		return fmt.Errorf("GET an ended call: %w", err)
	}
	bad, err := graphClient(bearerAuth(accessTok+"-wrong"), tr, mockURL)
	if err != nil {
		return err
	}
	_, err = bad.Calls().ByCallId(callID).Get(ctx, nil)
	if err := wantError(err, "InvalidAuthenticationToken"); err != nil {
		return fmt.Errorf("a wrong bearer token: %w", err)
	}
	fmt.Println("hung up: deleted notification, state terminated; GET → NotFound; a wrong token → InvalidAuthenticationToken")

	// 12. A second call: an IVR menu (ivr.go).
	if err := ivr(ctx, comms, client, mockURL, b); err != nil {
		return fmt.Errorf("IVR: %w", err)
	}
	if inProcess {
		if err := check(gzipped.Load() > 0, "the SDK sent no gzip request body"); err != nil {
			return err
		}
		fmt.Printf("request bodies the SDK gzipped and the mock read: %d\n", gzipped.Load())
	}
	if o.load > 0 {
		if err := load(ctx, comms, client, callbacks, mockURL, o.load); err != nil {
			return err
		}
	}
	other := "00000000-0000-4000-8000-000000000000" // an app that is not the bot
	if id, _, ok := strings.Cut(o.noMedia, ":"); ok {
		other = id
	}
	if err := callbacks.selfCheck(other); err != nil {
		return fmt.Errorf("callback validation self-check: %w", err)
	}
	fmt.Printf("callbacks: %d bearer JWTs validated (signature by kid, iss, aud %s, tid, exp/nbf), none refused; "+
		"a tampered signature, another audience, an unsigned and an expired token are refused\n", callbacks.valid.Load(), botID)
	return nil
}

// graphClient is the SDK's communications client on the mock's /v1.0:
// kiota's HTTP adapter with its default middleware (which gzips request
// bodies) over tr, and JSON serialization.
func graphClient(auth absauth.AuthenticationProvider, tr http.RoundTripper, mockURL string) (*communications.CommunicationsRequestBuilder, error) {
	hc := &http.Client{
		Transport:     khttp.NewCustomTransportWithParentTransport(tr, khttp.GetDefaultMiddlewares()...),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       100 * time.Second,
	}
	adapter, err := khttp.NewNetHttpRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, hc)
	if err != nil {
		return nil, err
	}
	adapter.SetBaseUrl(mockURL + "/v1.0")
	return communications.NewCommunicationsRequestBuilderInternal(map[string]string{}, adapter), nil
}

// forbidden shows the 403: the "no media" app gets its own token with
// azidentity, and recordResponse with it is refused naming the missing
// permission.
func forbidden(ctx context.Context, o options, mockURL string, client *http.Client, tr http.RoundTripper, callID string) error {
	id, secret, ok := strings.Cut(o.noMedia, ":")
	if !ok || id == "" || secret == "" {
		return fmt.Errorf("-nomedia %q: want CLIENT_ID:SECRET", o.noMedia)
	}
	cred, err := credential(mockURL, o.tenant, id, secret, client)
	if err != nil {
		return err
	}
	tok, err := accessToken(ctx, cred)
	if err != nil {
		return fmt.Errorf("azidentity (app %s): %w", id, err)
	}
	u, _ := url.Parse(mockURL)
	auth, err := kiotaazure.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{graphScope}, []string{u.Hostname()})
	if err != nil {
		return err
	}
	comms, err := graphClient(auth, tr, mockURL)
	if err != nil {
		return err
	}
	rr := communications.NewCallsItemRecordResponsePostRequestBody()
	rr.SetMaxRecordDurationInSeconds(ptr(int32(5)))
	_, err = comms.Calls().ByCallId(callID).RecordResponse().Post(ctx, rr, nil)
	if err := wantError(err, "Forbidden"); err != nil {
		return fmt.Errorf("recordResponse by app %s (roles %s): %w", id, strings.Join(rolesOf(tok.Token), ", "), err)
	}
	var oe *odataerrors.ODataError
	errors.As(err, &oe)
	msg := str(oe.GetErrorEscaped().GetMessage())
	if err := check(oe.ResponseStatusCode == http.StatusForbidden && strings.Contains(msg, identity.RoleAccessMedia),
		"recordResponse by app %s: %d %q, want 403 naming %s", id, oe.ResponseStatusCode, msg, identity.RoleAccessMedia); err != nil {
		return err
	}
	fmt.Printf("403: app %s (roles %s) → recordResponse: %d %s: %s\n", id, strings.Join(rolesOf(tok.Token), ", "),
		oe.ResponseStatusCode, str(oe.GetErrorEscaped().GetCode()), msg)
	return nil
}

// load places calls at once, each answered and given one recordResponse
// through the SDK, and counts at its own bot the completions the SDK
// parses: each must arrive exactly once.
func load(ctx context.Context, comms *communications.CommunicationsRequestBuilder, client *http.Client, callbacks *callbackAuth, mockURL string, calls int) error {
	start := time.Now()
	var mu sync.Mutex
	completions := map[string]int{}
	all := make(chan struct{}, 1)
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mustValidate(callbacks, r)
		raw, _ := io.ReadAll(r.Body)
		var env struct {
			Value []struct {
				ChangeType   string          `json:"changeType"`
				ResourceURL  string          `json:"resourceUrl"`
				ResourceData json.RawMessage `json:"resourceData"`
			} `json:"value"`
		}
		if json.Unmarshal(raw, &env) == nil && len(env.Value) == 1 && env.Value[0].ChangeType == "deleted" &&
			strings.Contains(env.Value[0].ResourceURL, "/operations/") {
			node, err := jsonser.NewJsonParseNode(env.Value[0].ResourceData)
			if err == nil {
				if p, err := node.GetObjectValue(models.CreateCommsOperationFromDiscriminatorValue); err == nil {
					if op, ok := p.(models.RecordOperationable); ok && op.GetId() != nil {
						mu.Lock()
						completions[*op.GetId()]++
						if len(completions) == calls {
							select {
							case all <- struct{}{}:
							default:
							}
						}
						mu.Unlock()
					}
				}
			}
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer bot.Close()

	ops := make(chan string, calls)
	errs := make(chan error, calls)
	var wg sync.WaitGroup
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := control(client, mockURL, "POST", "/recsim/v1/calls", `{"callbackUri": "`+bot.URL+`"}`)
			if err == nil {
				_, err = control(client, mockURL, "PUT", "/recsim/v1/calls/"+id+"/media", `{"caller": [{"silence": 1}, {"dtmf": "#"}, {"silence": 1}]}`)
			}
			if err != nil {
				errs <- err
				return
			}
			call := comms.Calls().ByCallId(id)
			if err := answer(ctx, call, bot.URL); err != nil {
				errs <- fmt.Errorf("load: %w", err)
				return
			}
			rr := communications.NewCallsItemRecordResponsePostRequestBody()
			rr.SetStopTones([]string{"#"})
			rr.SetMaxRecordDurationInSeconds(ptr(int32(10)))
			op, err := call.RecordResponse().Post(ctx, rr, nil)
			if err != nil || op.GetId() == nil {
				errs <- fmt.Errorf("load: RecordResponse: %w", describe(err))
				return
			}
			ops <- *op.GetId()
		}()
	}
	wg.Wait()
	close(errs)
	close(ops)
	if err := <-errs; err != nil {
		return err
	}
	select {
	case <-all:
	case <-time.After(60 * time.Second):
	case <-ctx.Done():
		return ctx.Err()
	}
	time.Sleep(500 * time.Millisecond) // a duplicate would arrive by now: the mock retries within 250 ms
	mu.Lock()
	defer mu.Unlock()
	lost, dup := 0, 0
	n := 0
	for id := range ops {
		n++
		switch c := completions[id]; {
		case c == 0:
			lost++
		case c > 1:
			dup += c - 1
		}
	}
	fmt.Printf("load: %d calls at once through the SDK: %d completions, lost %d, duplicated %d, in %.1f s\n",
		n, len(completions), lost, dup, time.Since(start).Seconds())
	return check(n == calls && lost == 0 && dup == 0, "load: %d of %d calls posted, lost %d, duplicated %d", n, calls, lost, dup)
}

// describe unwraps the SDK's ODataError into its code and message.
func describe(err error) error {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) && oe.GetErrorEscaped() != nil {
		return fmt.Errorf("%d %s: %s", oe.ResponseStatusCode, str(oe.GetErrorEscaped().GetCode()), str(oe.GetErrorEscaped().GetMessage()))
	}
	return err
}

// wantError checks err is an ODataError with code.
func wantError(err error, code string) error {
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.GetErrorEscaped() == nil {
		return fmt.Errorf("want an ODataError %s, got %v", code, err)
	}
	if got := str(oe.GetErrorEscaped().GetCode()); got != code {
		return fmt.Errorf("want error code %s, got %s (%s)", code, got, str(oe.GetErrorEscaped().GetMessage()))
	}
	return nil
}

// control calls the simulation control and returns the "id" it answers.
func control(client *http.Client, base, method, path, body string) (string, error) {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, b)
	}
	var v struct{ ID string }
	_ = json.Unmarshal(b, &v)
	return v.ID, nil
}

// download fetches a recording with its token.
// downloadWAV downloads a recording and decodes it: a WAV whose size is
// its header and its samples, nothing more.
func downloadWAV(client *http.Client, location, token string) ([]byte, []int16, media.SampleRate, error) {
	wav, err := download(client, location, token)
	if err != nil {
		return nil, nil, 0, err
	}
	rd, err := media.NewReader(bytes.NewReader(wav), "recording")
	if err != nil {
		return nil, nil, 0, fmt.Errorf("the recording is not a WAV: %w", err)
	}
	pcm, err := media.ReadAll(rd)
	if err != nil {
		return nil, nil, 0, err
	}
	if len(wav) != media.HeaderSize+2*len(pcm) {
		return nil, nil, 0, fmt.Errorf("recording: %d bytes for %d samples", len(wav), len(pcm))
	}
	return wav, pcm, rd.Rate(), nil
}

func download(client *http.Client, location, token string) ([]byte, error) {
	req, err := http.NewRequest("GET", location, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/octet-stream" {
		return nil, fmt.Errorf("download: %s (%s)", resp.Status, resp.Header.Get("Content-Type"))
	}
	return b, nil
}
