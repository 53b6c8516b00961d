// Package identity is the mock server's stand-in for Microsoft Entra ID
// and for the signature the calling service puts on its callbacks
// (docs/identity.md): it issues app-only access tokens for the client
// credentials grant, verifies them with the permission (role) each Graph
// action needs, signs the JWT that goes with every notification, and makes
// the self-signed TLS certificate of `recsim serve --tls`.
//
// Every JWT is RS256 and signed and verified with
// github.com/go-jose/go-jose/v4; nothing here parses or signs a JWT by
// hand.
//
// Units: times are time.Time from the caller's clock (Authority.Now);
// token lifetimes are time.Duration; JWT dates are whole seconds (RFC 7519
// NumericDate), so a verification compares at one-second resolution with
// a 5-minute leeway.
//
// Ownership: the keys a Keys holds are its own; JWKS returns copies of the
// public halves. Strings returned (tokens) belong to the caller.
//
// Concurrency: Keys, Authority and CallbackSigner are safe for concurrent
// use. Their caches (verified tokens, signed callback tokens) are bounded
// and belong to the value.
package identity
