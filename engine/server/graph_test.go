package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/server"
)

// speakThenPound is a caller who waits 1 s, says a sentence and presses #.
const speakThenPound = `{"caller": [{"silence": 1}, {"speech": "en_us_s160_01"}, {"silence": 0.5}, {"dtmf": "#"}, {"silence": 1}]}`

func TestEveryEndpointAnswersWithItsStatusAndLocation(t *testing.T) {
	m := newMock(t, fast(), nil)
	base := m.ts.URL

	t.Run("an incoming call is 201 with its id and state incoming", func(t *testing.T) {
		r := m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+m.bot.URL+`"}`), "Content-Type", "application/json")
		require.Equal(t, http.StatusCreated, r.Status)
		body := r.json(t)
		assert.Equal(t, "incoming", body["state"])
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, body["id"])
		n := m.bot.until(t, "created", "/communications/calls/"+body["id"].(string))
		assert.Equal(t, "#microsoft.graph.call", n.str("@odata.type"))
		assert.Equal(t, "/communications/calls/"+body["id"].(string), n.str("@odata.id"))
		assert.Equal(t, `W/"1"`, n.str("@odata.etag"))
	})

	id := m.established("")

	t.Run("GET call is 200 with state established", func(t *testing.T) {
		r := m.graph("GET", "/v1.0/communications/calls/"+id, "")
		require.Equal(t, http.StatusOK, r.Status)
		assert.Equal(t, "established", r.json(t)["state"])
		assert.Equal(t, id, r.json(t)["id"])
	})

	t.Run("answering twice is 400 naming the state", func(t *testing.T) {
		r := m.graph("POST", "/v1.0/communications/calls/"+id+"/answer", `{}`)
		require.Equal(t, http.StatusBadRequest, r.Status)
		_, msg, _ := r.graphError(t)
		assert.Contains(t, msg, "state = established")
	})

	m.script(id, speakThenPound)
	var opID string
	for _, path := range []string{"recordResponse", "record", "microsoft.graph.recordResponse"} {
		for _, ver := range []string{"v1.0", "beta"} {
			t.Run(fmt.Sprintf("POST /%s/…/%s is 200, Running, with Location", ver, path), func(t *testing.T) {
				m.script(id, speakThenPound)
				r := m.graph("POST", "/"+ver+"/communications/calls/"+id+"/"+path, `{"stopTones": ["#"], "maxRecordDurationInSeconds": 30}`)
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
				op := r.json(t)
				opID = op["id"].(string)
				assert.Equal(t, "#microsoft.graph.recordOperation", op["@odata.type"])
				assert.Equal(t, "Running", op["status"])
				assert.Nil(t, op["resultInfo"])
				assert.Contains(t, op, "recordingLocation")
				assert.Nil(t, op["recordingLocation"])
				assert.Equal(t, base+"/"+ver+"/communications/calls/"+id+"/operations/"+opID, r.Header.Get("Location"))
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
				n := m.completion(opID)
				assert.Equal(t, "stopToneDetected", n.str("completionReason"))
			})
		}
	}

	t.Run("GET operation is 200 with the final recordOperation", func(t *testing.T) {
		r := m.graph("GET", "/v1.0/communications/calls/"+id+"/operations/"+opID, "")
		require.Equal(t, http.StatusOK, r.Status)
		op := r.json(t)
		assert.Equal(t, "Completed", op["status"])
		assert.Equal(t, map[string]any{"@odata.type": "#microsoft.graph.resultInfo", "code": 200.0, "subcode": 8514.0,
			"message": "Action completed, stop tone detected."}, op["resultInfo"])
		assert.NotEmpty(t, op["recordingLocation"])
		assert.NotEmpty(t, op["recordingAccessToken"])
	})

	t.Run("GET an unknown operation is 404", func(t *testing.T) {
		r := m.graph("GET", "/v1.0/communications/calls/"+id+"/operations/00000000-0000-4000-8000-000000000000", "")
		require.Equal(t, http.StatusNotFound, r.Status)
		code, _, _ := r.graphError(t)
		assert.Equal(t, "NotFound", code)
	})

	t.Run("playPrompt is 200 with a playPromptOperation and Location", func(t *testing.T) {
		r := m.graph("POST", "/v1.0/communications/calls/"+id+"/playPrompt", `{"prompts": [{"mediaInfo": {"uri": "fixture:en_us_s160_01"}}], "clientContext": "pp"}`)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		op := r.json(t)
		assert.Equal(t, "#microsoft.graph.playPromptOperation", op["@odata.type"])
		assert.Equal(t, "Running", op["status"])
		assert.Equal(t, "pp", op["clientContext"])
		assert.Equal(t, base+"/v1.0/communications/calls/"+id+"/operations/"+op["id"].(string), r.Header.Get("Location"))
		n := m.completion(op["id"].(string))
		assert.Equal(t, "Completed", n.str("status"))
		assert.Equal(t, "completedSuccessfully", n.str("completionReason"))
	})

	t.Run("cancelMediaProcessing is 200 with a completed operation and Location", func(t *testing.T) {
		r := m.graph("POST", "/v1.0/communications/calls/"+id+"/cancelMediaProcessing", `{"clientContext": "c1"}`)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		op := r.json(t)
		assert.Equal(t, "#microsoft.graph.cancelMediaProcessingOperation", op["@odata.type"])
		assert.Equal(t, "Completed", op["status"])
		assert.Equal(t, "c1", op["clientContext"])
		loc := r.Header.Get("Location")
		assert.Equal(t, base+"/v1.0/communications/calls/"+id+"/operations/"+op["id"].(string), loc)
		g := m.graph("GET", strings.TrimPrefix(loc, base), "")
		require.Equal(t, http.StatusOK, g.Status)
		assert.Equal(t, op["id"], g.json(t)["id"])
	})

	t.Run("cancelMediaProcessing accepts an empty body without Content-Type", func(t *testing.T) {
		r := m.send("POST", "/v1.0/communications/calls/"+id+"/cancelMediaProcessing", nil, "Authorization", bearer)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	})

	t.Run("updateRecordingStatus is 200 with a completed operation and Location", func(t *testing.T) {
		r := m.graph("POST", "/v1.0/communications/calls/"+id+"/updateRecordingStatus", `{"clientContext": "u1", "status": "RECORDING"}`)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		op := r.json(t)
		assert.Equal(t, "#microsoft.graph.updateRecordingStatusOperation", op["@odata.type"])
		assert.Equal(t, "Completed", op["status"])
		assert.Nil(t, op["resultInfo"])
		assert.Equal(t, base+"/v1.0/communications/calls/"+id+"/operations/"+op["id"].(string), r.Header.Get("Location"))
	})

	t.Run("events are 200 in sample order", func(t *testing.T) {
		r := m.send("GET", "/recsim/v1/calls/"+id+"/events", nil)
		require.Equal(t, http.StatusOK, r.Status)
		var ev struct {
			Value []struct {
				Type        string  `json:"type"`
				Sample      int64   `json:"sample"`
				Ms          float64 `json:"ms"`
				OperationID string  `json:"operationId"`
			} `json:"value"`
		}
		require.NoError(t, jsonUnmarshal(r.Body, &ev))
		require.NotEmpty(t, ev.Value)
		kinds := map[string]bool{}
		for i, e := range ev.Value {
			kinds[e.Type] = true
			assert.NotEmpty(t, e.OperationID)
			assert.InDelta(t, float64(e.Sample)/16, e.Ms, 1e-9)
			if i > 0 {
				assert.LessOrEqual(t, ev.Value[i-1].Sample, e.Sample)
			}
		}
		for _, k := range []string{"operationStart", "beepStart", "listenStart", "speechStart", "digit", "completed"} {
			assert.True(t, kinds[k], k)
		}
	})

	t.Run("notifications are 200 and all delivered", func(t *testing.T) {
		r := m.send("GET", "/recsim/v1/calls/"+id+"/notifications", nil)
		require.Equal(t, http.StatusOK, r.Status)
		var ns struct {
			Value []struct {
				Sequence   int64  `json:"sequence"`
				ChangeType string `json:"changeType"`
				Attempts   int    `json:"attempts"`
				Delivered  bool   `json:"delivered"`
			} `json:"value"`
		}
		require.NoError(t, jsonUnmarshal(r.Body, &ns))
		require.GreaterOrEqual(t, len(ns.Value), 8)
		for i, n := range ns.Value {
			assert.Equal(t, int64(i+1), n.Sequence)
		}
	})

	t.Run("DELETE is 204, then the call is gone with 404 and subcode 8522", func(t *testing.T) {
		r := m.graph("DELETE", "/v1.0/communications/calls/"+id, "")
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
		n := m.bot.until(t, "deleted", "/communications/calls/"+id)
		assert.Equal(t, "terminated", n.str("state"))
		for _, req := range [][2]string{{"GET", ""}, {"DELETE", ""}, {"POST", "/recordResponse"}, {"POST", "/cancelMediaProcessing"}} {
			r := m.graph(req[0], "/v1.0/communications/calls/"+id+req[1], "{}")
			require.Equal(t, http.StatusNotFound, r.Status, req)
			code, msg, inner := r.graphError(t)
			assert.Equal(t, "NotFound", code)
			assert.Equal(t, "Call not found.", msg)
			assert.Equal(t, 8522.0, inner["subcode"])
		}
		r = m.graph("GET", "/v1.0/communications/calls/"+id+"/operations/"+opID, "")
		assert.Equal(t, http.StatusOK, r.Status, "operations stay readable until the retention ends")
	})

	t.Run("the bot places a call: 201 establishing with Location, then updated established", func(t *testing.T) {
		r := m.graph("POST", "/beta/communications/calls", `{"callbackUri": "`+m.bot.URL+`", "targets": [], "requestedModalities": ["audio"]}`)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		c := r.json(t)
		assert.Equal(t, "establishing", c["state"])
		assert.Equal(t, "outgoing", c["direction"])
		assert.Equal(t, base+"/beta/communications/calls/"+c["id"].(string), r.Header.Get("Location"))
		n := m.bot.until(t, "updated", "/communications/calls/"+c["id"].(string))
		assert.Equal(t, "established", n.str("state"))
	})

	t.Run("the caller hangs up: 204", func(t *testing.T) {
		id := m.established("")
		r := m.send("POST", "/recsim/v1/calls/"+id+"/hangup", nil)
		require.Equal(t, http.StatusNoContent, r.Status)
		m.bot.until(t, "deleted", "/communications/calls/"+id)
		r = m.send("POST", "/recsim/v1/calls/"+id+"/hangup", nil)
		require.Equal(t, http.StatusNotFound, r.Status)
	})
}

