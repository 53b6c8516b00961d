package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/runner"
	"github.com/recsim/recsim/engine/server"
)

const (
	frame   = 320  // samples in a 20 ms frame at 16 kHz
	beepLen = 6400 // the 400 ms beep at 16 kHz: listen start with no prompt
)

// longWait is a request whose timers do not fire for 30 s.
const longWait = `{"initialSilenceTimeoutInSeconds": 30, "maxRecordDurationInSeconds": 30}`

func newRealtime(t *testing.T, mod func(*server.Config)) (*mock, *fakeClock) {
	clk := newFakeClock()
	cfg := server.Config{Clock: runner.Realtime, RunnerClock: clk}
	if mod != nil {
		mod(&cfg)
	}
	return newMock(t, cfg, nil), clk
}

func subcodeOf(n note) float64 { return n.Data["resultInfo"].(map[string]any)["subcode"].(float64) }
func codeOf(n note) float64    { return n.Data["resultInfo"].(map[string]any)["code"].(float64) }

// opStatus returns an operation's status as GET shows it.
func (m *mock) opStatus(callID, opID string) string {
	m.t.Helper()
	r := m.graph("GET", "/v1.0/communications/calls/"+callID+"/operations/"+opID, "")
	require.Equal(m.t, http.StatusOK, r.Status)
	return r.json(m.t)["status"].(string)
}

func TestAHangUpEndsTheRunningOperationPerPolicy(t *testing.T) {
	t.Run("notify: 410/8528 with the partial recording, then the call's deleted", func(t *testing.T) {
		m, clk := newRealtime(t, nil)
		id := m.established("")
		a := m.record(id, longWait)["id"].(string)
		b := m.record(id, `{}`)
		assert.Equal(t, "NotStarted", b["status"], "queued behind the first")
		m.step(clk, 100) // 2 s
		require.Equal(t, http.StatusNoContent, m.graph("DELETE", "/v1.0/communications/calls/"+id, "").Status)

		na := m.bot.next(t)
		require.Equal(t, "/communications/calls/"+id+"/operations/"+a, na.ResourceURL)
		assert.Equal(t, "Failed", na.str("status"))
		assert.Equal(t, "unspecifiedError", na.str("completionReason"))
		assert.Equal(t, 410.0, codeOf(na))
		assert.Equal(t, 8528.0, subcodeOf(na))
		assert.Equal(t, "Action failed, the call was terminated.", na.Data["resultInfo"].(map[string]any)["message"])
		rec := m.download(na.str("recordingLocation"), na.str("recordingAccessToken"))
		require.Equal(t, http.StatusOK, rec.Status)
		pcm, _ := decodeWAV(t, rec.Body)
		assert.Len(t, pcm, 100*frame-beepLen, "what was recorded up to the hang-up")

		nb := m.bot.next(t)
		require.Equal(t, "/communications/calls/"+id+"/operations/"+b["id"].(string), nb.ResourceURL)
		assert.Equal(t, 8528.0, subcodeOf(nb))
		assert.Nil(t, nb.Data["recordingLocation"], "the queued one recorded nothing")

		nc := m.bot.next(t)
		assert.Equal(t, "deleted", nc.ChangeType)
		assert.Equal(t, "/communications/calls/"+id, nc.ResourceURL)
		assert.Equal(t, "terminated", nc.str("state"))
	})
	t.Run("silent: no completion, only the call's deleted", func(t *testing.T) {
		m, clk := newRealtime(t, nil)
		id := m.established(`{"hangupPolicy": "silent"}`)
		a := m.record(id, longWait)["id"].(string)
		m.step(clk, 50)
		require.Equal(t, http.StatusNoContent, m.send("POST", "/recsim/v1/calls/"+id+"/hangup", nil).Status)
		n := m.bot.next(t)
		assert.Equal(t, "deleted", n.ChangeType)
		assert.Equal(t, "/communications/calls/"+id, n.ResourceURL, "the operation's completion never comes")
		r := m.graph("GET", "/v1.0/communications/calls/"+id+"/operations/"+a, "").json(t)
		assert.Equal(t, "Failed", r["status"])
		assert.Equal(t, 8528.0, r["resultInfo"].(map[string]any)["subcode"])
	})
}

