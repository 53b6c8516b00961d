package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// graphScope is what a bot asks Entra ID for: Graph's application
// permissions, all those granted to the app.
const graphScope = "https://graph.microsoft.com/.default"

// callbackLeeway is the clock skew allowed on a callback's exp and nbf:
// 5 minutes, what Microsoft's token validation libraries allow (and what
// the mock allows on access tokens, docs/identity.md).
const callbackLeeway = 5 * time.Minute

// trust returns the roots a client trusts the mock with: the PEM
// certificate(s) given (the mock's self-signed certificate is its own CA),
// or the system's when there are none.
func trust(certPEM []byte) (*x509.CertPool, error) {
	if len(certPEM) == 0 {
		return x509.SystemCertPool()
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		return nil, errors.New("no PEM certificate to trust")
	}
	return pool, nil
}

// readCA reads the -ca file ("" : none, the system's roots).
func readCA(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-ca: %w", err)
	}
	return b, nil
}

// transport is an HTTP transport that verifies the mock's certificate
// against roots (no InsecureSkipVerify), with enough idle connections per
// host for the load run to reuse them rather than handshake again.
func transport(roots *x509.CertPool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	t.MaxIdleConnsPerHost = 256 // above the load run's concurrency
	return t
}

// credential is the azidentity client secret credential of one app,
// pointed at the mock as its authority host: MSAL reads the tenant's
// OpenID configuration at {authority}/{tenant}/v2.0/.well-known/…, then
// posts to its token_endpoint. The authority must be https (MSAL refuses
// anything else), and instance discovery must be off: it would ask
// login.microsoftonline.com whether the host is a known cloud.
func credential(authority, tenant, clientID, secret string, client *http.Client) (*azidentity.ClientSecretCredential, error) {
	return azidentity.NewClientSecretCredential(tenant, clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: strings.TrimSuffix(authority, "/") + "/"},
			Transport: client,
		},
		DisableInstanceDiscovery: true,
	})
}

// accessToken asks cred for a Graph token.
func accessToken(ctx context.Context, cred azcore.TokenCredential) (azcore.AccessToken, error) {
	return cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{graphScope}})
}

// rolesOf reads the roles claim of an access token without verifying it
// (the mock verifies it; the example only prints what it was granted).
func rolesOf(token string) []string {
	t, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil
	}
	var c struct {
		Roles []string `json:"roles"` // go-jose's JSON decoder matches names exactly
	}
	if t.UnsafeClaimsWithoutVerification(&c) != nil {
		return nil
	}
	return c.Roles
}

// callbackAuth validates the bearer JWT of every notification the way a
// production bot validates the calling service's: the keys come from the
// jwks_uri of the OpenID configuration published for callbacks; the
// signature must verify with the key its kid names; iss is the
// configuration's issuer, aud the bot's app id, tid the tenant, and the
// token is within exp/nbf. It is safe for concurrent use.
type callbackAuth struct {
	client   *http.Client
	jwksURI  string
	issuer   string
	audience string
	tenant   string

	mu   sync.Mutex
	keys jose.JSONWebKeySet

	valid atomic.Int64
	first atomic.Pointer[string] // the first valid token, for the self-check
}

// newCallbackAuth reads the callback OpenID configuration at configURL and
// its keys.
func newCallbackAuth(client *http.Client, configURL, audience, tenant string) (*callbackAuth, error) {
	var conf struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := getJSON(client, configURL, &conf); err != nil {
		return nil, err
	}
	if conf.Issuer == "" || conf.JWKSURI == "" {
		return nil, fmt.Errorf("%s: no issuer or jwks_uri", configURL)
	}
	a := &callbackAuth{client: client, jwksURI: conf.JWKSURI, issuer: conf.Issuer, audience: audience, tenant: tenant}
	if err := getJSON(client, a.jwksURI, &a.keys); err != nil {
		return nil, err
	}
	if len(a.keys.Keys) == 0 {
		return nil, fmt.Errorf("%s: no keys", a.jwksURI)
	}
	return a, nil
}

