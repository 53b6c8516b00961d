package server

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/recsim/recsim/engine/server/identity"
)

// AuthMode says how the Graph surface checks bearer tokens.
type AuthMode uint8

// Auth modes (docs/identity.md).
const (
	// AuthAny accepts any bearer token (or only Config.Token).
	AuthAny AuthMode = iota
	// AuthStrict accepts the access tokens of this server's token
	// endpoint: signature, lifetime, audience, issuer, tenant and the
	// role of the action are checked on every Graph request.
	AuthStrict
)

// ParseAuthMode parses "any" or "strict".
func ParseAuthMode(s string) (AuthMode, error) {
	switch strings.ToLower(s) {
	case "any":
		return AuthAny, nil
	case "strict":
		return AuthStrict, nil
	}
	return 0, fmt.Errorf("auth %q: must be any or strict", s)
}

// String returns the mode as --auth spells it.
func (m AuthMode) String() string {
	if m == AuthStrict {
		return "strict"
	}
	return "any"
}

// keysFile is where a data directory keeps the signing keys.
const keysFile = "keys.json"

// keysKept is how many keys a data directory keeps: the new one of this
// start and the two before it, so a token or callback signed by the
// previous two starts still verifies.
const keysKept = 3

// identityState is the server's token authority and callback signer.
type identityState struct {
	cfg  Config
	now  func() time.Time
	once sync.Once
	keys *identity.Keys
	err  error
	auth *identity.Authority
	sign *identity.CallbackSigner
}

// init sets the identity up; the keys are kept in (and rotated in) a data
// directory of the caller's at once, else generated at the first need (an
// RSA key takes about 65 ms to make).
func (id *identityState) init(cfg Config, now func() time.Time, tempDir bool, dataDir string) error {
	if cfg.Tenant == "" {
		cfg.Tenant = identity.DefaultTenant
	}
	if len(cfg.Apps) == 0 {
		cfg.Apps = []identity.App{identity.DefaultApp()}
	}
	for i, a := range cfg.Apps {
		if a.ClientID == "" || a.Secret == "" {
			return fmt.Errorf("server: Config.Apps[%d]: a client ID and a secret are needed", i)
		}
	}
	if cfg.CallbackIssuer == "" {
		cfg.CallbackIssuer = identity.BotFrameworkIssuer
	}
	if cfg.Auth != AuthAny && cfg.Auth != AuthStrict {
		return fmt.Errorf("server: Config.Auth = %d: must be AuthAny or AuthStrict", cfg.Auth)
	}
	id.cfg, id.now = cfg, now
	if cfg.Keys == nil && !tempDir {
		k, err := identity.Rotate(filepath.Join(dataDir, keysFile), keysKept)
		if err != nil {
			return fmt.Errorf("server: Config.DataDir = %q: %w", dataDir, err)
		}
		id.cfg.Keys = k
	}
	return nil
}

// ready returns the authority and the signer, making the keys if needed.
func (id *identityState) ready() (*identity.Authority, *identity.CallbackSigner, error) {
	id.once.Do(func() {
		id.keys = id.cfg.Keys
		if id.keys == nil {
			id.keys, id.err = identity.Generate()
			if id.err != nil {
				return
			}
		}
		id.auth = &identity.Authority{Tenant: id.cfg.Tenant, Apps: id.cfg.Apps, Keys: id.keys, Now: id.now}
		id.sign = &identity.CallbackSigner{Keys: id.keys, Issuer: id.cfg.CallbackIssuer, Tenant: id.cfg.Tenant, Now: id.now}
	})
	return id.auth, id.sign, id.err
}

// defaultApp is the audience of callbacks before a token claims the call.
func (id *identityState) defaultApp() string { return id.cfg.Apps[0].ClientID }

// graphAction names the Graph request (the path below /calls) for the
// permission table.
func (s *Server) graphAction(method string, seg []string) identity.Action {
	switch {
	case len(seg) == 0:
		return identity.ActPlaceCall
	case len(seg) == 1 && method == http.MethodDelete:
		return identity.ActDeleteCall
	case len(seg) == 1:
		return identity.ActGetCall
	case len(seg) == 3:
		return identity.ActGetOperation
	}
	_, act := s.action(actionName(seg[1]))
	return act
}

// issuer is the iss of this server's access tokens, as the client reached
// it: {root}/{tenant}/v2.0, the shape of Entra ID's.
func (q *request) issuer() string { return q.root() + "/" + q.s.id.cfg.Tenant + "/v2.0" }

