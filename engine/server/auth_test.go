package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/server"
	"github.com/recsim/recsim/engine/server/identity"
)

// Apps of the strict tests: one with every role, one that may only place
// calls, one that may only join.
var (
	fullApp   = identity.App{ClientID: "11111111-0000-4000-8000-000000000001", Secret: "full-secret", Roles: identity.AllRoles()}
	callerApp = identity.App{ClientID: "11111111-0000-4000-8000-000000000002", Secret: "caller-secret", Roles: []string{identity.RoleInitiate}}
	joinApp   = identity.App{ClientID: "11111111-0000-4000-8000-000000000003", Secret: "join-secret", Roles: []string{identity.RoleJoinGroupCall}}
)

// newStrict returns a strict mock whose Graph requests carry fullApp's
// token.
func newStrict(t *testing.T, cfg server.Config) *mock {
	m := newMock(t, cfg, nil)
	m.token = m.tokenFor(fullApp)
	return m
}

func strictConfig() server.Config {
	cfg := fast()
	cfg.Auth = server.AuthStrict
	cfg.Apps = []identity.App{fullApp, callerApp, joinApp}
	return cfg
}

// tokenFor gets an access token from m's token endpoint.
func (m *mock) tokenFor(app identity.App) string {
	m.t.Helper()
	r := m.tokenRequest(identity.DefaultTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID},
		"client_secret": {app.Secret}, "scope": {"https://graph.microsoft.com/.default"}})
	require.Equal(m.t, http.StatusOK, r.Status, "%s", r.Body)
	return r.json(m.t)["access_token"].(string)
}

func (m *mock) tokenRequest(tenant string, form url.Values) reply {
	return m.send("POST", "/"+tenant+"/oauth2/v2.0/token", []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
}

// as sends a Graph request with token.
func (m *mock) as(token, method, path, body string) reply {
	m.t.Helper()
	if body == "" && method != http.MethodPost {
		return m.send(method, path, nil, "Authorization", "Bearer "+token)
	}
	return m.send(method, path, []byte(body), "Authorization", "Bearer "+token, "Content-Type", "application/json")
}

func TestTheTokenEndpointAnswersAsEntraIDDoes(t *testing.T) {
	m := newMock(t, strictConfig(), nil)
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {fullApp.ClientID}, "client_secret": {fullApp.Secret},
		"scope": {"https://graph.microsoft.com/.default"}}
	t.Run("client credentials give a Bearer token of an hour", func(t *testing.T) {
		for _, tenant := range []string{identity.DefaultTenant, "common", "organizations"} {
			r := m.tokenRequest(tenant, good)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			j := r.json(t)
			assert.Equal(t, "Bearer", j["token_type"])
			assert.EqualValues(t, 3599, j["expires_in"])
			assert.EqualValues(t, 3599, j["ext_expires_in"])
			assert.NotEmpty(t, j["access_token"])
		}
	})
	refused := []struct {
		name   string
		tenant string
		change func(url.Values)
		status int
		code   string
	}{
		{"a wrong secret is invalid_client", identity.DefaultTenant, func(v url.Values) { v.Set("client_secret", "nope") }, 401, "invalid_client"},
		{"an unknown app is invalid_client", identity.DefaultTenant, func(v url.Values) { v.Set("client_id", "someone-else") }, 401, "invalid_client"},
		{"another grant is unsupported_grant_type", identity.DefaultTenant, func(v url.Values) { v.Set("grant_type", "password") }, 400, "unsupported_grant_type"},
		{"a scope without /.default is invalid_scope", identity.DefaultTenant, func(v url.Values) { v.Set("scope", "Calls.AccessMedia.All") }, 400, "invalid_scope"},
		{"another resource is invalid_scope", identity.DefaultTenant, func(v url.Values) { v.Set("scope", "https://management.azure.com/.default") }, 400, "invalid_scope"},
		{"a missing secret is invalid_request", identity.DefaultTenant, func(v url.Values) { v.Del("client_secret") }, 400, "invalid_request"},
		{"another tenant is invalid_request", "contoso.onmicrosoft.com", func(url.Values) {}, 400, "invalid_request"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			v := url.Values{}
			for k, x := range good {
				v[k] = append([]string(nil), x...)
			}
			c.change(v)
			r := m.tokenRequest(c.tenant, v)
			require.Equal(t, c.status, r.Status, "%s", r.Body)
			j := r.json(t)
			assert.Equal(t, c.code, j["error"])
			assert.Contains(t, j["error_description"], "AADSTS")
			assert.NotEmpty(t, j["error_codes"])
		})
	}
	t.Run("the discovery document and the keys", func(t *testing.T) {
		r := m.send("GET", "/"+identity.DefaultTenant+"/v2.0/.well-known/openid-configuration", nil)
		require.Equal(t, http.StatusOK, r.Status)
		d := r.json(t)
		assert.Equal(t, m.url+"/"+identity.DefaultTenant+"/v2.0", d["issuer"])
		assert.Equal(t, m.url+"/"+identity.DefaultTenant+"/oauth2/v2.0/token", d["token_endpoint"])
		k := m.send("GET", strings.TrimPrefix(d["jwks_uri"].(string), m.url), nil)
		require.Equal(t, http.StatusOK, k.Status)
		var set jose.JSONWebKeySet
		require.NoError(t, json.Unmarshal(k.Body, &set))
		require.NotEmpty(t, set.Keys)
		assert.True(t, set.Keys[0].IsPublic(), "only public keys are published")
		// A token verifies with them, and says what Entra ID's say.
		p, err := jwt.ParseSigned(m.tokenFor(callerApp), []jose.SignatureAlgorithm{jose.RS256})
		require.NoError(t, err)
		var c struct {
			jwt.Claims
			AppID string   `json:"appid"`
			Tid   string   `json:"tid"`
			Roles []string `json:"roles"`
		}
		require.NoError(t, p.Claims(&set, &c))
		assert.Equal(t, d["issuer"], c.Issuer)
		assert.Equal(t, jwt.Audience{identity.GraphAudience}, c.Audience)
		assert.Equal(t, callerApp.ClientID, c.AppID)
		assert.Equal(t, identity.DefaultTenant, c.Tid)
		assert.Equal(t, callerApp.Roles, c.Roles)
	})
}