func TestBadRequestsAnswerWithTheFieldAndChangeNothing(t *testing.T) {
	m := newMock(t, server.Config{Clock: fast().Clock, StrictV1: true}, nil)
	id := m.established("")
	long := strings.Repeat("x", 257)
	for _, tc := range []struct {
		name, path, body, field string
	}{
		{"initialSilenceTimeoutInSeconds below 1", "recordResponse", `{"initialSilenceTimeoutInSeconds": 0}`, "initialSilenceTimeoutInSeconds = 0"},
		{"initialSilenceTimeoutInSeconds above 120", "recordResponse", `{"initialSilenceTimeoutInSeconds": 121}`, "initialSilenceTimeoutInSeconds = 121"},
		{"a number sent as a string", "recordResponse", `{"maxSilenceTimeoutInSeconds": "5"}`, `maxSilenceTimeoutInSeconds = "5"`},
		{"a fractional number", "recordResponse", `{"maxRecordDurationInSeconds": 2.5}`, "maxRecordDurationInSeconds = 2.5"},
		{"maxRecordDurationInSeconds above 120", "recordResponse", `{"maxRecordDurationInSeconds": 500}`, "maxRecordDurationInSeconds = 500"},
		{"bargeInAllowed not a boolean", "recordResponse", `{"bargeInAllowed": "yes"}`, `bargeInAllowed = "yes"`},
		{"playBeep not a boolean", "recordResponse", `{"playBeep": 1}`, "playBeep = 1"},
		{"an unknown stop tone", "recordResponse", `{"stopTones": ["#", "x"]}`, `stopTones[1] = "x"`},
		{"stopTones not an array", "recordResponse", `{"stopTones": "#"}`, "stopTones"},
		{"clientContext over 256 characters", "recordResponse", `{"clientContext": "` + long + `"}`, "clientContext = 257 characters"},
		{"two prompts", "recordResponse", `{"prompts": [{"mediaInfo": {"uri": "a"}}, {"mediaInfo": {"uri": "b"}}]}`, "prompts = 2 elements"},
		{"a prompt without mediaInfo", "recordResponse", `{"prompts": [{}]}`, "prompts[0].mediaInfo"},
		{"a prompt without uri", "recordResponse", `{"prompts": [{"mediaInfo": {}}]}`, "prompts[0].mediaInfo.uri"},
		{"streamWhileRecording on v1.0 with strictV1", "recordResponse", `{"streamWhileRecording": true}`, "streamWhileRecording = true"},
		{"malformed JSON", "recordResponse", `{"playBeep": tru`, "body"},
		{"not an object", "recordResponse", `[1, 2]`, "body"},
		{"updateRecordingStatus without status", "updateRecordingStatus", `{"clientContext": "x"}`, "status is required"},
		{"updateRecordingStatus with an unknown status", "updateRecordingStatus", `{"status": "paused"}`, `status = "paused"`},
		{"updateRecordingStatus with a long clientContext", "updateRecordingStatus", `{"status": "recording", "clientContext": "` + long + `"}`, "clientContext = 257 characters"},
		{"playPrompt without prompts", "playPrompt", `{}`, "prompts is required"},
		{"playPrompt with a prompt without uri", "playPrompt", `{"prompts": [{"mediaInfo": {"uri": "fixture:en_us_s160_01"}}, {"mediaInfo": {"uri": ""}}]}`, "prompts[1].mediaInfo.uri"},
		{"cancelMediaProcessing with a clientContext that is not a string", "cancelMediaProcessing", `{"clientContext": 5}`, "clientContext = 5"},
		{"answer with a bad callbackUri", "answer", `{"callbackUri": "ftp://x"}`, `callbackUri = "ftp://x"`},
	} {
		t.Run(tc.name+" is 400 naming it", func(t *testing.T) {
			before := m.noteCount(id)
			r := m.graph("POST", "/v1.0/communications/calls/"+id+"/"+tc.path, tc.body)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			code, msg, inner := r.graphError(t)
			assert.Equal(t, "BadRequest", code)
			assert.Contains(t, msg, tc.field)
			assert.NotEmpty(t, inner["request-id"])
			assert.NotEmpty(t, inner["date"])
			assert.Equal(t, before, m.noteCount(id), "no notification")
			ev := m.send("GET", "/recsim/v1/calls/"+id+"/events", nil)
			assert.JSONEq(t, `{"value": []}`, string(ev.Body), "no operation ran")
		})
	}

	t.Run("streamWhileRecording is accepted on beta under strictV1", func(t *testing.T) {
		m.script(id, speakThenPound)
		r := m.graph("POST", "/beta/communications/calls/"+id+"/recordResponse", `{"streamWhileRecording": true, "stopTones": ["#"]}`)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		m.completion(r.json(t)["id"].(string))
	})

	t.Run("a recordResponse on an unanswered call is 400 naming the state", func(t *testing.T) {
		id := m.incoming("")
		r := m.graph("POST", "/v1.0/communications/calls/"+id+"/recordResponse", `{}`)
		require.Equal(t, http.StatusBadRequest, r.Status)
		_, msg, _ := r.graphError(t)
		assert.Contains(t, msg, "state = incoming")
	})

	for _, tc := range []struct{ name, body, field string }{
		{"without callbackUri", `{}`, "callbackUri is required"},
		{"with a relative callbackUri", `{"callbackUri": "/notify"}`, `callbackUri = "/notify"`},
		{"with an unknown option", `{"callbackUri": "http://127.0.0.1:1/", "options": {"docCasing": true}}`, "options.docCasing"},
		{"with a server-wide option", `{"callbackUri": "http://127.0.0.1:1/", "options": {"clock": "fast"}}`, "options.clock"},
		{"with a bad hang-up policy", `{"callbackUri": "http://127.0.0.1:1/", "options": {"hangupPolicy": "loud"}}`, `options.hangupPolicy = "loud"`},
		{"with a bad rate", `{"callbackUri": "http://127.0.0.1:1/", "options": {"rate": 4000}}`, "options.rate = 4000"},
		{"with a rate of the wrong type", `{"callbackUri": "http://127.0.0.1:1/", "options": {"rate": "8000"}}`, "options.rate"},
		{"with a bad retention", `{"callbackUri": "http://127.0.0.1:1/", "options": {"retention": "soon"}}`, `options.retention = "soon"`},
	} {
		t.Run("an incoming call "+tc.name+" is 400", func(t *testing.T) {
			r := m.send("POST", "/recsim/v1/calls", []byte(tc.body), "Content-Type", "application/json")
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			_, msg, _ := r.graphError(t)
			assert.Contains(t, msg, tc.field)
		})
	}
}

