package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/media"
)

// TestAwaitACompletionWithTheStream is the pattern docs/server.md shows:
// subscribe, run the call, wait for the operation's completed event.
func TestAwaitACompletionWithTheStream(t *testing.T) {
	m := newMock(t, fast(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	events := m.srv.Subscribe(ctx, "")
	id := m.established("")
	m.script(id, speakThenPound)
	opID := m.record(id, `{"stopTones": ["#"]}`)["id"].(string)
	var kinds []string
	for ev := range events {
		kinds = append(kinds, ev.Type)
		if ev.Type != "operation" {
			continue
		}
		var o struct {
			CallID, Phase string
			Body          struct {
				ID, Status       string
				CompletionReason *string
				Subcode          *int
			}
		}
		require.NoError(t, json.Unmarshal(ev.Data, &o))
		if o.Body.ID == opID && o.Phase == "completed" {
			assert.Equal(t, id, o.CallID)
			require.NotNil(t, o.Body.CompletionReason)
			assert.Equal(t, "stopToneDetected", *o.Body.CompletionReason)
			assert.Equal(t, 8514, *o.Body.Subcode)
			break
		}
	}
	assert.Equal(t, "call", kinds[0], "the call's creation comes first")
	assert.Contains(t, kinds, "event", "the timeline entries came as they happened")
	assert.Contains(t, kinds, "notification")
}

// sseEvent is one event read off the SSE stream.
type sseEvent struct {
	id        int64
	typ, data string
}

// readSSE reads events off an SSE body until n events came or it ends.
func readSSE(t *testing.T, sc *bufio.Scanner, n int) []sseEvent {
	var out []sseEvent
	var cur sseEvent
	for len(out) < n && sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.typ != "" {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			cur.id, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
		case strings.HasPrefix(line, "event: "):
			cur.typ = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		}
	}
	return out
}

func TestTheSSEStreamResumesWithLastEventID(t *testing.T) {
	m := newMock(t, fast(), nil)
	open := func(query string, last int64) (*bufio.Scanner, func()) {
		req, err := http.NewRequest("GET", m.url+"/recsim/v1/stream"+query, nil)
		require.NoError(t, err)
		if last > 0 {
			req.Header.Set("Last-Event-ID", strconv.FormatInt(last, 10))
		}
		resp, err := m.client.Do(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		return bufio.NewScanner(resp.Body), func() { resp.Body.Close() }
	}
	sc, closeFirst := open("", 0)
	id := m.established("")
	m.script(id, speakThenPound)
	m.completion(m.record(id, `{"stopTones": ["#"]}`)["id"].(string))
	first := readSSE(t, sc, 5)
	closeFirst()
	require.Len(t, first, 5)
	for i := 1; i < len(first); i++ {
		assert.Equal(t, first[i-1].id+1, first[i].id, "ids count up without gaps")
	}

	t.Run("a reconnect with Last-Event-ID gets what came after it, once", func(t *testing.T) {
		sc, done := open("?call="+id, first[2].id)
		defer done()
		again := readSSE(t, sc, 2)
		require.Len(t, again, 2)
		assert.Equal(t, first[3], again[0])
		assert.Equal(t, first[4], again[1])
	})
	t.Run("?call= keeps to one call", func(t *testing.T) {
		other := m.established("")
		sc, done := open("?call="+id, 1)
		defer done()
		for _, ev := range readSSE(t, sc, 8) {
			assert.NotContains(t, ev.data, other)
		}
	})
	t.Run("a bad Last-Event-ID is a 400, an unknown call a 404", func(t *testing.T) {
		assert.Equal(t, http.StatusBadRequest, m.send("GET", "/recsim/v1/stream?lastEventId=x", nil).Status)
		assert.Equal(t, http.StatusNotFound, m.send("GET", "/recsim/v1/stream?call=00000000-0000-4000-8000-000000000000", nil).Status)
	})
}

func TestTheCallsListDetailAndAudio(t *testing.T) {
	m := newMock(t, fast(), nil)
	a := m.established("")
	caller := media.Concat(media.Silence(8000), media.Tone(16000, 8000, media.ToneSpec{Hz: 300, Level: -20}))
	require.Equal(t, http.StatusNoContent, m.send("PUT", "/recsim/v1/calls/"+a+"/media", encodeWAV(t, caller, 16000), "Content-Type", "audio/wav").Status)
	opID := m.record(a, `{"maxRecordDurationInSeconds": 1}`)["id"].(string)
	m.completion(opID)
	b := m.established("")

	t.Run("the list is newest first, paged, with the operations", func(t *testing.T) {
		r := m.send("GET", "/recsim/v1/calls?top=1", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var l struct {
			Value []struct {
				ID         string
				State      string
				Operations []struct{ ID, Kind, Status string }
			}
			Count int
		}
		require.NoError(t, json.Unmarshal(r.Body, &l))
		assert.Equal(t, 2, l.Count)
		require.Len(t, l.Value, 1)
		assert.Equal(t, b, l.Value[0].ID)
		r = m.send("GET", "/recsim/v1/calls?top=1&skip=1", nil)
		require.NoError(t, json.Unmarshal(r.Body, &l))
		require.Len(t, l.Value, 1)
		assert.Equal(t, a, l.Value[0].ID)
		require.Len(t, l.Value[0].Operations, 1)
		assert.Equal(t, "recordResponse", l.Value[0].Operations[0].Kind)
		assert.Equal(t, http.StatusBadRequest, m.send("GET", "/recsim/v1/calls?top=0", nil).Status)
	})
	t.Run("one call, with its completion", func(t *testing.T) {
		r := m.send("GET", "/recsim/v1/calls/"+a, nil)
		require.Equal(t, http.StatusOK, r.Status)
		assert.Contains(t, string(r.Body), `"completionReason":"maxRecordDurationReached"`)
		assert.Contains(t, string(r.Body), `"subcode":8515`)
	})
	t.Run("the caller audio is the media put", func(t *testing.T) {
		r := m.send("GET", "/recsim/v1/calls/"+a+"/audio/caller", nil)
		require.Equal(t, http.StatusOK, r.Status)
		assert.Equal(t, "audio/wav", r.Header.Get("Content-Type"))
		pcm, rate := decodeWAV(t, r.Body)
		assert.Equal(t, 16000, rate)
		assert.Equal(t, caller, pcm)
	})
	t.Run("the outbound audio is the beep, where it played", func(t *testing.T) {
		r := m.send("GET", "/recsim/v1/calls/"+a+"/audio/outbound", nil)
		require.Equal(t, http.StatusOK, r.Status)
		pcm, _ := decodeWAV(t, r.Body)
		require.NotEmpty(t, pcm)
		assert.Len(t, pcm, 6400, "the 400 ms beep from sample 0")
		assert.Greater(t, media.Level(pcm), -30.0, "dBFS: a tone, not silence")
		none := m.send("GET", "/recsim/v1/calls/"+b+"/audio/outbound", nil)
		require.Equal(t, http.StatusOK, none.Status)
		empty, _ := decodeWAV(t, none.Body)
		assert.Empty(t, empty, "nothing played yet: a WAV of 0 samples")
	})
	t.Run("the recording by its operation, for the page", func(t *testing.T) {
		r := m.send("GET", "/recsim/v1/calls/"+a+"/operations/"+opID+"/recording", nil)
		require.Equal(t, http.StatusOK, r.Status)
		pcm, _ := decodeWAV(t, r.Body)
		assert.Len(t, pcm, 16000, "the 1 s of maxRecordDuration")
		assert.Equal(t, http.StatusNotFound, m.send("GET", "/recsim/v1/calls/"+b+"/operations/"+opID+"/recording", nil).Status)
	})
	t.Run("cancel through the simulation surface", func(t *testing.T) {
		r := m.send("POST", "/recsim/v1/calls/"+b+"/cancel", []byte(`{}`), "Content-Type", "application/json")
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.Equal(t, "#microsoft.graph.cancelMediaProcessingOperation", r.json(t)["@odata.type"], "no Graph token needed")
	})
	t.Run("notifications carry their payload", func(t *testing.T) {
		r := m.send("GET", "/recsim/v1/calls/"+a+"/notifications", nil)
		require.Equal(t, http.StatusOK, r.Status)
		assert.Contains(t, string(r.Body), `"payload":{"@odata.type":"#microsoft.graph.commsNotifications"`)
	})
}

func TestTheControlToken(t *testing.T) {
	cfg := fast()
	cfg.ControlToken = "ctl-secret"
	m := newMock(t, cfg, nil)
	r := m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+m.url+`/recsim/v1/inbox"}`), "Content-Type", "application/json")
	assert.Equal(t, http.StatusUnauthorized, r.Status)
	r = m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+m.url+`/recsim/v1/inbox"}`), "Content-Type", "application/json", "Authorization", "Bearer ctl-secret")
	require.Equal(t, http.StatusCreated, r.Status)
	id := r.json(t)["id"].(string)
	assert.Equal(t, http.StatusUnauthorized, m.send("GET", "/recsim/v1/stream", nil).Status)
	assert.Equal(t, http.StatusUnauthorized, m.send("GET", "/recsim/v1/calls/"+id+"/events", nil, "Authorization", "Bearer wrong").Status)
	assert.Equal(t, http.StatusOK, m.send("GET", "/recsim/v1/.well-known/OpenIdConfiguration", nil).Status, "the callback OpenID configuration is public")
	assert.Equal(t, http.StatusAccepted, m.graph("POST", "/v1.0/communications/calls/"+id+"/answer", "").Status, "the Graph surface has its own auth")
}

// TestStreamEventsPerRoundTrip counts the stream's events for one
// recordResponse round trip (the figure BenchmarkStreamEvent multiplies).
func TestStreamEventsPerRoundTrip(t *testing.T) {
	m := newMock(t, fast(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := m.srv.Subscribe(ctx, "")
	id := m.established("")
	m.script(id, speakThenPound)
	m.completion(m.record(id, `{"stopTones": ["#"]}`)["id"].(string))
	require.Equal(t, http.StatusNoContent, m.graph("DELETE", "/v1.0/communications/calls/"+id, "").Status)
	m.drain()
	n := map[string]int{}
	total := 0
	for done := false; !done; {
		select {
		case ev := <-events:
			n[ev.Type]++
			total++
		case <-time.After(200 * time.Millisecond):
			done = true
		}
	}
	t.Logf("one call with one recordResponse: %d events %v", total, n)
	assert.Equal(t, 3, n["call"], "created, answered, ended")
	assert.Equal(t, 4*2, n["notification"], "four notifications, queued and delivered")
	assert.GreaterOrEqual(t, n["event"], 6, "the timeline entries")
}
