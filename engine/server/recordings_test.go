package server_test

import (
	"encoding/binary"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/server"
	"github.com/recsim/recsim/media"
)

// recorded runs a recordResponse that ends on # and returns its completion.
func (m *mock) recorded(options string) (callID string, n note) {
	m.t.Helper()
	id := m.established(options)
	m.script(id, speakThenPound)
	op := m.record(id, `{"stopTones": ["#"]}`)
	n = m.completion(op["id"].(string))
	require.Equal(m.t, "stopToneDetected", n.str("completionReason"))
	return id, n
}

func TestRecordingsNeedTheirToken(t *testing.T) {
	m := newMock(t, fast(), nil)
	_, n := m.recorded("")
	loc, tok := n.str("recordingLocation"), n.str("recordingAccessToken")
	require.NotEmpty(t, loc)
	assert.GreaterOrEqual(t, len(tok), 22, "at least 128 bits in base64")

	t.Run("the right token is 200 with the WAV as octet-stream", func(t *testing.T) {
		r := m.download(loc, tok)
		require.Equal(t, http.StatusOK, r.Status)
		assert.Equal(t, "application/octet-stream", r.Header.Get("Content-Type"))
		pcm, rate := decodeWAV(t, r.Body)
		assert.Equal(t, 16000, rate)
		assert.NotEmpty(t, pcm)
	})
	t.Run("no token is 401", func(t *testing.T) {
		r := m.download(loc, "")
		require.Equal(t, http.StatusUnauthorized, r.Status)
		code, _, _ := r.graphError(t)
		assert.Equal(t, "InvalidAuthenticationToken", code)
	})
	t.Run("a wrong token is 401", func(t *testing.T) {
		assert.Equal(t, http.StatusUnauthorized, m.download(loc, tok[:len(tok)-1]).Status)
		assert.Equal(t, http.StatusUnauthorized, m.download(loc, tok+"x").Status)
	})
	t.Run("another recording's token is 401", func(t *testing.T) {
		_, other := m.recorded("")
		assert.Equal(t, http.StatusUnauthorized, m.download(loc, other.str("recordingAccessToken")).Status)
	})
	t.Run("an unknown recording is 404", func(t *testing.T) {
		i := strings.LastIndex(loc, "/")
		assert.Equal(t, http.StatusNotFound, m.download(loc[:i]+"/00000000-0000-4000-8000-000000000000", tok).Status)
	})
	t.Run("the data directory holds whole recordings only, each byte for byte the download", func(t *testing.T) {
		id2, n2 := m.recorded("")
		m.script(id2, speakThenPound)
		n3 := m.completion(m.record(id2, `{"stopTones": ["#"]}`)["id"].(string))
		entries, err := os.ReadDir(m.srv.DataDir())
		require.NoError(t, err)
		var files [][]byte
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "recsim.db") {
				continue // the server's state (docs/server.md#restart)
			}
			require.Equal(t, ".rec", filepath.Ext(e.Name()), e.Name())
			b, err := os.ReadFile(filepath.Join(m.srv.DataDir(), e.Name()))
			require.NoError(t, err)
			files = append(files, splitRecordings(t, b)...)
		}
		var want [][]byte
		for _, n := range []note{n, n2, n3} {
			r := m.download(n.str("recordingLocation"), n.str("recordingAccessToken"))
			require.Equal(t, http.StatusOK, r.Status)
			want = append(want, r.Body)
		}
		assert.Subset(t, files, want, "each download is byte for byte a region of its call's file")
		assert.Len(t, files, 4, "these three and the other subtest's: nothing else")
		assert.FileExists(t, filepath.Join(m.srv.DataDir(), id2+".rec"), "one file per call, named by its id")
	})
}