func TestAuthenticationIsABearerToken(t *testing.T) {
	m := newMock(t, server.Config{Clock: fast().Clock, Token: "s3cret"}, nil)
	id := m.incoming("") // /recsim/v1 needs no token
	path := "/v1.0/communications/calls/" + id
	for _, tc := range []struct{ name, auth string }{
		{"no Authorization", ""},
		{"a Basic scheme", "Basic czNjcmV0"},
		{"an empty bearer", "Bearer "},
		{"the wrong token", "Bearer s3cret2"},
	} {
		t.Run(tc.name+" is 401 InvalidAuthenticationToken", func(t *testing.T) {
			var r reply
			if tc.auth == "" {
				r = m.send("GET", path, nil)
			} else {
				r = m.send("GET", path, nil, "Authorization", tc.auth)
			}
			require.Equal(t, http.StatusUnauthorized, r.Status)
			code, _, _ := r.graphError(t)
			assert.Equal(t, "InvalidAuthenticationToken", code)
		})
	}
	t.Run("the right token is 200, whatever the scheme's case", func(t *testing.T) {
		r := m.send("GET", path, nil, "Authorization", "bearer s3cret")
		assert.Equal(t, http.StatusOK, r.Status)
	})
	t.Run("an unknown call is 404 only once authenticated", func(t *testing.T) {
		assert.Equal(t, http.StatusUnauthorized, m.send("GET", "/v1.0/communications/calls/nope", nil).Status)
		r := m.send("GET", "/v1.0/communications/calls/nope", nil, "Authorization", "Bearer s3cret")
		require.Equal(t, http.StatusNotFound, r.Status)
		_, _, inner := r.graphError(t)
		assert.Equal(t, 8522.0, inner["subcode"])
	})
}

