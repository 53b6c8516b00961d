package server_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// toneNotes returns the toneInfo of the call updated notifications the
// bot has had, as "sequenceId:tone".
func toneNotes(m *mock, callID string) []string {
	var out []string
	for _, n := range m.bot.all() {
		if n.ChangeType != "updated" || n.ResourceURL != "/communications/calls/"+callID {
			continue
		}
		if ti, ok := n.Data["toneInfo"].(map[string]any); ok {
			out = append(out, fmt.Sprintf("%v:%v", ti["sequenceId"], ti["tone"]))
		}
	}
	return out
}

const menu = `{"caller": [{"silence": 0.5}, {"dtmf": "1"}, {"silence": 0.5}, {"dtmf": "2#"}, {"silence": 0.5}]}`

func TestSubscribeToToneReportsEveryDigitOfTheCaller(t *testing.T) {
	for _, clock := range []string{"fast", "realtime"} {
		t.Run(clock, func(t *testing.T) {
			var m *mock
			step := func() {}
			if clock == "fast" {
				m = newMock(t, fast(), nil)
			} else {
				clk := newFakeClock()
				m = newMock(t, realtime(clk), nil)
				step = func() { m.step(clk, 200) }
			}
			id := m.established("")
			m.script(id, menu)
			r := m.graph("POST", "/v1.0/communications/calls/"+id+"/subscribeToTone", `{"clientContext": "menu"}`)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			op := r.json(t)
			assert.Equal(t, "#microsoft.graph.subscribeToToneOperation", op["@odata.type"])
			assert.Equal(t, "Completed", op["status"])
			assert.Equal(t, "menu", op["clientContext"])
			step()
			m.drain()
			assert.Equal(t, []string{"1:tone1", "2:tone2", "3:pound"}, toneNotes(m, id), "sequenceIds from 1, with no operation running")
			ev := m.send("GET", "/recsim/v1/calls/"+id+"/events", nil)
			assert.Contains(t, string(ev.Body), `"type":"tone"`, "the digits are on the call's timeline")
			assert.Contains(t, string(ev.Body), `"detail":"pound (#), toneInfo sequenceId 3"`)
		})
	}
}

func TestSubscribedTonesIncludeTheStopToneAndSurviveACancel(t *testing.T) {
	// Real time: a subscribed idle call consumes its caller stream, so in
	// fast mode media put before a recordResponse would be heard (and
	// gone) before it starts.
	clk := newFakeClock()
	m := newMock(t, realtime(clk), nil)
	id := m.established("")
	require.Equal(t, http.StatusOK, m.graph("POST", "/v1.0/communications/calls/"+id+"/subscribeToTone", `{}`).Status)
	m.script(id, `{"caller": [{"silence": 0.5}, {"dtmf": "4"}, {"silence": 0.3}]}`)
	m.step(clk, 60)
	opID := m.record(id, `{"stopTones": ["#"]}`)["id"].(string)
	m.script(id, speakThenPound)
	m.step(clk, 500)
	n := m.completion(opID)
	require.Equal(t, "stopToneDetected", n.str("completionReason"))
	require.Equal(t, http.StatusOK, m.graph("POST", "/v1.0/communications/calls/"+id+"/cancelMediaProcessing", `{}`).Status)
	m.script(id, `{"caller": [{"silence": 0.5}, {"dtmf": "9"}, {"silence": 0.3}]}`)
	m.step(clk, 60)
	m.drain()
	assert.Equal(t, []string{"1:tone4", "2:pound", "3:tone9"}, toneNotes(m, id),
		"the menu digit heard while idle, the stop tone that ended the recording, and a digit after cancelMediaProcessing")
}

func TestSendDtmfTones(t *testing.T) {
	m := newMock(t, fast(), nil)
	id := m.established("")
	var fastOutbound []int16
	for _, clock := range []string{"fast", "realtime"} {
		t.Run("the tones play like a prompt and complete ("+clock+")", func(t *testing.T) {
			m, id, step := m, id, func() {}
			if clock == "realtime" {
				clk := newFakeClock()
				m = newMock(t, realtime(clk), nil)
				id = m.established("")
				step = func() { m.step(clk, 100) }
			}
			r := m.graph("POST", "/v1.0/communications/calls/"+id+"/sendDtmfTones", `{"tones": ["tone1", "pound", "a"], "delayBetweenTonesMs": 200, "clientContext": "dial"}`)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			op := r.json(t)
			assert.Equal(t, "#microsoft.graph.sendDtmfTonesOperation", op["@odata.type"])
			step()
			n := m.completion(op["id"].(string))
			assert.Equal(t, "completedSuccessfully", n.str("completionReason"))
			assert.Equal(t, "dial", n.str("clientContext"))
			out := m.send("GET", "/recsim/v1/calls/"+id+"/audio/outbound", nil)
			require.Equal(t, http.StatusOK, out.Status)
			pcm, _ := decodeWAV(t, out.Body)
			assert.Len(t, pcm, 3*1600+2*3200, "three 100 ms tones and two 200 ms gaps at 16 kHz")
			if clock == "fast" {
				fastOutbound = pcm
			} else {
				assert.Equal(t, fastOutbound, pcm, "the same tones on both clocks")
			}
		})
	}
	for _, c := range []struct{ body, field string }{
		{`{}`, "tones is required"},
		{`{"tones": []}`, "tones = []"},
		{`{"tones": ["tone1", "tone10"]}`, "tones[1] = \"tone10\""},
		{`{"tones": ["tone1"], "delayBetweenTonesMs": -1}`, "delayBetweenTonesMs = -1"},
		{`{"tones": ["tone1"], "delayBetweenTonesMs": 5001}`, "delayBetweenTonesMs = 5001"},
	} {
		t.Run("400 for "+c.body, func(t *testing.T) {
			r := m.graph("POST", "/v1.0/communications/calls/"+id+"/sendDtmfTones", c.body)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			_, msg, _ := r.graphError(t)
			assert.Contains(t, msg, c.field)
		})
	}
}
