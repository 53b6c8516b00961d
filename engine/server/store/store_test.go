package store_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/server/store"
)

// kind is one implementation under test.
type kind struct {
	name string
	open func(t testing.TB) store.Store
}

// kinds returns both implementations; every behaviour test runs over them.
func kinds() []kind {
	return []kind{
		{"SQLite", func(t testing.TB) store.Store { return openSQLite(t, filepath.Join(t.TempDir(), "recsim.db")) }},
		{"Memory", func(t testing.TB) store.Store {
			s := store.Memory()
			t.Cleanup(func() { s.Close() })
			return s
		}},
	}
}

func openSQLite(t testing.TB, path string) *store.SQLite {
	t.Helper()
	s, err := store.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// each runs f as one subtest per implementation.
func each(t *testing.T, f func(t *testing.T, s store.Store)) {
	for _, k := range kinds() {
		t.Run(k.name, func(t *testing.T) { f(t, k.open(t)) })
	}
}

func ptr(s string) *string { return &s }

// utc is what a time reads back as: UTC, nanoseconds, no monotonic clock.
func utc(t time.Time) time.Time { return time.Unix(0, t.UnixNano()).UTC() }

// at is a fixed instant plus n nanoseconds, in a zone other than UTC so
// that the round trip has to convert it.
func at(n int64) time.Time {
	return time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("UTC+5:30", 5*3600+1800)).Add(time.Duration(n))
}

func call(id string, created time.Time) store.Call {
	return store.Call{
		ID: id, Direction: "incoming", State: "established", CallbackURI: "https://bot.example/cb/" + id,
		RecStatus: "recording", Options: []byte(`{"beepHz":1000}`), Seq: 7,
		Created: created, Retention: 10 * time.Minute,
	}
}

func operation(callID, id string, created time.Time) store.Operation {
	return store.Operation{
		CallID: callID, ID: id, Kind: "recordResponse", Ver: "v1.0", Root: "/v1.0",
		ClientContext: ptr("ctx-" + id), Status: 2, Outcome: 3, Ended: true, Stream: true,
		RecordingID: "rec-" + id, Timeline: []byte(`[{"type":"beep"}]`), Created: created,
	}
}

func recording(callID, id string, offset int64) store.Recording {
	return store.Recording{
		ID: id, CallID: callID, OpID: "op-" + id, TokenHash: bytes.Repeat([]byte{0xab}, 32),
		Location: "http://127.0.0.1/rec/" + id, Offset: offset, Size: 44 + 32000, Rate: 16000,
	}
}

func notification(callID string, seq int64) store.Notification {
	return store.Notification{
		CallID: callID, Seq: seq, ChangeType: "updated", ResourceURL: "/communications/calls/" + callID,
		Body: []byte(fmt.Sprintf(`{"value":[{"seq":%d}]}`, seq)), WaitRecording: "rec-1",
	}
}

func load(t *testing.T, s store.Store) *store.Snapshot {
	t.Helper()
	snap, err := s.Load()
	require.NoError(t, err)
	require.NotNil(t, snap)
	return snap
}

