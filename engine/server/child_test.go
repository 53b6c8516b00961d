package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/runner"
	"github.com/recsim/recsim/engine/server"
)

// childEnv makes the test binary a mock server instead of running tests:
// BenchmarkRecordResponseRoundTrip's server=process variants run the
// server in a process of its own, so that its CPU time can be told apart
// from the benchmark's client and bot.
const childEnv = "RECSIM_BENCH_SERVER_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(serveChild())
	}
	os.Exit(m.Run())
}

// childDirEnv, when set, is the data directory the child server keeps
// (the restart tests kill it and start another on the same directory);
// the child then runs the realtime clock and retries notifications
// quickly.
const childDirEnv = "RECSIM_TEST_SERVER_DIR"

// serveChild serves a mock on a loopback port, prints its address, and
// stops when its standard input closes.
func serveChild() int {
	cfg := server.Config{Clock: runner.Fast}
	if dir := os.Getenv(childDirEnv); dir != "" {
		cfg = server.Config{Clock: runner.Realtime, DataDir: dir,
			Notify: server.NotifyConfig{Initial: 20 * time.Millisecond, Max: 100 * time.Millisecond, Attempts: 1000}}
	} else {
		dir, err := os.MkdirTemp("", "recsim-bench-child-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		cfg.DataDir = dir
	}
	srv, err := server.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	fmt.Println(ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// kill ends the server process with SIGKILL, as a crash would.
func (c *child) kill(t testing.TB) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Kill())
	_ = c.cmd.Wait()
}

// child is a mock server running in another process.
type child struct {
	cmd   *exec.Cmd
	stdin io.Closer
}

// newChildMock starts the server process and returns a mock that reaches
// it (m.srv and m.ts are nil) and the child, for its CPU time.
func newChildMock(t testing.TB) (*mock, *child) {
	t.Helper()
	return startChild(t, newBot(t, nil), "")
}

// startChild starts a server process (on data directory dir, if not "")
// notifying b.
func startChild(t testing.TB, b *bot, dir string) (*mock, *child) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=1")
	if dir != "" {
		cmd.Env = append(cmd.Env, childDirEnv+"="+dir)
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &child{cmd: cmd, stdin: stdin}
	t.Cleanup(func() {
		_ = c.stdin.Close()
		_ = cmd.Wait()
	})
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "the server process's address")
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64 // a kept-alive connection for each of the benchmark's 64 calls at most
	m := &mock{t: t, bot: b, url: "http://" + strings.TrimSpace(addr), client: &http.Client{Transport: tr}}
	t.Cleanup(tr.CloseIdleConnections)
	return m, c
}

// cpu returns the child's CPU time so far (user and system, all threads)
// from /proc, in clock ticks of 10 ms; ok is false where /proc has no
// such file.
func (c *child) cpu() (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0, false
	}
	// Fields after the command name (which may hold spaces) in
	// parentheses: utime and stime are the 12th and 13th.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, false
	}
	var ut, st int64
	if _, err := fmt.Sscan(f[11], &ut); err != nil {
		return 0, false
	}
	if _, err := fmt.Sscan(f[12], &st); err != nil {
		return 0, false
	}
	const tick = 10 * time.Millisecond // USER_HZ = 100 on Linux
	return time.Duration(ut+st) * tick, true
}
