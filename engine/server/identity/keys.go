package identity

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // crypto.SHA256 for the thumbprint
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	jose "github.com/go-jose/go-jose/v4"
)

// keyBits is the RSA modulus size: 2048 bits, what Entra ID and the Bot
// Framework sign with.
const keyBits = 2048

// Key is one RSA signing key and its key ID (the JWT header's kid).
type Key struct {
	ID      string
	Private *rsa.PrivateKey
}

// GenerateKey makes a new RSA key; its ID is derived from its public key
// (RFC 7638 thumbprint, base64url).
func GenerateKey() (Key, error) {
	pk, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return Key{}, fmt.Errorf("identity: generating an RSA key: %w", err)
	}
	return keyOf(pk)
}

func keyOf(pk *rsa.PrivateKey) (Key, error) {
	t, err := (&jose.JSONWebKey{Key: &pk.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return Key{}, fmt.Errorf("identity: key thumbprint: %w", err)
	}
	return Key{ID: base64.RawURLEncoding.EncodeToString(t), Private: pk}, nil
}

// Keys is a set of signing keys, the newest first: the newest signs, all
// of them verify (tokens signed before a rotation stay valid).
type Keys struct {
	list []Key // never modified after NewKeys
}

// NewKeys returns the set of keys (the first signs). It needs at least one.
func NewKeys(keys ...Key) (*Keys, error) {
	if len(keys) == 0 {
		return nil, errors.New("identity: NewKeys needs at least one key")
	}
	for i, k := range keys {
		if k.Private == nil || k.ID == "" {
			return nil, fmt.Errorf("identity: NewKeys: key %d has no private key or no ID", i)
		}
	}
	return &Keys{list: append([]Key(nil), keys...)}, nil
}

// Generate returns a set of one new key.
func Generate() (*Keys, error) {
	k, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	return NewKeys(k)
}

// signing returns the key that signs.
func (k *Keys) signing() Key { return k.list[0] }

// find returns the key with ID kid.
func (k *Keys) find(kid string) (Key, bool) {
	for _, key := range k.list {
		if key.ID == kid {
			return key, true
		}
	}
	return Key{}, false
}

// IDs returns the key IDs, newest first.
func (k *Keys) IDs() []string {
	out := make([]string, len(k.list))
	for i, key := range k.list {
		out[i] = key.ID
	}
	return out
}

// JWKS returns the public keys as a JSON Web Key Set (what a jwks_uri
// serves).
func (k *Keys) JWKS() jose.JSONWebKeySet {
	var set jose.JSONWebKeySet
	for _, key := range k.list {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &key.Private.PublicKey, KeyID: key.ID, Algorithm: string(jose.RS256), Use: "sig"})
	}
	return set
}

// keysFile is the file a data directory keeps the keys in.
type keysFile struct {
	Keys []jose.JSONWebKey `json:"keys"`
}

// Rotate loads the keys kept in path (if any), puts a new key first and
// keeps at most keep keys, writes them back (mode 0600, written whole to a
// temporary file and renamed) and returns them: after a restart the new
// key signs and the previous ones still verify what they signed.
func Rotate(path string, keep int) (*Keys, error) {
	var old []Key
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("identity: reading the keys in %s: %w", path, err)
	default:
		var f keysFile
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("identity: %s: not a key file: %w", path, err)
		}
		for i, jk := range f.Keys {
			pk, ok := jk.Key.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("identity: %s: key %d (kid %q) is not an RSA private key", path, i, jk.KeyID)
			}
			old = append(old, Key{ID: jk.KeyID, Private: pk})
		}
	}
	k, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	list := append([]Key{k}, old...)
	if keep < 1 {
		keep = 1
	}
	list = list[:min(len(list), keep)]
	var f keysFile
	for _, key := range list {
		f.Keys = append(f.Keys, jose.JSONWebKey{Key: key.Private, KeyID: key.ID, Algorithm: string(jose.RS256), Use: "sig"})
	}
	out, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("identity: encoding the keys: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".keys-*")
	if err != nil {
		return nil, fmt.Errorf("identity: writing the keys: %w", err)
	}
	_, err = tmp.Write(out)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("identity: writing the keys to %s: %w", path, err)
	}
	return NewKeys(list...)
}
