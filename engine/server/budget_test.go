package server_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallerMediaStaysWithinTheMediaMemoryBudget(t *testing.T) {
	cfg := fast()
	cfg.MediaMemory = 1 << 20
	m := newMock(t, cfg, nil)
	const rate = 16000
	wav := func(bytes int) []byte { return encodeWAV(t, make([]int16, bytes/2), rate) }
	put := func(id string, body []byte, contentType string) reply {
		return m.send("PUT", "/recsim/v1/calls/"+id+"/media", body, "Content-Type", contentType)
	}
	fourTenths := wav(400 << 10)
	a, b, c := m.established(""), m.established(""), m.established("")
	require.Equal(t, http.StatusNoContent, put(a, fourTenths, "audio/wav").Status)
	require.Equal(t, http.StatusNoContent, put(b, fourTenths, "audio/wav").Status)

	t.Run("media past the budget is 503 with Retry-After, and names the budget", func(t *testing.T) {
		r := put(c, fourTenths, "audio/wav")
		require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Body)
		assert.Equal(t, "1", r.Header.Get("Retry-After"))
		code, msg, _ := r.graphError(t)
		assert.Equal(t, "ServiceUnavailable", code)
		assert.Contains(t, msg, "--media-memory")
		assert.Contains(t, msg, "(1 MiB)")
	})
	t.Run("a scenario script counts as well", func(t *testing.T) {
		r := put(c, []byte(`{"rate": 16000, "caller": [{"silence": 20}]}`), "application/json")
		assert.Equal(t, http.StatusServiceUnavailable, r.Status, "20 s at 16 kHz is 625 KiB: %s", r.Body)
	})
	t.Run("the other calls keep being served", func(t *testing.T) {
		op := m.record(a, `{"maxRecordDurationInSeconds": 1}`)
		n := m.completion(op["id"].(string))
		assert.Equal(t, "maxRecordDurationReached", n.str("completionReason"))
	})
	t.Run("a call that ends gives its share back", func(t *testing.T) {
		require.Equal(t, http.StatusNoContent, m.graph("DELETE", "/v1.0/communications/calls/"+a, "").Status)
		assert.Equal(t, http.StatusNoContent, put(c, fourTenths, "audio/wav").Status)
	})
	t.Run("refused and replaced media give theirs back", func(t *testing.T) {
		// b and c hold 0.8 MiB: 0.3 more is refused, then b's media is
		// replaced by a small one and c's by nothing but a short script.
		assert.Equal(t, http.StatusServiceUnavailable, put(b, wav(300<<10), "audio/wav").Status)
		require.Equal(t, http.StatusNoContent, put(b, wav(1<<10), "audio/wav").Status)
		require.Equal(t, http.StatusNoContent, put(c, []byte(`{"caller": [{"silence": 0.1}]}`), "application/json").Status)
		d := m.established("")
		assert.Equal(t, http.StatusNoContent, put(d, wav(900<<10), "audio/wav").Status, "the budget is nearly all free again")
	})
}
