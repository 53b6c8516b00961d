package server

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleFacts() (opView, timelineView, notificationJSON, callView) {
	reason, code, sub, msg, loc, tok := "stopToneDetected", 200, 8514, "Action completed, stop tone detected.", "http://127.0.0.1:8080/recsim/v1/recordings/5f0c", "krfh7pN3sfkZM2RRCty4tCzv3dsf4Z-6TrbnLJ9qbqE"
	cc := "a <client> & \"context\"\t\u2028é\x01"
	op := opView{ID: "0b07c0de-0000-4000-8000-000000000002", Kind: "recordResponse",
		Status: "Completed", CompletionReason: &reason, Code: &code, Subcode: &sub, Message: &msg, RecordingLocation: &loc, RecordingAccessToken: &tok, ClientContext: &cc}
	entry := timelineView{Type: "digit", Sample: 19222, Ms: 1201.375, OperationID: op.ID, Detail: "# (stop tone), detected at 1.235 s"}
	note := notificationJSON{Sequence: 3, ChangeType: "deleted", ResourceURL: "/communications/calls/x/operations/y",
		Attempts: 2, LastError: "callback answered 500: \"boom\"", Payload: json.RawMessage(`{"value":[{"a":1}]}`)}
	ended := "2026-12-06T12:00:01Z"
	call := callView{ID: "0b07c0de-0000-4000-8000-000000000001", State: "terminated", Direction: "incoming", CallbackURI: "http://bot/notify?x=<1>&y=2", Created: "2026-12-06T12:00:00Z", Ended: &ended, Rate: 16000}
	return op, entry, note, call
}

// TestStreamJSONIsEncodingJSONs: the stream's appenders give the JSON
// encoding/json gives for the same values, byte for byte, and the
// envelope is {"type", "phase", "callId", "sequence", "at", "body"}.
func TestStreamJSONIsEncodingJSONs(t *testing.T) {
	op, entry, note, call := sampleFacts()
	empty := opView{ID: "o", Kind: "playPrompt", Status: "Running"}
	bare := timelineView{Type: "operationStart"}
	bad := timelineView{Type: "x", Detail: "invalid \xff utf-8"}
	unsent := notificationJSON{Sequence: 1, ChangeType: "created", ResourceURL: "/r", Delivered: true}
	live := callView{ID: "c", State: "established", Rate: 8000}
	for i, c := range []struct {
		v   any
		enc func([]byte) []byte
	}{
		{op, op.appendJSON}, {empty, empty.appendJSON}, {entry, entry.appendJSON}, {bare, bare.appendJSON}, {bad, bad.appendJSON},
		{note, note.appendJSON}, {unsent, unsent.appendJSON}, {call, call.appendJSON}, {live, live.appendJSON},
	} {
		want, err := json.Marshal(c.v)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(c.enc(nil)), "case %d", i)
	}
	t.Run("the envelope", func(t *testing.T) {
		at := time.Date(2026, 12, 6, 12, 0, 0, 123456789, time.UTC)
		h := hub{now: func() time.Time { return at }}
		sub := h.subscribe("", -1)
		h.publish("operation", "completed", "c1", op.appendJSON)
		got, _ := h.read(sub, nil)
		require.Len(t, got, 1)
		var env struct {
			Type, Phase, CallID string
			Sequence            int64
			At                  time.Time
			Body                opView
		}
		require.NoError(t, json.Unmarshal(got[0].Data, &env))
		assert.Equal(t, "operation", env.Type)
		assert.Equal(t, "completed", env.Phase)
		assert.Equal(t, "c1", env.CallID)
		assert.Equal(t, int64(1), env.Sequence)
		assert.True(t, at.Truncate(time.Millisecond).Equal(env.At), "at, to the millisecond: %s", env.At)
		assert.Equal(t, op, env.Body)
	})
}

// benchStream returns a hub with one reader that reads it as the SSE
// writer does (a batch every batchEvery), and a function that stops the
// reader and returns the process CPU used since benchStream returned
// (false where it cannot be read).
func benchStream(b *testing.B) (*hub, func() (time.Duration, bool)) {
	h := &hub{}
	sub := h.subscribe("", -1)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var buf []byte
		for {
			select {
			case <-sub.wake:
			case <-stop:
				return
			}
			time.Sleep(batchEvery)
			buf = h.readSSE(sub, buf[:0])
		}
	}()
	b.ReportAllocs()
	cpu0, ok0 := processCPU()
	return h, func() (time.Duration, bool) {
		b.StopTimer()
		close(stop)
		<-done
		cpu1, ok1 := processCPU()
		return cpu1 - cpu0, ok0 && ok1 && b.N > 0
	}
}

// BenchmarkStreamEvent is the cost of one fact on the event stream with
// one SSE reader: encoded, kept in the ring, read in a batch and framed
// as SSE (BenchmarkStreamCompletion has the facts of a whole call).
func BenchmarkStreamEvent(b *testing.B) {
	op, entry, _, call := sampleFacts()
	op.ClientContext = nil // as most operations: the escaping path is tested above
	h, finish := benchStream(b)
	i := 0
	for b.Loop() {
		i++
		if i%2 == 0 {
			h.publish("operation", "completed", call.ID, op.appendJSON)
		} else {
			h.publish("event", "created", call.ID, entry.appendJSON)
		}
	}
	// The CPU of the publisher and the reader together, per fact: what
	// "percent of a core" is made of (wall time per op also counts the
	// publisher waiting for the reader's batch).
	if cpu, ok := finish(); ok {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/fact")
	}
}