func TestRoundTrip(t *testing.T) {
	each(t, func(t *testing.T, s store.Store) {
		c := call("c1", at(0))
		c.Ended = at(1_000_000_001)
		live := call("c2", at(1))
		live.Options = nil
		require.NoError(t, s.PutCall(c))
		require.NoError(t, s.PutCall(live))

		full := operation("c1", "o1", at(5))
		emptyCtx := operation("c1", "o2", at(6))
		emptyCtx.ClientContext = ptr("")
		bare := store.Operation{CallID: "c1", ID: "o3", Created: at(7)} // nil ClientContext, nil Timeline
		for _, o := range []store.Operation{full, emptyCtx, bare} {
			require.NoError(t, s.PutOperation(o))
		}
		rec := recording("c1", "r1", 1<<40)
		require.NoError(t, s.PutRecording(rec))
		n := notification("c1", 1)
		n.Attempts, n.LastError = 2, "503 Service Unavailable"
		require.NoError(t, s.AddNotification(n))

		snap := load(t, s)
		require.Len(t, snap.Calls, 2)
		got := snap.Calls[0]

		t.Run("every call field comes back, times in UTC to the nanosecond", func(t *testing.T) {
			want := c
			want.Created, want.Ended = utc(c.Created), utc(c.Ended)
			assert.Equal(t, want, got.Call)
			assert.Equal(t, time.UTC, got.Created.Location())
			assert.Equal(t, c.Created.UnixNano(), got.Created.UnixNano())
			assert.Equal(t, 535897932, got.Created.Nanosecond())
			assert.Equal(t, c.Ended.UnixNano(), got.Ended.UnixNano())
		})
		t.Run("a live call's zero Ended stays zero and nil Options stay nil", func(t *testing.T) {
			assert.True(t, snap.Calls[1].Ended.IsZero())
			assert.Equal(t, time.Time{}, snap.Calls[1].Ended)
			assert.Nil(t, snap.Calls[1].Options)
		})
		t.Run("every operation field comes back", func(t *testing.T) {
			require.Len(t, got.Operations, 3)
			want := full
			want.Created = utc(full.Created)
			assert.Equal(t, want, got.Operations[0])
		})
		t.Run("an empty ClientContext stays empty, not nil", func(t *testing.T) {
			require.NotNil(t, got.Operations[1].ClientContext)
			assert.Equal(t, "", *got.Operations[1].ClientContext)
		})
		t.Run("a nil ClientContext and a nil Timeline stay nil", func(t *testing.T) {
			assert.Nil(t, got.Operations[2].ClientContext)
			assert.Nil(t, got.Operations[2].Timeline)
			assert.Equal(t, store.Operation{CallID: "c1", ID: "o3", Created: utc(at(7))}, got.Operations[2])
		})
		t.Run("every recording field comes back", func(t *testing.T) {
			assert.Equal(t, []store.Recording{rec}, got.Recordings)
		})
		t.Run("every notification field comes back", func(t *testing.T) {
			assert.Equal(t, []store.Notification{n}, got.Notifications)
		})
		t.Run("a call with nothing under it has nil slices", func(t *testing.T) {
			assert.Nil(t, snap.Calls[1].Operations)
			assert.Nil(t, snap.Calls[1].Recordings)
			assert.Nil(t, snap.Calls[1].Notifications)
		})
	})
}

func TestZeroCreatedAndEpoch(t *testing.T) {
	each(t, func(t *testing.T, s store.Store) {
		epoch := time.Unix(0, 0)
		require.NoError(t, s.PutCall(store.Call{ID: "zero"}))
		require.NoError(t, s.PutCall(store.Call{ID: "epoch", Created: epoch, Ended: epoch}))
		snap := load(t, s)
		require.Len(t, snap.Calls, 2)
		assert.Equal(t, store.Call{ID: "zero"}, snap.Calls[0].Call, "the zero time sorts first and stays zero")
		assert.Equal(t, "epoch", snap.Calls[1].ID)
		assert.False(t, snap.Calls[1].Created.IsZero(), "the Unix epoch is not the zero time")
		assert.Equal(t, int64(0), snap.Calls[1].Ended.UnixNano())
	})
}

func TestEmptySlicesReadBackAsNil(t *testing.T) {
	each(t, func(t *testing.T, s store.Store) {
		c := call("c1", at(0))
		c.Options = []byte{}
		require.NoError(t, s.PutCall(c))
		o := operation("c1", "o1", at(1))
		o.Timeline = []byte{}
		require.NoError(t, s.PutOperation(o))
		r := recording("c1", "r1", 0)
		r.TokenHash = []byte{}
		require.NoError(t, s.PutRecording(r))
		n := notification("c1", 1)
		n.Body = []byte{}
		require.NoError(t, s.AddNotification(n))
		got := load(t, s).Calls[0]
		assert.Nil(t, got.Options)
		assert.Nil(t, got.Operations[0].Timeline)
		assert.Nil(t, got.Recordings[0].TokenHash)
		assert.Nil(t, got.Notifications[0].Body)
	})
}

