package server_test

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/server"
)

var longFaults = flag.Bool("faults.long", false, "run the fault suite at full size (10 000 calls of distinct options)")

func TestACallbackThatClosesTheConnectionIsRetriedAndArrivesOnce(t *testing.T) {
	var mu sync.Mutex
	posts, kept := 0, map[string]int{}
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts++
		n := posts
		mu.Unlock()
		if n%3 != 0 { // two of every three POSTs: the connection drops, no answer
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		var buf [4096]byte
		k, _ := r.Body.Read(buf[:])
		mu.Lock()
		kept[string(buf[:k])]++
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(bot.Close)
	cfg := fast()
	cfg.Notify = quickRetry(10, 5*time.Second)
	m := newMock(t, cfg, nil)
	r := m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+bot.URL+`"}`), "Content-Type", "application/json")
	require.Equal(t, http.StatusCreated, r.Status)
	id := r.json(t)["id"].(string)
	require.Equal(t, http.StatusAccepted, m.graph("POST", "/v1.0/communications/calls/"+id+"/answer", "").Status)
	m.record(id, `{"maxRecordDurationInSeconds": 1}`)
	require.Equal(t, http.StatusNoContent, m.graph("DELETE", "/v1.0/communications/calls/"+id, "").Status)
	m.drain()

	log := m.noteLog(id)
	require.Len(t, log, 4, "created, updated, the completion, deleted")
	for _, n := range log {
		assert.True(t, n.Delivered, "%+v", n)
		assert.Equal(t, 3, n.Attempts, "two dropped connections, then the answer")
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, kept, 4)
	for body, k := range kept {
		assert.Equal(t, 1, k, "acknowledged once: %.80s", body)
	}
}

// TestDistinctCallOptionsKeepMemoryBounded is the option flood: every call
// asks for a beep of its own at 48 kHz, the longest allowed. The server's
// caches are bounded and owned by the server, so memory per call stays
// small while it runs and nothing stays once it is closed.
func TestDistinctCallOptionsKeepMemoryBounded(t *testing.T) {
	calls := 300 // a kept beep would be 188 KiB a call: 55 MiB
	if *longFaults {
		calls = 10000
	}
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	var during uint64
	func() {
		cfg := fast()
		cfg.DataDir = t.TempDir()
		cfg.Keys = testKeys()
		cfg.Notify.Timeout = time.Minute
		srv, err := server.New(cfg)
		require.NoError(t, err)
		ts := httptest.NewServer(srv)
		discard := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) }))
		defer discard.Close()
		m := &mock{t: t, srv: srv, ts: ts, url: ts.URL, client: ts.Client()}
		for i := range calls {
			opts := fmt.Sprintf(`{"rate": 48000, "beepHz": %d, "beepMs": 2000, "beepLevel": %d}`, 100+i%3900, -1-i%59)
			r := m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+discard.URL+`", "options": `+opts+`}`), "Content-Type", "application/json")
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
			id := r.json(t)["id"].(string)
			require.Equal(t, http.StatusAccepted, m.graph("POST", "/v1.0/communications/calls/"+id+"/answer", "").Status)
			op := m.graph("POST", "/v1.0/communications/calls/"+id+"/recordResponse", `{"maxRecordDurationInSeconds": 1}`)
			require.Equal(t, http.StatusOK, op.Status, "%s", op.Body)
			require.Equal(t, http.StatusNoContent, m.graph("DELETE", "/v1.0/communications/calls/"+id, "").Status)
		}
		m.drain()
		during = heap()
		ts.Close()
		require.NoError(t, srv.Close())
	}()
	after := heap()
	perCall := (float64(during) - float64(before)) / float64(calls)
	left := float64(after) - float64(before)
	t.Logf("%d calls of distinct beeps at 48 kHz: %.1f KiB per call while they are kept; %.2f MiB left after Close", calls, perCall/1024, left/(1<<20))
	// A 2 s beep at 48 kHz is 188 KiB: one kept per shape would be that
	// much per call.
	assert.Less(t, perCall, 64.0*1024, "bytes per (ended, retained) call")
	assert.Less(t, left, 8.0*(1<<20), "bytes left once the server is closed")
}
