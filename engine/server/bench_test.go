package server_test

import (
	"fmt"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/server"
	"github.com/recsim/recsim/fixtures"
	"github.com/recsim/recsim/media"
)

// BenchmarkRecordResponseRoundTrip measures completed recordResponse
// operations per second over loopback in fast mode: each is a media PUT
// of a fresh 5.5-second caller clip (0.5 s of silence, speech, then
// silence) on an established call, then the POST, which runs the
// operation through the 400 ms beep and 5 s of listening to its duration
// cap, its recording written and its completion delivered to the bot. The
// client keeps four requests in flight on 2 cores (two per core): the
// server is measured, not the client's think time.
func BenchmarkRecordResponseRoundTrip(b *testing.B) {
	for _, rate := range []int{16000, 8000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) { benchmarkRoundTrip(b, rate) })
	}
}

func benchmarkRoundTrip(b *testing.B, rate int) {
	clip, err := fixtures.SpeechClip("en_us_s160_01", rate)
	require.NoError(b, err)
	caller := media.Concat(media.Silence(rate/2), clip.PCM, media.Silence(5*rate))[:5*rate+rate/2]
	wav := encodeWAV(b, caller, rate)
	m := newMock(b, server.Config{Clock: engine.Fast}, nil)
	ids := make(chan string, 64)
	for range cap(ids) {
		id := m.incoming("")
		require.Equal(b, http.StatusAccepted, m.graph("POST", "/v1.0/communications/calls/"+id+"/answer", "").Status)
		ids <- id
	}
	go func() { // from now on the bot's notifications are drained, not inspected
		for range m.bot.ch {
		}
	}()
	var done atomic.Int64
	b.ReportAllocs()
	b.SetBytes(int64(2 * len(caller)))
	b.SetParallelism(2)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := <-ids
			if r := m.send("PUT", "/recsim/v1/calls/"+id+"/media", wav, "Content-Type", "audio/wav"); r.Status != http.StatusNoContent {
				b.Errorf("media: %d %s", r.Status, r.Body)
			}
			if r := m.graph("POST", "/v1.0/communications/calls/"+id+"/recordResponse", `{"initialSilenceTimeoutInSeconds": 5}`); r.Status != http.StatusOK {
				b.Errorf("recordResponse: %d %s", r.Status, r.Body)
			}
			done.Add(1)
			ids <- id
		}
	})
	b.ReportMetric(float64(done.Load())/time.Since(start).Seconds(), "ops/s")
	b.ReportMetric(float64(done.Load())*5/time.Since(start).Seconds(), "x-realtime")
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
