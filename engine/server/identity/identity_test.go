package identity_test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/server/identity"
)

const issuer = "https://127.0.0.1:8443/" + identity.DefaultTenant + "/v2.0"

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func authority(t *testing.T, keys *identity.Keys, clk *clock) *identity.Authority {
	t.Helper()
	reader := identity.App{ClientID: "reader", Secret: "s2", Roles: []string{identity.RoleInitiate}}
	return &identity.Authority{Tenant: identity.DefaultTenant, Apps: []identity.App{identity.DefaultApp(), reader}, Keys: keys, Now: clk.now}
}

func TestAccessTokens(t *testing.T) {
	keys, err := identity.Generate()
	require.NoError(t, err)
	other, err := identity.Generate()
	require.NoError(t, err)
	clk := &clock{time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	a := authority(t, keys, clk)
	app := identity.DefaultApp()
	tok, exp, err := a.Issue(issuer, app.ClientID, app.Secret, identity.GraphAudience)
	require.NoError(t, err)
	assert.Equal(t, clk.t.Add(time.Hour), exp)

	t.Run("a token the authority issued verifies, with the app's id and roles", func(t *testing.T) {
		v, err := a.Verify(tok, issuer)
		require.NoError(t, err)
		assert.Equal(t, app.ClientID, v.AppID)
		assert.Equal(t, identity.AllRoles(), v.Roles)
		assert.Equal(t, identity.DefaultTenant, v.Tenant)
	})
	t.Run("its claims are those of an Entra ID app-only token", func(t *testing.T) {
		p, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
		require.NoError(t, err)
		assert.Equal(t, keys.IDs()[0], p.Headers[0].KeyID)
		var m map[string]any
		require.NoError(t, p.Claims(keys.JWKS(), &m))
		for _, k := range []string{"iss", "aud", "appid", "azp", "tid", "roles", "iat", "nbf", "exp", "oid"} {
			assert.Contains(t, m, k)
		}
		assert.Equal(t, identity.GraphAudience, m["aud"])
		assert.EqualValues(t, clk.t.Add(time.Hour).Unix(), m["exp"])
	})
	t.Run("wrong credentials are refused", func(t *testing.T) {
		_, _, err := a.Issue(issuer, app.ClientID, "wrong", identity.GraphAudience)
		assert.ErrorIs(t, err, identity.ErrClient)
		_, _, err = a.Issue(issuer, "nobody", app.Secret, identity.GraphAudience)
		assert.ErrorIs(t, err, identity.ErrClient)
	})
	refuse := func(name string, want error, token, iss string, at time.Time) {
		t.Run(name, func(t *testing.T) {
			v := authority(t, keys, &clock{at})
			_, err := v.Verify(token, iss)
			assert.ErrorIs(t, err, want)
		})
	}
	refuse("garbage is malformed", identity.ErrMalformed, "not.a.jwt", issuer, clk.t)
	refuse("a token signed with another server's keys has a bad signature", identity.ErrSignature,
		mustIssue(t, authority(t, other, clk), identity.GraphAudience), issuer, clk.t)
	refuse("an hour and five minutes later it has expired", identity.ErrExpired, tok, issuer, clk.t.Add(time.Hour+5*time.Minute+time.Second))
	refuse("six minutes before it was issued it is not yet valid", identity.ErrNotYetValid, tok, issuer, clk.t.Add(-6*time.Minute))
	refuse("another audience", identity.ErrAudience, mustIssue(t, a, "https://management.azure.com"), issuer, clk.t)
	refuse("another issuer", identity.ErrIssuer, tok, "https://login.example/other/v2.0", clk.t)
	t.Run("within the leeway it still verifies", func(t *testing.T) {
		_, err := authority(t, keys, &clock{clk.t.Add(time.Hour + 4*time.Minute)}).Verify(tok, issuer)
		assert.NoError(t, err)
		_, err = authority(t, keys, &clock{clk.t.Add(-4 * time.Minute)}).Verify(tok, issuer)
		assert.NoError(t, err)
	})
	t.Run("a verified token expires all the same", func(t *testing.T) {
		clk2 := &clock{clk.t}
		v := authority(t, keys, clk2)
		_, err := v.Verify(tok, issuer)
		require.NoError(t, err)
		clk2.t = clk.t.Add(2 * time.Hour)
		_, err = v.Verify(tok, issuer)
		assert.ErrorIs(t, err, identity.ErrExpired)
		clk2.t = clk.t.Add(-6 * time.Minute)
		_, err = v.Verify(tok, issuer)
		assert.ErrorIs(t, err, identity.ErrNotYetValid, "and is not valid before its nbf")
	})
}

func mustIssue(t *testing.T, a *identity.Authority, aud string) string {
	t.Helper()
	app := identity.DefaultApp()
	tok, _, err := a.Issue(issuer, app.ClientID, app.Secret, aud)
	require.NoError(t, err)
	return tok
}

func TestThePermissionTable(t *testing.T) {
	cases := []struct {
		act   identity.Action
		roles []string
		ok    bool
	}{
		{identity.ActRecordResponse, []string{identity.RoleAccessMedia}, true},
		{identity.ActRecordResponse, []string{identity.RoleJoinGroupCall, identity.RoleInitiate}, false},
		{identity.ActUpdateRecordingStatus, []string{identity.RoleJoinGroupCall}, true},
		{identity.ActUpdateRecordingStatus, []string{"Calls.JoinGroupCalls.All"}, true},
		{identity.ActUpdateRecordingStatus, []string{identity.RoleInitiate}, false},
		{identity.ActPlaceCall, []string{identity.RoleInitiate}, true},
		{identity.ActPlaceCall, []string{identity.RoleAccessMedia}, false},
		{identity.ActAnswer, []string{identity.RoleInitiate}, true},
		{identity.ActGetOperation, []string{identity.RoleAccessMedia}, true},
		{identity.ActCancelMedia, nil, false},
	}
	for _, c := range cases {
		ok, need := identity.Allowed(c.act, c.roles)
		assert.Equal(t, c.ok, ok, "%s with %v (needs one of %v)", c.act, c.roles, need)
		assert.NotEmpty(t, need, c.act)
	}
}

func TestKeysRotateAcrossARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	first, err := identity.Rotate(path, 2)
	require.NoError(t, err)
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the private keys are readable by their owner only")
	clk := &clock{time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	before := mustIssue(t, authority(t, first, clk), identity.GraphAudience)

	second, err := identity.Rotate(path, 2)
	require.NoError(t, err)
	require.Len(t, second.IDs(), 2)
	assert.Equal(t, first.IDs()[0], second.IDs()[1], "the old key is kept, after the new one")
	a := authority(t, second, clk)
	_, err = a.Verify(before, issuer)
	assert.NoError(t, err, "a token from before the restart still verifies")
	after := mustIssue(t, a, identity.GraphAudience)
	p, err := jwt.ParseSigned(after, []jose.SignatureAlgorithm{jose.RS256})
	require.NoError(t, err)
	assert.Equal(t, second.IDs()[0], p.Headers[0].KeyID, "the new key signs")

	third, err := identity.Rotate(path, 2)
	require.NoError(t, err)
	_, err = authority(t, third, clk).Verify(before, issuer)
	assert.ErrorIs(t, err, identity.ErrSignature, "two rotations later the first key is gone")

	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o600))
	_, err = identity.Rotate(path, 2)
	assert.ErrorContains(t, err, path)
}

