package inspector_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "write the screenshot docs/inspector-fake.png")

// waitFor bounds every wait of the browser test: the page reacts to a
// stream event within a frame or two, so 5 s only ever runs out on a bug.
const waitFor = 5 * time.Second

// findChromium returns the first browser found in PATH, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts headless Chromium at 1280×720 for the test, or skips.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	bin := findChromium()
	if bin == "" {
		t.Skip("no Chromium in PATH (looked for chromium, chromium-browser, google-chrome): apt-get install chromium to run the browser test")
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(bin), chromedp.WindowSize(1280, 720)}
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:], opts...)...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	// Bound the whole test; each wait has its own shorter bound.
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelT)
	// Any uncaught exception or unhandled rejection in the page fails the
	// test (network errors such as the outbound audio's 404 are log
	// entries, not exceptions).
	do(t, ctx) // starts the browser and attaches the tab
	var mu sync.Mutex
	var thrown []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.IsException() {
				mu.Lock()
				thrown = append(thrown, m.String())
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancelT()
		<-done
		mu.Lock()
		defer mu.Unlock()
		assert.Empty(t, thrown, "exceptions in the page")
	})
	return ctx
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, steps...))
}

// press activates a control from the keyboard (focus, then Enter): it
// is what a keyboard user does, and no layout shift can make it miss.
func press(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Focus(sel), chromedp.KeyEvent(kb.Enter))
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(t, err, "evaluating %s", js)
	return v
}

// until waits for a JavaScript expression to be truthy and returns it.
func until[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Poll[T](js, chromedp.WithPollingTimeout(waitFor)))
	if err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#conn')?.textContent + ' | alert: ' +
			document.querySelector('#alert')?.textContent + ' | status: ' + document.querySelector('#status')?.textContent`))
		require.NoError(t, err, "waiting for %s (page: %s)", js, page)
	}
	return v
}

// timelineGeometry reads, in one evaluation (so that they belong to one
// drawing), the timeline's scale (msPerPx, origin) and where the first
// digit and the completion line are drawn (digitX, digitMs, doneX, doneMs).
func timelineGeometry(t *testing.T, ctx context.Context) map[string]float64 {
	t.Helper()
	return eval[map[string]float64](t, ctx, `(() => {
		const svg = document.querySelector('svg[data-timeline]');
		const d = svg.querySelector('[data-entry="digit"]'), c = svg.querySelector('[data-entry="completed"]');
		return {msPerPx: +svg.dataset.msPerPx, origin: +svg.dataset.originX,
			digitX: +(d.getAttribute('cx') ?? d.getAttribute('x')), digitMs: +d.dataset.ms,
			doneX: +c.getAttribute('x1'), doneMs: +c.dataset.ms};
	})()`)
}

func textOf(sel string) string {
	return fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? '')`, sel)
}

