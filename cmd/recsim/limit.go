package main

import (
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// capListener accepts at most max connections at once. A connection past
// the cap is answered at once with a 503 and a Graph-style error body and
// closed, so a flood of clients (slow ones included) cannot exhaust the
// process's file descriptors while the connections already open keep
// being served.
type capListener struct {
	net.Listener
	slots chan struct{} // one token per open connection
}

func newCapListener(ln net.Listener, max int) *capListener {
	return &capListener{Listener: ln, slots: make(chan struct{}, max)}
}

// busyAnswer is the whole HTTP answer a connection over the cap gets.
func busyAnswer() []byte {
	body := `{"error":{"code":"ServiceUnavailable","message":"The server has as many connections open as it allows (--max-conns); retry later."}}`
	return []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &slotConn{Conn: c, free: func() { <-l.slots }}, nil
		default:
			// Full: answer without reading the request (the client may
			// see a reset if it is still sending; it gets the 503 first).
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = c.Write(busyAnswer())
			_ = c.Close()
		}
	}
}

// slotConn gives its slot back when it is closed (once).
type slotConn struct {
	net.Conn
	once sync.Once
	free func()
}

func (c *slotConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.free)
	return err
}

// defaultMaxConns leaves room under the process's open-file limit for the
// data directory, the notification clients and the prompt fetches: half
// the limit for clients (the other half is that room), at most 8192 (above
// the 5 000 concurrent calls the server is load-tested with), and 128
// where the limit is too small to halve usefully (reasoning).
func defaultMaxConns() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur < 256 {
		return 128
	}
	return int(min(rl.Cur/2, 8192))
}