func TestSlicesAreNotRetained(t *testing.T) {
	each(t, func(t *testing.T, s store.Store) {
		c := call("c1", at(0))
		o := operation("c1", "o1", at(1))
		r := recording("c1", "r1", 0)
		n := notification("c1", 1)
		want := []byte(`{"beepHz":1000}`)
		require.NoError(t, s.PutCall(c))
		require.NoError(t, s.PutOperation(o))
		require.NoError(t, s.PutRecording(r))
		require.NoError(t, s.AddNotification(n))

		c.Options[0], o.Timeline[0], r.TokenHash[0], n.Body[0] = 'X', 'X', 'X', 'X'
		*o.ClientContext = "changed"
		got := load(t, s).Calls[0]
		t.Run("changing what was put after the call changes nothing stored", func(t *testing.T) {
			assert.Equal(t, want, got.Options)
			assert.Equal(t, byte('['), got.Operations[0].Timeline[0])
			assert.Equal(t, byte(0xab), got.Recordings[0].TokenHash[0])
			assert.Equal(t, byte('{'), got.Notifications[0].Body[0])
			assert.Equal(t, "ctx-o1", *got.Operations[0].ClientContext)
		})

		got.Options[0], got.Operations[0].Timeline[0], got.Recordings[0].TokenHash[0], got.Notifications[0].Body[0] = 'Y', 'Y', 'Y', 'Y'
		*got.Operations[0].ClientContext = "changed"
		again := load(t, s).Calls[0]
		t.Run("changing what Load returned changes nothing stored", func(t *testing.T) {
			assert.Equal(t, want, again.Options)
			assert.Equal(t, byte('['), again.Operations[0].Timeline[0])
			assert.Equal(t, byte(0xab), again.Recordings[0].TokenHash[0])
			assert.Equal(t, byte('{'), again.Notifications[0].Body[0])
			assert.Equal(t, "ctx-o1", *again.Operations[0].ClientContext)
		})
	})
}

func TestPutReplaces(t *testing.T) {
	each(t, func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutCall(call("c1", at(0))))
		require.NoError(t, s.PutCall(call("c2", at(1))))
		require.NoError(t, s.PutOperation(operation("c1", "o1", at(2))))
		require.NoError(t, s.PutRecording(recording("c1", "r1", 0)))
		require.NoError(t, s.AddNotification(notification("c1", 1)))

		c := call("c1", at(0))
		c.State, c.Seq, c.Ended, c.Options, c.RecStatus = "terminated", 9, at(100), []byte(`{}`), "notRecording"
		require.NoError(t, s.PutCall(c))
		o := operation("c1", "o1", at(2))
		o.Status, o.Outcome, o.Ended, o.ClientContext, o.Timeline, o.RecordingID = 4, 1, false, nil, nil, ""
		require.NoError(t, s.PutOperation(o))
		r := recording("c2", "r1", 4096) // the same ID, now under another call
		r.Size, r.Location = 10, "elsewhere"
		require.NoError(t, s.PutRecording(r))

		snap := load(t, s)
		require.Len(t, snap.Calls, 2)
		c1, c2 := snap.Calls[0], snap.Calls[1]
		t.Run("a second PutCall replaces every field", func(t *testing.T) {
			want := c
			want.Created, want.Ended = utc(c.Created), utc(c.Ended)
			assert.Equal(t, want, c1.Call)
		})
		t.Run("replacing a call keeps its operations and notifications", func(t *testing.T) {
			assert.Len(t, c1.Operations, 1)
			assert.Len(t, c1.Notifications, 1)
		})
		t.Run("a second PutOperation replaces every field", func(t *testing.T) {
			want := o
			want.Created = utc(o.Created)
			assert.Equal(t, []store.Operation{want}, c1.Operations)
		})
		t.Run("a second PutRecording replaces every field, its call included", func(t *testing.T) {
			assert.Nil(t, c1.Recordings)
			assert.Equal(t, []store.Recording{r}, c2.Recordings)
		})
	})
}

func TestAddNotificationDuplicate(t *testing.T) {
	each(t, func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutCall(call("c1", at(0))))
		require.NoError(t, s.PutCall(call("c2", at(1))))
		first := notification("c1", 1)
		require.NoError(t, s.AddNotification(first))
		second := notification("c1", 1)
		second.ChangeType = "deleted"

		err := s.AddNotification(second)
		require.Error(t, err)
		assert.ErrorIs(t, err, store.ErrDuplicate)
		assert.Equal(t, "store: add notification c1 #1: already stored", err.Error())
		assert.NoError(t, s.AddNotification(notification("c2", 1)), "the same Seq under another call is another key")

		snap := load(t, s)
		assert.Equal(t, []store.Notification{first}, snap.Calls[0].Notifications, "the first one is unchanged")
	})
}