func TestCallbackTokensVerifyWithTheJWKSAndAreReused(t *testing.T) {
	keys, err := identity.Generate()
	require.NoError(t, err)
	clk := &clock{time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	s := &identity.CallbackSigner{Keys: keys, Issuer: identity.BotFrameworkIssuer, Tenant: identity.DefaultTenant, Now: clk.now}
	tok, err := s.Token("bot-app")
	require.NoError(t, err)
	p, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	require.NoError(t, err)
	var c struct {
		jwt.Claims
		Tid string `json:"tid"`
	}
	require.NoError(t, p.Claims(keys.JWKS(), &c))
	require.NoError(t, c.Validate(jwt.Expected{Issuer: identity.BotFrameworkIssuer, AnyAudience: jwt.Audience{"bot-app"}, Time: clk.t}))
	assert.Equal(t, identity.DefaultTenant, c.Tid)
	assert.Equal(t, time.Hour, c.Expiry.Time().Sub(c.IssuedAt.Time()))

	again, err := s.Token("bot-app")
	require.NoError(t, err)
	assert.Equal(t, tok, again, "reused within 10 minutes")
	other, err := s.Token("other-bot")
	require.NoError(t, err)
	assert.NotEqual(t, tok, other, "one per audience")
	clk.t = clk.t.Add(11 * time.Minute)
	later, err := s.Token("bot-app")
	require.NoError(t, err)
	assert.NotEqual(t, tok, later, "signed again after 10 minutes")
}

func TestSelfSignedCertificatesAreTheirOwnAuthority(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	certPEM, keyPEM, err := identity.SelfSigned([]string{"127.0.0.1", "localhost"}, now)
	require.NoError(t, err)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err, "the key belongs to the certificate")
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(certPEM))
	for _, host := range []string{"127.0.0.1", "localhost"} {
		_, err := cert.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, CurrentTime: now})
		assert.NoError(t, err, "a client trusting the certificate accepts it for %s", host)
	}
	_, err = cert.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: roots, CurrentTime: now})
	assert.Error(t, err, "and for no other host")
	_, err = cert.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: roots, CurrentTime: now.AddDate(1, 0, 1)})
	assert.Error(t, err, "it expires after a year")
}