func TestStrictAuthRefusesEveryBadTokenAndChangesNothing(t *testing.T) {
	clk := &movable{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	cfg := strictConfig()
	cfg.Now = clk.now
	m := newStrict(t, cfg)
	full := m.token
	id := m.established("")

	other := newMock(t, func() server.Config {
		c := strictConfig()
		k, err := identity.Generate()
		require.NoError(t, err)
		c.Keys = k
		return c
	}(), nil)
	foreign := other.tokenFor(fullApp)

	// Tokens the mock would not issue, signed with its own keys: another
	// audience, another issuer.
	signed := func(issuer, aud string) string {
		a := &identity.Authority{Tenant: identity.DefaultTenant, Apps: []identity.App{fullApp}, Keys: testKeys(), Now: clk.now}
		tok, _, err := a.Issue(issuer, fullApp.ClientID, fullApp.Secret, aud)
		require.NoError(t, err)
		return tok
	}
	issuer := m.url + "/" + identity.DefaultTenant + "/v2.0"
	before := m.noteCount(id)
	record := "/v1.0/communications/calls/" + id + "/recordResponse"
	cases := []struct {
		name    string
		token   string
		at      time.Duration // clock offset when the request is made
		status  int
		code    string
		message string
	}{
		{"no token", "", 0, 401, "InvalidAuthenticationToken", "Access token is empty"},
		{"garbage", "garbage", 0, 401, "InvalidAuthenticationToken", "not a JWT"},
		{"another server's keys", foreign, 0, 401, "InvalidAuthenticationToken", "Invalid signature"},
		{"expired", full, time.Hour + 6*time.Minute, 401, "InvalidAuthenticationToken", "expired"},
		{"not yet valid", full, -6 * time.Minute, 401, "InvalidAuthenticationToken", "not yet valid"},
		{"another audience", signed(issuer, "https://management.azure.com"), 0, 401, "InvalidAuthenticationToken", "Invalid audience"},
		{"another issuer", signed("https://login.microsoftonline.com/"+identity.DefaultTenant+"/v2.0", identity.GraphAudience), 0, 401, "InvalidAuthenticationToken", "Invalid issuer"},
		{"an app without Calls.AccessMedia.All", m.tokenFor(joinApp), 0, 403, "Forbidden", "recordResponse needs the application permission Calls.AccessMedia.All"},
	}
	for _, c := range cases {
		t.Run(c.name+" is "+http.StatusText(c.status), func(t *testing.T) {
			clk.set(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC).Add(c.at))
			defer clk.set(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
			var r reply
			if c.token == "" {
				r = m.send("POST", record, []byte(`{}`), "Content-Type", "application/json")
			} else {
				r = m.as(c.token, "POST", record, `{}`)
			}
			require.Equal(t, c.status, r.Status, "%s", r.Body)
			code, msg, _ := r.graphError(t)
			assert.Equal(t, c.code, code)
			assert.Contains(t, msg, c.message)
		})
	}
	t.Run("nothing changed: no operation, no notification", func(t *testing.T) {
		assert.Equal(t, before, m.noteCount(id))
		ev := m.send("GET", "/recsim/v1/calls/"+id+"/events", nil)
		assert.JSONEq(t, `{"value": []}`, string(ev.Body))
	})
	t.Run("each action's role", func(t *testing.T) {
		caller, join := m.tokenFor(callerApp), m.tokenFor(joinApp)
		assert.Equal(t, http.StatusForbidden, m.as(join, "POST", "/v1.0/communications/calls", `{"callbackUri": "`+m.bot.URL+`"}`).Status, "placing a call needs Calls.Initiate.All")
		assert.Equal(t, http.StatusCreated, m.as(caller, "POST", "/v1.0/communications/calls", `{"callbackUri": "`+m.bot.URL+`"}`).Status)
		assert.Equal(t, http.StatusForbidden, m.as(caller, "POST", record, `{}`).Status)
		assert.Equal(t, http.StatusOK, m.as(join, "POST", "/v1.0/communications/calls/"+id+"/updateRecordingStatus", `{"status": "recording"}`).Status)
		assert.Equal(t, http.StatusForbidden, m.as(caller, "POST", "/v1.0/communications/calls/"+id+"/updateRecordingStatus", `{"status": "recording"}`).Status)
		assert.Equal(t, http.StatusOK, m.as(caller, "GET", "/v1.0/communications/calls/"+id, "").Status, "GET call: any calling role")
		assert.Equal(t, http.StatusOK, m.as(full, "POST", record, `{"maxRecordDurationInSeconds": 1}`).Status)
	})
}

// movable is a clock tests set.
type movable struct {
	mu sync.Mutex
	t  time.Time
}

func (c *movable) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *movable) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// capture is a bot that keeps each POST's headers and answers 500 to the
// first fail ones.
type capture struct {
	*httptest.Server
	mu    sync.Mutex
	posts []http.Header
	fail  int
}

