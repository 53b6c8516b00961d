package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/engine/runner"
	"github.com/recsim/recsim/media"
)

// recording is a recording offered at recordingLocation. While its
// operation runs (streamWhileRecording) it serves the audio recorded so
// far from the engine; once final it serves its region of the call's
// recordings file (see recFile).
type recording struct {
	id        string
	token     string // "" for a recording recovered after a restart (tokenHash only)
	tokenHash [32]byte
	location  string
	c         *call
	rc        *runner.PacedCall // live source
	cop       *engine.CallOp
	rate      media.SampleRate

	mu    sync.Mutex
	final bool
	ready chan struct{} // closed once the file region is written (final only)
	err   error         // why it could not be written
	off   int64         // the WAV's offset in c.files and its size in bytes, once written
	size  int64
}

// tokenBytes is the recording access token's entropy: 256 bits from
// crypto/rand (docs/wire.md: at least 128).
const tokenBytes = 32

func newToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newRecording offers a recording of e (of call c on rc) and registers it.
func (s *Server) newRecording(c *call, rc *runner.PacedCall, e *opEntry) *recording {
	id := graph.NewID()
	tok := newToken()
	r := &recording{id: id, token: tok, tokenHash: hashToken(tok), location: e.root + "/recsim/v1/recordings/" + id, c: c, rc: rc,
		cop: e.cop, rate: e.cop.Op.Span().Rate, ready: make(chan struct{})}
	s.mu.Lock()
	s.recs[id] = r
	s.mu.Unlock()
	return r
}

// storeRecording makes r final with pcm (the operation's recording; it
// is not modified once the operation has ended) and stores it in the
// background. Then e ends: with the engine's status and outcome, or, if
// the recording could not be stored whole (disk full, I/O error), failed
// with unspecifiedError 500/9999 and no recording (docs/server.md#storage).
func (s *Server) storeRecording(r *recording, e *opEntry, status graph.Status, outcome engine.Outcome, parts [][]int16) {
	r.mu.Lock()
	r.final = true
	r.mu.Unlock()
	s.work.add()
	go func() {
		defer s.work.done()
		off, size, err := r.c.files.append(parts, r.rate, s.cfg.OpenRecordingFile)
		if err == nil {
			// Indexed before it is offered: a recording the index does not
			// hold would be lost by a restart, so it counts as not stored.
			err = s.saveRecording(r, e.id, off, size)
		}
		// Downloads read the file from now on: the engine's buffer can
		// serve another operation. (A streamWhileRecording download
		// decides under the same lock whether it reads the buffer.)
		r.rc.View(func(*engine.Call) { r.cop.Op.Release() })
		c := r.c
		if err != nil {
			s.log.Error("recording not stored: the operation fails with unspecifiedError 9999", "call", c.id, "operation", e.id, "recording", r.id, "error", err)
			s.drop(r)
			status, outcome = graph.Failed, engine.OutUnspecified
		}
		c.mu.Lock()
		e.status, e.outcome, e.ended, e.storing = status, outcome, true, false
		if err != nil {
			e.rec = nil
		}
		s.saveOp(c, e)
		c.publishOp(e, "completed")
		c.mu.Unlock()
		r.mu.Lock()
		r.err, r.off, r.size = err, off, size
		r.mu.Unlock()
		close(r.ready)
	}()
}

// drop forgets a recording that was offered early but whose operation
// ended without one (canceled, initial silence…): its URL then says 404.
func (s *Server) drop(r *recording) {
	s.mu.Lock()
	delete(s.recs, r.id)
	s.mu.Unlock()
}

// expired reports whether r's call ended more than its retention ago.
func (r *recording) expired(now time.Time) bool { return r.c.expired(now) }

// recFile is the file that holds a call's recordings, {callId}.rec in the
// data directory: each recording is appended as a complete canonical WAV
// file (44-byte header, then its samples), and the server's index holds
// its offset and size. One file per call rather than one per recording:
// creating a file (a new inode) costs about 1 ms of CPU on the ext4 of
// the machines this project is measured on, ten times the cost of writing
// a 5-second recording, and a call's recordings all share its retention,
// so they go together. Appends are atomic in the sense that matters: a
// region is indexed, and its token answered, only once it is completely
// written, and a failed append is truncated away, so neither a crash nor
// a full disk leaves a half recording behind a token.
type recFile struct {
	mu      sync.Mutex
	path    string
	size    int64 // bytes of whole recordings written
	created bool
	removed bool
}

// errRemoved: the call's retention ended before its recording was written.
var errRemoved = errors.New("the call's recordings were removed (its retention ended)")

// RecordingFile is a call's recordings file open for writing, as
// Config.OpenRecordingFile returns it (*os.File is one).
type RecordingFile interface {
	io.WriterAt
	Truncate(size int64) error
	Close() error
}

