// Package store is the persistence seam of recsim's mock Graph server
// (engine/server): the rows the server needs to recover after a restart
// on the same data directory (docs/server.md): calls, operations with
// their timelines, the recordings index with token hashes, and each
// call's notification outbox.
//
// Two implementations share one contract and one test suite: Open keeps
// everything in an embedded SQLite database file (modernc.org/sqlite,
// pure Go, no cgo), and Memory keeps it in process memory, for tests
// and as the reference another implementation is tested against (the
// server keeps no store without a data directory: nothing would read it). The package knows nothing of the
// server: every field it does not need for keys or ordering (states,
// kinds, status codes, JSON blobs) is opaque to it.
//
// # Units
//
// Times are stored as UTC nanoseconds since the Unix epoch; what Load
// returns is in UTC, without a monotonic clock reading, and equal (==)
// to time.Unix(0, t.UnixNano()).UTC() of what was put. The zero time is
// stored as NULL and read back as the zero time (Call.Ended while the
// call is live). A time outside what int64 nanoseconds can hold (before
// 1678 or after 2262) is refused with an error. Durations (Retention)
// are int64 nanoseconds. Recording.Offset and Size are byte counts in
// the call's recordings file; Recording.Rate is in Hz.
//
// # Ownership
//
// The store never retains a byte slice or pointer passed in: it is
// copied (or written to the database) before the method returns, so the
// caller may reuse it at once. Everything Load returns is newly
// allocated and belongs to the caller. An empty byte slice is stored as
// NULL and read back as nil, like a nil one; Operation.ClientContext
// keeps the difference between nil and a pointer to "".
//
// # Errors
//
// Errors are for bad input and I/O. Each names the method and the key
// ("store: put operation CALL/OP: …"), and wraps ErrNotFound,
// ErrDuplicate or ErrClosed where one applies. Rows of a call that is
// not stored are refused (ErrNotFound): in the database a foreign key
// ties each row to its call. No method panics on bad input.
//
// # Durability
//
// A method that returns nil has committed: the SQLite store runs each
// write as its own transaction in WAL mode with synchronous=NORMAL, so
// a crash of the process (kill -9 included) loses nothing that was
// committed, and a power cut can lose only the last commits, never the
// database's consistency. There is no write queue behind the methods.
//
// # Concurrency
//
// Every method of both implementations is safe for concurrent use. The
// SQLite store holds one connection: writes are serialised in the
// order the callers reach it. One process per database file: two
// servers on the same data directory are not supported (a second
// process would wait on SQLite's locks and then fail with SQLITE_BUSY).
package store