func newCapture(t *testing.T, fail int) *capture {
	c := &capture{fail: fail}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		c.mu.Lock()
		c.posts = append(c.posts, r.Header.Clone())
		n := len(c.posts)
		c.mu.Unlock()
		if n <= c.fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *capture) headers() []http.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]http.Header(nil), c.posts...)
}

func TestCallbacksCarryAJWTTheBotCanValidate(t *testing.T) {
	cfg := strictConfig()
	cfg.Notify = quickRetry(5, 5*time.Second)
	m := newMock(t, cfg, nil)
	bot := newCapture(t, 2)
	tok := m.tokenFor(joinApp)
	r := m.as(m.tokenFor(callerApp), "POST", "/v1.0/communications/calls", `{"callbackUri": "`+bot.URL+`"}`)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	placed := r.json(t)["id"].(string)
	require.Equal(t, http.StatusNoContent, m.as(tok, "DELETE", "/v1.0/communications/calls/"+placed, "").Status)
	m.drain()

	// What a bot does in production: the OpenID configuration, its jwks_uri,
	// then iss, aud (its app id), lifetime and signature.
	d := m.send("GET", "/recsim/v1/.well-known/OpenIdConfiguration", nil)
	require.Equal(t, http.StatusOK, d.Status)
	conf := d.json(t)
	assert.Equal(t, identity.BotFrameworkIssuer, conf["issuer"])
	k := m.send("GET", strings.TrimPrefix(conf["jwks_uri"].(string), m.url), nil)
	require.Equal(t, http.StatusOK, k.Status)
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal(k.Body, &set))

	posts := bot.headers()
	require.Len(t, posts, 2+2, "two refused attempts of the first notification, then both notifications")
	for i, h := range posts {
		auth := h.Get("Authorization")
		require.True(t, strings.HasPrefix(auth, "Bearer "), "post %d: %q", i, auth)
		p, err := jwt.ParseSigned(strings.TrimPrefix(auth, "Bearer "), []jose.SignatureAlgorithm{jose.RS256})
		require.NoError(t, err)
		var c struct {
			jwt.Claims
			Tid string `json:"tid"`
		}
		require.NoError(t, p.Claims(&set, &c), "post %d: the signature verifies with the published keys", i)
		assert.NoError(t, c.Validate(jwt.Expected{Issuer: identity.BotFrameworkIssuer, AnyAudience: jwt.Audience{callerApp.ClientID}, Time: time.Now()}),
			"post %d: the audience is the app that placed the call", i)
		assert.LessOrEqual(t, c.Expiry.Time().Sub(c.IssuedAt.Time()), time.Hour)
		assert.Equal(t, identity.DefaultTenant, c.Tid)
		assert.Equal(t, "application/json", h.Get("Content-Type"))
		assert.True(t, strings.HasPrefix(h.Get("User-Agent"), "recsim ("), h.Get("User-Agent"))
		assert.Equal(t, posts[0].Get("X-Microsoft-Skype-Chain-ID"), h.Get("X-Microsoft-Skype-Chain-ID"), "one chain per call")
	}
	assert.Equal(t, posts[0].Get("X-Microsoft-Skype-Message-ID"), posts[2].Get("X-Microsoft-Skype-Message-ID"), "a retry keeps its message ID")
	assert.NotEqual(t, posts[2].Get("X-Microsoft-Skype-Message-ID"), posts[3].Get("X-Microsoft-Skype-Message-ID"), "each notification has its own")
	assert.Len(t, posts[0].Get("X-Microsoft-Skype-Message-ID"), 36, "a GUID")
}

func TestKeysAndTokensSurviveARestartOnTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	start := func() *mock {
		cfg := strictConfig()
		cfg.DataDir = dir
		cfg.Keys = nil // kept in the data directory, rotated at each start
		// The issuer is the root bots reach: the same across the restarts
		// although each test server listens on a port of its own.
		cfg.BaseURL = "http://recsim.test"
		srv, err := server.New(cfg)
		require.NoError(t, err)
		ts := httptest.NewServer(srv)
		t.Cleanup(func() {
			ts.Close()
			srv.Close()
		})
		return &mock{t: t, srv: srv, ts: ts, bot: newBot(t, nil), url: ts.URL, client: ts.Client()}
	}
	get := func(m *mock, tok string) int {
		return m.as(tok, "GET", "/v1.0/communications/calls/00000000-0000-4000-8000-000000000000", "").Status
	}
	first := start()
	tok := first.tokenFor(fullApp)
	require.Equal(t, http.StatusNotFound, get(first, tok), "accepted (and the call is unknown)")
	first.ts.Close()
	require.NoError(t, first.srv.Close())
	// Each start on the directory adds a key; the token of the first one
	// verifies until three newer keys have pushed its key out.
	for i := 2; i <= 4; i++ {
		m := start()
		want := http.StatusNotFound
		if i == 4 {
			want = http.StatusUnauthorized
		}
		assert.Equal(t, want, get(m, tok), "start %d", i)
		m.ts.Close()
		require.NoError(t, m.srv.Close())
	}
}
