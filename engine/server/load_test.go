package server_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/fixtures"
	"github.com/recsim/recsim/media"
)

// cliRecording computes the recording `recsim record --caller CALLER.wav
// --request REQUEST.json --out OUT.wav` writes for the same audio: the
// same engine calls, and OUT.wav is the canonical WAV media.EncodeWAV
// writes.
func cliRecording(t testing.TB, caller []int16, rate media.SampleRate, request string) []byte {
	req, err := graph.ParseRecordRequest([]byte(request), false)
	require.NoError(t, err)
	op, err := engine.NewOperation(req, nil, engine.DefaultOptions(rate), 0)
	require.NoError(t, err)
	op.ProcessAll(caller, 0, engine.EndSilence)
	require.True(t, op.Result().HasRecording)
	b, err := media.EncodeWAV(slices.Concat(op.RecordingParts()...), rate)
	require.NoError(t, err)
	return b
}

func TestAThousandConcurrentCallsEachCompleteOnceWithTheCLIRecording(t *testing.T) {
	calls := 1000
	if testing.Short() {
		calls = 100
	}
	const rate = 8000
	clip, err := fixtures.SpeechClip("en_us_s160_01", rate)
	require.NoError(t, err)
	caller := media.Concat(media.Silence(rate/2), clip.PCM)
	const request = `{"maxRecordDurationInSeconds": 1, "clientContext": "load"}`
	want := sha(cliRecording(t, caller, rate, request))
	wav := encodeWAV(t, caller, rate)

	var mu sync.Mutex
	completions := map[string]int{}
	cfg := fast()
	// A POST the bot answers after the timeout is retried, and the bot then
	// sees it twice (at-least-once, as Graph): on a loaded 2-core machine
	// under -race, give the bot all the time it needs.
	cfg.Notify.Timeout = time.Minute
	m := newMock(t, cfg, nil)
	done := make(chan string, 2*calls)
	go func() {
		for n := range m.bot.ch {
			if n.ChangeType == "deleted" && n.str("@odata.type") == "#microsoft.graph.recordOperation" {
				mu.Lock()
				completions[n.str("id")]++
				mu.Unlock()
				done <- n.str("id")
			}
		}
	}()

	t0 := time.Now()
	type result struct{ call, op string }
	results := make(chan result, calls)
	work := make(chan int)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				r := m.send("POST", "/recsim/v1/calls", []byte(`{"callbackUri": "`+m.bot.URL+`"}`), "Content-Type", "application/json")
				if !assert.Equal(t, http.StatusCreated, r.Status) {
					continue
				}
				id := r.json(t)["id"].(string)
				assert.Equal(t, http.StatusNoContent, m.send("PUT", "/recsim/v1/calls/"+id+"/media", wav, "Content-Type", "audio/wav").Status)
				assert.Equal(t, http.StatusAccepted, m.graph("POST", "/v1.0/communications/calls/"+id+"/answer", "").Status)
				op := m.graph("POST", "/v1.0/communications/calls/"+id+"/recordResponse", request)
				if assert.Equal(t, http.StatusOK, op.Status) {
					results <- result{id, op.json(t)["id"].(string)}
				}
			}
		}()
	}
	for i := range calls {
		work <- i
	}
	close(work)
	wg.Wait()
	close(results)

	ops := map[string]string{}
	for r := range results {
		ops[r.op] = r.call
	}
	require.Len(t, ops, calls)
	for range calls {
		<-done
	}
	m.drain() // every notification delivered or given up: a duplicate would have arrived

	mu.Lock()
	lost, dup := 0, 0
	for op := range ops {
		switch completions[op] {
		case 0:
			lost++
		case 1:
		default:
			dup++
		}
	}
	mu.Unlock()
	t.Logf("%d calls: completed %d, lost %d, duplicated %d, in %v", calls, len(completions), lost, dup, time.Since(t0).Round(time.Millisecond))
	assert.Zero(t, lost)
	assert.Zero(t, dup)

	// Every recording downloads and matches the CLI's, byte for byte.
	var dl sync.WaitGroup
	sem := make(chan struct{}, 16)
	for op, call := range ops {
		dl.Add(1)
		sem <- struct{}{}
		go func() {
			defer dl.Done()
			defer func() { <-sem }()
			g := m.graph("GET", "/v1.0/communications/calls/"+call+"/operations/"+op, "")
			if !assert.Equal(t, http.StatusOK, g.Status) {
				return
			}
			o := g.json(t)
			assert.Equal(t, "maxRecordDurationReached", o["completionReason"])
			d := m.download(o["recordingLocation"].(string), o["recordingAccessToken"].(string))
			if assert.Equal(t, http.StatusOK, d.Status) {
				assert.Equal(t, want, sha(d.Body))
			}
		}()
	}
	dl.Wait()
}
