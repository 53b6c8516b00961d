package store

import (
	"errors"
	"fmt"
	"time"
)

// Store is what the server persists. Every method is safe for concurrent use.
type Store interface {
	// PutCall inserts the call row, or replaces every field of the row
	// with the same ID. Replacing a call keeps its operations,
	// recordings and notifications.
	PutCall(Call) error
	// PutOperation inserts or replaces the operation (CallID, ID). The
	// call must be stored (an error wrapping ErrNotFound otherwise).
	PutOperation(Operation) error
	// PutRecording inserts or replaces the recording with the same ID.
	// The call must be stored (an error wrapping ErrNotFound otherwise).
	PutRecording(Recording) error
	// AddNotification inserts a notification; (CallID, Seq) is unique,
	// and a second add of the same key is an error wrapping
	// ErrDuplicate. The call must be stored (ErrNotFound otherwise). A
	// notification added already delivered or done keeps no Body.
	AddNotification(Notification) error
	// MarkNotification records an attempt's result for (callID, seq):
	// it sets Attempts, Delivered, Done and LastError. When delivered or
	// done, the stored Body is cleared (it holds recording tokens; only
	// undelivered bodies are kept), and a cleared Body stays cleared. An
	// unknown key is an error wrapping ErrNotFound.
	MarkNotification(callID string, seq int64, attempts int, delivered, done bool, lastError string) error
	// SetNotificationBody sets the Body of an undelivered notification
	// that was added before its body was known (one that waited for its
	// recording to be stored). It does nothing to a delivered or done
	// one; an unknown key is an error wrapping ErrNotFound.
	SetNotificationBody(callID string, seq int64, body []byte) error
	// DeleteCall removes the call and all its operations, recordings and
	// notifications, and nothing of any other call. Deleting a call that
	// is not stored does nothing and returns nil.
	DeleteCall(id string) error
	// Load returns everything stored, for recovery at start, ordered as
	// Snapshot says.
	Load() (*Snapshot, error)
	// Close releases the store. Any later call but Close returns an
	// error wrapping ErrClosed; a second Close returns nil.
	Close() error
}

// Call is one call row.
type Call struct {
	ID, Direction, State, CallbackURI string
	// RecStatus is the recording status the bot declared.
	RecStatus string
	// Options is the opaque JSON of the call's options (the server's).
	Options []byte
	// Seq is the call's last notification sequence number.
	Seq int64
	// Created and Ended are stored as UTC nanoseconds since the Unix
	// epoch; Ended is the zero time while the call is live.
	Created, Ended time.Time
	Retention      time.Duration
}

// Operation is one operation row, keyed by (CallID, ID).
type Operation struct {
	CallID, ID string
	// Kind, Ver and Root are opaque to the store.
	Kind, Ver, Root string
	// ClientContext nil is stored as NULL and stays nil; a pointer to ""
	// stays a pointer to "".
	ClientContext *string
	// Status and Outcome are opaque small integers.
	Status, Outcome int
	Ended           bool
	Stream          bool
	// RecordingID is "" when the operation has no recording.
	RecordingID string
	// Timeline is opaque JSON; nil allowed.
	Timeline []byte
	// Created orders the operations of a call.
	Created time.Time
}

// Recording is one entry of the recordings index, keyed by ID.
type Recording struct {
	ID, CallID, OpID string
	// TokenHash is the SHA-256 of the access token; the store never sees
	// the token.
	TokenHash []byte
	Location  string
	// Offset and Size are the WAV's region, in bytes, in the call's
	// recordings file.
	Offset, Size int64
	// Rate is the sample rate in Hz.
	Rate int
}

// Notification is one entry of a call's notification outbox, keyed by
// (CallID, Seq).
type Notification struct {
	CallID                  string
	Seq                     int64
	ChangeType, ResourceURL string
	// Body is the POST body; nil once delivered or given up.
	Body []byte
	// WaitRecording is the recording ID it waits for ("" none).
	WaitRecording string
	Attempts      int
	Delivered     bool
	Done          bool
	LastError     string
}

