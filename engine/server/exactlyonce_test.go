package server_test

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestABurstOfCompletionsIsDeliveredExactlyOnce ends hundreds of
// operations on the same 20 ms frame, so that their completions go to the
// bot at once, over hundreds of connections that all fall idle together:
// each must arrive exactly once. (With Go's default transport limits, an
// idle connection evicted from the pool at the instant its bodiless 202
// was read made the POST fail although the bot had answered it, and the
// retry was a duplicate.)
func TestABurstOfCompletionsIsDeliveredExactlyOnce(t *testing.T) {
	calls := 600
	if testing.Short() {
		calls = 300
	}
	clk := newFakeClock()
	// The bot takes a moment over each POST and notes how many it is
	// answering at once: the server keeps at most 64 in flight to it.
	var inFlight, most atomic.Int64
	m := newMock(t, realtime(clk), func(int, []byte) int {
		n := inFlight.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		inFlight.Add(-1)
		return http.StatusAccepted
	})
	ops := make([]string, calls)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range calls {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+m.bot.URL+`"}`), "Content-Type", "application/json")
			if !assert.Equal(t, http.StatusCreated, r.Status) {
				return
			}
			id := r.json(t)["id"].(string)
			assert.Equal(t, http.StatusAccepted, m.graph("POST", "/v1.0/communications/calls/"+id+"/answer", "").Status)
			op := m.graph("POST", "/v1.0/communications/calls/"+id+"/recordResponse", `{"maxRecordDurationInSeconds": 1, "bargeInAllowed": true}`)
			if assert.Equal(t, http.StatusOK, op.Status) {
				ops[i] = op.json(t)["id"].(string)
			}
		}()
	}
	wg.Wait()
	// Every call's answer notification first, then every completion on
	// one frame (the beep, then 1 s of listening, ends on the same tick).
	for range 2 * calls {
		<-m.bot.ch
	}
	m.step(clk, 100)
	got := map[string]int{}
	for range calls {
		n := <-m.bot.ch
		got[fmt.Sprint(n.Data["id"])]++
	}
	m.drain() // every notification delivered or given up: a duplicate would have arrived
	for len(m.bot.ch) > 0 {
		n := <-m.bot.ch
		got[fmt.Sprint(n.Data["id"])]++
	}
	lost, dup := 0, 0
	for _, id := range ops {
		require.NotEmpty(t, id)
		switch got[id] {
		case 0:
			lost++
		case 1:
		default:
			dup += got[id] - 1
		}
	}
	t.Logf("%d completions on one frame: lost %d, duplicated %d; at most %d POSTs in flight to the bot", calls, lost, dup, most.Load())
	assert.Zero(t, lost)
	assert.Zero(t, dup)
	assert.LessOrEqual(t, most.Load(), int64(64), "POSTs in flight to one callback host")
	assert.Greater(t, most.Load(), int64(1), "the completions went out side by side")
}