func TestInspectorInABrowser(t *testing.T) {
	ctx := newBrowser(t)
	f := newFake(t, "")

	do(t, ctx, chromedp.Navigate(f.url()+"/"))
	until[bool](t, ctx, `document.querySelector('#conn').dataset.conn === 'live'`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))

	t.Run("ringing shows the new call from the API and the stream, and opens it", func(t *testing.T) {
		do(t, ctx, press("#ring"))
		until[bool](t, ctx, `!!document.querySelector('[data-call-id="call-1"] [data-field="state"]')`)
		assert.Equal(t, "incoming", eval[string](t, ctx, textOf(`[data-call-id="call-1"] [data-field="state"]`)))
		until[bool](t, ctx, `document.querySelector('#call-h').textContent.includes('call-1')`)
		assert.Equal(t, 1, eval[int](t, ctx, `document.querySelectorAll('[data-call-id]').length`))
	})

	t.Run("answering updates the row from a call event in the envelope shape", func(t *testing.T) {
		do(t, ctx, press("#answer"))
		until[bool](t, ctx, textOf(`[data-call-id="call-1"] [data-field="state"]`)+` === 'established'`)
	})

	t.Run("recording sends the textarea's body and shows the running operation", func(t *testing.T) {
		assert.JSONEq(t, `{"stopTones":["#"],"maxRecordDurationInSeconds":30}`, eval[string](t, ctx, `document.querySelector('#record-body').value`))
		do(t, ctx, press("#record"))
		until[bool](t, ctx, `!!document.querySelector('[data-op-id="op-1"]')`)
		assert.Equal(t, "—", eval[string](t, ctx, textOf(`[data-op-id="op-1"] [data-field="reason"]`)))
	})

	t.Run("timeline entries and the completion show on the timeline at their times", func(t *testing.T) {
		f.Entry("call-1", "op-1", "operationStart", 0, "")
		f.Entry("call-1", "op-1", "promptStart", 0, "")
		f.Entry("call-1", "op-1", "promptEnd", 1200, "")
		f.Entry("call-1", "op-1", "beepStart", 1200, "")
		f.Entry("call-1", "op-1", "beepEnd", 1400, "")
		f.Entry("call-1", "op-1", "listenStart", 1400, "")
		f.Entry("call-1", "op-1", "timerArmed", 1400, "initialSilenceTimeout fires at 6.400 s")
		f.Entry("call-1", "op-1", "speechStart", 1800, "")
		f.Entry("call-1", "op-1", "timerDisarmed", 1800, "initialSilenceTimeout")
		f.Entry("call-1", "op-1", "speechEnd", 2600, "")
		f.Entry("call-1", "op-1", "digit", 3235, "# (stop tone), detected at 3.235 s")
		f.Entry("call-1", "op-1", "completed", 3240, "stopToneDetected 200/8514 (#)")
		f.CompleteRecord("call-1", "op-1", "stopToneDetected", 200, 8514)

		until[bool](t, ctx, textOf(`[data-op-id="op-1"] [data-field="reason"]`)+` === 'stopToneDetected 8514'`)
		until[bool](t, ctx, `!!document.querySelector('svg[data-timeline] [data-entry="completed"]')`)
		// The caller audio (4 s) widens the drawing once it loads; read every
		// figure in one evaluation after that, so they belong to one drawing.
		until[bool](t, ctx, `!!document.querySelector('svg[data-timeline] [data-entry="waveform"]')`)
		geo := timelineGeometry(t, ctx)
		require.Greater(t, geo["msPerPx"], 0.0)
		assert.Equal(t, 3235.0, geo["digitMs"])
		assert.InDelta(t, geo["origin"]+geo["digitMs"]/geo["msPerPx"], geo["digitX"], 1.0, "digit x")
		assert.InDelta(t, geo["origin"]+geo["doneMs"]/geo["msPerPx"], geo["doneX"], 1.0, "completion x")
		assert.Greater(t, geo["doneX"], geo["digitX"], "the completion comes after the digit")

		why := eval[string](t, ctx, textOf(`#why-list`))
		assert.Contains(t, why, "stopToneDetected")
		assert.Contains(t, why, "8514")
		assert.Contains(t, why, "# (stop tone), detected at 3.235 s", "the cause is on the same screen")
		// Thirteen stream events for the open call, but its details are
		// re-read in debounced bursts, not once per event.
		assert.LessOrEqual(t, f.seen("GET /recsim/v1/calls/call-1/events"), 5)
	})

	t.Run("the recording plays from its location with its access token", func(t *testing.T) {
		d := until[float64](t, ctx, `(() => { const a = document.querySelector('audio[data-recording="op-1"]');
			return a && a.src.startsWith('blob:') && isFinite(a.duration) && a.duration > 0 ? a.duration : 0; })()`)
		assert.InDelta(t, 1.0, d, 0.05)
		assert.Contains(t, f.recordingAuth(), "Bearer rec-op-1")
	})

	t.Run("a notification goes from pending to delivered, another shows its failed attempts", func(t *testing.T) {
		payload := map[string]any{"value": []any{map[string]any{"resourceUrl": "/communications/calls/call-1/operations/op-1"}}}
		f.Notify("call-1", fakeNotif{Sequence: 1, ChangeType: "updated", ResourceURL: "/communications/calls/call-1/operations/op-1", Payload: payload})
		until[bool](t, ctx, textOf(`[data-notification="1"] [data-field="delivery"]`)+` === 'pending'`)
		f.Notify("call-1", fakeNotif{Sequence: 1, ChangeType: "updated", ResourceURL: "/communications/calls/call-1/operations/op-1", Attempts: 1, Delivered: true, Payload: payload})
		until[bool](t, ctx, textOf(`[data-notification="1"] [data-field="delivery"]`)+` === 'delivered'`)
		f.Notify("call-1", fakeNotif{Sequence: 2, ChangeType: "deleted", ResourceURL: "/communications/calls/call-1", Attempts: 3, LastError: "connection refused"})
		until[bool](t, ctx, textOf(`[data-notification="2"] [data-field="delivery"]`)+` === 'failed (3 attempts)'`)
		assert.Contains(t, eval[string](t, ctx, textOf(`[data-notification="1"] pre`)), "/communications/calls/call-1/operations/op-1")
	})

	t.Run("a dropped stream resumes with Last-Event-ID and loses nothing", func(t *testing.T) {
		f.DropStreamsThenNotify("call-1", fakeNotif{Sequence: 3, ChangeType: "updated", ResourceURL: "/communications/calls/call-1", Attempts: 1, Delivered: true})
		select {
		case r := <-f.resumed:
			assert.NotEmpty(t, r.lastEventID, "the reconnect carries Last-Event-ID")
			assert.GreaterOrEqual(t, r.backlog, 1, "the event sent while disconnected is replayed")
		case <-time.After(waitFor):
			t.Fatal("the page did not reconnect")
		}
		until[bool](t, ctx, textOf(`[data-notification="3"] [data-field="delivery"]`)+` === 'delivered'`)
		until[bool](t, ctx, `document.querySelector('#conn').dataset.conn === 'live'`)
	})

	t.Run("a terminated call event updates the row without a reload", func(t *testing.T) {
		do(t, ctx, press("#hangup"))
		until[bool](t, ctx, textOf(`[data-call-id="call-1"] [data-field="state"]`)+` === 'terminated'`)
		assert.True(t, eval[bool](t, ctx, `window.__sameDocument === true`))
	})

	t.Run("a server error is shown in the alert region", func(t *testing.T) {
		do(t, ctx, press("#cancel"))
		until[bool](t, ctx, textOf(`#alert`)+`.includes('nothing to cancel on this fake')`)
		assert.Equal(t, "alert", eval[string](t, ctx, `document.querySelector('#alert').getAttribute('role')`))
	})

	t.Run("Tab reaches ring, the call row and the action buttons, with a visible focus", func(t *testing.T) {
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur(); window.scrollTo(0, 0)`))
		var reached []string
		ringOutline := ""
		for range 40 {
			do(t, ctx, chromedp.KeyEvent(kb.Tab))
			got := eval[map[string]string](t, ctx, `(() => { const a = document.activeElement;
				return {id: a.id || '', call: a.dataset?.callId || '', outline: getComputedStyle(a).outlineStyle}; })()`)
			name := got["id"]
			if got["call"] != "" {
				name = "row:" + got["call"]
			}
			if name == "ring" {
				ringOutline = got["outline"]
			}
			reached = append(reached, name)
		}
		for _, want := range []string{"ring", "row:call-1", "answer", "hangup", "cancel", "record-body", "record", "media-file", "media-script", "upload"} {
			assert.Contains(t, reached, want, "Tab order: %v", reached)
		}
		assert.Equal(t, "solid", ringOutline, "the focused button shows an outline")
	})

	for _, scheme := range []string{"light", "dark"} {
		t.Run("text and buttons have a contrast of at least 4.5:1 in the "+scheme+" theme", func(t *testing.T) {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
			require.NoError(t, err)
			pairs := eval[map[string][]string](t, ctx, contrastJS)
			require.NotEmpty(t, pairs)
			for name, fgbg := range pairs {
				fg, bg := parseRGB(t, fgbg[0]), parseRGB(t, fgbg[1])
				assert.GreaterOrEqual(t, contrast(fg, bg), 4.5, "%s: %s on %s", name, fgbg[0], fgbg[1])
			}
			if scheme == "dark" {
				assert.NotEqual(t, "rgb(255, 255, 255)", pairs["body text"][1], "the dark theme is dark")
			}
		})
	}

	t.Run("the page does not scroll sideways at 1280×720", func(t *testing.T) {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		require.NoError(t, err)
		w := eval[map[string]float64](t, ctx, `({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})`)
		assert.LessOrEqual(t, w["scroll"], w["client"])
		if *update {
			do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur(); window.scrollTo(0, 0)`))
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join("..", "..", "..", "docs", "inspector-fake.png"), png, 0o644))
		}
	})
}

