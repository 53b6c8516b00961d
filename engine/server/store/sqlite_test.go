package store_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/server/store"
)

// The crash test re-runs this test binary as a writer that dies: with
// crashDBEnv set to a database path and crashRowsEnv to a count, the
// binary writes that many rows and kills itself with SIGKILL, without
// Close, instead of running tests.
const (
	crashDBEnv   = "RECSIM_STORE_CRASH_DB"
	crashRowsEnv = "RECSIM_STORE_CRASH_ROWS"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(crashDBEnv); path != "" {
		os.Exit(crashWriter(path, os.Getenv(crashRowsEnv)))
	}
	os.Exit(m.Run())
}

// crashWriter writes n operations and n notifications under one call,
// then kills its own process. It returns (an exit code) only on failure.
func crashWriter(path, rows string) int {
	n, err := strconv.Atoi(rows)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash writer:", err)
		return 2
	}
	s, err := store.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash writer:", err)
		return 2
	}
	if err := s.PutCall(call("c1", at(0))); err != nil {
		fmt.Fprintln(os.Stderr, "crash writer:", err)
		return 2
	}
	for i := range n {
		if err := s.PutOperation(operation("c1", fmt.Sprintf("o%05d", i), at(int64(i)))); err != nil {
			fmt.Fprintln(os.Stderr, "crash writer:", err)
			return 2
		}
		if err := s.AddNotification(notification("c1", int64(i))); err != nil {
			fmt.Fprintln(os.Stderr, "crash writer:", err)
			return 2
		}
	}
	p, err := os.FindProcess(os.Getpid())
	if err == nil {
		err = p.Kill() // SIGKILL: no deferred function, no Close, no checkpoint
	}
	fmt.Fprintln(os.Stderr, "crash writer: still alive:", err)
	return 2
}

func TestCrashDurability(t *testing.T) {
	const rows = 500
	path := filepath.Join(t.TempDir(), "recsim.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+path, crashRowsEnv+"="+strconv.Itoa(rows))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the writer must die, not exit cleanly: %s", out)
	require.Equal(t, -1, exit.ExitCode(), "the writer must die by a signal, not exit with a code: %s", out)

	_, err = os.Stat(path + "-wal")
	require.NoError(t, err, "the killed writer left its WAL, which holds the commits not yet checkpointed")

	s := openSQLite(t, path)
	snap, err := s.Load()
	require.NoError(t, err)
	require.Len(t, snap.Calls, 1)
	assert.Len(t, snap.Calls[0].Operations, rows, "every committed operation survived kill -9")
	assert.Len(t, snap.Calls[0].Notifications, rows, "every committed notification survived kill -9")
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "recsim.db")
	first, err := store.Open(path)
	require.NoError(t, err)
	assert.Equal(t, path, first.Path())
	fill(t, first, "c1", at(0))
	fill(t, first, "c2", at(1))
	require.NoError(t, first.MarkNotification("c1", 1, 1, true, false, ""))
	require.NoError(t, first.DeleteCall("c2"))
	want, err := first.Load()
	require.NoError(t, err)
	require.NoError(t, first.Close())

	second := openSQLite(t, path)
	got, err := second.Load()
	require.NoError(t, err)
	assert.Equal(t, want, got, "a reopened store loads what was there at Close")
	assert.NoError(t, second.PutOperation(operation("c1", "o9", at(9))), "and takes writes")
}

// rawExec runs statements on the database file directly, behind the
// store's back.
func rawExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	for _, q := range stmts {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Run("a database of a newer schema version is refused, naming the path", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "recsim.db")
		s, err := store.Open(path)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		rawExec(t, path, "UPDATE schema_version SET version = 2")

		_, err = store.Open(path)
		require.Error(t, err)
		assert.Contains(t, err.Error(), path)
		assert.Contains(t, err.Error(), "schema version 2 is newer than this program's (1)")
	})
	t.Run("a file that is not a database is refused, naming the path", func(t *testing.T) {
		for name, content := range map[string][]byte{
			"short text": []byte("recordings index, not a database\n"),
			"a WAV":      append([]byte("RIFF\x24\x00\x00\x00WAVEfmt "), make([]byte, 8192)...),
		} {
			t.Run(name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "recsim.db")
				require.NoError(t, os.WriteFile(path, content, 0o600))
				_, err := store.Open(path)
				require.Error(t, err)
				assert.Contains(t, err.Error(), "store: open "+path+": not an SQLite database")
				got, rerr := os.ReadFile(path)
				require.NoError(t, rerr)
				assert.Equal(t, content, got, "the file is left as it was")
			})
		}
	})
	t.Run("another program's SQLite database is refused, naming the path", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "other.db")
		rawExec(t, path, "CREATE TABLE things (id INTEGER PRIMARY KEY)")
		_, err := store.Open(path)
		require.Error(t, err)
		assert.Contains(t, err.Error(), path)
		assert.Contains(t, err.Error(), "not a recsim store")
	})
	t.Run("a path in a directory that does not exist is refused, naming the path", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "missing", "recsim.db")
		_, err := store.Open(path)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "store: open "+path+": ")
	})
	t.Run("a path with '?' is refused, naming the path", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "what?.db")
		_, err := store.Open(path)
		require.Error(t, err)
		assert.Contains(t, err.Error(), path)
		_, statErr := os.Stat(path)
		assert.True(t, errors.Is(statErr, os.ErrNotExist), "nothing was created")
	})
	t.Run("an empty path is refused", func(t *testing.T) {
		_, err := store.Open("")
		assert.Error(t, err)
	})
}

func TestOpenSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "recsim.db")
	s := openSQLite(t, path)
	require.NoError(t, s.PutCall(call("c1", at(0))))
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	var mode string
	var version int
	require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	require.NoError(t, db.QueryRow("SELECT version FROM schema_version").Scan(&version))
	assert.Equal(t, "wal", mode, "the journal mode is stored in the file")
	assert.Equal(t, 1, version)
}