// strict checks an access token and the action's role (AuthStrict).
// Nothing has been read or changed when it refuses.
func (q *request) strict(tok string, act identity.Action) bool {
	auth, _, err := q.s.id.ready()
	if err != nil {
		q.fail(http.StatusInternalServerError, "InternalServerError", "The server has no signing keys: "+err.Error(), 0)
		return false
	}
	t, err := auth.Verify(tok, q.issuer())
	if err != nil {
		q.w.Header().Set("WWW-Authenticate", `Bearer realm="recsim", error="invalid_token", authorization_uri="`+q.root()+"/"+q.s.id.cfg.Tenant+`/oauth2/v2.0/authorize"`)
		q.fail(http.StatusUnauthorized, "InvalidAuthenticationToken", tokenMessage(err), 0)
		return false
	}
	if ok, need := identity.Allowed(act, t.Roles); !ok {
		q.fail(http.StatusForbidden, "Forbidden", fmt.Sprintf("Insufficient privileges to complete the operation: %s needs the application permission %s; the token of app %s has %s.",
			act, strings.Join(need, " or "), t.AppID, rolesList(t.Roles)), 0)
		return false
	}
	q.token = t
	return true
}

func rolesList(r []string) string {
	if len(r) == 0 {
		return "no roles"
	}
	return "roles " + strings.Join(r, ", ")
}

// tokenMessage is the 401 message for a refused access token, in Graph's
// words where Graph has some.
func tokenMessage(err error) string {
	switch {
	case errors.Is(err, identity.ErrExpired), errors.Is(err, identity.ErrNotYetValid):
		return "Access token has expired or is not yet valid: " + err.Error() + "."
	case errors.Is(err, identity.ErrAudience):
		return "Access token validation failure. Invalid audience: " + err.Error() + "."
	case errors.Is(err, identity.ErrIssuer), errors.Is(err, identity.ErrTenant):
		return "Access token validation failure. Invalid issuer: " + err.Error() + "."
	case errors.Is(err, identity.ErrSignature):
		return "Access token validation failure. Invalid signature: " + err.Error() + "."
	}
	return "Access token validation failure: " + err.Error() + ". Get a token from this server's token endpoint."
}

// tenantOK reports whether the tenant of a path is this server's (its ID,
// common or organizations); it answers as Entra ID does otherwise.
func (q *request) tenantOK(tenant string) bool {
	t := strings.ToLower(tenant)
	if t == strings.ToLower(q.s.id.cfg.Tenant) || t == "common" || t == "organizations" {
		return true
	}
	q.oauthError(http.StatusBadRequest, "invalid_request", 90002,
		fmt.Sprintf("Tenant '%s' not found. This server's tenant is %s (recsim serve --tenant).", tenant, q.s.id.cfg.Tenant))
	return false
}

// oauthError answers as Entra ID's token endpoint does.
func (q *request) oauthError(status int, code string, aadsts int, desc string) {
	now := q.s.now().UTC()
	q.json(status, map[string]any{"error": code, "error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
		aadsts, desc, q.id, q.clientID, now.Format("2006-01-02 15:04:05Z")),
		"error_codes": []int{aadsts}, "timestamp": now.Format("2006-01-02 15:04:05Z"), "trace_id": q.id, "correlation_id": q.clientID})
}

// tokenEndpoint answers POST /{tenant}/oauth2/v2.0/token: the client
// credentials grant.
func (s *Server) tokenEndpoint(q *request, tenant string) {
	if !q.method(http.MethodPost) || !q.tenantOK(tenant) {
		return
	}
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, 64<<10)
	if err := q.r.ParseForm(); err != nil || !strings.HasPrefix(mediaType(q.r), "application/x-www-form-urlencoded") {
		q.oauthError(http.StatusBadRequest, "invalid_request", 900144, "The request body must be a form (application/x-www-form-urlencoded) with grant_type, client_id, client_secret and scope.")
		return
	}
	f := q.r.PostForm
	if g := f.Get("grant_type"); g != "client_credentials" {
		q.oauthError(http.StatusBadRequest, "unsupported_grant_type", 70003, fmt.Sprintf("The app requested an unsupported grant type %q: this server issues app-only tokens (client_credentials).", g))
		return
	}
	for _, k := range []string{"client_id", "client_secret", "scope"} {
		if f.Get(k) == "" {
			q.oauthError(http.StatusBadRequest, "invalid_request", 900144, fmt.Sprintf("The request body must contain the following parameter: '%s'.", k))
			return
		}
	}
	scope := f.Get("scope")
	resource, ok := strings.CutSuffix(strings.Fields(scope)[0], "/.default")
	if !ok || strings.TrimSuffix(resource, "/") != identity.GraphAudience {
		q.oauthError(http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI): %s/.default.", scope, identity.GraphAudience))
		return
	}
	auth, _, err := s.id.ready()
	if err != nil {
		q.oauthError(http.StatusInternalServerError, "server_error", 50000, "The server has no signing keys: "+err.Error())
		return
	}
	tok, _, err := auth.Issue(q.issuer(), f.Get("client_id"), f.Get("client_secret"), identity.GraphAudience)
	if err != nil {
		code := 7000215
		if !strings.Contains(err.Error(), "secret") {
			code = 700016
		}
		q.oauthError(http.StatusUnauthorized, "invalid_client", code, strings.TrimPrefix(err.Error(), identity.ErrClient.Error()+": ")+".")
		return
	}
	// The lifetime in whole seconds, less one, as Entra ID counts (3599
	// for an hour).
	secs := int(identity.TokenLifetime/time.Second) - 1
	q.w.Header().Set("Cache-Control", "no-store")
	q.json(http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": tok})
}

