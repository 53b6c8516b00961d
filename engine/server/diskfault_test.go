package server_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/server"
)

// faultyDisk opens recordings files that fail their writes with err once
// fail is set: after written bytes of a write (a disk filling up), or at
// once.
type faultyDisk struct {
	fail atomic.Bool
	err  error
}

func (d *faultyDisk) open(name string, flag int, perm os.FileMode) (server.RecordingFile, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: f, d: d}, nil
}

type faultyFile struct {
	*os.File
	d *faultyDisk
}

func (f *faultyFile) WriteAt(b []byte, off int64) (int, error) {
	if !f.d.fail.Load() {
		return f.File.WriteAt(b, off)
	}
	// Part of the write lands, as when a disk fills up mid-write.
	n, _ := f.File.WriteAt(b[:len(b)/2], off)
	return n, &os.PathError{Op: "write", Path: f.Name(), Err: f.d.err}
}

func TestARecordingThatCannotBeStoredFailsItsOperationWith9999(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"disk full (ENOSPC)", syscall.ENOSPC},
		{"I/O error (EIO)", syscall.EIO},
	} {
		t.Run(tc.name, func(t *testing.T) {
			disk := &faultyDisk{err: tc.err}
			cfg := fast()
			cfg.DataDir = t.TempDir()
			cfg.OpenRecordingFile = disk.open
			m := newMock(t, cfg, nil)

			// One call, two operations: the first is stored, then the disk fails.
			id := m.established("")
			m.script(id, speakThenPound)
			first := m.completion(m.record(id, `{"stopTones": ["#"]}`)["id"].(string))
			require.Equal(t, "completed", strings.ToLower(first.str("status")))
			loc, tok := first.str("recordingLocation"), first.str("recordingAccessToken")
			good := m.download(loc, tok)
			require.Equal(t, http.StatusOK, good.Status)
			file := filepath.Join(cfg.DataDir, id+".rec")
			st, err := os.Stat(file)
			require.NoError(t, err)
			sizeBefore := st.Size()

			disk.fail.Store(true)
			m.script(id, speakThenPound)
			opID := m.record(id, `{"stopTones": ["#"], "streamWhileRecording": true}`)["id"].(string)
			n := m.completion(opID)

			t.Run("the completion says failed, unspecifiedError, 500/9999, with no recording", func(t *testing.T) {
				assert.Equal(t, "failed", strings.ToLower(n.str("status")))
				assert.Equal(t, "unspecifiedError", n.str("completionReason"))
				ri, _ := n.Data["resultInfo"].(map[string]any)
				require.NotNil(t, ri, "resultInfo in %s", n.Raw)
				assert.EqualValues(t, 500, ri["code"])
				assert.EqualValues(t, 9999, ri["subcode"])
				assert.Nil(t, n.Data["recordingLocation"])
				assert.Nil(t, n.Data["recordingAccessToken"])
			})
			t.Run("GET operation says the same", func(t *testing.T) {
				g := m.graph("GET", "/v1.0/communications/calls/"+id+"/operations/"+opID, "")
				require.Equal(t, http.StatusOK, g.Status)
				o := g.json(t)
				assert.Equal(t, "unspecifiedError", o["completionReason"])
				assert.Nil(t, o["recordingLocation"])
				assert.NotContains(t, string(g.Body), cfg.DataDir)
			})
			t.Run("the location offered while it ran is 404 and names no server path", func(t *testing.T) {
				var streamed string
				for _, a := range m.bot.all() {
					if a.ChangeType == "updated" && strings.Contains(a.ResourceURL, opID) && a.str("recordingLocation") != "" {
						streamed = a.str("recordingLocation")
					}
				}
				require.NotEmpty(t, streamed, "streamWhileRecording offered a location")
				r := m.download(streamed, "anything")
				assert.Equal(t, http.StatusNotFound, r.Status)
				assert.NotContains(t, string(r.Body), cfg.DataDir)
				assert.NotContains(t, string(r.Body), ".rec")
			})
			t.Run("nothing of it is left in the file, and the first recording still downloads", func(t *testing.T) {
				st, err := os.Stat(file)
				require.NoError(t, err)
				assert.Equal(t, sizeBefore, st.Size())
				again := m.download(loc, tok)
				require.Equal(t, http.StatusOK, again.Status)
				assert.Equal(t, sha(good.Body), sha(again.Body))
			})
			t.Run("a new call's first recording leaves no file behind", func(t *testing.T) {
				id2 := m.established("")
				m.script(id2, speakThenPound)
				n := m.completion(m.record(id2, `{"stopTones": ["#"]}`)["id"].(string))
				assert.EqualValues(t, 9999, n.Data["resultInfo"].(map[string]any)["subcode"])
				_, err := os.Stat(filepath.Join(cfg.DataDir, id2+".rec"))
				assert.True(t, errors.Is(err, os.ErrNotExist), "stat: %v", err)
			})
			t.Run("once the disk is back, recordings are stored again", func(t *testing.T) {
				disk.fail.Store(false)
				m.script(id, speakThenPound)
				n := m.completion(m.record(id, `{"stopTones": ["#"]}`)["id"].(string))
				require.Equal(t, "stopToneDetected", n.str("completionReason"))
				assert.Equal(t, http.StatusOK, m.download(n.str("recordingLocation"), n.str("recordingAccessToken")).Status)
			})
		})
	}
}
