package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/bench"
	"github.com/recsim/recsim/engine/runner"
	"github.com/recsim/recsim/engine/server"
	"github.com/recsim/recsim/fixtures"
	"github.com/recsim/recsim/media"
)

// BenchmarkRecordResponseRoundTrip measures completed recordResponse
// operations per second over loopback in fast mode, counted when the bot
// has received their completion notifications. Every operation runs
// through the 400 ms beep and 5 s of listening to its duration cap on a
// 5.4-second caller clip (0.9 s of silence, speech, silence), its
// recording written to the data directory. Two ways of feeding the
// caller's audio:
//
//   - media=per-op: a media PUT of the clip before every POST (the work
//     of a test that sets fresh audio for each operation);
//   - media=per-call: one PUT of twenty clips back to back, then twenty
//     POSTs that each consume the next clip (a call answering several
//     prompts); the PUT is inside the timing, one in twenty operations.
//
// The client keeps four requests in flight on 2 cores; client, server
// and bot share the machine. With server=process the server runs in a
// process of its own (the test binary, started again: see TestMain), so
// its CPU time is its own; the client and the bot still share the cores.
// cpu-µs/op is CPU time per operation (server=in-process: client, server
// and bot together; server=process: the server alone) and ops/s@2cores
// what two cores give at that cost.
func BenchmarkRecordResponseRoundTrip(b *testing.B) {
	for _, rate := range []int{16000, 8000} {
		for _, perPut := range []int{1, 20} {
			for _, separate := range []bool{false, true} {
				media := map[bool]string{false: "per-op", true: "per-call"}[perPut > 1]
				where := map[bool]string{false: "in-process", true: "process"}[separate]
				b.Run(fmt.Sprintf("rate=%d/media=%s/server=%s", rate, media, where), func(b *testing.B) {
					benchmarkRoundTrip(b, rate, perPut, separate)
				})
			}
		}
	}
}

// benchmarkRoundTrip runs b.N operations, perPut per media PUT, against a
// server in this process or (separate) in a process of its own.
func benchmarkRoundTrip(b *testing.B, rate, perPut int, separate bool) {
	speech, err := fixtures.SpeechClip("en_us_s160_01", rate)
	require.NoError(b, err)
	op := rate * 54 / 10 // samples one operation consumes: beep and 5 s
	clip := media.Concat(media.Silence(rate*9/10), speech.PCM, media.Silence(op))[:op]
	parts := make([][]int16, perPut)
	for i := range parts {
		parts[i] = clip
	}
	wav := encodeWAV(b, media.Concat(parts...), rate)

	var m *mock
	var srvCPU func() (time.Duration, bool)
	if separate {
		var c *child
		m, c = newChildMock(b)
		srvCPU = c.cpu
	} else {
		m = newMock(b, server.Config{Clock: runner.Fast}, nil)
		// Keep-alive for every client goroutine (the default keeps 2
		// idle connections per host: the others would be redialled).
		m.client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	}
	type slot struct {
		id   string
		left int // operations the call's media still holds
	}
	slots := make(chan slot, 64)
	for range cap(slots) {
		id := m.incoming("")
		require.Equal(b, http.StatusAccepted, m.graph("POST", "/v1.0/communications/calls/"+id+"/answer", "").Status)
		slots <- slot{id: id}
	}
	var completed atomic.Int64
	go func() { // the bot's notifications: completions are counted
		for n := range m.bot.ch {
			if n.ChangeType == "deleted" && strings.Contains(n.ResourceURL, "/operations/") {
				completed.Add(1)
			}
		}
	}()
	base := completed.Load()
	var posted atomic.Int64
	b.ReportAllocs()
	b.SetBytes(int64(2 * len(clip)))
	b.SetParallelism(2)
	start := time.Now()
	cpu0, cpuOK := bench.ProcessCPU()
	var srv0 time.Duration
	if separate {
		srv0, cpuOK = srvCPU()
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s := <-slots
			if s.left == 0 {
				if r := m.send("PUT", "/recsim/v1/calls/"+s.id+"/media", wav, "Content-Type", "audio/wav"); r.Status != http.StatusNoContent {
					b.Errorf("media: %d %s", r.Status, r.Body)
				}
				s.left = perPut
			}
			if r := m.graph("POST", "/v1.0/communications/calls/"+s.id+"/recordResponse", `{"initialSilenceTimeoutInSeconds": 5}`); r.Status != http.StatusOK {
				b.Errorf("recordResponse: %d %s", r.Status, r.Body)
			}
			s.left--
			posted.Add(1)
			slots <- s
		}
	})
	for deadline := time.Now().Add(time.Minute); completed.Load()-base < posted.Load() && time.Now().Before(deadline); {
		time.Sleep(100 * time.Microsecond) // the last completions are on their way
	}
	elapsed := time.Since(start).Seconds()
	cpu1, _ := bench.ProcessCPU()
	if separate {
		var srv1 time.Duration
		srv1, cpuOK = srvCPU()
		cpu0, cpu1 = srv0, srv1
	}
	n := completed.Load() - base
	require.Equal(b, posted.Load(), n, "every operation completed, once")
	b.ReportMetric(float64(n)/elapsed, "ops/s")
	b.ReportMetric(float64(n)*5/elapsed, "x-realtime")
	if cpuOK && n > 0 {
		// CPU per operation, and the operations per second two cores
		// give at that cost (steadier than ops/s on a machine whose
		// other load comes and goes): in-process, client, server and bot
		// together; server=process, the server's process alone.
		per := (cpu1 - cpu0).Seconds() / float64(n)
		b.ReportMetric(per*1e6, "cpu-µs/op")
		b.ReportMetric(2/per, "ops/s@2cores")
	}
}

// TestMemoryPerIdleCall measures what an idle call (incoming, answered, no
// media) costs the server: the target is at most 64 KiB beyond its audio.
func TestMemoryPerIdleCall(t *testing.T) {
	const calls = 2000
	m := newMock(t, fast(), nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	keep := make([]string, 0, calls)
	for range calls {
		r := m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+m.bot.URL+`"}`), "Content-Type", "application/json")
		require.Equal(t, http.StatusCreated, r.Status)
		keep = append(keep, r.json(t)["id"].(string))
	}
	m.drain() // the created notifications are out
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / calls
	t.Logf("memory per idle call: %.1f KiB (%d calls)", per/1024, len(keep))
	require.Less(t, per, 64.0*1024)
}

// BenchmarkInspectorWith1000Calls is what the inspector page costs the
// server to open with 1 000 calls held: the page itself and the first page
// of the list (50 calls with their operations).
func BenchmarkInspectorWith1000Calls(b *testing.B) {
	m := newMock(b, fast(), nil)
	for range 1000 {
		id := m.established("")
		m.record(id, `{"maxRecordDurationInSeconds": 1}`)
	}
	for name, path := range map[string]string{"page": "/", "list": "/recsim/v1/calls?top=50"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				m.srv.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", path, w.Code)
				}
			}
		})
	}
}
