package store_test

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/server/store"
)

// The benchmarks write into a database in b.TempDir() (on this machine
// ext4); the figures are in README.md.

// benchStore is a store with one call, c1, to write under.
func benchStore(b *testing.B, k kind) store.Store {
	s := k.open(b)
	require.NoError(b, s.PutCall(call("c1", at(0))))
	return s
}

// BenchmarkPutOperation replaces one operation row again and again (the
// server rewrites an operation at each state change).
func BenchmarkPutOperation(b *testing.B) {
	for _, k := range kinds() {
		b.Run(k.name, func(b *testing.B) {
			s := benchStore(b, k)
			o := operation("c1", "o1", at(0))
			b.ReportAllocs()
			for b.Loop() {
				o.Status++
				if err := s.PutOperation(o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPutOperationParallel is PutOperation from GOMAXPROCS
// goroutines, each on its own row.
func BenchmarkPutOperationParallel(b *testing.B) {
	for _, k := range kinds() {
		b.Run(k.name, func(b *testing.B) {
			s := benchStore(b, k)
			var next atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				o := operation("c1", fmt.Sprintf("o%d", next.Add(1)), at(0))
				for pb.Next() {
					o.Status++
					if err := s.PutOperation(o); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkAddMarkNotification is one notification's life in the outbox:
// added with its body, then marked delivered (which clears the body). One
// op is the two writes.
func BenchmarkAddMarkNotification(b *testing.B) {
	for _, k := range kinds() {
		b.Run(k.name, func(b *testing.B) {
			s := benchStore(b, k)
			n := notification("c1", 0)
			b.ReportAllocs()
			for b.Loop() {
				n.Seq++
				if err := s.AddNotification(n); err != nil {
					b.Fatal(err)
				}
				if err := s.MarkNotification("c1", n.Seq, 1, true, false, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAddMarkNotificationParallel is AddMarkNotification from
// GOMAXPROCS goroutines, on distinct keys.
func BenchmarkAddMarkNotificationParallel(b *testing.B) {
	for _, k := range kinds() {
		b.Run(k.name, func(b *testing.B) {
			s := benchStore(b, k)
			var seq atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				n := notification("c1", 0)
				for pb.Next() {
					n.Seq = seq.Add(1)
					if err := s.AddNotification(n); err != nil {
						b.Error(err)
						return
					}
					if err := s.MarkNotification("c1", n.Seq, 1, true, false, ""); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// roundTrip is the store's share of one recordResponse round trip: the
// operation is stored Running and its notification queued and delivered,
// then it is stored completed with its recording and the completion
// notification is queued and delivered (6 writes).
func roundTrip(s store.Store, id string, seq int64) error {
	o := operation("c1", id, at(seq))
	o.Ended, o.RecordingID = false, ""
	n := notification("c1", seq)
	for _, err := range []error{
		s.PutOperation(o),
		s.AddNotification(n),
		s.MarkNotification("c1", seq, 1, true, false, ""),
	} {
		if err != nil {
			return err
		}
	}
	o.Ended, o.RecordingID = true, "rec-"+id
	n.Seq = seq + 1
	for _, err := range []error{
		s.PutOperation(o),
		s.PutRecording(recording("c1", "rec-"+id, seq*1000)),
		s.AddNotification(n),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkRecordResponseWrites is roundTrip, one op per round trip,
// from one goroutine and from GOMAXPROCS goroutines.
func BenchmarkRecordResponseWrites(b *testing.B) {
	for _, k := range kinds() {
		b.Run(k.name+"/serial", func(b *testing.B) {
			s := benchStore(b, k)
			var i int64
			b.ReportAllocs()
			for b.Loop() {
				i++
				if err := roundTrip(s, fmt.Sprintf("o%d", i), 2*i); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(k.name+"/parallel", func(b *testing.B) {
			s := benchStore(b, k)
			var next atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1)
					if err := roundTrip(s, fmt.Sprintf("o%d", i), 2*i); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkPool compares pool sizes for the SQLite store under parallel
// writers (the reason Open uses one connection).
func BenchmarkPool(b *testing.B) {
	for _, conns := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			s, err := store.OpenConns(filepath.Join(b.TempDir(), "recsim.db"), conns)
			require.NoError(b, err)
			b.Cleanup(func() { s.Close() })
			require.NoError(b, s.PutCall(call("c1", at(0))))
			var next atomic.Int64
			b.SetParallelism(4) // 4×GOMAXPROCS writers, as under a burst of requests
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				o := operation("c1", fmt.Sprintf("o%d", next.Add(1)), at(0))
				for pb.Next() {
					o.Status++
					if err := s.PutOperation(o); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkLoad is the recovery read at start: 1000 calls with two
// operations, two recordings and two notifications each.
func BenchmarkLoad(b *testing.B) {
	const calls = 1000
	for _, k := range kinds() {
		b.Run(k.name, func(b *testing.B) {
			s := k.open(b)
			for i := range calls {
				fill(b, s, fmt.Sprintf("call-%04d", i), at(int64(i)))
			}
			b.ReportAllocs()
			for b.Loop() {
				snap, err := s.Load()
				if err != nil {
					b.Fatal(err)
				}
				if len(snap.Calls) != calls {
					b.Fatalf("%d calls, want %d", len(snap.Calls), calls)
				}
			}
		})
	}
}
