package identity

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// GraphAudience is the aud of a Graph access token (and the resource of
// the scope https://graph.microsoft.com/.default).
const GraphAudience = "https://graph.microsoft.com"

// DefaultTenant is the tenant ID when --tenant names none.
const DefaultTenant = "72f988bf-0000-4000-8000-00000000ca11"

// DefaultApp is the app registered when --app names none.
func DefaultApp() App {
	return App{ClientID: "3a6f1d2e-0000-4000-8000-0000000000b0", Secret: "recsim-secret", Roles: AllRoles()}
}

// TokenLifetime is an access token's life: 1 h, as Entra ID's default
// (expires_in 3599).
const TokenLifetime = time.Hour

// leeway is the clock skew allowed on exp and nbf: 5 minutes, as
// Microsoft's token validation libraries allow.
const leeway = 5 * time.Minute

// App is one registered application (client credentials).
type App struct {
	ClientID, Secret string
	Roles            []string
}

// Authority issues and verifies the access tokens of one tenant.
type Authority struct {
	Tenant string
	Apps   []App
	Keys   *Keys
	Now    func() time.Time

	mu       sync.Mutex
	verified map[[sha256.Size]byte]*Token // bounded: see remember
}

// maxVerified bounds the cache of tokens already verified: a bot reuses
// its token for an hour, so a few hundred bots fit; past it the cache is
// emptied and refills.
const maxVerified = 1024

// Token is what a verified access token says.
type Token struct {
	AppID             string
	Tenant            string
	Roles             []string
	NotBefore, Expiry time.Time
}

// claims are the claims of an access token.
type claims struct {
	jwt.Claims
	AppID string   `json:"appid"`
	Azp   string   `json:"azp"`
	Tid   string   `json:"tid"`
	Oid   string   `json:"oid"`
	Roles []string `json:"roles"`
	Ver   string   `json:"ver"`
}

// App returns the app with client ID id.
func (a *Authority) App(id string) (App, bool) {
	for _, app := range a.Apps {
		if strings.EqualFold(app.ClientID, id) {
			return app, true
		}
	}
	return App{}, false
}

// ErrClient: the client ID or secret is wrong (OAuth invalid_client).
var ErrClient = errors.New("invalid client")

// Issue returns an access token for the app with clientID and secret,
// from issuer, for audience (GraphAudience), and its expiry.
func (a *Authority) Issue(issuer, clientID, secret, audience string) (string, time.Time, error) {
	app, ok := a.App(clientID)
	if !ok {
		return "", time.Time{}, fmt.Errorf("%w: application %q is not registered in tenant %s", ErrClient, clientID, a.Tenant)
	}
	if subtle.ConstantTimeCompare([]byte(app.Secret), []byte(secret)) != 1 {
		return "", time.Time{}, fmt.Errorf("%w: invalid client secret for application %s", ErrClient, clientID)
	}
	now := a.Now().Truncate(time.Second)
	exp := now.Add(TokenLifetime)
	c := claims{Claims: jwt.Claims{Issuer: issuer, Audience: jwt.Audience{audience}, IssuedAt: jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(exp), Subject: app.ClientID},
		AppID: app.ClientID, Azp: app.ClientID, Tid: a.Tenant, Oid: app.ClientID, Roles: app.Roles, Ver: "2.0"}
	tok, err := sign(a.Keys, c)
	return tok, exp, err
}

// sign serialises c as a JWT signed by the signing key of keys.
func sign(keys *Keys, c any) (string, error) {
	k := keys.signing()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.Private, KeyID: k.ID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("identity: signer: %w", err)
	}
	s, err := jwt.Signed(sig).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("identity: signing: %w", err)
	}
	return s, nil
}

// Why a token was refused.
var (
	ErrMalformed   = errors.New("the token is not a JWT signed with RS256")
	ErrSignature   = errors.New("the token's signature does not verify with this server's keys")
	ErrExpired     = errors.New("the token has expired")
	ErrNotYetValid = errors.New("the token is not yet valid")
	ErrAudience    = errors.New("the token's audience is not " + GraphAudience)
	ErrIssuer      = errors.New("the token's issuer is not this server's")
	ErrTenant      = errors.New("the token is for another tenant")
)

// Verify checks an access token: its signature (by kid), its lifetime
// (5 minutes of leeway), audience, issuer and tenant. The error wraps one
// of the Err values above.
func (a *Authority) Verify(token, issuer string) (*Token, error) {
	h := sha256.Sum256([]byte(issuer + "\x00" + token))
	now := a.Now()
	a.mu.Lock()
	t, ok := a.verified[h]
	a.mu.Unlock()
	if ok {
		// Verified already: only where now is in its lifetime can differ.
		switch {
		case now.After(t.Expiry.Add(leeway)):
			return nil, fmt.Errorf("%w (at %s)", ErrExpired, t.Expiry.UTC().Format(time.RFC3339))
		case now.Add(leeway).Before(t.NotBefore):
			return nil, fmt.Errorf("%w (from %s)", ErrNotYetValid, t.NotBefore.UTC().Format(time.RFC3339))
		}
		return t, nil
	}
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	kid := ""
	if len(parsed.Headers) > 0 {
		kid = parsed.Headers[0].KeyID
	}
	key, ok := a.Keys.find(kid)
	if !ok {
		return nil, fmt.Errorf("%w: no key %q (keys: %s)", ErrSignature, kid, strings.Join(a.Keys.IDs(), ", "))
	}
	var c claims
	if err := parsed.Claims(&key.Private.PublicKey, &c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Time: now}, leeway); err != nil {
		switch {
		case errors.Is(err, jwt.ErrExpired):
			return nil, fmt.Errorf("%w (at %s)", ErrExpired, c.Expiry.Time().UTC().Format(time.RFC3339))
		case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
			return nil, fmt.Errorf("%w (from %s)", ErrNotYetValid, c.NotBefore.Time().UTC().Format(time.RFC3339))
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if c.Expiry == nil {
		return nil, fmt.Errorf("%w: no exp claim", ErrMalformed)
	}
	if !c.Audience.Contains(GraphAudience) && !c.Audience.Contains(GraphAudience+"/") {
		return nil, fmt.Errorf("%w: it is %q", ErrAudience, strings.Join(c.Audience, ", "))
	}
	if c.Issuer != issuer {
		return nil, fmt.Errorf("%w: it is %q, this server's is %q", ErrIssuer, c.Issuer, issuer)
	}
	if !strings.EqualFold(c.Tid, a.Tenant) {
		return nil, fmt.Errorf("%w: tid %q, this server's tenant is %s", ErrTenant, c.Tid, a.Tenant)
	}
	t = &Token{AppID: c.AppID, Tenant: c.Tid, Roles: c.Roles, Expiry: c.Expiry.Time()}
	if c.NotBefore != nil {
		t.NotBefore = c.NotBefore.Time()
	}
	a.remember(h, t)
	return t, nil
}

func (a *Authority) remember(h [sha256.Size]byte, t *Token) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.verified == nil || len(a.verified) >= maxVerified {
		a.verified = map[[sha256.Size]byte]*Token{}
	}
	a.verified[h] = t
}
