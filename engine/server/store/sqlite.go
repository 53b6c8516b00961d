package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// schemaVersion is the version of the schema below; a database whose
// schema_version row is higher was written by a newer recsim and is
// refused.
const schemaVersion = 1

// busyTimeoutMS is how long a statement waits for a lock held by another
// connection before failing with SQLITE_BUSY. The store uses one
// connection and one process per file, so the wait only happens when that
// rule is broken (a second process on the same file, or a hot backup);
// 5 s lets such a short intruder finish instead of failing a request.
const busyTimeoutMS = 5000

// maxConns is the size of the connection pool. SQLite admits one writer
// at a time per database file and every method but Load is a write, so
// extra connections only contend for the write lock, and the loser waits
// in SQLite's busy handler, which sleeps (1, 2, 5, 10 ms …) rather than
// queueing. One connection makes database/sql queue the callers instead,
// with no sleep, and keeps each prepared statement prepared once. The
// figures behind this choice are in README.md (BenchmarkPool).
const maxConns = 1

// schemaV1 creates the tables of version 1. Times are INTEGER UTC
// nanoseconds (NULL for the zero time), durations INTEGER nanoseconds,
// booleans INTEGER 0/1, opaque JSON and hashes BLOB (NULL when empty).
const schemaV1 = `
CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT;
CREATE TABLE calls (
	id           TEXT    NOT NULL PRIMARY KEY,
	direction    TEXT    NOT NULL,
	state        TEXT    NOT NULL,
	callback_uri TEXT    NOT NULL,
	rec_status   TEXT    NOT NULL,
	options      BLOB,
	seq          INTEGER NOT NULL,
	created_ns   INTEGER,
	ended_ns     INTEGER,
	retention_ns INTEGER NOT NULL
) STRICT;
CREATE TABLE operations (
	call_id        TEXT    NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
	id             TEXT    NOT NULL,
	kind           TEXT    NOT NULL,
	ver            TEXT    NOT NULL,
	root           TEXT    NOT NULL,
	client_context TEXT,
	status         INTEGER NOT NULL,
	outcome        INTEGER NOT NULL,
	ended          INTEGER NOT NULL,
	stream         INTEGER NOT NULL,
	recording_id   TEXT    NOT NULL,
	timeline       BLOB,
	created_ns     INTEGER,
	PRIMARY KEY (call_id, id)
) STRICT;
CREATE TABLE recordings (
	id          TEXT    NOT NULL PRIMARY KEY,
	call_id     TEXT    NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
	op_id       TEXT    NOT NULL,
	token_hash  BLOB,
	location    TEXT    NOT NULL,
	file_offset INTEGER NOT NULL,
	size        INTEGER NOT NULL,
	rate        INTEGER NOT NULL
) STRICT;
CREATE INDEX recordings_call ON recordings(call_id);
CREATE TABLE notifications (
	call_id        TEXT    NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
	seq            INTEGER NOT NULL,
	change_type    TEXT    NOT NULL,
	resource_url   TEXT    NOT NULL,
	body           BLOB,
	wait_recording TEXT    NOT NULL,
	attempts       INTEGER NOT NULL,
	delivered      INTEGER NOT NULL,
	done           INTEGER NOT NULL,
	last_error     TEXT    NOT NULL,
	PRIMARY KEY (call_id, seq)
) STRICT;
INSERT INTO schema_version (version) VALUES (1);
`