// splitRecordings cuts a call's recordings file into its WAVs, checking
// each is a whole canonical recording.
func splitRecordings(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		require.GreaterOrEqual(t, len(b), media.HeaderSize)
		n := media.HeaderSize + int(binary.LittleEndian.Uint32(b[40:44]))
		require.LessOrEqual(t, n, len(b), "a whole WAV")
		decodeWAV(t, b[:n])
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func TestRecordingsExpireAfterTheCallEndsPlusRetention(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	cfg := fast()
	cfg.Retention = 10 * time.Minute
	cfg.Now = func() time.Time { return time.Unix(0, now.Load()) }
	m := newMock(t, cfg, nil)
	id, n := m.recorded("")
	loc, tok := n.str("recordingLocation"), n.str("recordingAccessToken")
	opPath := "/v1.0/communications/calls/" + id + "/operations/" + n.str("id")

	now.Add(int64(time.Hour))
	require.Equal(t, http.StatusOK, m.download(loc, tok).Status, "kept while the call lasts")
	require.Equal(t, http.StatusNoContent, m.graph("DELETE", "/v1.0/communications/calls/"+id, "").Status)
	now.Add(int64(10*time.Minute - time.Second))
	require.Equal(t, http.StatusOK, m.download(loc, tok).Status, "kept until the retention ends")
	require.Equal(t, http.StatusOK, m.graph("GET", opPath, "").Status)
	now.Add(int64(time.Second))
	require.Equal(t, http.StatusNotFound, m.download(loc, tok).Status, "gone at call end + retention")
	r := m.graph("GET", opPath, "")
	require.Equal(t, http.StatusNotFound, r.Status)
	_, _, inner := r.graphError(t)
	assert.Equal(t, 8522.0, inner["subcode"])
	entries, err := os.ReadDir(m.srv.DataDir())
	require.NoError(t, err)
	for _, e := range entries {
		assert.True(t, strings.HasPrefix(e.Name(), "recsim.db"), "the call's recordings file is deleted; left: %s", e.Name())
	}

	t.Run("a call's own retention", func(t *testing.T) {
		id, n := m.recorded(`{"retention": "30s"}`)
		require.Equal(t, http.StatusNoContent, m.graph("DELETE", "/v1.0/communications/calls/"+id, "").Status)
		now.Add(int64(30 * time.Second))
		assert.Equal(t, http.StatusNotFound, m.download(n.str("recordingLocation"), n.str("recordingAccessToken")).Status)
	})
}

func TestStrictComplianceNeedsRecordingStatusRecording(t *testing.T) {
	m := newMock(t, fast(), nil)
	id, n := m.recorded(`{"strictCompliance": true}`)
	loc, tok := n.str("recordingLocation"), n.str("recordingAccessToken")
	r := m.download(loc, tok)
	require.Equal(t, http.StatusForbidden, r.Status)
	code, msg, _ := r.graphError(t)
	assert.Equal(t, "Forbidden", code)
	assert.Contains(t, msg, "notRecording")
	for _, st := range []string{"recording", "failed", "Recording"} {
		u := m.graph("POST", "/v1.0/communications/calls/"+id+"/updateRecordingStatus", `{"status": "`+st+`"}`)
		require.Equal(t, http.StatusOK, u.Status)
		want := http.StatusForbidden
		if strings.EqualFold(st, "recording") {
			want = http.StatusOK
		}
		assert.Equal(t, want, m.download(loc, tok).Status, st)
	}
	t.Run("without the switch the status does not matter", func(t *testing.T) {
		_, n := m.recorded("")
		assert.Equal(t, http.StatusOK, m.download(n.str("recordingLocation"), n.str("recordingAccessToken")).Status)
	})
	t.Run("the server-wide switch", func(t *testing.T) {
		m := newMock(t, server.Config{Clock: fast().Clock, StrictCompliance: true}, nil)
		_, n := m.recorded("")
		assert.Equal(t, http.StatusForbidden, m.download(n.str("recordingLocation"), n.str("recordingAccessToken")).Status)
	})
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// promptServer serves files on 127.0.0.1 and counts its connections.
func promptServer(t *testing.T, files map[string][]byte) (*countingListener, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cl := &countingListener{Listener: ln}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/redirect") {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
			return
		}
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = srv.Serve(cl)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		wg.Wait()
	})
	return cl, ln.Addr().String()
}