func TestInspectorAsksForTheControlToken(t *testing.T) {
	ctx := newBrowser(t)
	f := newFake(t, "s3cret")
	f.Ring("http://127.0.0.1/recsim/v1/inbox")

	do(t, ctx, chromedp.Navigate(f.url()+"/"))
	until[bool](t, ctx, `document.querySelector('#token-dialog').open`)
	assert.Equal(t, "token-input", eval[string](t, ctx, `document.activeElement.id`), "the dialog takes the focus")
	do(t, ctx, chromedp.SendKeys("#token-input", "s3cret"), press("#token-ok"))

	t.Run("the list loads with the token, kept for the session", func(t *testing.T) {
		until[bool](t, ctx, `!!document.querySelector('[data-call-id="call-1"]')`)
		assert.Equal(t, "s3cret", eval[string](t, ctx, `sessionStorage.getItem('recsim.controlToken')`))
		assert.False(t, eval[bool](t, ctx, `document.querySelector('#token-dialog').open`))
	})

	t.Run("the stream reconnects with the token and delivers new calls", func(t *testing.T) {
		until[bool](t, ctx, `document.querySelector('#conn').dataset.conn === 'live'`)
		f.Ring("http://127.0.0.1/recsim/v1/inbox")
		until[bool](t, ctx, `!!document.querySelector('[data-call-id="call-2"]')`)
		assert.Equal(t, 2, eval[int](t, ctx, `document.querySelectorAll('[data-call-id]').length`))
	})
}

