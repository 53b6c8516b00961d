package server_test

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/media"
)

// slowPrompts serves one prompt on 127.0.0.1, each answer held until the
// test lets it go (or the request is abandoned).
type slowPrompts struct {
	addr    string
	wav     []byte
	release chan struct{}
	asked   chan struct{}
}

func newSlowPrompts(t *testing.T, wav []byte) *slowPrompts {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &slowPrompts{addr: ln.Addr().String(), wav: wav, release: make(chan struct{}), asked: make(chan struct{}, 16)}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.asked <- struct{}{}
		select {
		case <-p.release:
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write(p.wav)
	})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		wg.Wait()
	})
	return p
}

func TestAPromptFetchNeverHoldsUpThePOST(t *testing.T) {
	wav := encodeWAV(t, media.Tone(16000, 8000, media.ToneSpec{Hz: 440, Level: -20}), 16000)
	request := func(p *slowPrompts) string {
		return `{"prompts": [{"mediaInfo": {"uri": "http://` + p.addr + `/p.wav"}}], "initialSilenceTimeoutInSeconds": 1}`
	}
	setup := func(t *testing.T, timeout time.Duration) (*mock, *slowPrompts, string) {
		p := newSlowPrompts(t, wav)
		cfg := fast()
		cfg.AllowPromptHosts = []string{p.addr}
		cfg.PromptTimeout = timeout
		m := newMock(t, cfg, nil)
		id := m.established("")
		m.script(id, `{"caller": [{"silence": 3}]}`)
		return m, p, id
	}

	t.Run("the POST is answered Running while the prompt server has not answered", func(t *testing.T) {
		m, p, id := setup(t, time.Minute)
		op := m.record(id, request(p)) // returns although the prompt is held
		<-p.asked
		assert.Equal(t, "Running", op["status"])
		g := m.graph("GET", "/v1.0/communications/calls/"+id+"/operations/"+op["id"].(string), "")
		require.Equal(t, http.StatusOK, g.Status)
		assert.Equal(t, "Running", g.json(t)["status"], "waiting for its prompt")
		assert.Zero(t, completions(m, op["id"].(string)), "no completion before the prompt came")

		close(p.release)
		n := m.completion(op["id"].(string))
		assert.Equal(t, "initialSilenceTimeout", n.str("completionReason"), "the prompt played, then the timer ran")
	})
	t.Run("a fetch that times out fails the operation with 8536", func(t *testing.T) {
		m, p, id := setup(t, 50*time.Millisecond)
		op := m.record(id, request(p))
		assert.Equal(t, "Running", op["status"])
		n := m.completion(op["id"].(string))
		assert.Equal(t, "playPromptFailed", n.str("completionReason"))
		assert.EqualValues(t, 8536, n.Data["resultInfo"].(map[string]any)["subcode"])
	})
	t.Run("an operation posted after it waits its turn", func(t *testing.T) {
		m, p, id := setup(t, time.Minute)
		first := m.record(id, request(p))
		<-p.asked
		second := m.record(id, `{"initialSilenceTimeoutInSeconds": 1}`)
		assert.Equal(t, "NotStarted", second["status"])
		close(p.release)
		a := m.completion(first["id"].(string))
		b := m.completion(second["id"].(string))
		assert.Equal(t, "initialSilenceTimeout", a.str("completionReason"))
		assert.Equal(t, "initialSilenceTimeout", b.str("completionReason"))
		var order []string
		for _, n := range m.bot.all() {
			if n.ChangeType == "deleted" && n.str("@odata.type") == "#microsoft.graph.recordOperation" {
				order = append(order, n.str("id"))
			}
		}
		assert.Equal(t, []string{first["id"].(string), second["id"].(string)}, order)
	})
	t.Run("cancelMediaProcessing ends an operation still waiting for its prompt", func(t *testing.T) {
		m, p, id := setup(t, time.Minute)
		op := m.record(id, request(p))
		<-p.asked
		require.Equal(t, http.StatusOK, m.graph("POST", "/v1.0/communications/calls/"+id+"/cancelMediaProcessing", `{}`).Status)
		n := m.completion(op["id"].(string))
		assert.Equal(t, "operationCanceled", n.str("completionReason"))
		close(p.release)
		m.drain()
		assert.Equal(t, 1, completions(m, op["id"].(string)), "the prompt arriving later changes nothing")
	})
}

// completions counts the completion notifications of operation opID the
// bot has acknowledged so far.
func completions(m *mock, opID string) int {
	n := 0
	for _, a := range m.bot.all() {
		if a.ChangeType == "deleted" && strings.HasSuffix(a.ResourceURL, "/operations/"+opID) {
			n++
		}
	}
	return n
}