func TestPromptsAreFetchedOnlyFromAllowedHosts(t *testing.T) {
	prompt := encodeWAV(t, media.Tone(16000, 8000, media.ToneSpec{Hz: 440, Level: -20}), 16000)
	bad := encodeWAV(t, make([]int16, 4000), 8000)
	files := map[string][]byte{"/p.wav": prompt, "/bad.wav": bad, "/junk.wav": []byte("not a wav"),
		"/big.wav": encodeWAV(t, make([]int16, 40000), 16000)}
	cl, addr := promptServer(t, files)
	port := addr[strings.LastIndex(addr, ":")+1:]
	other, otherAddr := promptServer(t, files)

	cfg := fast()
	cfg.AllowPromptHosts = []string{"localhost", addr}
	cfg.PromptMaxBytes = 64 << 10
	m := newMock(t, cfg, nil)
	id := m.established("")
	run := func(uri string) note {
		m.script(id, `{"caller": [{"silence": 2}]}`)
		op := m.record(id, `{"prompts": [{"mediaInfo": {"uri": "`+uri+`"}}], "initialSilenceTimeoutInSeconds": 1}`)
		assert.Equal(t, "Running", op["status"], "the answer says Running even when the prompt fails at once")
		assert.Nil(t, op["resultInfo"])
		return m.completion(op["id"].(string))
	}
	subcode := func(n note) float64 { return n.Data["resultInfo"].(map[string]any)["subcode"].(float64) }

	t.Run("a host off the list fails with 8536 and is never connected to", func(t *testing.T) {
		n := run("http://" + otherAddr + "/p.wav")
		assert.Equal(t, "playPromptFailed", n.str("completionReason"))
		assert.Equal(t, 8536.0, subcode(n))
		assert.Zero(t, other.n.Load(), "no connection was opened")
	})
	t.Run("an allowed host:port plays the prompt", func(t *testing.T) {
		n := run("http://" + addr + "/p.wav")
		assert.Equal(t, "initialSilenceTimeout", n.str("completionReason"), "the prompt played, then the timer ran")
		assert.Positive(t, cl.n.Load())
	})
	t.Run("an allowed hostname plays the prompt", func(t *testing.T) {
		n := run("http://localhost:" + port + "/p.wav")
		assert.Equal(t, "initialSilenceTimeout", n.str("completionReason"))
	})
	t.Run("a redirect to a host off the list fails with 8536", func(t *testing.T) {
		n := run("http://" + addr + "/redirect?to=http://" + otherAddr + "/p.wav")
		assert.Equal(t, 8536.0, subcode(n))
		assert.Zero(t, other.n.Load())
	})
	t.Run("a prompt that is not 16 kHz mono PCM fails with 8535", func(t *testing.T) {
		assert.Equal(t, 8535.0, subcode(run("http://"+addr+"/bad.wav")))
		assert.Equal(t, 8535.0, subcode(run("http://"+addr+"/junk.wav")))
	})
	t.Run("a missing prompt fails with 8536", func(t *testing.T) {
		assert.Equal(t, 8536.0, subcode(run("http://"+addr+"/nope.wav")))
	})
	t.Run("a prompt over the size cap fails with 8536", func(t *testing.T) {
		assert.Equal(t, 8536.0, subcode(run("http://"+addr+"/big.wav")))
	})
	t.Run("local paths and file URIs fail with 8536", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "p.wav")
		require.NoError(t, os.WriteFile(p, prompt, 0o600))
		assert.Equal(t, 8536.0, subcode(run(p)))
		assert.Equal(t, 8536.0, subcode(run("file://"+p)))
	})
	t.Run("playPrompt fails the same way", func(t *testing.T) {
		r := m.graph("POST", "/v1.0/communications/calls/"+id+"/playPrompt", `{"prompts": [{"mediaInfo": {"uri": "http://`+otherAddr+`/p.wav"}}]}`)
		require.Equal(t, http.StatusOK, r.Status)
		n := m.completion(r.json(t)["id"].(string))
		assert.Equal(t, "Failed", n.str("status"))
		assert.Equal(t, 8536.0, subcode(n))
		assert.Zero(t, other.n.Load())
	})
}

func TestTheDefaultAllowListIsLoopback(t *testing.T) {
	prompt := encodeWAV(t, media.Tone(16000, 8000, media.ToneSpec{Hz: 440, Level: -20}), 16000)
	_, addr := promptServer(t, map[string][]byte{"/p.wav": prompt})
	m := newMock(t, fast(), nil)
	id := m.established("")
	op := m.record(id, `{"prompts": [{"mediaInfo": {"uri": "http://`+addr+`/p.wav"}}], "initialSilenceTimeoutInSeconds": 1}`)
	assert.Equal(t, "initialSilenceTimeout", m.completion(op["id"].(string)).str("completionReason"))
	// A name that is not loopback is refused before any lookup or dial.
	op = m.record(id, `{"prompts": [{"mediaInfo": {"uri": "http://prompts.example.com/p.wav"}}]}`)
	n := m.completion(op["id"].(string))
	assert.Equal(t, 8536.0, n.Data["resultInfo"].(map[string]any)["subcode"])
}
