package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/recsim/recsim/engine/server"
)

// serve runs one request through the handler in process.
func serve(srv *server.Server, method, path, contentType, body string, auth bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth {
		req.Header.Set("Authorization", bearer)
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	return w
}

// checkAnswer checks the invariants of every answer: a status the
// endpoint documents, a JSON body, and on errors a Graph error naming
// what was wrong.
func checkAnswer(t *testing.T, w *httptest.ResponseRecorder, ok ...int) {
	t.Helper()
	good := false
	for _, c := range append(ok, http.StatusBadRequest) {
		good = good || w.Code == c
	}
	if !good {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if w.Body.Len() == 0 {
		return
	}
	var v map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, w.Body)
	}
	if w.Code == http.StatusBadRequest {
		e, _ := v["error"].(map[string]any)
		if e == nil || e["code"] != "BadRequest" || e["message"] == "" {
			t.Fatalf("bad error shape: %s", w.Body)
		}
	}
}

func fuzzServer(f *testing.F) (*server.Server, string) {
	srv, err := server.New(server.Config{Clock: fast().Clock, DataDir: f.TempDir(), AllowPromptHosts: []string{}, Keys: testKeys()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	// The callback is never reachable: notifications are given up quietly.
	w := serve(srv, "POST", "/recsim/v1/calls", "application/json", `{"callbackUri": "http://127.0.0.1:1/"}`, false)
	var c struct{ ID string }
	_ = json.Unmarshal(w.Body.Bytes(), &c)
	serve(srv, "POST", "/v1.0/communications/calls/"+c.ID+"/answer", "", "", true)
	return srv, c.ID
}

func FuzzRecordResponseBody(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"stopTones": ["#", "tone1", "star"]}`, `{"maxRecordDurationInSeconds": 1, "playBeep": false}`,
		`{"initialSilenceTimeoutInSeconds": "5"}`, `{"prompts": [{"mediaInfo": {"uri": "fixture:en_us_s160_01"}}], "maxRecordDurationInSeconds": 1}`,
		`{"prompts": [{"mediaInfo": {"uri": "http://example.com/p.wav"}}]}`, `{"clientContext": "` + strings.Repeat("é", 300) + `"}`,
		`{"streamWhileRecording": true, "maxRecordDurationInSeconds": 1}`, `[`, `null`, `{"bargeInAllowed": true, "maxRecordDurationInSeconds": 1}`} {
		f.Add(s)
	}
	srv, id := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body string) {
		w := serve(srv, "POST", "/beta/communications/calls/"+id+"/recordResponse", "application/json", body, true)
		checkAnswer(t, w, http.StatusOK)
		if w.Code == http.StatusOK && !strings.Contains(w.Header().Get("Location"), "/operations/") {
			t.Fatalf("no Location: %v", w.Header())
		}
	})
}

func FuzzIncomingCallBody(f *testing.F) {
	for _, s := range []string{`{"callbackUri": "http://127.0.0.1:1/"}`, `{"callbackUri": "http://127.0.0.1:1/", "options": {"docsCasing": true, "rate": 8000}}`,
		`{"callbackUri": "x", "options": {"retention": "-1s"}}`, `{"options": {"fault": "playBeepFailed"}}`, `{"callbackUri": 5}`,
		`{"callbackUri": "http://127.0.0.1:1/", "options": {"beepMs": 99999}}`, `{"callbackUri": "http://127.0.0.1:1/", "options": []}`} {
		f.Add(s)
	}
	srv, _ := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body string) {
		checkAnswer(t, serve(srv, "POST", "/recsim/v1/calls", "application/json", body, false), http.StatusCreated)
	})
}

func FuzzMediaScript(f *testing.F) {
	for _, s := range []string{speakThenPound, `{"caller": []}`, `{"rate": 8000, "caller": [{"silence": 1}]}`, `{"caller": [{"silence": 1e9}]}`,
		`{"caller": [{"dtmf": "123#", "seconds": 3600, "gap": 3600}]}`, `{"caller": [{"wav": "x.wav"}]}`, `{"caller": [{"tone": 1000, "seconds": -1}]}`,
		`{"caller": [{"noise": "pink", "seconds": 1}], "background": {"noise": "white", "snr": 10}}`, `{"frame": 1, "caller": [{"hangup": true}]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		srv, err := server.New(server.Config{Clock: fast().Clock, DataDir: t.TempDir(), Keys: testKeys()})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		w := serve(srv, "POST", "/recsim/v1/calls", "application/json", `{"callbackUri": "http://127.0.0.1:1/"}`, false)
		var c struct{ ID string }
		_ = json.Unmarshal(w.Body.Bytes(), &c)
		checkAnswer(t, serve(srv, "PUT", "/recsim/v1/calls/"+c.ID+"/media", "application/json", script, false), http.StatusNoContent)
	})
}
