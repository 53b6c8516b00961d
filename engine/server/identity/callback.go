package identity

import (
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// BotFrameworkIssuer is the iss of the calling service's callback tokens.
const BotFrameworkIssuer = "https://api.botframework.com"

// callbackLifetime is a callback token's life: 1 h. A token is signed once
// and reused for every notification to the same bot until 10 minutes of
// it are gone (signing costs about a millisecond of CPU; a notification a
// few microseconds): the service, too, sends one token many times.
const (
	callbackLifetime = time.Hour
	callbackReuse    = 10 * time.Minute
)

// maxCallbackTokens bounds the signed tokens kept (one per bot app id);
// past it the cache is emptied and refills.
const maxCallbackTokens = 256

// CallbackSigner signs the bearer JWT of the notifications the server
// sends: iss Issuer, aud the bot's app id, tid Tenant.
type CallbackSigner struct {
	Keys   *Keys
	Issuer string
	Tenant string
	Now    func() time.Time

	mu     sync.Mutex
	tokens map[string]signedToken
}

type signedToken struct {
	token    string
	signedAt time.Time
}

// callbackClaims are the claims of a callback token.
type callbackClaims struct {
	jwt.Claims
	Tid string `json:"tid"`
}

// Token returns a signed token for the bot with app id aud.
func (s *CallbackSigner) Token(aud string) (string, error) {
	now := s.Now()
	s.mu.Lock()
	t, ok := s.tokens[aud]
	s.mu.Unlock()
	if ok && now.Sub(t.signedAt) < callbackReuse && !now.Before(t.signedAt) {
		return t.token, nil
	}
	at := now.Truncate(time.Second)
	tok, err := sign(s.Keys, callbackClaims{Claims: jwt.Claims{Issuer: s.Issuer, Audience: jwt.Audience{aud},
		IssuedAt: jwt.NewNumericDate(at), NotBefore: jwt.NewNumericDate(at), Expiry: jwt.NewNumericDate(at.Add(callbackLifetime))}, Tid: s.Tenant})
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	if s.tokens == nil || len(s.tokens) >= maxCallbackTokens {
		s.tokens = map[string]signedToken{}
	}
	s.tokens[aud] = signedToken{token: tok, signedAt: now}
	s.mu.Unlock()
	return tok, nil
}