func TestCancelMediaProcessingCancelsTheRunningAndQueuedOperations(t *testing.T) {
	m, clk := newRealtime(t, nil)
	id := m.established("")
	a := m.record(id, longWait)["id"].(string)
	b := m.record(id, longWait)["id"].(string)
	m.step(clk, 50)
	require.Equal(t, "Running", m.opStatus(id, a))
	require.Equal(t, "NotStarted", m.opStatus(id, b))
	r := m.graph("POST", "/v1.0/communications/calls/"+id+"/cancelMediaProcessing", `{}`)
	require.Equal(t, http.StatusOK, r.Status)
	for _, op := range []string{a, b} {
		n := m.bot.next(t)
		require.Equal(t, "/communications/calls/"+id+"/operations/"+op, n.ResourceURL, "in order")
		assert.Equal(t, "operationCanceled", n.str("completionReason"))
		assert.Equal(t, "Failed", n.str("status"))
		assert.Equal(t, 400.0, codeOf(n))
		assert.Equal(t, 8508.0, subcodeOf(n))
		assert.Equal(t, "", n.Data["recordingLocation"], `"" (doc)`)
		assert.Equal(t, "", n.Data["recordingAccessToken"])
	}
	t.Run("the call goes on: the next operation starts at once", func(t *testing.T) {
		assert.Equal(t, "Running", m.record(id, `{}`)["status"])
	})
}

func TestBargeInCancelsTheRunningOperationAndStartsAtOnce(t *testing.T) {
	m, clk := newRealtime(t, nil)
	id := m.established("")
	a := m.record(id, longWait)["id"].(string)
	m.step(clk, 10)
	b := m.record(id, `{"bargeInAllowed": true, "initialSilenceTimeoutInSeconds": 1}`)
	assert.Equal(t, "Running", b["status"])
	n := m.bot.next(t)
	require.Equal(t, "/communications/calls/"+id+"/operations/"+a, n.ResourceURL)
	assert.Equal(t, "operationCanceled", n.str("completionReason"))
	m.step(clk, 100)
	n = m.bot.next(t)
	require.Equal(t, "/communications/calls/"+id+"/operations/"+b["id"].(string), n.ResourceURL)
	assert.Equal(t, "initialSilenceTimeout", n.str("completionReason"))
}

func TestStreamWhileRecordingOffersTheRecordingAtListenStart(t *testing.T) {
	m, clk := newRealtime(t, nil)
	id := m.established("")
	r := m.graph("POST", "/beta/communications/calls/"+id+"/recordResponse",
		`{"streamWhileRecording": true, "initialSilenceTimeoutInSeconds": 30, "maxRecordDurationInSeconds": 3}`)
	require.Equal(t, http.StatusOK, r.Status)
	op := r.json(t)
	assert.Nil(t, op["recordingLocation"], "not before listen start")
	opID := op["id"].(string)

	m.step(clk, beepLen/frame) // the beep
	early := m.bot.next(t)
	require.Equal(t, "updated", early.ChangeType)
	require.Equal(t, "/communications/calls/"+id+"/operations/"+opID, early.ResourceURL)
	assert.Equal(t, "Running", early.str("status"))
	assert.Nil(t, early.Data["resultInfo"])
	loc, tok := early.str("recordingLocation"), early.str("recordingAccessToken")
	require.NotEmpty(t, loc)
	require.NotEmpty(t, tok)

	got := m.graph("GET", "/beta/communications/calls/"+id+"/operations/"+opID, "").json(t)
	assert.Equal(t, loc, got["recordingLocation"], "GET shows it too")

	m.step(clk, 25) // 0.5 s of recording
	d := m.download(loc, tok)
	require.Equal(t, http.StatusOK, d.Status)
	pcm, _ := decodeWAV(t, d.Body)
	assert.Len(t, pcm, 25*frame, "the audio recorded so far, as a valid WAV")
	assert.Equal(t, http.StatusUnauthorized, m.download(loc, "nope").Status)

	m.step(clk, 150) // to the 3 s cap
	done := m.bot.next(t)
	require.Equal(t, "deleted", done.ChangeType)
	assert.Equal(t, "maxRecordDurationReached", done.str("completionReason"))
	assert.Equal(t, loc, done.str("recordingLocation"), "the same URL")
	assert.Equal(t, tok, done.str("recordingAccessToken"), "and token")
	d = m.download(loc, tok)
	require.Equal(t, http.StatusOK, d.Status)
	pcm, _ = decodeWAV(t, d.Body)
	assert.Len(t, pcm, 3*16000, "the whole recording")

	t.Run("an early URL whose operation ends without a recording is 404", func(t *testing.T) {
		r := m.graph("POST", "/beta/communications/calls/"+id+"/recordResponse", `{"streamWhileRecording": true, "initialSilenceTimeoutInSeconds": 1}`)
		require.Equal(t, http.StatusOK, r.Status)
		m.step(clk, beepLen/frame)
		early := m.bot.next(t)
		m.step(clk, 50)
		n := m.bot.next(t)
		assert.Equal(t, "initialSilenceTimeout", n.str("completionReason"))
		assert.Nil(t, n.Data["recordingLocation"])
		assert.Equal(t, http.StatusNotFound, m.download(early.str("recordingLocation"), early.str("recordingAccessToken")).Status)
	})
}

