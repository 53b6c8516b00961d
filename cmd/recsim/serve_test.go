package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeRejectsBadFlagsInOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"--clock", "slow"}, {"--hangup-policy", "loud"}, {"--end-of-media", "loop"}, {"--rate", "100"},
		{"--retention", "0s"}, {"--addr", "256.0.0.1:http"}, {"extra"},
		{"--auth", "loose"}, {"--tls-cert", "cert.pem"}, {"--app", "no-secret"}, {"--tenant", ""},
	} {
		code, _, errOut := runCLI(append([]string{"serve"}, args...)...)
		assert.Equal(t, exitBadInput, code, args)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
		assert.Contains(t, errOut, "recsim serve:")
	}
}

func TestServeHelpShowsACurlSession(t *testing.T) {
	code, out, _ := runCLI("serve", "--help")
	require.Equal(t, exitOK, code)
	for _, want := range []string{"/recsim/v1/calls", "/answer", "/media", "/recordResponse", "/operations/", "recordingAccessToken",
		"-addr", "-clock", "-data-dir", "-token", "-retention", "-hangup-policy", "-end-of-media", "-docs-casing",
		"-strict-v1", "-strict-compliance", "-allow-prompt-host", "-rate"} {
		assert.Contains(t, out, want)
	}
}

// TestServeDrainsOnSIGINT runs `recsim serve` in process, starts an
// operation, signals the process and checks the operation is cancelled,
// its notification delivered, and the exit status 0.
func TestServeDrainsOnSIGINT(t *testing.T) {
	pr, pw := io.Pipe()
	var stdout bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, &stdout, pw)
		pw.Close()
	}()
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var url string
	deadline := time.After(20 * time.Second)
	for url == "" {
		select {
		case l := <-lines:
			if m := regexp.MustCompile(`msg="recsim serve listening" url=(\S+)`).FindStringSubmatch(l); m != nil {
				url = m[1]
			}
		case <-deadline:
			t.Fatal("the server did not start")
		}
	}

	post := func(path, body string) *http.Response {
		req, _ := http.NewRequest("POST", url+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer t")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		return resp
	}
	resp := post("/recsim/v1/calls", `{"callbackUri": "`+url+`/recsim/v1/inbox"}`)
	var c struct{ ID string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&c))
	resp.Body.Close()
	post("/v1.0/communications/calls/"+c.ID+"/answer", `{}`).Body.Close()
	resp = post("/v1.0/communications/calls/"+c.ID+"/recordResponse", `{"initialSilenceTimeoutInSeconds": 60, "maxRecordDurationInSeconds": 60}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp.Body.Close()

	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	var log []string
	for l := range lines {
		log = append(log, l)
	}
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not exit")
	}
	all := strings.Join(log, "\n")
	assert.Contains(t, all, `msg="recsim serve stopping: draining"`)
	assert.Regexp(t, `msg="operation ended" .*completionReason=operationCanceled`, all)
	assert.Regexp(t, `msg="inbox received" changeType=deleted resource=/communications/calls/`+c.ID+`/operations/\S+ .*completionReason=operationCanceled`, all,
		"the cancelled operation's notification was delivered before exit")
	assert.Regexp(t, `msg=request method=POST path=/v1.0/communications/calls/`+c.ID+`/recordResponse status=200`, all, "one line per request")
	assert.Contains(t, all, `msg="recsim serve stopped"`)
}