// BenchmarkStreamCompletion is the stream's cost for one call with one
// recordResponse, the facts TestStreamEventsPerRoundTrip counts: 3 call,
// 3 operation, 10 timeline entries and 8 notification facts (4
// notifications queued and delivered, each with its payload), with one
// SSE reader. %core@1000/s is what 1 000 such completions a second cost.
func BenchmarkStreamCompletion(b *testing.B) {
	op, entry, note, call := sampleFacts()
	op.ClientContext = nil
	// A completion's notification payload as the server sends it (about
	// 700 bytes: the recordOperation with its resultInfo and location).
	note.LastError, note.Payload = "", json.RawMessage(`{"value":[{"@odata.type":"#microsoft.graph.commsNotification","changeType":"deleted","resource":"/communications/calls/0b07c0de-0000-4000-8000-000000000001/operations/0b07c0de-0000-4000-8000-000000000002","resourceUrl":"/communications/calls/0b07c0de-0000-4000-8000-000000000001/operations/0b07c0de-0000-4000-8000-000000000002","resourceData":{"@odata.type":"#microsoft.graph.recordOperation","id":"0b07c0de-0000-4000-8000-000000000002","clientContext":null,"status":"Completed","resultInfo":{"@odata.type":"#microsoft.graph.resultInfo","code":200,"subcode":8514,"message":"Action completed, stop tone detected."},"recordingLocation":"http://127.0.0.1:8080/recsim/v1/recordings/5f0c","recordingAccessToken":"krfh7pN3sfkZM2RRCty4tCzv3dsf4Z-6TrbnLJ9qbqE","completionReason":"stopToneDetected"}}]}`)
	h, finish := benchStream(b)
	for b.Loop() {
		for range 3 {
			h.publish("call", "updated", call.ID, call.appendJSON)
			h.publish("operation", "updated", call.ID, op.appendJSON)
		}
		for range 10 {
			h.publish("event", "created", call.ID, entry.appendJSON)
		}
		for range 8 {
			h.publish("notification", "delivered", call.ID, note.appendJSON)
		}
	}
	if cpu, ok := finish(); ok {
		per := float64(cpu.Nanoseconds()) / float64(b.N)
		b.ReportMetric(per/1000, "cpu-us/completion")
		b.ReportMetric(per*1000/1e9*100, "%core@1000/s")
	}
}

// TestAReaderThatFallsBehindTheRingIsTold: publishing never waits for a
// reader; one that falls more than the ring behind learns it lost events
// (SSE: a gap event; in process: its channel closes) rather than miss some
// silently.
func TestAReaderThatFallsBehindTheRingIsTold(t *testing.T) {
	s := &Server{quit: make(chan struct{})}
	sub := s.hub.subscribe("", -1)
	op, _, _, call := sampleFacts()
	for range ringSize + 100 { // would block here if publishing waited for readers
		s.hub.publish("operation", "completed", call.ID, op.appendJSON)
	}
	batch, lost := s.hub.read(sub, nil)
	assert.True(t, lost, "the first 100 left the ring unread")
	require.Len(t, batch, ringSize)
	assert.Equal(t, int64(101), batch[0].ID, "what is left is read in order")
	assert.Equal(t, int64(ringSize+100), batch[len(batch)-1].ID)

	t.Run("a stream resumed from an ID the ring no longer holds is told so", func(t *testing.T) {
		resumed := s.hub.subscribe("", 0)
		_, lost := s.hub.read(resumed, nil)
		assert.True(t, lost)
	})
	t.Run("a reader that keeps up loses nothing", func(t *testing.T) {
		sub := s.hub.subscribe("", -1)
		for range 10 {
			s.hub.publish("operation", "completed", call.ID, op.appendJSON)
		}
		batch, lost := s.hub.read(sub, nil)
		assert.False(t, lost)
		assert.Len(t, batch, 10)
	})
}

// TestMillisecondsAreWrittenAsEncodingJSONWritesThem: appendMs's fast path
// for whole thousandths gives strconv's shortest form, at every rate a
// call can have, and the general path the rest.
func TestMillisecondsAreWrittenAsEncodingJSONWritesThem(t *testing.T) {
	for _, rate := range []int64{8000, 11025, 16000, 22050, 44100, 48000} {
		for _, n := range []int64{0, 1, 2, 3, 7, 159, 160, 19222, 123457, 1 << 20, 86400 * 48000, 1<<31 - 1} {
			ms := float64(n) * 1000 / float64(rate)
			want, err := json.Marshal(ms)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(appendMs(nil, ms)), "sample %d at %d Hz", n, rate)
		}
	}
	for _, ms := range []float64{0.1, 0.5, 1201.375, 999.999, 1e-3, 12.0625, 1e9 + 0.5, 3.14159} {
		want, err := json.Marshal(ms)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(appendMs(nil, ms)), "%v", ms)
	}
}