// append writes pcm at rate as a WAV at the end of the file and returns
// its offset and size. open opens the file (nil: os.OpenFile).
func (f *recFile) append(parts [][]int16, rate media.SampleRate, open func(string, int, os.FileMode) (RecordingFile, error)) (off, size int64, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.removed {
		return 0, 0, errRemoved
	}
	flag := os.O_WRONLY
	if !f.created {
		flag |= os.O_CREATE | os.O_EXCL
	}
	var fd RecordingFile
	if open != nil {
		fd, err = open(f.path, flag, 0o600)
	} else {
		fd, err = os.OpenFile(f.path, flag, 0o600)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("opening %s: %w", f.path, err)
	}
	f.created = true
	size, err = media.WriteWAVPartsAt(fd, f.size, parts, rate)
	if err != nil {
		// Nothing of a recording that could not be written whole stays.
		_ = fd.Truncate(f.size)
	}
	if cerr := fd.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if f.size == 0 {
			_ = os.Remove(f.path)
			f.created = false
		}
		return 0, 0, fmt.Errorf("writing %s: %w", f.path, err)
	}
	off = f.size
	f.size += size
	return off, size, nil
}

// open returns a reader of the WAV at [off, off+size) and the file to
// close after reading it.
func (f *recFile) open(off, size int64) (*io.SectionReader, *os.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.removed {
		return nil, nil, errRemoved
	}
	fd, err := os.Open(f.path)
	if err != nil {
		return nil, nil, err
	}
	return io.NewSectionReader(fd, off, size), fd, nil
}

// remove deletes the file (waiting for an append in progress); later
// appends and opens fail. It may be called more than once.
func (f *recFile) remove() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.removed {
		return
	}
	f.removed = true
	if f.created {
		_ = os.Remove(f.path)
	}
}

// download answers GET /recsim/v1/recordings/{id} (the recordingLocation).
func (s *Server) download(q *request, id string) {
	s.mu.Lock()
	r := s.recs[id]
	s.mu.Unlock()
	if r == nil {
		q.fail(http.StatusNotFound, "NotFound", "Recording not found (unknown, or its retention time has passed).", 0)
		return
	}
	if r.expired(s.now()) {
		s.mu.Lock()
		delete(s.recs, id)
		s.mu.Unlock()
		r.c.files.remove()
		q.fail(http.StatusNotFound, "NotFound", "Recording not found (unknown, or its retention time has passed).", 0)
		return
	}
	tok, ok := bearer(q.r)
	h := hashToken(tok)
	if !ok || subtle.ConstantTimeCompare(h[:], r.tokenHash[:]) != 1 {
		q.w.Header().Set("WWW-Authenticate", `Bearer realm="recsim-recordings"`)
		msg := "Authorization: Bearer {recordingAccessToken} is required."
		if ok {
			msg = "The bearer token is not this recording's recordingAccessToken."
		}
		q.fail(http.StatusUnauthorized, "InvalidAuthenticationToken", msg, 0)
		return
	}
	s.serveRecording(q, r)
}

// serveRecording answers with recording r: what has been recorded so far
// while its operation runs (streamWhileRecording), else its WAV from the
// call's file.
func (s *Server) serveRecording(q *request, r *recording) {
	c := r.c
	if c.opts.strictCompliance {
		c.mu.Lock()
		st := c.recStatus
		c.mu.Unlock()
		if st != graph.Recording {
			q.fail(http.StatusForbidden, "Forbidden", fmt.Sprintf("strictCompliance: the call's recording status is %s; call updateRecordingStatus with status recording before downloading recordings.", st), 0)
			return
		}
	}
	// streamWhileRecording: while the operation runs, what has been
	// recorded so far, copied under the call's lock. final is checked
	// again under that lock: finish sets it before it releases the buffer
	// under the same lock.
	r.mu.Lock()
	final := r.final
	r.mu.Unlock()
	var pcm []int16
	if !final {
		r.rc.View(func(*engine.Call) {
			r.mu.Lock()
			final = r.final
			r.mu.Unlock()
			if !final {
				pcm = slices.Concat(r.cop.Op.RecordingParts()...)
			}
		})
	}
	if !final {
		b, err := media.EncodeWAV(pcm, r.rate)
		if err != nil {
			s.log.Error("recording not encoded", "call", c.id, "recording", r.id, "error", err)
			q.fail(http.StatusInternalServerError, "InternalServerError", "The recording so far could not be encoded.", 0)
			return
		}
		q.wav(b, int64(len(b)), nil)
		return
	}
	select {
	case <-r.ready:
	case <-q.r.Context().Done():
		return
	}
	r.mu.Lock()
	err, off, size := r.err, r.off, r.size
	r.mu.Unlock()
	if err != nil {
		// Its operation failed (9999); the reason, with the server's
		// paths, is in the server's log only.
		q.fail(http.StatusNotFound, "NotFound", "Recording not found: it could not be stored, and its operation failed (unspecifiedError).", 0)
		return
	}
	sr, fd, err := c.files.open(off, size)
	if err != nil {
		s.log.Error("recording not readable", "call", c.id, "recording", r.id, "error", err)
		q.fail(http.StatusNotFound, "NotFound", "Recording not found (its file is gone).", 0)
		return
	}
	defer fd.Close()
	q.wav(nil, size, sr)
}

// wav answers 200 with a WAV file (b, or n bytes from f).
func (q *request) wav(b []byte, n int64, f io.Reader) {
	h := q.w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	h.Set("Cache-Control", "no-store")
	q.w.WriteHeader(http.StatusOK)
	if f != nil {
		_, _ = io.Copy(q.w, f)
		return
	}
	_, _ = q.w.Write(b)
}