// The write statements. The Put statements are upserts, not INSERT OR
// REPLACE: REPLACE deletes the old row first, and with foreign keys on that
// delete would cascade to the call's operations, recordings and
// notifications.
const (
	sqlPutCall = `INSERT INTO calls
	(id, direction, state, callback_uri, rec_status, options, seq, created_ns, ended_ns, retention_ns)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET
	direction = excluded.direction, state = excluded.state, callback_uri = excluded.callback_uri,
	rec_status = excluded.rec_status, options = excluded.options, seq = excluded.seq,
	created_ns = excluded.created_ns, ended_ns = excluded.ended_ns, retention_ns = excluded.retention_ns`

	sqlPutOperation = `INSERT INTO operations
	(call_id, id, kind, ver, root, client_context, status, outcome, ended, stream, recording_id, timeline, created_ns)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (call_id, id) DO UPDATE SET
	kind = excluded.kind, ver = excluded.ver, root = excluded.root, client_context = excluded.client_context,
	status = excluded.status, outcome = excluded.outcome, ended = excluded.ended, stream = excluded.stream,
	recording_id = excluded.recording_id, timeline = excluded.timeline, created_ns = excluded.created_ns`

	sqlPutRecording = `INSERT INTO recordings
	(id, call_id, op_id, token_hash, location, file_offset, size, rate)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET
	call_id = excluded.call_id, op_id = excluded.op_id, token_hash = excluded.token_hash,
	location = excluded.location, file_offset = excluded.file_offset, size = excluded.size, rate = excluded.rate`

	sqlAddNotification = `INSERT INTO notifications
	(call_id, seq, change_type, resource_url, body, wait_recording, attempts, delivered, done, last_error)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	sqlMarkNotification = `UPDATE notifications SET
	attempts = ?, delivered = ?, done = ?, last_error = ?, body = CASE WHEN ? THEN NULL ELSE body END
	WHERE call_id = ? AND seq = ?`

	sqlSetNotificationBody = `UPDATE notifications SET
	body = CASE WHEN delivered OR done THEN NULL ELSE ? END
	WHERE call_id = ? AND seq = ?`

	sqlDeleteCall = `DELETE FROM calls WHERE id = ?`
)

// The read statements of Load, in the order Snapshot promises. NULL
// (the zero time) sorts first, as the zero time does in Memory.
const (
	sqlLoadCalls = `SELECT id, direction, state, callback_uri, rec_status, options, seq, created_ns, ended_ns, retention_ns
	FROM calls ORDER BY created_ns, id`
	sqlLoadOperations = `SELECT call_id, id, kind, ver, root, client_context, status, outcome, ended, stream, recording_id, timeline, created_ns
	FROM operations ORDER BY call_id, created_ns, id`
	sqlLoadRecordings = `SELECT id, call_id, op_id, token_hash, location, file_offset, size, rate
	FROM recordings ORDER BY call_id, file_offset, id`
	sqlLoadNotifications = `SELECT call_id, seq, change_type, resource_url, body, wait_recording, attempts, delivered, done, last_error
	FROM notifications ORDER BY call_id, seq`
)

// SQLite is the Store kept in an SQLite database file. Make one with
// Open.
type SQLite struct {
	path   string
	db     *sql.DB
	closed atomic.Bool

	putCall, putOperation, putRecording *sql.Stmt
	addNotification, markNotification   *sql.Stmt
	setNotificationBody, deleteCall     *sql.Stmt
}

var _ Store = (*SQLite)(nil)

// Open opens (creating if needed) the SQLite database file path (e.g.
// DIR/recsim.db), with WAL journal, synchronous=NORMAL (a process crash,
// kill -9, loses nothing committed; a power cut may lose the last
// commits, never consistency), a busy timeout and foreign keys on; it
// creates or migrates the schema (a schema_version table; version 1). An
// error names the path and what failed. A database written by a newer
// schema version is refused, and so is a file that is not an SQLite
// database or an SQLite database that is not a recsim store.
func Open(path string) (*SQLite, error) {
	return openConns(path, maxConns)
}

// openConns is Open with a pool of conns connections (the benchmarks
// compare pool sizes).
func openConns(path string, conns int) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("store: open: empty path")
	}
	if strings.ContainsRune(path, '?') {
		// The driver reads everything after '?' as its parameters.
		return nil, fmt.Errorf("store: open %s: the path must not contain '?'", path)
	}
	dsn := fmt.Sprintf("%s?_busy_timeout=%d&_foreign_keys=1&_journal_mode=WAL&_synchronous=NORMAL", path, busyTimeoutMS)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &SQLite{path: path, db: db}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return s, nil
}

func (s *SQLite) init() error {
	ctx := context.Background()
	if err := s.db.PingContext(ctx); err != nil {
		return describeOpenError(err)
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return describeOpenError(err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %s, not WAL (the file system may not support WAL)", mode)
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&s.putCall, sqlPutCall},
		{&s.putOperation, sqlPutOperation},
		{&s.putRecording, sqlPutRecording},
		{&s.addNotification, sqlAddNotification},
		{&s.markNotification, sqlMarkNotification},
		{&s.setNotificationBody, sqlSetNotificationBody},
		{&s.deleteCall, sqlDeleteCall},
	} {
		st, err := s.db.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		*p.stmt = st
	}
	return nil
}

// describeOpenError says in words what the common open failures mean.
func describeOpenError(err error) error {
	if code, ok := sqliteCode(err); ok && code&0xff == sqlite3.SQLITE_NOTADB {
		return fmt.Errorf("not an SQLite database: %w", err)
	}
	return err
}

// migrate creates the schema in a new database, accepts version 1 and
// refuses anything else, in one write transaction (BEGIN IMMEDIATE, so
// that no other connection can slip in between the check and the create).
func (s *SQLite) migrate(ctx context.Context) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return describeOpenError(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("schema: %w", describeOpenError(err))
	}
	defer func() {
		if err != nil {
			conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	var hasVersion, tables int
	err = conn.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE name = 'schema_version'),
		count(*) FILTER (WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\')
		FROM sqlite_schema WHERE type = 'table'`).Scan(&hasVersion, &tables)
	if err != nil {
		return fmt.Errorf("schema: %w", describeOpenError(err))
	}
	switch {
	case hasVersion == 0 && tables > 0:
		return fmt.Errorf("an SQLite database with %d tables but no schema_version table: not a recsim store", tables)
	case hasVersion == 0:
		if _, err = conn.ExecContext(ctx, schemaV1); err != nil {
			return fmt.Errorf("schema: create version %d: %w", schemaVersion, err)
		}
	default:
		var versions []int64
		rows, qerr := conn.QueryContext(ctx, "SELECT version FROM schema_version")
		if qerr != nil {
			return fmt.Errorf("schema: read version: %w", qerr)
		}
		for rows.Next() {
			var v int64
			if err = rows.Scan(&v); err != nil {
				rows.Close()
				return fmt.Errorf("schema: read version: %w", err)
			}
			versions = append(versions, v)
		}
		if err = rows.Close(); err != nil {
			return fmt.Errorf("schema: read version: %w", err)
		}
		if err = rows.Err(); err != nil {
			return fmt.Errorf("schema: read version: %w", err)
		}
		switch {
		case len(versions) != 1:
			return fmt.Errorf("schema: schema_version has %d rows, want 1", len(versions))
		case versions[0] > schemaVersion:
			return fmt.Errorf("schema version %d is newer than this program's (%d): refusing to open a database written by a newer recsim", versions[0], schemaVersion)
		case versions[0] < 1:
			return fmt.Errorf("schema: unknown schema version %d", versions[0])
		}
		// versions[0] == schemaVersion: nothing to migrate yet. A version 2
		// adds its steps here, each from the version before.
	}
	if _, err = conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("schema: commit: %w", err)
	}
	return nil
}

