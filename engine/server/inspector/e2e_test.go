package inspector_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/runner"
	"github.com/recsim/recsim/engine/server"
)

// TestTheInspectorOnTheRealServer drives the page, in headless Chromium,
// against the mock server itself: ring, upload a scenario, answer,
// record, and read on the page why the recording ended, where on the
// timeline, the recording's length, the delivered notifications and the
// hang-up. With -update it writes docs/inspector.png.
func TestTheInspectorOnTheRealServer(t *testing.T) {
	ctx := newBrowser(t)
	srv, err := server.New(server.Config{Clock: runner.Fast, DataDir: t.TempDir()})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close() // ends the page's event stream first
		ts.Close()
	})
	get := func(path string, auth string) []byte {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", path, b)
		return b
	}

	do(t, ctx, chromedp.Navigate(ts.URL+"/"))
	until[bool](t, ctx, `document.querySelector('#conn').dataset.conn === 'live'`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))

	var id string
	t.Run("ring shows the new call", func(t *testing.T) {
		do(t, ctx, press("#ring"))
		id = until[string](t, ctx, `document.querySelector('[data-call-id]')?.dataset.callId ?? ''`)
		until[bool](t, ctx, textOf(`[data-call-id="`+id+`"] [data-field="state"]`)+` === 'incoming'`)
		until[bool](t, ctx, `document.querySelector('#call-h').textContent.includes('`+id+`')`)
	})
	t.Run("a scenario uploaded and answered", func(t *testing.T) {
		script := `{"caller": [{"silence": 1}, {"speech": "en_us_s160_01"}, {"silence": 0.5}, {"dtmf": "#"}, {"silence": 1}]}`
		do(t, ctx, chromedp.SetValue(`#media-script`, script), press("#upload"))
		until[bool](t, ctx, `fetch('/recsim/v1/calls/`+id+`/audio/caller').then(r => r.ok)`)
		do(t, ctx, press("#answer"))
		until[bool](t, ctx, textOf(`[data-call-id="`+id+`"] [data-field="state"]`)+` === 'established'`)
	})
	var opID string
	t.Run("the recording ends on the stop tone, and the page says so", func(t *testing.T) {
		do(t, ctx, press("#record"))
		opID = until[string](t, ctx, `document.querySelector('[data-op-id]')?.dataset.opId ?? ''`)
		until[bool](t, ctx, textOf(`[data-op-id="`+opID+`"] [data-field="reason"]`)+` === 'stopToneDetected 8514'`)
	})
	t.Run("the digit and the completion line sit at their times on the scale", func(t *testing.T) {
		var tl struct {
			Value []struct {
				Type string
				Ms   float64
			}
		}
		require.NoError(t, json.Unmarshal(get("/recsim/v1/calls/"+id+"/events", ""), &tl))
		var digitMs, doneMs float64
		for _, e := range tl.Value {
			switch e.Type {
			case "digit":
				digitMs = e.Ms
			case "completed":
				doneMs = e.Ms
			}
		}
		require.Positive(t, digitMs)
		until[bool](t, ctx, `!!document.querySelector('svg[data-timeline] [data-entry="completed"]') && !!document.querySelector('svg[data-timeline] [data-entry="waveform"]')`)
		geo := timelineGeometry(t, ctx)
		assert.InDelta(t, digitMs, geo["digitMs"], 0.001, "the page draws the server's digit")
		assert.InDelta(t, doneMs, geo["doneMs"], 0.001)
		assert.InDelta(t, geo["origin"]+digitMs/geo["msPerPx"], geo["digitX"], 1.0, "digit x within one pixel column")
		assert.InDelta(t, geo["origin"]+doneMs/geo["msPerPx"], geo["doneX"], 1.0, "completion x within one pixel column")
	})
	t.Run("the recording's player has the recording's length", func(t *testing.T) {
		var op struct {
			RecordingLocation, RecordingAccessToken string
		}
		require.NoError(t, json.Unmarshal(get("/v1.0/communications/calls/"+id+"/operations/"+opID, "inspector-test"), &op))
		wav := get(strings.TrimPrefix(op.RecordingLocation, ts.URL), op.RecordingAccessToken)
		seconds := float64(len(wav)-44) / 2 / 16000
		d := until[float64](t, ctx, `(() => { const a = document.querySelector('audio[data-recording="`+opID+`"]');
			return a && a.src.startsWith('blob:') && isFinite(a.duration) && a.duration > 0 ? a.duration : 0; })()`)
		assert.InDelta(t, seconds, d, 0.02)
	})
	t.Run("the notifications show delivered", func(t *testing.T) {
		// created, updated (answered), the completion
		until[bool](t, ctx, `document.querySelectorAll('[data-notification]').length === 3 &&
			[...document.querySelectorAll('[data-notification] [data-field="delivery"]')].every(e => e.textContent === 'delivered')`)
	})
	t.Run("hanging up updates the state without a reload", func(t *testing.T) {
		do(t, ctx, press("#hangup"))
		until[bool](t, ctx, textOf(`[data-call-id="`+id+`"] [data-field="state"]`)+` === 'terminated'`)
		assert.True(t, eval[bool](t, ctx, `window.__sameDocument === true`))
		until[bool](t, ctx, textOf(`[data-notification="4"] [data-field="delivery"]`)+` === 'delivered'`) // the call's deleted
	})
	if *update {
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join("..", "..", "..", "docs", "inspector.png"), png, 0o644))
	}
}
