package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeStrictOverTLS runs `recsim serve --tls --auth strict` in a
// process of its own: a client that trusts the certificate written to the
// data directory gets a token and is held to its roles; one that does not
// trust it cannot connect.
func TestServeStrictOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	dir := t.TempDir()
	base, _ := serveProcess(t, "--clock", "fast", "--tls", "--auth", "strict", "--data-dir", dir,
		"--app", "caller-app:caller-secret:Calls.Initiate.All")
	require.True(t, strings.HasPrefix(base, "https://"), base)
	pem, err := os.ReadFile(filepath.Join(dir, "tls-cert.pem"))
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(pem))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}

	_, err = http.Get(base + "/recsim/v1/.well-known/OpenIdConfiguration")
	require.Error(t, err, "a client that does not trust the certificate")

	resp, err := client.PostForm(base+"/common/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {"caller-app"}, "client_secret": {"caller-secret"}, "scope": {"https://graph.microsoft.com/.default"}})
	require.NoError(t, err)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	graph := func(method, path, body string) int {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		r, err := client.Do(req)
		require.NoError(t, err)
		r.Body.Close()
		return r.StatusCode
	}
	req, _ := http.NewRequest("POST", base+"/v1.0/communications/calls", strings.NewReader(`{"callbackUri": "`+base+`/recsim/v1/inbox"}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	r, err := client.Do(req)
	require.NoError(t, err)
	var call struct{ ID string }
	require.NoError(t, json.NewDecoder(r.Body).Decode(&call))
	r.Body.Close()
	require.Equal(t, http.StatusCreated, r.StatusCode, "Calls.Initiate.All places a call")
	assert.Equal(t, http.StatusForbidden, graph("POST", "/v1.0/communications/calls/"+call.ID+"/recordResponse", `{}`), "but may not record")
	assert.Equal(t, http.StatusOK, graph("GET", "/v1.0/communications/calls/"+call.ID, ""), "GET call: any calling role")
	tok.AccessToken = "garbage"
	assert.Equal(t, http.StatusUnauthorized, graph("GET", "/v1.0/communications/calls/"+call.ID, ""))
}
