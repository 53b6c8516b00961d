package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/media"
)

var flood = flag.Bool("flood", false, "run the slow-client and media floods against a `recsim serve` process and print its memory")

// serveChildEnv makes the test binary `recsim serve` with the arguments
// in the variable (space-separated), for the floods.
const serveChildEnv = "RECSIM_TEST_SERVE_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(serveChildEnv); args != "" {
		os.Exit(run(append([]string{"serve"}, strings.Fields(args)...), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// serveProcess starts `recsim serve` in a process of its own and returns
// its URL and process.
func serveProcess(t *testing.T, args ...string) (string, *os.Process) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), serveChildEnv+"="+strings.Join(append([]string{"--addr", "127.0.0.1:0"}, args...), " "))
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	re := regexp.MustCompile(`msg="recsim serve listening" url=(\S+)`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return m[1], cmd.Process
		}
	}
	t.Fatal("recsim serve did not start")
	return "", nil
}

// rssMiB reads a process's resident set from /proc.
func rssMiB(t *testing.T, p *os.Process) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			var kb float64
			_, _ = fmt.Sscan(strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:")), &kb)
			return kb / 1024
		}
	}
	return 0
}

// TestFloodsKeepTheServerBounded opens thousands of connections that send
// their headers and then a body a byte at a time, and PUTs 100 MiB bodies
// side by side, against a `recsim serve` process: it keeps serving a
// well-behaved client throughout, refuses what is past its caps, and its
// memory stays bounded. Figures go to the test log (-flood -v).
func TestFloodsKeepTheServerBounded(t *testing.T) {
	if !*flood {
		t.Skip("a load run: go test ./cmd/recsim -run Floods -v -args -flood")
	}
	url, proc := serveProcess(t, "--clock", "fast", "--max-conns", "2000", "--media-memory", "256")
	// A well-behaved client that opens a connection of its own each time.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	health := func() (int, time.Duration) {
		t0 := time.Now()
		resp, err := fresh.Post(url+"/recsim/v1/calls", "application/json", strings.NewReader(`{"callbackUri": "`+url+`/recsim/v1/inbox"}`))
		if err != nil {
			return 0, time.Since(t0)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(t0)
	}
	code, _ := health()
	require.Equal(t, http.StatusCreated, code)
	before := rssMiB(t, proc)

	t.Run("slow-body connections", func(t *testing.T) {
		const conns = 8000
		var mu sync.Mutex
		var open []net.Conn
		refused := 0
		for i := range conns {
			c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
			if err != nil {
				t.Logf("dial %d: %v", i, err)
				break
			}
			// A request whose body the server must read before it answers,
			// sent one byte of a thousand.
			_, err = io.WriteString(c, "POST /recsim/v1/calls HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
			if err != nil {
				refused++
				c.Close()
				continue
			}
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
		}
		time.Sleep(time.Second)
		during := rssMiB(t, proc)
		code, took := health()
		// Connections past the cap are answered 503 and closed.
		past := 0
		for _, c := range open {
			_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
			var b [12]byte
			if n, _ := c.Read(b[:]); n > 0 && bytes.Contains(b[:n], []byte(" 503")) {
				past++
			}
		}
		for _, c := range open {
			c.Close()
		}
		time.Sleep(2 * time.Second)
		after := rssMiB(t, proc)
		t.Logf("%d slow-body connections (cap 2000): %d answered 503 at once; a new client got %d in %v; RSS %.0f MiB before, %.0f during, %.0f after",
			len(open), past, code, took.Round(time.Millisecond), before, during, after)
		assert.Equal(t, http.StatusServiceUnavailable, code, "the new client is past the cap too, and told so at once")
		assert.Less(t, took, 2*time.Second)
		assert.Positive(t, past)
		assert.Less(t, during, before+200, "MiB")
		code, _ = health()
		assert.Equal(t, http.StatusCreated, code, "served again once they left")
	})
	t.Run("eight 100 MiB media bodies at once", func(t *testing.T) {
		// A WAV header claiming 100 MiB of 16 kHz samples, then the samples.
		hdr, err := media.EncodeWAV(nil, 16000)
		require.NoError(t, err)
		const size = 100 << 20
		binary.LittleEndian.PutUint32(hdr[40:], size)
		codes := make([]int, 8)
		var peak float64
		stop := make(chan struct{})
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
					if r := rssMiB(t, proc); r > peak {
						peak = r
					}
				}
			}
		}()
		var wg sync.WaitGroup
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := http.Post(url+"/recsim/v1/calls", "application/json", strings.NewReader(`{"callbackUri": "`+url+`/recsim/v1/inbox"}`))
				if err != nil {
					return
				}
				var c struct{ ID string }
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				_ = json.Unmarshal(b, &c)
				body := io.MultiReader(bytes.NewReader(hdr), io.LimitReader(zeros{}, size))
				req, _ := http.NewRequest("PUT", url+"/recsim/v1/calls/"+c.ID+"/media", body)
				req.Header.Set("Content-Type", "audio/wav")
				r, err := http.DefaultClient.Do(req)
				if err == nil {
					codes[i] = r.StatusCode
					r.Body.Close()
				}
			}()
		}
		wg.Wait()
		close(stop)
		t.Logf("eight 100 MiB media PUTs (budget 256 MiB): answers %v; RSS peak %.0f MiB", codes, peak)
		for _, c := range codes {
			assert.Contains(t, []int{http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable}, c)
		}
		assert.Less(t, peak, 256.0+before+100, "MiB: the budget and the process's own")
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
