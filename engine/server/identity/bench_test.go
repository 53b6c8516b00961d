package identity_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/recsim/recsim/engine/server/identity"
)

func benchKeys(b *testing.B) *identity.Keys {
	k, err := identity.Generate()
	if err != nil {
		b.Fatal(err)
	}
	return k
}

// BenchmarkCallbackToken is the signing cost per notification: the token
// of a bot is signed once and reused for 10 minutes.
func BenchmarkCallbackToken(b *testing.B) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	s := &identity.CallbackSigner{Keys: benchKeys(b), Issuer: identity.BotFrameworkIssuer, Tenant: identity.DefaultTenant, Now: func() time.Time { return now }}
	b.Run("reused", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Token("bot"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("signed", func(b *testing.B) {
		// A new audience each time: an RS256 signature every call.
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			if _, err := s.Token("bot-" + strconv.Itoa(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerify is the cost strict auth adds to a Graph request.
func BenchmarkVerify(b *testing.B) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	keys := benchKeys(b)
	app := identity.DefaultApp()
	a := &identity.Authority{Tenant: identity.DefaultTenant, Apps: []identity.App{app}, Keys: keys, Now: func() time.Time { return now }}
	tok, _, err := a.Issue(issuer, app.ClientID, app.Secret, identity.GraphAudience)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("known token", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := a.Verify(tok, issuer); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("new token", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fresh := &identity.Authority{Tenant: identity.DefaultTenant, Apps: a.Apps, Keys: keys, Now: a.Now}
			if _, err := fresh.Verify(tok, issuer); err != nil {
				b.Fatal(err)
			}
		}
	})
}
