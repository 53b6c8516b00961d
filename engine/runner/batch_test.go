package runner

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/media"
)

func newTestCall(t *testing.T) *engine.Call {
	t.Helper()
	c, err := engine.NewCall(engine.CallOptions{Ops: engine.DefaultOptions(media.SampleRate(8000))})
	require.NoError(t, err)
	return c
}

func TestBatchesFillTheirHolesAndGoWhenEmpty(t *testing.T) {
	r := New(Options{Mode: Realtime})
	var rcs []*PacedCall
	for i := range 1000 {
		rcs = append(rcs, r.Add(fmt.Sprintf("call-%04d", i), newTestCall(t)))
	}
	assert.Len(t, r.batches, 16, "1 000 calls in batches of 64")
	for i, rc := range rcs {
		if i%2 == 0 {
			r.Remove(rc)
		}
	}
	assert.Len(t, r.batches, 16, "half-empty batches stay")
	for i := range 500 {
		r.Add(fmt.Sprintf("new-%04d", i), newTestCall(t))
	}
	assert.Len(t, r.batches, 16, "new calls fill the holes before a batch is made")
	full := 0
	for _, b := range r.batches {
		if b.n == batchSize {
			full++
		}
	}
	assert.Equal(t, 15, full, "15 full batches and one of 40, as before the removals")
	r.Remove(rcs[1])
	r.Remove(rcs[1]) // twice: the second does nothing
	assert.Equal(t, 999, r.Len())
	r2 := New(Options{Mode: Realtime})
	a, b := r2.Add("a", newTestCall(t)), r2.Add("b", newTestCall(t))
	r2.Remove(a)
	r2.Remove(b)
	assert.Empty(t, r2.batches, "an emptied batch is dropped: batches are bounded by the calls")
}

func TestATickStepsEveryCallOfEveryBatchOnce(t *testing.T) {
	for _, workers := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("with %d workers", workers), func(t *testing.T) {
			r := New(Options{Mode: Realtime, Workers: workers})
			var rcs []*PacedCall
			for i := range 300 {
				rc := r.Add(fmt.Sprintf("call-%03d", i), newTestCall(t))
				rc.Do(func(c *engine.Call, ev []engine.CallEvent) []engine.CallEvent {
					require.NoError(t, c.SubscribeTones())
					require.NoError(t, c.SetMedia(make([]int16, 8000), false))
					return ev
				})
				rcs = append(rcs, rc)
			}
			require.Len(t, r.callList(), 5)
			assert.Equal(t, 300, r.Tick())
			assert.Equal(t, 300, r.Tick())
			for _, rc := range rcs {
				rc.View(func(c *engine.Call) {
					assert.Equal(t, int64(2*media.SampleRate(8000).N(defaultFrame)), c.State().Position, rc.ID)
				})
			}
		})
	}
}
