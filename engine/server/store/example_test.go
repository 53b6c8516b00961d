package store_test

import (
	"fmt"
	"time"

	"github.com/recsim/recsim/engine/server/store"
)

// A notification's life in the outbox, and what a restart would recover.
// Open(filepath.Join(dir, "recsim.db")) gives the same behaviour on disk.
func Example() {
	s := store.Memory()
	defer s.Close()
	created := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	if err := s.PutCall(store.Call{ID: "c1", State: "established", Created: created, Retention: 10 * time.Minute}); err != nil {
		fmt.Println(err)
	}
	_ = s.AddNotification(store.Notification{CallID: "c1", Seq: 1, ChangeType: "updated", Body: []byte(`{"value":[]}`)})
	_ = s.AddNotification(store.Notification{CallID: "c1", Seq: 2, ChangeType: "updated", Body: []byte(`{"value":[]}`)})
	_ = s.MarkNotification("c1", 1, 1, true, false, "")
	fmt.Println(s.AddNotification(store.Notification{CallID: "c1", Seq: 2}))

	snap, _ := s.Load()
	for _, c := range snap.Calls {
		fmt.Println(c.ID, c.State, c.Created.Format(time.RFC3339Nano), c.Ended.IsZero())
		for _, n := range c.Notifications {
			fmt.Printf("#%d delivered=%v body=%q\n", n.Seq, n.Delivered, n.Body)
		}
	}
	// Output:
	// store: add notification c1 #2: already stored
	// c1 established 2026-01-02T03:04:05.000000006Z true
	// #1 delivered=true body=""
	// #2 delivered=false body="{\"value\":[]}"
}