func TestAStalledCallerEndsWithMediaReceiveTimeout(t *testing.T) {
	m, clk := newRealtime(t, func(c *server.Config) { c.ReceiveTimeout = 100 * time.Millisecond })
	id := m.established(`{"endOfMedia": "stall"}`)
	m.script(id, `{"caller": [{"silence": 1}]}`)
	m.record(id, longWait)
	m.step(clk, 50+10) // the media, then more than the receive timeout
	n := m.bot.next(t)
	assert.Equal(t, "mediaReceiveTimeout", n.str("completionReason"))
	assert.Equal(t, 8513.0, subcodeOf(n))
	d := m.download(n.str("recordingLocation"), n.str("recordingAccessToken"))
	require.Equal(t, http.StatusOK, d.Status)
	pcm, _ := decodeWAV(t, d.Body)
	assert.Len(t, pcm, 16000-beepLen, "the partial recording")
}

func TestTheCallerHangingUpAtTheEndOfTheMedia(t *testing.T) {
	for _, tc := range []struct{ name, options, script string }{
		{"by the end-of-media policy hangup", `{"endOfMedia": "hangup"}`, `{"caller": [{"silence": 1}]}`},
		{"by a hangup segment", "", `{"caller": [{"silence": 1}, {"hangup": true}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, fast(), nil)
			id := m.established(tc.options)
			m.script(id, tc.script)
			op := m.record(id, longWait)
			n := m.bot.next(t)
			require.Equal(t, "/communications/calls/"+id+"/operations/"+op["id"].(string), n.ResourceURL)
			assert.Equal(t, 8528.0, subcodeOf(n))
			d := m.download(n.str("recordingLocation"), n.str("recordingAccessToken"))
			pcm, _ := decodeWAV(t, d.Body)
			assert.Len(t, pcm, 16000-beepLen)
			c := m.bot.next(t)
			assert.Equal(t, "/communications/calls/"+id, c.ResourceURL, "then the call's deleted")
			assert.Equal(t, "terminated", c.str("state"))
			assert.Equal(t, http.StatusNotFound, m.graph("GET", "/v1.0/communications/calls/"+id, "").Status)
		})
	}
}

// demoScript is a prompt, the beep, a caller who speaks, pauses, speaks
// again and presses # (fixtures/scenarios/demo.json's caller).
const demoScript = `{"rate": 16000, "caller": [{"silence": 5.0}, {"speech": "en_m7_s170_03"}, {"silence": 1.2},
	{"speech": "en_gb_f2_s140_04"}, {"silence": 0.8}, {"dtmf": "#", "seconds": 0.12, "gap": 0.5}],
	"background": {"noise": "pink", "snr": 35, "seed": 42}}`

const demoRequest = `{"prompts": [{"mediaInfo": {"uri": "fixture:en_us_f2_s175_15"}}], "maxSilenceTimeoutInSeconds": 3,
	"maxRecordDurationInSeconds": 30, "stopTones": ["#"], "clientContext": "demo"}`

type timelineEntry struct {
	Type   string  `json:"type"`
	Sample int64   `json:"sample"`
	Ms     float64 `json:"ms"`
	Detail string  `json:"detail"`
}

// runDemo runs the demo on m (stepping clk in realtime) and returns the
// recording's SHA-256, the completion and the timeline.
func runDemo(t *testing.T, m *mock, clk *fakeClock) (string, note, []timelineEntry) {
	id := m.established("")
	m.script(id, demoScript)
	op := m.record(id, demoRequest)
	assert.Equal(t, "Running", op["status"])
	opID := op["id"].(string)
	if clk != nil {
		for i := 0; i < 2000 && m.opStatus(id, opID) == "Running"; i++ {
			m.step(clk, 10)
		}
	}
	n := m.completion(opID)
	d := m.download(n.str("recordingLocation"), n.str("recordingAccessToken"))
	require.Equal(t, http.StatusOK, d.Status)
	var ev struct{ Value []timelineEntry }
	require.NoError(t, json.Unmarshal(m.send("GET", "/recsim/v1/calls/"+id+"/events", nil).Body, &ev))
	return sha(d.Body), n, ev.Value
}

func TestFastAndRealtimeGiveTheSameRecording(t *testing.T) {
	fastSHA, fastNote, fastEvents := runDemo(t, newMock(t, fast(), nil), nil)
	m, clk := newRealtime(t, nil)
	rtSHA, rtNote, rtEvents := runDemo(t, m, clk)
	assert.Equal(t, "stopToneDetected", fastNote.str("completionReason"))
	assert.Equal(t, fastSHA, rtSHA, "byte-identical recordings")
	assert.Equal(t, fastNote.Data["resultInfo"], rtNote.Data["resultInfo"])
	assert.Equal(t, fastEvents, rtEvents, "identical timelines")
}

func TestShutdownCancelsRunningOperationsAndDeliversTheirNotifications(t *testing.T) {
	m, clk := newRealtime(t, nil)
	id := m.established("")
	op := m.record(id, longWait)["id"].(string)
	m.step(clk, 20)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, m.srv.Shutdown(ctx))
	var found bool
	for _, n := range m.bot.all() {
		if n.ResourceURL == "/communications/calls/"+id+"/operations/"+op {
			found = true
			assert.Equal(t, "operationCanceled", n.str("completionReason"))
		}
	}
	assert.True(t, found, "delivered before Shutdown returned")
	r := m.graph("POST", "/v1.0/communications/calls/"+id+"/recordResponse", `{}`)
	assert.Equal(t, http.StatusServiceUnavailable, r.Status)
	code, _, _ := r.graphError(t)
	assert.Equal(t, "ServiceUnavailable", code)
	assert.Equal(t, http.StatusServiceUnavailable, m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "http://127.0.0.1:1/"}`), "Content-Type", "application/json").Status)
	assert.Equal(t, http.StatusOK, m.graph("GET", "/v1.0/communications/calls/"+id+"/operations/"+op, "").Status, "reads still work")
}