func TestMarkNotification(t *testing.T) {
	cases := []struct {
		name            string
		delivered, done bool
		keepsBody       bool
	}{
		{"a failed attempt that will be retried keeps the body", false, false, true},
		{"a delivered notification loses its body", true, false, false},
		{"a notification given up loses its body", false, true, false},
		{"a delivered and done notification loses its body", true, true, false},
	}
	each(t, func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutCall(call("c1", at(0))))
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				seq := int64(i + 1)
				n := notification("c1", seq)
				require.NoError(t, s.AddNotification(n))
				require.NoError(t, s.MarkNotification("c1", seq, 3, tc.delivered, tc.done, "timeout"))
				got := load(t, s).Calls[0].Notifications[i]
				want := n
				want.Attempts, want.Delivered, want.Done, want.LastError = 3, tc.delivered, tc.done, "timeout"
				if !tc.keepsBody {
					want.Body = nil
				}
				assert.Equal(t, want, got)
			})
		}
		t.Run("a cleared body stays cleared when marked undelivered again", func(t *testing.T) {
			require.NoError(t, s.MarkNotification("c1", 2, 4, false, false, ""))
			got := load(t, s).Calls[0].Notifications[1]
			assert.Nil(t, got.Body)
			assert.Equal(t, 4, got.Attempts)
			assert.False(t, got.Delivered)
		})
		t.Run("a notification added already delivered keeps no body", func(t *testing.T) {
			n := notification("c1", 10)
			n.Delivered = true
			require.NoError(t, s.AddNotification(n))
			got := load(t, s).Calls[0].Notifications
			assert.Nil(t, got[len(got)-1].Body)
		})
		t.Run("an unknown key is ErrNotFound", func(t *testing.T) {
			err := s.MarkNotification("c1", 99, 1, true, false, "")
			assert.ErrorIs(t, err, store.ErrNotFound)
			assert.Equal(t, "store: mark notification c1 #99: not found", err.Error())
			assert.ErrorIs(t, s.MarkNotification("nope", 1, 1, true, false, ""), store.ErrNotFound)
		})
	})
}

func TestSetNotificationBody(t *testing.T) {
	each(t, func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutCall(call("c1", at(0))))
		waiting := notification("c1", 1)
		waiting.Body = nil
		require.NoError(t, s.AddNotification(waiting))
		require.NoError(t, s.AddNotification(notification("c1", 2)))
		require.NoError(t, s.MarkNotification("c1", 2, 1, true, false, ""))

		t.Run("an undelivered notification gets its body", func(t *testing.T) {
			require.NoError(t, s.SetNotificationBody("c1", 1, []byte(`{"built":"later"}`)))
			assert.Equal(t, []byte(`{"built":"later"}`), load(t, s).Calls[0].Notifications[0].Body)
		})
		t.Run("a delivered one keeps none", func(t *testing.T) {
			require.NoError(t, s.SetNotificationBody("c1", 2, []byte(`{"x":1}`)))
			assert.Nil(t, load(t, s).Calls[0].Notifications[1].Body)
		})
		t.Run("an unknown key is ErrNotFound", func(t *testing.T) {
			err := s.SetNotificationBody("c1", 99, []byte(`{}`))
			assert.ErrorIs(t, err, store.ErrNotFound)
			assert.Equal(t, "store: set notification body c1 #99: not found", err.Error())
		})
	})
}

// fill stores a call with two of everything under it.
func fill(t testing.TB, s store.Store, id string, created time.Time) {
	t.Helper()
	require.NoError(t, s.PutCall(call(id, created)))
	for i := range 2 {
		require.NoError(t, s.PutOperation(operation(id, fmt.Sprintf("o%d", i), created.Add(time.Duration(i)))))
		require.NoError(t, s.PutRecording(recording(id, fmt.Sprintf("%s-r%d", id, i), int64(i)*1000)))
		require.NoError(t, s.AddNotification(notification(id, int64(i+1))))
	}
}

