package graph_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
)

func TestParseRecordRequestAppliesDefaults(t *testing.T) {
	for _, body := range []string{"", "{}", `{"unknownProperty": 1, "@odata.type": "x"}`} {
		req, err := graph.ParseRecordRequest([]byte(body), false)
		require.NoError(t, err, body)
		assert.Equal(t, engine.DefaultRecordRequest(), req, body)
	}
	d := engine.DefaultRecordRequest()
	assert.Equal(t, 5, d.InitialSilenceTimeoutInSeconds)
	assert.Equal(t, 5, d.MaxSilenceTimeoutInSeconds)
	assert.Equal(t, 5, d.MaxRecordDurationInSeconds)
	assert.True(t, d.PlayBeep)
	assert.False(t, d.BargeInAllowed)
}

func TestParseRecordRequestReadsTheDocsExample(t *testing.T) {
	body := `{
	  "bargeInAllowed": true,
	  "clientContext": "d45324c1-fcb5-430a-902c-f20af696537c",
	  "prompts": [{"@odata.type": "#microsoft.graph.mediaPrompt",
	               "mediaInfo": {"uri": "https://cdn.contoso.com/beep.wav", "resourceId": "1D6DE2D4-CD51-4309-8DAA-70768651088E"}}],
	  "maxRecordDurationInSeconds": 10,
	  "initialSilenceTimeoutInSeconds": 5,
	  "maxSilenceTimeoutInSeconds": 2,
	  "playBeep": true,
	  "stopTones": ["#", "1", "*", "tone5", "Pound", "b"]
	}`
	req, err := graph.ParseRecordRequest([]byte(body), false)
	require.NoError(t, err)
	assert.True(t, req.BargeInAllowed)
	require.NotNil(t, req.ClientContext)
	assert.Equal(t, "d45324c1-fcb5-430a-902c-f20af696537c", *req.ClientContext)
	require.Len(t, req.Prompts, 1)
	assert.Equal(t, "https://cdn.contoso.com/beep.wav", req.Prompts[0])
	assert.Equal(t, 10, req.MaxRecordDurationInSeconds)
	assert.Equal(t, 2, req.MaxSilenceTimeoutInSeconds)
	assert.Equal(t, []byte("#1*5B"), req.StopTones, "tone names map to digits; duplicates collapse")
}

func TestParseRecordRequestRejectsInvalidValuesNamingFieldValueAndRange(t *testing.T) {
	cases := []struct {
		name, body, field, value, reason string
	}{
		{"a timeout of 0", `{"initialSilenceTimeoutInSeconds": 0}`, "initialSilenceTimeoutInSeconds", "0", "1 to 120"},
		{"a timeout of 121", `{"maxSilenceTimeoutInSeconds": 121}`, "maxSilenceTimeoutInSeconds", "121", "1 to 120"},
		{"a fractional timeout", `{"maxRecordDurationInSeconds": 2.5}`, "maxRecordDurationInSeconds", "2.5", "whole number"},
		{"a number sent as a string", `{"maxRecordDurationInSeconds": "5"}`, "maxRecordDurationInSeconds", `"5"`, "not a string"},
		{"a boolean sent as a string", `{"playBeep": "true"}`, "playBeep", `"true"`, "boolean"},
		{"a boolean sent as a number", `{"bargeInAllowed": 1}`, "bargeInAllowed", "1", "boolean"},
		{"an unknown stop tone", `{"stopTones": ["#", "E"]}`, "stopTones[1]", `"E"`, "0-9 * # A-D"},
		{"stop tones that are not an array", `{"stopTones": "#"}`, "stopTones", `"#"`, "array"},
		{"a client context of 257 characters", `{"clientContext": "` + strings.Repeat("é", 257) + `"}`, "clientContext", "257 characters", "at most 256"},
		{"two prompts", `{"prompts": [{"mediaInfo": {"uri": "a.wav"}}, {"mediaInfo": {"uri": "b.wav"}}]}`, "prompts", "2 elements", "0 or 1"},
		{"a prompt without a uri", `{"prompts": [{"mediaInfo": {"resourceId": "x"}}]}`, "prompts[0].mediaInfo.uri", "missing", "required"},
		{"a prompt without mediaInfo", `{"prompts": [{}]}`, "prompts[0].mediaInfo", "missing", "required"},
		{"a body that is not an object", `[1,2]`, "body", "[1,2]", "JSON object"},
		{"a body that is not JSON", `{"playBeep": tru`, "body", "tru", "syntax error"},
	}
	for _, c := range cases {
		t.Run("it rejects "+c.name, func(t *testing.T) {
			_, err := graph.ParseRecordRequest([]byte(c.body), false)
			require.Error(t, err)
			assert.True(t, errors.Is(err, graph.ErrBadRequest))
			var re *graph.RequestError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, c.field, re.Field)
			assert.Contains(t, re.Value, c.value)
			assert.Contains(t, re.Error(), c.reason)
		})
	}
}

func TestStreamWhileRecordingIsRejectedOnlyUnderStrictV1(t *testing.T) {
	req, err := graph.ParseRecordRequest([]byte(`{"streamWhileRecording": true}`), false)
	require.NoError(t, err)
	assert.True(t, req.StreamWhileRecording)
	_, err = graph.ParseRecordRequest([]byte(`{"streamWhileRecording": true}`), true)
	assert.ErrorContains(t, err, "streamWhileRecording")
}

func TestNullMeansDefault(t *testing.T) {
	req, err := graph.ParseRecordRequest([]byte(`{"playBeep": null, "maxRecordDurationInSeconds": null, "stopTones": null, "prompts": null, "clientContext": null}`), false)
	require.NoError(t, err)
	assert.Equal(t, engine.DefaultRecordRequest(), req)
}

func FuzzParseRecordRequest(f *testing.F) {
	f.Add([]byte(`{"stopTones": ["#"], "maxRecordDurationInSeconds": 10, "prompts": [{"mediaInfo": {"uri": "a.wav"}}]}`))
	f.Add([]byte(`{"initialSilenceTimeoutInSeconds": 1e400}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := graph.ParseRecordRequest(b, false)
		if err != nil {
			require.ErrorIs(t, err, graph.ErrBadRequest)
			return
		}
		for _, v := range []int{req.InitialSilenceTimeoutInSeconds, req.MaxSilenceTimeoutInSeconds, req.MaxRecordDurationInSeconds} {
			require.True(t, v >= 1 && v <= 120, "timer %d out of range", v)
		}
		require.LessOrEqual(t, len(req.Prompts), 1)
		for _, d := range req.StopTones {
			require.Contains(t, "0123456789*#ABCD", string(d))
		}
	})
}