// Path returns the database file's path as given to Open.
func (s *SQLite) Path() string { return s.path }

// sqliteCode returns the (extended) SQLite result code inside err.
func sqliteCode(err error) (int, bool) {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code(), true
	}
	return 0, false
}

func isForeignKey(err error) bool {
	code, ok := sqliteCode(err)
	return ok && code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

func isPrimaryKey(err error) bool {
	code, ok := sqliteCode(err)
	return ok && code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// nullBlob binds b as a BLOB, or NULL when it is empty.
func nullBlob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nullTime binds t as UTC nanoseconds, or NULL for the zero time. The
// caller has checked the range.
func nullTime(t time.Time) sql.NullInt64 {
	ns, ok, _ := timeNS("", t)
	return sql.NullInt64{Int64: ns, Valid: ok}
}

// PutCall stores c, replacing the row of the same id (Store.PutCall).
func (s *SQLite) PutCall(c Call) error {
	if err := checkCall(c); err != nil {
		return errPutCall(c.ID, err)
	}
	if s.closed.Load() {
		return errPutCall(c.ID, ErrClosed)
	}
	_, err := s.putCall.Exec(c.ID, c.Direction, c.State, c.CallbackURI, c.RecStatus, nullBlob(c.Options),
		c.Seq, nullTime(c.Created), nullTime(c.Ended), int64(c.Retention))
	if err != nil {
		return errPutCall(c.ID, err)
	}
	return nil
}

// PutOperation stores o, replacing the row of the same call and id
// (Store.PutOperation).
func (s *SQLite) PutOperation(o Operation) error {
	if err := checkOperation(o); err != nil {
		return errPutOperation(o.CallID, o.ID, err)
	}
	if s.closed.Load() {
		return errPutOperation(o.CallID, o.ID, ErrClosed)
	}
	var cc sql.NullString
	if o.ClientContext != nil {
		cc = sql.NullString{String: *o.ClientContext, Valid: true}
	}
	_, err := s.putOperation.Exec(o.CallID, o.ID, o.Kind, o.Ver, o.Root, cc, o.Status, o.Outcome,
		o.Ended, o.Stream, o.RecordingID, nullBlob(o.Timeline), nullTime(o.Created))
	if isForeignKey(err) {
		err = errNoCall(o.CallID)
	}
	if err != nil {
		return errPutOperation(o.CallID, o.ID, err)
	}
	return nil
}

// PutRecording stores the index row of a recording (Store.PutRecording).
func (s *SQLite) PutRecording(r Recording) error {
	if err := checkRecording(r); err != nil {
		return errPutRecording(r.ID, err)
	}
	if s.closed.Load() {
		return errPutRecording(r.ID, ErrClosed)
	}
	_, err := s.putRecording.Exec(r.ID, r.CallID, r.OpID, nullBlob(r.TokenHash), r.Location, r.Offset, r.Size, r.Rate)
	if isForeignKey(err) {
		err = errNoCall(r.CallID)
	}
	if err != nil {
		return errPutRecording(r.ID, err)
	}
	return nil
}

// AddNotification queues n in its call's outbox (Store.AddNotification).
func (s *SQLite) AddNotification(n Notification) error {
	if err := checkNotification(n); err != nil {
		return errAddNotification(n.CallID, n.Seq, err)
	}
	if s.closed.Load() {
		return errAddNotification(n.CallID, n.Seq, ErrClosed)
	}
	body := nullBlob(n.Body)
	if n.Delivered || n.Done {
		body = nil
	}
	_, err := s.addNotification.Exec(n.CallID, n.Seq, n.ChangeType, n.ResourceURL, body, n.WaitRecording,
		n.Attempts, n.Delivered, n.Done, n.LastError)
	switch {
	case isForeignKey(err):
		err = errNoCall(n.CallID)
	case isPrimaryKey(err):
		err = ErrDuplicate
	}
	if err != nil {
		return errAddNotification(n.CallID, n.Seq, err)
	}
	return nil
}

// MarkNotification records a delivery attempt's outcome
// (Store.MarkNotification).
func (s *SQLite) MarkNotification(callID string, seq int64, attempts int, delivered, done bool, lastError string) error {
	if s.closed.Load() {
		return errMarkNotification(callID, seq, ErrClosed)
	}
	res, err := s.markNotification.Exec(attempts, delivered, done, lastError, delivered || done, callID, seq)
	if err != nil {
		return errMarkNotification(callID, seq, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return errMarkNotification(callID, seq, err)
	}
	if n == 0 {
		return errMarkNotification(callID, seq, ErrNotFound)
	}
	return nil
}

// SetNotificationBody replaces a queued notification's payload
// (Store.SetNotificationBody).
func (s *SQLite) SetNotificationBody(callID string, seq int64, body []byte) error {
	if s.closed.Load() {
		return errSetNotificationBody(callID, seq, ErrClosed)
	}
	var b any
	if len(body) > 0 {
		b = body
	}
	res, err := s.setNotificationBody.Exec(b, callID, seq)
	if err != nil {
		return errSetNotificationBody(callID, seq, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return errSetNotificationBody(callID, seq, err)
	}
	if n == 0 {
		return errSetNotificationBody(callID, seq, ErrNotFound)
	}
	return nil
}

// DeleteCall removes a call with its operations, recordings and
// notifications (Store.DeleteCall).
func (s *SQLite) DeleteCall(id string) error {
	if s.closed.Load() {
		return errDeleteCall(id, ErrClosed)
	}
	if _, err := s.deleteCall.Exec(id); err != nil {
		return errDeleteCall(id, err)
	}
	return nil
}

// Load reads everything in one read transaction, so that the snapshot is
// consistent even if writes run beside it.
func (s *SQLite) Load() (*Snapshot, error) {
	if s.closed.Load() {
		return nil, errLoad(ErrClosed)
	}
	tx, err := s.db.Begin()
	if err != nil {
		return nil, errLoad(err)
	}
	defer tx.Rollback()
	snap, err := load(tx)
	if err != nil {
		return nil, errLoad(err)
	}
	return snap, nil
}

func load(tx *sql.Tx) (*Snapshot, error) {
	snap := &Snapshot{}
	index := make(map[string]int)
	err := each(tx, sqlLoadCalls, func(rows *sql.Rows) error {
		var c Call
		var created, ended sql.NullInt64
		var retention int64
		if err := rows.Scan(&c.ID, &c.Direction, &c.State, &c.CallbackURI, &c.RecStatus, &c.Options,
			&c.Seq, &created, &ended, &retention); err != nil {
			return fmt.Errorf("calls: %w", err)
		}
		c.Created, c.Ended = nsTime(created.Int64, created.Valid), nsTime(ended.Int64, ended.Valid)
		c.Retention = time.Duration(retention)
		c.Options = cloneBytes(c.Options)
		index[c.ID] = len(snap.Calls)
		snap.Calls = append(snap.Calls, CallState{Call: c})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The foreign keys guarantee that every row below has its call; a
	// row without one (a database edited by hand with foreign keys off)
	// is an error rather than silently dropped.
	call := func(table, id string) (*CallState, error) {
		i, ok := index[id]
		if !ok {
			return nil, fmt.Errorf("%s: row of call %s, which is not stored", table, id)
		}
		return &snap.Calls[i], nil
	}
	err = each(tx, sqlLoadOperations, func(rows *sql.Rows) error {
		var o Operation
		var cc sql.NullString
		var created sql.NullInt64
		if err := rows.Scan(&o.CallID, &o.ID, &o.Kind, &o.Ver, &o.Root, &cc, &o.Status, &o.Outcome,
			&o.Ended, &o.Stream, &o.RecordingID, &o.Timeline, &created); err != nil {
			return fmt.Errorf("operations: %w", err)
		}
		if cc.Valid {
			o.ClientContext = &cc.String
		}
		o.Timeline = cloneBytes(o.Timeline)
		o.Created = nsTime(created.Int64, created.Valid)
		cs, err := call("operations", o.CallID)
		if err != nil {
			return err
		}
		cs.Operations = append(cs.Operations, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(tx, sqlLoadRecordings, func(rows *sql.Rows) error {
		var r Recording
		if err := rows.Scan(&r.ID, &r.CallID, &r.OpID, &r.TokenHash, &r.Location, &r.Offset, &r.Size, &r.Rate); err != nil {
			return fmt.Errorf("recordings: %w", err)
		}
		r.TokenHash = cloneBytes(r.TokenHash)
		cs, err := call("recordings", r.CallID)
		if err != nil {
			return err
		}
		cs.Recordings = append(cs.Recordings, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(tx, sqlLoadNotifications, func(rows *sql.Rows) error {
		var n Notification
		if err := rows.Scan(&n.CallID, &n.Seq, &n.ChangeType, &n.ResourceURL, &n.Body, &n.WaitRecording,
			&n.Attempts, &n.Delivered, &n.Done, &n.LastError); err != nil {
			return fmt.Errorf("notifications: %w", err)
		}
		n.Body = cloneBytes(n.Body)
		cs, err := call("notifications", n.CallID)
		if err != nil {
			return err
		}
		cs.Notifications = append(cs.Notifications, n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// each runs query in tx and calls row for every row.
func each(tx *sql.Tx, query string, row func(*sql.Rows) error) error {
	rows, err := tx.Query(query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Close closes the database (SQLite checkpoints the WAL into the main
// file). A second Close returns nil.
func (s *SQLite) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	var errs []error
	for _, st := range []*sql.Stmt{s.putCall, s.putOperation, s.putRecording, s.addNotification, s.markNotification, s.setNotificationBody, s.deleteCall} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	errs = append(errs, s.db.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}