func TestDeleteCall(t *testing.T) {
	each(t, func(t *testing.T, s store.Store) {
		fill(t, s, "c1", at(0))
		fill(t, s, "c2", at(1))
		before := load(t, s)
		require.Len(t, before.Calls, 2)
		require.NoError(t, s.DeleteCall("c1"))
		after := load(t, s)

		t.Run("the other call keeps everything", func(t *testing.T) {
			assert.Equal(t, before.Calls[1:], after.Calls)
		})
		t.Run("the deleted call's rows are all gone", func(t *testing.T) {
			require.NoError(t, s.PutCall(call("c1", at(2))))
			snap := load(t, s)
			require.Len(t, snap.Calls, 2)
			c1 := snap.Calls[1]
			assert.Equal(t, "c1", c1.ID)
			assert.Nil(t, c1.Operations)
			assert.Nil(t, c1.Recordings)
			assert.Nil(t, c1.Notifications)
			assert.NoError(t, s.AddNotification(notification("c1", 1)), "its old notification keys are free")
		})
		t.Run("deleting a call that is not stored does nothing", func(t *testing.T) {
			assert.NoError(t, s.DeleteCall("never"))
			assert.Len(t, load(t, s).Calls, 2)
		})
	})
}

func TestLoadOrder(t *testing.T) {
	each(t, func(t *testing.T, s store.Store) {
		// Put in an order that is neither the ID order nor the time order.
		for _, c := range []struct {
			id string
			at int64
		}{{"b", 30}, {"d", 10}, {"a", 20}, {"c", 20}} {
			require.NoError(t, s.PutCall(call(c.id, at(c.at))))
		}
		for _, o := range []struct {
			id string
			at int64
		}{{"o1", 5}, {"o2", 3}, {"o0", 3}, {"o3", 1}} {
			require.NoError(t, s.PutOperation(operation("a", o.id, at(o.at))))
		}
		for _, r := range []struct {
			id  string
			off int64
		}{{"r1", 500}, {"r2", 0}, {"r0", 500}} {
			require.NoError(t, s.PutRecording(recording("a", r.id, r.off)))
		}
		for _, seq := range []int64{3, 1, 10, 2} {
			require.NoError(t, s.AddNotification(notification("a", seq)))
		}
		snap := load(t, s)

		t.Run("calls come by Created, ties by ID", func(t *testing.T) {
			var ids []string
			for _, c := range snap.Calls {
				ids = append(ids, c.ID)
			}
			assert.Equal(t, []string{"d", "a", "c", "b"}, ids)
		})
		require.Equal(t, "a", snap.Calls[1].ID)
		a := snap.Calls[1]
		t.Run("operations come by Created, ties by ID", func(t *testing.T) {
			var ids []string
			for _, o := range a.Operations {
				ids = append(ids, o.ID)
			}
			assert.Equal(t, []string{"o3", "o0", "o2", "o1"}, ids)
		})
		t.Run("recordings come by Offset, ties by ID", func(t *testing.T) {
			var ids []string
			for _, r := range a.Recordings {
				ids = append(ids, r.ID)
			}
			assert.Equal(t, []string{"r2", "r0", "r1"}, ids)
		})
		t.Run("notifications come by Seq ascending", func(t *testing.T) {
			var seqs []int64
			for _, n := range a.Notifications {
				seqs = append(seqs, n.Seq)
			}
			assert.Equal(t, []int64{1, 2, 3, 10}, seqs)
		})
	})
}

// failures are the refused inputs; each must fail the same way in both
// implementations.
func failures() []struct {
	name string
	do   func(store.Store) error
	is   error
} {
	far := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	early := time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)
	return []struct {
		name string
		do   func(store.Store) error
		is   error
	}{
		{"an operation of a call not stored", func(s store.Store) error { return s.PutOperation(operation("nope", "o1", at(0))) }, store.ErrNotFound},
		{"a recording of a call not stored", func(s store.Store) error { return s.PutRecording(recording("nope", "r1", 0)) }, store.ErrNotFound},
		{"a notification of a call not stored", func(s store.Store) error { return s.AddNotification(notification("nope", 1)) }, store.ErrNotFound},
		{"a call without ID", func(s store.Store) error { return s.PutCall(store.Call{}) }, nil},
		{"an operation without call ID", func(s store.Store) error { return s.PutOperation(store.Operation{ID: "o1"}) }, nil},
		{"an operation without ID", func(s store.Store) error { return s.PutOperation(store.Operation{CallID: "c1"}) }, nil},
		{"a recording without ID", func(s store.Store) error { return s.PutRecording(store.Recording{CallID: "c1"}) }, nil},
		{"a recording without call ID", func(s store.Store) error { return s.PutRecording(store.Recording{ID: "r1"}) }, nil},
		{"a notification without call ID", func(s store.Store) error { return s.AddNotification(store.Notification{Seq: 1}) }, nil},
		{"a call created after 2262", func(s store.Store) error { return s.PutCall(call("c9", far)) }, nil},
		{"a call ended before 1678", func(s store.Store) error {
			c := call("c9", at(0))
			c.Ended = early
			return s.PutCall(c)
		}, nil},
		{"an operation created after 2262", func(s store.Store) error { return s.PutOperation(operation("c1", "o9", far)) }, nil},
	}
}