// check validates the Authorization header of a notification POST and
// counts it.
func (a *callbackAuth) check(r *http.Request) error {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return fmt.Errorf("a notification without a bearer token (Authorization %q)", r.Header.Get("Authorization"))
	}
	if err := a.verify(raw, a.audience, time.Now()); err != nil {
		return err
	}
	for _, h := range []string{"X-Microsoft-Skype-Chain-ID", "X-Microsoft-Skype-Message-ID"} {
		if r.Header.Get(h) == "" {
			return fmt.Errorf("a notification without %s", h)
		}
	}
	if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "recsim (") {
		return fmt.Errorf("a notification with User-Agent %q", ua)
	}
	a.valid.Add(1)
	a.first.CompareAndSwap(nil, &raw)
	return nil
}

// verify validates one callback JWT for audience at now.
func (a *callbackAuth) verify(raw, audience string, now time.Time) error {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return fmt.Errorf("callback JWT: %w", err)
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return errors.New("callback JWT: no kid in its header")
	}
	keys, err := a.keySet(tok.Headers[0].KeyID)
	if err != nil {
		return err
	}
	var c jwt.Claims
	var extra struct {
		TenantID string `json:"tid"`
	}
	if err := tok.Claims(keys, &c, &extra); err != nil {
		return fmt.Errorf("callback JWT (kid %s): %w", tok.Headers[0].KeyID, err)
	}
	if c.Expiry == nil || c.NotBefore == nil || c.IssuedAt == nil {
		return errors.New("callback JWT: exp, nbf or iat missing")
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: a.issuer, AnyAudience: jwt.Audience{audience}, Time: now}, callbackLeeway); err != nil {
		return fmt.Errorf("callback JWT (iss %s, aud %v, nbf %s, exp %s): %w", c.Issuer, c.Audience,
			c.NotBefore.Time().UTC().Format(time.RFC3339), c.Expiry.Time().UTC().Format(time.RFC3339), err)
	}
	if !strings.EqualFold(extra.TenantID, a.tenant) {
		return fmt.Errorf("callback JWT: tid %q, want %s", extra.TenantID, a.tenant)
	}
	return nil
}

// keySet returns the keys, read again once if none has kid (the mock
// rotated its keys: it publishes the new one with the last ones).
func (a *callbackAuth) keySet(kid string) (jose.JSONWebKeySet, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.keys.Key(kid)) > 0 {
		return a.keys, nil
	}
	var fresh jose.JSONWebKeySet
	if err := getJSON(a.client, a.jwksURI, &fresh); err != nil {
		return jose.JSONWebKeySet{}, err
	}
	a.keys = fresh
	if len(a.keys.Key(kid)) == 0 {
		return jose.JSONWebKeySet{}, fmt.Errorf("callback JWT: kid %s is not in %s", kid, a.jwksURI)
	}
	return a.keys, nil
}

// selfCheck shows that the validation can fail: a valid callback token
// with its signature altered, the same for another audience, and an
// unsigned copy of it must all be refused.
func (a *callbackAuth) selfCheck(otherAudience string) error {
	p := a.first.Load()
	if p == nil {
		return errors.New("no callback validated yet")
	}
	raw := *p
	if err := a.verify(raw, a.audience, time.Now()); err != nil {
		return fmt.Errorf("a token validated before is refused now: %w", err)
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 || len(parts[2]) < 8 {
		return fmt.Errorf("callback JWT: %d parts", len(parts))
	}
	sig := []byte(parts[2])
	sig[4] = flip(sig[4])
	tampered := parts[0] + "." + parts[1] + "." + string(sig)
	// {"alg":"none"} in base64url, and no signature.
	unsigned := "eyJhbGciOiJub25lIn0." + parts[1] + "."
	for _, c := range []struct {
		what, token, aud string
		later            time.Duration
	}{
		{"a tampered signature", tampered, a.audience, 0},
		{"another audience", raw, otherAudience, 0},
		{"an unsigned token", unsigned, a.audience, 0},
		// exp is at most an hour after iat: two hours on, past the leeway.
		{"an expired token", raw, a.audience, 2*time.Hour + callbackLeeway},
	} {
		if err := a.verify(c.token, c.aud, time.Now().Add(c.later)); err == nil {
			return fmt.Errorf("%s was accepted", c.what)
		}
	}
	return nil
}

// flip changes one base64url character into another.
func flip(b byte) byte {
	if b == 'A' {
		return 'B'
	}
	return 'A'
}

// getJSON GETs url and decodes its JSON body into v.
func getJSON(client *http.Client, u string, v any) error {
	if _, err := url.Parse(u); err != nil {
		return err
	}
	resp, err := client.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}