// contrastJS returns, for the main text and the buttons, the computed
// foreground and the first opaque background behind it.
const contrastJS = `(() => {
	const bg = (el) => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
		if (c && c !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(c)) return c; } return 'rgb(255, 255, 255)'; };
	const pick = { 'body text': 'body', 'heading': 'h1', 'muted text': '#call-meta', 'ring button': '#ring',
		'answer button': '#answer', 'record button': '#record', 'call row': '[data-call-id]', 'call state': '[data-call-id] [data-field="state"]',
		'operation status': '[data-op-id] [data-field="status"]', 'delivery': '[data-notification] [data-field="delivery"]',
		'textarea': '#record-body', 'alert': '#alert' };
	const out = {};
	for (const [name, sel] of Object.entries(pick)) { const e = document.querySelector(sel); if (!e) continue;
		out[name] = [getComputedStyle(e).color, bg(e)]; }
	return out;
})()`

func parseRGB(t *testing.T, s string) [3]float64 {
	t.Helper()
	var c [3]float64
	inner := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(s, "rgba("), "rgb("), ")")
	parts := strings.Split(inner, ",")
	require.GreaterOrEqual(t, len(parts), 3, "colour %q", s)
	for i := range 3 {
		_, err := fmt.Sscan(strings.TrimSpace(parts[i]), &c[i])
		require.NoError(t, err, "colour %q", s)
	}
	return c
}

// contrast is the WCAG 2 contrast ratio of two sRGB colours (0–255).
func contrast(a, b [3]float64) float64 {
	lum := func(c [3]float64) float64 {
		var l [3]float64
		for i, v := range c {
			v /= 255
			if v <= 0.04045 {
				l[i] = v / 12.92
			} else {
				l[i] = math.Pow((v+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
	}
	la, lb := lum(a), lum(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func TestContrastFormula(t *testing.T) {
	assert.InDelta(t, 21.0, contrast([3]float64{0, 0, 0}, [3]float64{255, 255, 255}), 1e-9)
	assert.InDelta(t, 1.0, contrast([3]float64{10, 88, 181}, [3]float64{10, 88, 181}), 1e-9)
	// #767676 on white is the classic 4.54:1 grey.
	assert.InDelta(t, 4.54, contrast([3]float64{0x76, 0x76, 0x76}, [3]float64{255, 255, 255}), 0.01)
}
