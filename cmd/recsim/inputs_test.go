package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/media"
)

func TestAFailingOutputLeavesNoneOfTheOutputsBehind(t *testing.T) {
	dir := t.TempDir()
	caller := media.Concat(media.Silence(4000), dtmfTone(t, '#', 800), media.Silence(8000))
	callerPath := writeFile(t, dir, "caller.wav", caller, rate8k)
	req := filepath.Join(dir, "req.json")
	require.NoError(t, os.WriteFile(req, []byte(`{"stopTones": ["#"], "maxRecordDurationInSeconds": 5}`), 0o644))
	out, timeline := filepath.Join(dir, "O.wav"), filepath.Join(dir, "t.json")

	code, _, stderr := runCLI("record", "--caller", callerPath, "--request", req, "--out", out,
		"--timeline", timeline, "--plot", filepath.Join(dir, "nonexistent", "x.png"))
	assert.NotEqual(t, exitOK, code)
	assert.Contains(t, stderr, "x.png", "the error names the file that could not be written")
	for _, p := range []string{out, timeline} {
		_, err := os.Stat(p)
		assert.True(t, os.IsNotExist(err), "%s must not be left behind", p)
	}
	left, err := filepath.Glob(filepath.Join(dir, ".recsim-*"))
	require.NoError(t, err)
	assert.Empty(t, left, "no temporary file is left either")

	code, _, stderr = runCLI("record", "--caller", callerPath, "--request", req, "--out", out, "--timeline", timeline)
	require.Equal(t, exitOK, code, stderr)
	for _, p := range []string{out, timeline} {
		st, err := os.Stat(p)
		require.NoError(t, err, "with every output writable, all are written")
		assert.Equal(t, os.FileMode(0o644), st.Mode().Perm(), "%s is an ordinary file", p)
	}
}

// fifo makes a named pipe in dir that a goroutine fills with b once; it
// reports whether the writer saw a reader take everything.
func fifo(t *testing.T, dir string, b []byte) (string, <-chan error) {
	t.Helper()
	p := filepath.Join(dir, "pipe.wav")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err == nil {
			_, err = f.Write(b)
			f.Close()
		}
		done <- err
	}()
	return p, done
}

func TestInputsAreOpenedOnceSoPipesWork(t *testing.T) {
	wav, err := media.EncodeWAV(media.Concat(media.Silence(800), dtmfTone(t, '5', 800), media.Silence(800), dtmfTone(t, '#', 800), media.Silence(800)), rate8k)
	require.NoError(t, err)
	for _, cmd := range []string{"dtmf", "vad", "wavinfo", "record"} {
		t.Run(cmd+" reads a FIFO to its end", func(t *testing.T) {
			p, done := fifo(t, t.TempDir(), wav)
			args := []string{cmd, p}
			if cmd == "record" {
				args = []string{cmd, "--caller", p}
			}
			type result struct {
				code           int
				stdout, stderr string
			}
			res := make(chan result, 1)
			go func() {
				code, stdout, stderr := runCLI(args...)
				res <- result{code, stdout, stderr}
			}()
			select {
			case r := <-res:
				require.Equal(t, exitOK, r.code, r.stderr)
				if cmd == "dtmf" {
					assert.Equal(t, "5#\n", r.stdout)
				}
			case <-time.After(20 * time.Second): // a second open of a FIFO waits for a writer that never comes
				t.Fatal("the command hung: it opened its input twice")
			}
			require.NoError(t, <-done)
		})
	}
}

func TestOversizedInputsAreRefusedWithAClearError(t *testing.T) {
	dir := t.TempDir()
	callerPath := writeFile(t, dir, "caller.wav", media.Silence(800), rate8k)
	big := filepath.Join(dir, "big.json")
	require.NoError(t, os.WriteFile(big, []byte(`{"clientContext": "`+strings.Repeat("x", 1<<20)+`"}`), 0o644))
	code, _, stderr := runCLI("record", "--caller", callerPath, "--request", big)
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, stderr, "big.json")
	assert.Contains(t, stderr, "1 MiB")

	code, _, stderr = runCLI("record", "--caller", callerPath, "--request", "/dev/zero")
	assert.Equal(t, exitBadInput, code, "an endless request is cut at 1 MiB, not read forever")
	assert.Contains(t, stderr, "1 MiB")
}