// discovery answers GET /{tenant}/v2.0/.well-known/openid-configuration.
func (s *Server) discovery(q *request, tenant string) {
	if !q.method(http.MethodGet) || !q.tenantOK(tenant) {
		return
	}
	base := q.root() + "/" + s.id.cfg.Tenant
	q.json(http.StatusOK, map[string]any{
		"issuer":                                q.issuer(),
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
		"response_types_supported":              []string{"token"},
		"grant_types_supported":                 []string{"client_credentials"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{identity.GraphAudience + "/.default"},
		"tenant_region_scope":                   "WW",
		"cloud_instance_name":                   "recsim",
	})
}

// jwks answers GET /{tenant}/discovery/v2.0/keys.
func (s *Server) jwks(q *request, tenant string) {
	if !q.method(http.MethodGet) || !q.tenantOK(tenant) {
		return
	}
	s.serveKeys(q)
}

func (s *Server) serveKeys(q *request) {
	_, sign, err := s.id.ready()
	if err != nil {
		q.fail(http.StatusInternalServerError, "InternalServerError", "The server has no signing keys: "+err.Error(), 0)
		return
	}
	q.json(http.StatusOK, sign.Keys.JWKS())
}

// callbackDiscovery answers GET /recsim/v1/.well-known/OpenIdConfiguration:
// what a bot validates the notifications' JWT with.
func (s *Server) callbackDiscovery(q *request) {
	if !q.method(http.MethodGet) {
		return
	}
	q.json(http.StatusOK, map[string]any{
		"issuer":                                s.id.cfg.CallbackIssuer,
		"jwks_uri":                              q.root() + "/recsim/v1/.well-known/keys",
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_signing_alg_values_supported": []string{"RS256"},
	})
}

// callbackJWKS answers GET /recsim/v1/.well-known/keys.
func (s *Server) callbackJWKS(q *request) {
	if q.method(http.MethodGet) {
		s.serveKeys(q)
	}
}

// userAgent goes on every notification.
const userAgent = "recsim (mock Microsoft Graph calling service; docs/identity.md)"

// signCallback sets the headers of a notification POST of call c: the
// bearer JWT for the call's bot, the chain and message IDs.
func (s *Server) signCallback(req *http.Request, c *call, seq int64) error {
	_, sign, err := s.id.ready()
	if err != nil {
		return err
	}
	c.mu.Lock()
	aud, chain := c.botApp, c.chainID
	c.mu.Unlock()
	tok, err := sign.Token(aud)
	if err != nil {
		return err
	}
	h := req.Header
	h.Set("Authorization", "Bearer "+tok)
	h.Set("User-Agent", userAgent)
	h.Set("X-Microsoft-Skype-Chain-ID", chain)
	h.Set("X-Microsoft-Skype-Message-ID", messageID(c.id, seq))
	return nil
}

// messageID is a notification's X-Microsoft-Skype-Message-ID: a GUID made
// from the call and the sequence number, so it is the same on every retry
// and after a restart.
func messageID(callID string, seq int64) string {
	h := sha256.Sum256([]byte(callID + "/" + strconv.FormatInt(seq, 10)))
	h[6] = h[6]&0x0f | 0x50 // a name-based (version 5 style) GUID
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// claim makes the app of the verified token the call's bot (the audience
// of its callbacks). The caller holds c.mu.
func (q *request) claim(c *call) {
	if q.token == nil || q.token.AppID == "" || q.token.AppID == c.botApp {
		return
	}
	c.botApp = q.token.AppID
	// The bot's side of the call is that app.
	if c.direction == "incoming" {
		c.targets = json.RawMessage("[" + string(participant(true, "application", c.botApp, "recsim bot")) + "]")
	} else {
		c.source = participant(false, "application", c.botApp, "recsim bot")
	}
}
