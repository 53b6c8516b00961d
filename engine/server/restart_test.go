package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pathOf is the path of an absolute URL the first server handed out (the
// second listens on another port).
func pathOf(t *testing.T, loc string) string {
	u, err := url.Parse(loc)
	require.NoError(t, err)
	return u.Path
}

// acknowledged waits until the bot has acknowledged a notification about
// resource (by suffix) with changeType, whenever it came.
func acknowledged(t *testing.T, b *bot, changeType, resourceSuffix string) note {
	t.Helper()
	var found note
	require.Eventually(t, func() bool {
		for _, n := range b.all() {
			if n.ChangeType == changeType && strings.HasSuffix(n.ResourceURL, resourceSuffix) {
				found = n
				return true
			}
		}
		return false
	}, 20*time.Second, 5*time.Millisecond, "%s %s", changeType, resourceSuffix)
	return found
}

// TestAKilledServerRestartsOnItsDataDirectory kills a server process with
// SIGKILL and starts another on the same data directory: one call had
// ended with a recording, one was recording, one had a completion the bot
// had not acknowledged yet.
func TestAKilledServerRestartsOnItsDataDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two server processes in real time (about 5 s)")
	}
	dir := t.TempDir()
	var mu sync.Mutex
	refuse := "" // the bot answers 500 to notifications that mention it
	acked := map[string]int{}
	b := newBot(t, func(_ int, body []byte) int {
		mu.Lock()
		defer mu.Unlock()
		if refuse != "" && strings.Contains(string(body), refuse) {
			return http.StatusInternalServerError
		}
		var env struct {
			Value []struct {
				ChangeType, ResourceURL string
				ResourceData            map[string]any
			}
		}
		if json.Unmarshal(body, &env) == nil && len(env.Value) == 1 {
			v := env.Value[0]
			acked[v.ChangeType+" "+v.ResourceURL+" "+v.ResourceData["@odata.etag"].(string)]++
		}
		return http.StatusAccepted
	})
	m1, first := startChild(t, b, dir)

	// 1. Ended, with a recording downloaded before the crash.
	ended := m1.established("")
	m1.script(ended, `{"caller": [{"silence": 1.2}, {"dtmf": "#"}, {"silence": 1}]}`)
	op1 := m1.record(ended, `{"stopTones": ["#"]}`)["id"].(string)
	done1 := m1.completion(op1)
	require.Equal(t, "stopToneDetected", done1.str("completionReason"))
	loc, tok := done1.str("recordingLocation"), done1.str("recordingAccessToken")
	wav := m1.download(loc, tok)
	require.Equal(t, http.StatusOK, wav.Status)
	require.Equal(t, http.StatusNoContent, m1.graph("DELETE", "/v1.0/communications/calls/"+ended, "").Status)
	m1.bot.until(t, "deleted", "/communications/calls/"+ended)

	// 2. Live, its recordResponse running.
	live := m1.established("")
	op2 := m1.record(live, `{"maxRecordDurationInSeconds": 60}`)["id"].(string)

	// 3. Its completion refused by the bot until the crash.
	owed := m1.established("")
	mu.Lock()
	refuse = owed
	mu.Unlock()
	op3 := m1.record(owed, `{"maxRecordDurationInSeconds": 1}`)["id"].(string)
	require.Eventually(t, func() bool {
		for _, n := range m1.noteLog(owed) {
			if strings.HasSuffix(n.Resource, op3) && n.Attempts >= 2 {
				return true
			}
		}
		return false
	}, 20*time.Second, 20*time.Millisecond, "the completion was tried and refused")

	first.kill(t)
	rec := filepath.Join(dir, ended+".rec")
	st, err := os.Stat(rec)
	require.NoError(t, err)
	whole := st.Size()
	// What a crash in the middle of an append leaves, and a file no call owns.
	f, err := os.OpenFile(rec, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(make([]byte, 1000))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	orphan := filepath.Join(dir, "00000000-0000-4000-8000-00000000dead.rec")
	require.NoError(t, os.WriteFile(orphan, []byte("RIFF"), 0o600))
	mu.Lock()
	refuse = ""
	mu.Unlock()

	m2, _ := startChild(t, b, dir)

	t.Run("the ended call's operation and recording are as they were", func(t *testing.T) {
		g := m2.graph("GET", "/v1.0/communications/calls/"+ended+"/operations/"+op1, "")
		require.Equal(t, http.StatusOK, g.Status, "%s", g.Body)
		o := g.json(t)
		assert.Equal(t, "stopToneDetected", o["completionReason"])
		assert.Equal(t, loc, o["recordingLocation"])
		assert.Nil(t, o["recordingAccessToken"], "the server keeps only the token's hash")
		again := m2.send("GET", pathOf(t, loc), nil, "Authorization", "Bearer "+tok)
		require.Equal(t, http.StatusOK, again.Status)
		assert.Equal(t, sha(wav.Body), sha(again.Body), "byte for byte")
		assert.Equal(t, http.StatusUnauthorized, m2.send("GET", pathOf(t, loc), nil, "Authorization", "Bearer x"+tok).Status)
		ev := m2.send("GET", "/recsim/v1/calls/"+ended+"/events", nil)
		require.Equal(t, http.StatusOK, ev.Status)
		assert.Contains(t, string(ev.Body), `"stopToneDetected 200/8514 (#)"`, "the timeline is kept")
	})
	t.Run("the live call ended as a hang-up: 410/8528, then the call's deleted", func(t *testing.T) {
		n := acknowledged(t, b, "deleted", "/operations/"+op2)
		assert.Equal(t, "failed", strings.ToLower(n.str("status")))
		assert.EqualValues(t, 410, n.Data["resultInfo"].(map[string]any)["code"])
		assert.EqualValues(t, 8528, n.Data["resultInfo"].(map[string]any)["subcode"])
		assert.Nil(t, n.Data["recordingLocation"], "its partial recording was never stored")
		d := acknowledged(t, b, "deleted", "/communications/calls/"+live)
		assert.Equal(t, "terminated", d.str("state"))
		g := m2.graph("GET", "/v1.0/communications/calls/"+live+"/operations/"+op2, "")
		require.Equal(t, http.StatusOK, g.Status)
		assert.Equal(t, "unspecifiedError", g.json(t)["completionReason"])
	})
	t.Run("the owed completion is delivered, then the call's deleted", func(t *testing.T) {
		n := acknowledged(t, b, "deleted", "/operations/"+op3)
		assert.Equal(t, "maxRecordDurationReached", n.str("completionReason"))
		loc3, tok3 := n.str("recordingLocation"), n.str("recordingAccessToken")
		require.NotEmpty(t, tok3, "an undelivered notification keeps its token")
		assert.Equal(t, http.StatusOK, m2.send("GET", pathOf(t, loc3), nil, "Authorization", "Bearer "+tok3).Status)
		acknowledged(t, b, "deleted", "/communications/calls/"+owed)
		var order []string
		for _, a := range m2.noteLog(owed) {
			assert.True(t, a.Delivered, "%+v", a)
			order = append(order, a.ChangeType+" "+a.Resource)
		}
		assert.Equal(t, []string{"created /communications/calls/" + owed, "updated /communications/calls/" + owed,
			"deleted /communications/calls/" + owed + "/operations/" + op3, "deleted /communications/calls/" + owed}, order)
	})
	t.Run("every notification was acknowledged exactly once", func(t *testing.T) {
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(acked) == 3*4 // created, updated, the completion, deleted for each call
		}, 10*time.Second, 10*time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		for k, n := range acked {
			assert.Equal(t, 1, n, k)
		}
	})
	t.Run("the recordings file is cut back to its recordings and the orphan is gone", func(t *testing.T) {
		st, err := os.Stat(rec)
		require.NoError(t, err)
		assert.Equal(t, whole, st.Size())
		_, err = os.Stat(orphan)
		assert.True(t, os.IsNotExist(err), "stat %s: %v", orphan, err)
	})
}