func TestErrorsCarryTheRequestIDs(t *testing.T) {
	m := newMock(t, fast(), nil)
	r := m.send("GET", "/v1.0/communications/calls/nope", nil, "Authorization", bearer, "client-request-id", "abc-123")
	require.Equal(t, http.StatusNotFound, r.Status)
	var e struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				Subcode         int    `json:"subcode"`
				RequestID       string `json:"request-id"`
				ClientRequestID string `json:"client-request-id"`
				Date            string `json:"date"`
			} `json:"innerError"`
		} `json:"error"`
	}
	require.NoError(t, jsonUnmarshal(r.Body, &e))
	assert.Equal(t, "abc-123", e.Error.InnerError.ClientRequestID)
	assert.Equal(t, r.Header.Get("request-id"), e.Error.InnerError.RequestID)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`, e.Error.InnerError.Date)
	assert.Equal(t, "abc-123", r.Header.Get("client-request-id"))
}

func TestBodiesAreCheckedForSizeTypeAndEncoding(t *testing.T) {
	m := newMock(t, fast(), nil)
	id := m.established("")
	path := "/v1.0/communications/calls/" + id + "/recordResponse"
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		_, _ = w.Write(b)
		_ = w.Close()
		return buf.Bytes()
	}
	big := []byte(`{"clientContext": "x", "pad": "` + strings.Repeat(" ", 1<<20) + `"}`)

	t.Run("a gzip body is read", func(t *testing.T) {
		m.script(id, speakThenPound)
		r := m.send("POST", path, gz([]byte(`{"stopTones": ["#"], "clientContext": "zipped"}`)), "Authorization", bearer, "Content-Type", "application/json", "Content-Encoding", "gzip")
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.Equal(t, "zipped", r.json(t)["clientContext"])
		assert.Equal(t, "stopToneDetected", m.completion(r.json(t)["id"].(string)).str("completionReason"))
	})
	t.Run("a JSON body over 1 MiB is 413", func(t *testing.T) {
		r := m.send("POST", path, big, "Authorization", bearer, "Content-Type", "application/json")
		require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
		code, _, _ := r.graphError(t)
		assert.Equal(t, "RequestEntityTooLarge", code)
	})
	t.Run("a gzip body over 1 MiB after gunzip is 413", func(t *testing.T) {
		z := gz(big)
		require.Less(t, len(z), 1<<16, "small on the wire")
		r := m.send("POST", path, z, "Authorization", bearer, "Content-Type", "application/json", "Content-Encoding", "gzip")
		require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	})
	t.Run("a body that claims gzip but is not is 400", func(t *testing.T) {
		r := m.send("POST", path, []byte(`{}`), "Authorization", bearer, "Content-Type", "application/json", "Content-Encoding", "gzip")
		require.Equal(t, http.StatusBadRequest, r.Status)
	})
	t.Run("an unknown Content-Encoding is 415", func(t *testing.T) {
		r := m.send("POST", path, []byte(`{}`), "Authorization", bearer, "Content-Type", "application/json", "Content-Encoding", "br")
		require.Equal(t, http.StatusUnsupportedMediaType, r.Status)
	})
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/jsonx"} {
		t.Run("Content-Type "+ct+" is 415", func(t *testing.T) {
			r := m.send("POST", path, []byte(`{}`), "Authorization", bearer, "Content-Type", ct)
			require.Equal(t, http.StatusUnsupportedMediaType, r.Status)
			code, msg, _ := r.graphError(t)
			assert.Equal(t, "UnsupportedMediaType", code)
			assert.Contains(t, msg, ct)
		})
	}
	t.Run("a body without Content-Type is 415", func(t *testing.T) {
		r := m.send("POST", path, []byte(`{}`), "Authorization", bearer)
		require.Equal(t, http.StatusUnsupportedMediaType, r.Status)
	})
	t.Run("charset is allowed", func(t *testing.T) {
		m.script(id, speakThenPound)
		r := m.send("POST", path, []byte(`{"stopTones": ["#"]}`), "Authorization", bearer, "Content-Type", "application/json; charset=utf-8")
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		m.completion(r.json(t)["id"].(string))
	})
	t.Run("an empty body without Content-Type is a recordResponse with every default", func(t *testing.T) {
		r := m.send("POST", path, nil, "Authorization", bearer)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		m.completion(r.json(t)["id"].(string))
	})
	t.Run("an empty body without Content-Type is 415 where a parameter is required", func(t *testing.T) {
		r := m.send("POST", "/v1.0/communications/calls/"+id+"/updateRecordingStatus", nil, "Authorization", bearer)
		require.Equal(t, http.StatusUnsupportedMediaType, r.Status)
	})
	t.Run("media over 64 MiB is 413 without reading it", func(t *testing.T) {
		body := &countingReader{}
		req := httptest.NewRequest("PUT", "/recsim/v1/calls/"+id+"/media", body)
		req.Header.Set("Content-Type", "audio/wav")
		req.ContentLength = 64<<20 + 1
		w := httptest.NewRecorder()
		m.srv.ServeHTTP(w, req)
		assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
		assert.Zero(t, body.n)
	})
	t.Run("media without a length over 64 MiB is 413", func(t *testing.T) {
		// A WAV header claiming 2^31 bytes of samples, then zeros.
		hdr := encodeWAV(t, nil, 16000)
		binary.LittleEndian.PutUint32(hdr[4:], 1<<31)
		binary.LittleEndian.PutUint32(hdr[40:], 1<<31-36)
		body := &countingReader{limit: 64<<20 + 100}
		req := httptest.NewRequest("PUT", "/recsim/v1/calls/"+id+"/media", io.MultiReader(bytes.NewReader(hdr), body))
		req.Header.Set("Content-Type", "audio/wav")
		req.ContentLength = -1
		w := httptest.NewRecorder()
		m.srv.ServeHTTP(w, req)
		assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
		assert.LessOrEqual(t, body.n, int64(64<<20+1), "it stops reading past the limit")
	})
	t.Run("media without a length that is not a WAV is 400 at once", func(t *testing.T) {
		body := &countingReader{limit: 64<<20 + 100}
		req := httptest.NewRequest("PUT", "/recsim/v1/calls/"+id+"/media", body)
		req.Header.Set("Content-Type", "audio/wav")
		req.ContentLength = -1
		w := httptest.NewRecorder()
		m.srv.ServeHTTP(w, req)
		assert.Equal(t, http.StatusBadRequest, w.Code)
		assert.Contains(t, w.Body.String(), "RIFF")
		assert.Less(t, body.n, int64(1<<20), "the body is decoded as it comes: no need to read it all")
	})
	t.Run("media of another type is 415", func(t *testing.T) {
		r := m.send("PUT", "/recsim/v1/calls/"+id+"/media", []byte("RIFF"), "Content-Type", "audio/mpeg")
		require.Equal(t, http.StatusUnsupportedMediaType, r.Status)
	})
	t.Run("an unknown action is 400 naming the segment", func(t *testing.T) {
		r := m.graph("POST", "/v1.0/communications/calls/"+id+"/frobnicate", `{}`)
		require.Equal(t, http.StatusBadRequest, r.Status)
		_, msg, _ := r.graphError(t)
		assert.Contains(t, msg, "frobnicate")
	})
	t.Run("a wrong method is 405 with Allow", func(t *testing.T) {
		r := m.graph("PUT", "/v1.0/communications/calls/"+id+"/recordResponse", `{}`)
		require.Equal(t, http.StatusMethodNotAllowed, r.Status)
		assert.Equal(t, "POST", r.Header.Get("Allow"))
	})
}

func TestEnumCasingFollowsTheSwitches(t *testing.T) {
	m := newMock(t, fast(), nil)
	for _, tc := range []struct {
		name, options, ver string
		running, final     string
		reason             bool
	}{
		{"the schema's casing by default", "", "v1.0", "Running", "Completed", true},
		{"docsCasing: the docs' casing", `{"docsCasing": true}`, "v1.0", "running", "completed", true},
		{"strictV1: no completionReason on v1.0", `{"strictV1": true}`, "v1.0", "Running", "Completed", false},
		{"strictV1: completionReason on beta", `{"strictV1": true}`, "beta", "Running", "Completed", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := m.established(tc.options)
			m.script(id, speakThenPound)
			r := m.graph("POST", "/"+tc.ver+"/communications/calls/"+id+"/recordResponse", `{"stopTones": ["#"]}`)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			op := r.json(t)
			assert.Equal(t, tc.running, op["status"])
			n := m.completion(op["id"].(string))
			assert.Equal(t, tc.final, n.str("status"))
			_, has := n.Data["completionReason"]
			assert.Equal(t, tc.reason, has)
			g := m.graph("GET", "/"+tc.ver+"/communications/calls/"+id+"/operations/"+op["id"].(string), "").json(t)
			assert.Equal(t, tc.final, g["status"])
		})
	}
}

func TestMediaRateIsFixedByTheFirstMedia(t *testing.T) {
	m := newMock(t, fast(), nil)
	id := m.established("")
	wav8k := encodeWAV(t, make([]int16, 8000), 8000)
	wav16k := encodeWAV(t, make([]int16, 16000), 16000)

	r := m.send("PUT", "/recsim/v1/calls/"+id+"/media", wav8k, "Content-Type", "audio/wav")
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	r = m.send("PUT", "/recsim/v1/calls/"+id+"/media", wav16k, "Content-Type", "audio/x-wav")
	require.Equal(t, http.StatusBadRequest, r.Status)
	_, msg, _ := r.graphError(t)
	assert.Contains(t, msg, "16000 Hz")
	assert.Contains(t, msg, "8000 Hz")

	t.Run("a script without a rate takes the call's", func(t *testing.T) {
		m.script(id, speakThenPound)
		op := m.record(id, `{"stopTones": ["#"]}`)
		n := m.completion(op["id"].(string))
		assert.Equal(t, "stopToneDetected", n.str("completionReason"))
		rec := m.download(n.str("recordingLocation"), n.str("recordingAccessToken"))
		require.Equal(t, http.StatusOK, rec.Status)
		_, rate := decodeWAV(t, rec.Body)
		assert.Equal(t, 8000, rate)
	})
	t.Run("a script at another rate is 400", func(t *testing.T) {
		r := m.send("PUT", "/recsim/v1/calls/"+id+"/media", []byte(`{"rate": 16000, "caller": [{"silence": 1}]}`), "Content-Type", "application/json")
		require.Equal(t, http.StatusBadRequest, r.Status)
	})
	t.Run("a script naming a file is 400", func(t *testing.T) {
		r := m.send("PUT", "/recsim/v1/calls/"+id+"/media", []byte(`{"caller": [{"wav": "/etc/passwd"}]}`), "Content-Type", "application/json")
		require.Equal(t, http.StatusBadRequest, r.Status)
		_, msg, _ := r.graphError(t)
		assert.Contains(t, msg, "caller[0].wav")
	})
	t.Run("a WAV that does not parse is 400 naming the field", func(t *testing.T) {
		r := m.send("PUT", "/recsim/v1/calls/"+id+"/media", []byte("RIFF\x04\x00\x00\x00WAVX"), "Content-Type", "audio/wav")
		require.Equal(t, http.StatusBadRequest, r.Status)
	})
	t.Run("a call's first operation fixes its rate too", func(t *testing.T) {
		id := m.established(`{"rate": 8000}`)
		op := m.record(id, `{"initialSilenceTimeoutInSeconds": 1}`)
		assert.Equal(t, "initialSilenceTimeout", m.completion(op["id"].(string)).str("completionReason"))
		r := m.send("PUT", "/recsim/v1/calls/"+id+"/media", wav16k, "Content-Type", "audio/wav")
		require.Equal(t, http.StatusBadRequest, r.Status)
	})
}

func TestTheInboxIsACallbackURIForTryingTheMockWithoutABot(t *testing.T) {
	m := newMock(t, fast(), nil)
	inbox := m.ts.URL + "/recsim/v1/inbox"
	r := m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+inbox+`"}`), "Content-Type", "application/json")
	require.Equal(t, http.StatusCreated, r.Status)
	id := r.json(t)["id"].(string)
	require.Equal(t, http.StatusAccepted, m.graph("POST", "/v1.0/communications/calls/"+id+"/answer", "").Status)
	m.script(id, speakThenPound)
	op := m.record(id, `{"stopTones": ["#"]}`)
	m.drain()
	var got struct {
		Value []struct {
			Value []struct {
				ChangeType   string         `json:"changeType"`
				ResourceURL  string         `json:"resourceUrl"`
				ResourceData map[string]any `json:"resourceData"`
			} `json:"value"`
		} `json:"value"`
	}
	g := m.send("GET", "/recsim/v1/inbox?call="+id, nil)
	require.Equal(t, http.StatusOK, g.Status)
	require.NoError(t, jsonUnmarshal(g.Body, &got))
	require.Len(t, got.Value, 3)
	last := got.Value[2].Value[0]
	assert.Equal(t, "deleted", last.ChangeType)
	assert.Equal(t, "/communications/calls/"+id+"/operations/"+op["id"].(string), last.ResourceURL)
	assert.Equal(t, "stopToneDetected", last.ResourceData["completionReason"])
	g = m.send("GET", "/recsim/v1/inbox?call=00000000-0000-4000-8000-000000000000", nil)
	assert.JSONEq(t, `{"value": []}`, string(g.Body))
	assert.Equal(t, http.StatusUnsupportedMediaType, m.send("POST", "/recsim/v1/inbox", []byte("x"), "Content-Type", "text/plain").Status)
}