func TestEveryResultRowACallCanReach(t *testing.T) {
	m := newMock(t, fast(), nil)
	for _, tc := range []struct {
		name, options, script, request string
		reason                         string
		code, subcode                  float64
		recording                      bool
	}{
		{"max record duration", "", `{"caller": [{"silence": 3}]}`, `{"initialSilenceTimeoutInSeconds": 5, "maxRecordDurationInSeconds": 2}`, "maxRecordDurationReached", 200, 8515, true},
		{"stop tone", "", speakThenPound, `{"stopTones": ["#"]}`, "stopToneDetected", 200, 8514, true},
		{"max silence", "", `{"caller": [{"silence": 1}, {"speech": "en_us_s145_48"}]}`, `{"maxSilenceTimeoutInSeconds": 1, "maxRecordDurationInSeconds": 30}`, "maxSilenceTimeout", 200, 8509, true},
		{"initial silence", "", `{"caller": [{"silence": 3}]}`, `{"initialSilenceTimeoutInSeconds": 1}`, "initialSilenceTimeout", 400, 8510, false},
		{"a failed prompt (fault)", `{"fault": "playPromptFailed"}`, `{"caller": [{"silence": 1}]}`, `{}`, "playPromptFailed", 500, 8511, false},
		{"a prompt that cannot be fetched", "", `{"caller": [{"silence": 1}]}`, `{"prompts": [{"mediaInfo": {"uri": "fixture:no-such-clip"}}]}`, "playPromptFailed", 500, 8536, false},
		{"a failed beep (fault)", `{"fault": "playBeepFailed"}`, `{"caller": [{"silence": 1}]}`, `{}`, "playBeepFailed", 500, 8512, false},
		{"an internal error (fault)", `{"fault": "unspecifiedError"}`, `{"caller": [{"silence": 1}]}`, `{}`, "unspecifiedError", 500, 9999, false},
		{"a stalled caller", `{"endOfMedia": "stall"}`, `{"caller": [{"silence": 1}]}`, longWait, "mediaReceiveTimeout", 500, 8513, true},
		{"the caller hanging up", `{"endOfMedia": "hangup"}`, `{"caller": [{"silence": 1}]}`, longWait, "unspecifiedError", 410, 8528, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := m.established(tc.options)
			m.script(id, tc.script)
			op := m.record(id, tc.request)
			n := m.completion(op["id"].(string))
			assert.Equal(t, tc.reason, n.str("completionReason"))
			assert.Equal(t, tc.code, codeOf(n))
			assert.Equal(t, tc.subcode, subcodeOf(n))
			if tc.recording {
				assert.Equal(t, http.StatusOK, m.download(n.str("recordingLocation"), n.str("recordingAccessToken")).Status)
			} else {
				assert.Nil(t, n.Data["recordingLocation"])
				assert.Nil(t, n.Data["recordingAccessToken"])
			}
		})
	}
}