// Snapshot is everything Load found. Calls are ordered by Created (then
// ID); each call's Operations by Created (then ID), its Recordings by
// Offset (then ID), its Notifications by Seq ascending.
type Snapshot struct {
	Calls []CallState
}

// CallState is one call with everything stored under it.
type CallState struct {
	Call
	Operations    []Operation
	Recordings    []Recording
	Notifications []Notification
}

// Errors that callers may test with errors.Is; the returned errors wrap
// them with the operation and the key.
var (
	// ErrNotFound: the call (or notification) the request names is not
	// stored.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate: AddNotification of a key already stored.
	ErrDuplicate = errors.New("already stored")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
)

// timeNS converts t to UTC nanoseconds since the Unix epoch. The zero time
// is reported as ok=false (stored as NULL). A time that nanoseconds cannot
// represent (before 1678 or after 2262) is an error naming the field.
func timeNS(field string, t time.Time) (ns int64, ok bool, err error) {
	if t.IsZero() {
		return 0, false, nil
	}
	ns = t.UnixNano()
	if !time.Unix(0, ns).Equal(t) {
		return 0, false, fmt.Errorf("%s %s is outside the range of int64 nanoseconds (years 1678 to 2262)", field, t.UTC().Format(time.RFC3339Nano))
	}
	return ns, true, nil
}

// nsTime is the inverse of timeNS: ok=false gives the zero time, anything
// else a UTC time without a monotonic reading.
func nsTime(ns int64, ok bool) time.Time {
	if !ok {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// normTime is what a time reads back as after a round trip through the
// store. err is non-nil when the time cannot be stored.
func normTime(field string, t time.Time) (time.Time, error) {
	ns, ok, err := timeNS(field, t)
	if err != nil {
		return time.Time{}, err
	}
	return nsTime(ns, ok), nil
}

// cloneBytes copies b; an empty slice becomes nil (both are stored as
// NULL and read back as nil).
func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

func cloneString(p *string) *string {
	if p == nil {
		return nil
	}
	s := *p
	return &s
}

// Input checks shared by both implementations, so that they refuse the
// same inputs with the same messages.

func checkCall(c Call) error {
	if c.ID == "" {
		return errors.New("empty call ID")
	}
	if _, _, err := timeNS("created", c.Created); err != nil {
		return err
	}
	_, _, err := timeNS("ended", c.Ended)
	return err
}

func checkOperation(o Operation) error {
	if o.CallID == "" {
		return errors.New("empty call ID")
	}
	if o.ID == "" {
		return errors.New("empty operation ID")
	}
	_, _, err := timeNS("created", o.Created)
	return err
}

func checkRecording(r Recording) error {
	if r.ID == "" {
		return errors.New("empty recording ID")
	}
	if r.CallID == "" {
		return errors.New("empty call ID")
	}
	return nil
}

func checkNotification(n Notification) error {
	if n.CallID == "" {
		return errors.New("empty call ID")
	}
	return nil
}

// Error constructors shared by both implementations.

func errPutCall(id string, err error) error {
	return fmt.Errorf("store: put call %s: %w", id, err)
}

func errPutOperation(callID, id string, err error) error {
	return fmt.Errorf("store: put operation %s/%s: %w", callID, id, err)
}

func errPutRecording(id string, err error) error {
	return fmt.Errorf("store: put recording %s: %w", id, err)
}

func errAddNotification(callID string, seq int64, err error) error {
	return fmt.Errorf("store: add notification %s #%d: %w", callID, seq, err)
}

func errMarkNotification(callID string, seq int64, err error) error {
	return fmt.Errorf("store: mark notification %s #%d: %w", callID, seq, err)
}

func errSetNotificationBody(callID string, seq int64, err error) error {
	return fmt.Errorf("store: set notification body %s #%d: %w", callID, seq, err)
}

func errDeleteCall(id string, err error) error {
	return fmt.Errorf("store: delete call %s: %w", id, err)
}

func errLoad(err error) error {
	return fmt.Errorf("store: load: %w", err)
}

// errNoCall is the cause when a row names a call that is not stored.
func errNoCall(callID string) error {
	return fmt.Errorf("call %s: %w", callID, ErrNotFound)
}