func TestTheHostHeaderIsNeverEchoedIntoLocations(t *testing.T) {
	m := newMock(t, fast(), nil)
	id := m.established("")
	require.Equal(t, http.StatusNoContent, m.send("PUT", "/recsim/v1/calls/"+id+"/media",
		[]byte(`{"caller": [{"silence": 1.5}]}`), "Content-Type", "application/json").Status)
	forged := func(method, path, body string) *http.Response {
		req, err := http.NewRequest(method, m.url+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Host = "attacker.example"
		req.Header.Set("Authorization", bearer)
		req.Header.Set("Content-Type", "application/json")
		resp, err := m.client.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := forged("POST", "/v1.0/communications/calls/"+id+"/recordResponse", `{"maxRecordDurationInSeconds": 1, "playBeep": false}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	loc := resp.Header.Get("Location")
	assert.True(t, strings.HasPrefix(loc, m.url+"/v1.0/"), "Location %q is on the listening address %s", loc, m.url)
	m.drain()
	u, err := url.Parse(loc)
	require.NoError(t, err)
	resp = forged("GET", u.Path, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var op map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&op))
	rec, _ := op["recordingLocation"].(string)
	require.NotEmpty(t, rec, "the 1 s recording is offered: %v", op)
	assert.True(t, strings.HasPrefix(rec, m.url+"/"), "recordingLocation %q is on the listening address", rec)
	assert.NotContains(t, rec, "attacker")
}

func TestPerCallBeepOptionsAreValidatedToTheirRanges(t *testing.T) {
	m := newMock(t, fast(), nil)
	for _, c := range []struct{ options, field, value string }{
		{`{"beepHz": 99}`, "beepHz", "99"},
		{`{"beepHz": 4001}`, "beepHz", "4001"},
		{`{"beepMs": 9}`, "beepMs", "9"},
		{`{"beepMs": 10000}`, "beepMs", "10000"},
		{`{"beepLevel": -61}`, "beepLevel", "-61"},
		{`{"beepLevel": 1}`, "beepLevel", "1"},
	} {
		t.Run(c.options+" is refused naming the field and value", func(t *testing.T) {
			r := m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+m.bot.URL+`", "options": `+c.options+`}`), "Content-Type", "application/json")
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			_, msg, _ := r.graphError(t)
			assert.Contains(t, msg, "options."+c.field+" = "+c.value)
		})
	}
	for _, ok := range []string{`{"beepHz": 100, "beepMs": 10, "beepLevel": -60}`, `{"beepHz": 4000, "beepMs": 2000, "beepLevel": 0}`} {
		r := m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+m.bot.URL+`", "options": `+ok+`}`), "Content-Type", "application/json")
		assert.Equal(t, http.StatusCreated, r.Status, "%s: %s", ok, r.Body)
	}
}
