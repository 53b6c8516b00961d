package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/media"
)

// recording is a recording offered at recordingLocation. While its
// operation runs (streamWhileRecording) it serves the audio recorded so
// far from the engine; once final it serves the file written atomically
// under the data directory.
type recording struct {
	id       string
	token    string
	location string
	c        *call
	rc       *engine.RunCall // live source
	cop      *engine.CallOp
	rate     media.SampleRate
	path     string

	mu    sync.Mutex
	final bool
	ready chan struct{} // closed once the file is written (final only)
	err   error         // why the file could not be written
}

// tokenBytes is the recording access token's entropy: 256 bits from
// crypto/rand (SPEC §6 asks for at least 128).
const tokenBytes = 32

func newToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newRecording offers a recording of e (of call c on rc) and registers it.
func (s *Server) newRecording(c *call, rc *engine.RunCall, e *opEntry) *recording {
	id := engine.NewID()
	r := &recording{id: id, token: newToken(), location: e.root + "/recsim/v1/recordings/" + id, c: c, rc: rc,
		cop: e.cop, rate: e.cop.Op.Rate(), path: filepath.Join(s.dataDir, id+".wav"), ready: make(chan struct{})}
	s.mu.Lock()
	s.recs[id] = r
	s.mu.Unlock()
	return r
}

// finish makes r final with pcm (the operation's recording; it is not
// modified once the operation has ended) and writes it in the background.
func (s *Server) finish(r *recording, pcm []int16) {
	r.mu.Lock()
	r.final = true
	r.mu.Unlock()
	s.work.add()
	go func() {
		defer s.work.done()
		err := writeWAVAtomic(r.path, pcm, r.rate)
		if err != nil {
			s.log.Error("recording not written", "call", r.c.id, "recording", r.id, "error", err)
		}
		r.mu.Lock()
		r.err = err
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

// remove deletes r's file once it is written.
func (r *recording) remove() {
	r.mu.Lock()
	final := r.final
	r.mu.Unlock()
	if final {
		<-r.ready
		_ = os.Remove(r.path)
	}
}

// writeWAVAtomic writes pcm as a WAV file through a temporary file renamed
// into place: a crash never leaves a half file behind a token.
func writeWAVAtomic(path string, pcm []int16, rate media.SampleRate) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".rec-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename: a no-op
	w, err := media.NewWriter(tmp, rate)
	if err == nil {
		err = w.Write(pcm)
	}
	if err == nil {
		err = w.Close()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
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
		r.remove()
		q.fail(http.StatusNotFound, "NotFound", "Recording not found (unknown, or its retention time has passed).", 0)
		return
	}
	tok, ok := bearer(q.r)
	if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(r.token)) != 1 {
		q.w.Header().Set("WWW-Authenticate", `Bearer realm="recsim-recordings"`)
		msg := "Authorization: Bearer {recordingAccessToken} is required."
		if ok {
			msg = "The bearer token is not this recording's recordingAccessToken."
		}
		q.fail(http.StatusUnauthorized, "InvalidAuthenticationToken", msg, 0)
		return
	}
	c := r.c
	if c.opts.strictCompliance {
		var st engine.RecordingStatus
		c.rc().View(func(ec *engine.Call) { st = ec.RecordingStatus() })
		if st != engine.Recording {
			q.fail(http.StatusForbidden, "Forbidden", fmt.Sprintf("strictCompliance: the call's recording status is %s; call updateRecordingStatus with status recording before downloading recordings.", st), 0)
			return
		}
	}
	r.mu.Lock()
	final := r.final
	r.mu.Unlock()
	if !final { // streamWhileRecording: what has been recorded so far
		var pcm []int16
		r.rc.View(func(*engine.Call) { pcm = append(pcm, r.cop.Op.RecordingSoFar()...) })
		b, err := media.EncodeWAV(pcm, r.rate)
		if err != nil {
			q.fail(http.StatusInternalServerError, "InternalServerError", err.Error(), 0)
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
	err := r.err
	r.mu.Unlock()
	if err != nil {
		q.fail(http.StatusInternalServerError, "InternalServerError", "The recording could not be written: "+err.Error(), 0)
		return
	}
	f, err := os.Open(r.path)
	if err != nil {
		q.fail(http.StatusNotFound, "NotFound", "Recording not found (its file is gone).", 0)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		q.fail(http.StatusInternalServerError, "InternalServerError", err.Error(), 0)
		return
	}
	q.wav(nil, st.Size(), f)
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