func TestRefusedInput(t *testing.T) {
	got := map[string][]string{}
	for _, k := range kinds() {
		t.Run(k.name, func(t *testing.T) {
			s := k.open(t)
			require.NoError(t, s.PutCall(call("c1", at(0))))
			for _, f := range failures() {
				t.Run(f.name+" is refused", func(t *testing.T) {
					var err error
					require.NotPanics(t, func() { err = f.do(s) })
					require.Error(t, err)
					assert.Regexp(t, `^store: `, err.Error())
					if f.is != nil {
						assert.ErrorIs(t, err, f.is)
					}
					got[k.name] = append(got[k.name], err.Error())
				})
			}
			t.Run("nothing refused was stored", func(t *testing.T) {
				snap := load(t, s)
				require.Len(t, snap.Calls, 1)
				assert.Nil(t, snap.Calls[0].Operations)
				assert.Nil(t, snap.Calls[0].Recordings)
				assert.Nil(t, snap.Calls[0].Notifications)
			})
		})
	}
	t.Run("both implementations say the same", func(t *testing.T) {
		require.Len(t, got["SQLite"], len(failures()))
		assert.Equal(t, got["SQLite"], got["Memory"])
	})
	t.Run("an operation of a missing call names the call", func(t *testing.T) {
		require.NotEmpty(t, got["SQLite"])
		assert.Equal(t, "store: put operation nope/o1: call nope: not found", got["SQLite"][0])
	})
}

func TestClosed(t *testing.T) {
	each(t, func(t *testing.T, s store.Store) {
		require.NoError(t, s.PutCall(call("c1", at(0))))
		require.NoError(t, s.Close())
		for name, err := range map[string]error{
			"PutCall":          s.PutCall(call("c2", at(0))),
			"PutOperation":     s.PutOperation(operation("c1", "o1", at(0))),
			"PutRecording":     s.PutRecording(recording("c1", "r1", 0)),
			"AddNotification":  s.AddNotification(notification("c1", 1)),
			"MarkNotification": s.MarkNotification("c1", 1, 1, true, false, ""),
			"DeleteCall":       s.DeleteCall("c1"),
		} {
			assert.ErrorIs(t, err, store.ErrClosed, name)
		}
		_, err := s.Load()
		assert.ErrorIs(t, err, store.ErrClosed, "Load")
		assert.NoError(t, s.Close(), "a second Close")
	})
}

func TestConcurrentWriters(t *testing.T) {
	const writers, ops = 16, 200
	each(t, func(t *testing.T, s store.Store) {
		var wg sync.WaitGroup
		errs := make(chan error, writers*ops*3)
		for w := range writers {
			wg.Go(func() {
				id := fmt.Sprintf("call-%02d", w)
				if err := s.PutCall(call(id, at(int64(w)))); err != nil {
					errs <- err
					return
				}
				for i := range ops {
					// Each op: one operation upsert and one notification,
					// marked delivered every other time, and a Load now
					// and then beside the writers.
					if err := s.PutOperation(operation(id, fmt.Sprintf("o%03d", i), at(int64(i)))); err != nil {
						errs <- err
					}
					if err := s.AddNotification(notification(id, int64(i))); err != nil {
						errs <- err
					}
					if i%2 == 0 {
						if err := s.MarkNotification(id, int64(i), 1, true, false, ""); err != nil {
							errs <- err
						}
					}
					if i%50 == 0 {
						if _, err := s.Load(); err != nil {
							errs <- err
						}
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			assert.NoError(t, err)
		}
		snap := load(t, s)
		require.Len(t, snap.Calls, writers)
		for _, c := range snap.Calls {
			assert.Len(t, c.Operations, ops, c.ID)
			require.Len(t, c.Notifications, ops, c.ID)
			for i, n := range c.Notifications {
				assert.Equal(t, i%2 == 0, n.Delivered, "%s #%d", c.ID, n.Seq)
			}
		}
	})
}
