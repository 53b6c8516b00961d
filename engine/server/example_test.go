package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/recsim/recsim/engine/runner"
	"github.com/recsim/recsim/engine/server"
)

// Mount the mock with httptest, ring the bot, answer the call, and run a
// recordResponse on a scripted caller who speaks and presses #.
func Example() {
	// The bot's notification endpoint: it reports the completion reason of
	// the record operation.
	done := make(chan string, 1)
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n struct {
			Value []struct {
				ChangeType   string `json:"changeType"`
				ResourceData struct {
					Type             string `json:"@odata.type"`
					CompletionReason string `json:"completionReason"`
				} `json:"resourceData"`
			} `json:"value"`
		}
		_ = json.NewDecoder(r.Body).Decode(&n)
		if v := n.Value[0]; v.ChangeType == "deleted" && v.ResourceData.Type == "#microsoft.graph.recordOperation" {
			done <- v.ResourceData.CompletionReason
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer bot.Close()

	srv, err := server.New(server.Config{Clock: runner.Fast})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	mock := httptest.NewServer(srv)
	defer mock.Close()

	send := func(method, path, contentType, body string) *http.Response {
		req, _ := http.NewRequest(method, mock.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", "Bearer any-token") // the Graph surface needs one
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		return resp
	}

	// The caller rings; the bot gets a created notification (state incoming).
	resp := send("POST", "/recsim/v1/calls", "application/json", `{"callbackUri": "`+bot.URL+`"}`)
	var call struct{ ID string }
	_ = json.NewDecoder(resp.Body).Decode(&call)
	resp.Body.Close()
	// What the caller will say: a second of silence, a sentence, then #.
	send("PUT", "/recsim/v1/calls/"+call.ID+"/media", "application/json",
		`{"caller": [{"silence": 1}, {"speech": "en_us_s160_01"}, {"silence": 0.5}, {"dtmf": "#"}]}`).Body.Close()
	// The bot answers and asks for a response.
	send("POST", "/v1.0/communications/calls/"+call.ID+"/answer", "application/json", `{}`).Body.Close()
	resp = send("POST", "/v1.0/communications/calls/"+call.ID+"/recordResponse", "application/json",
		`{"stopTones": ["#"], "maxRecordDurationInSeconds": 30}`)
	var op struct{ Status string }
	_ = json.NewDecoder(resp.Body).Decode(&op)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, op.Status, strings.Contains(resp.Header.Get("Location"), "/operations/"))
	fmt.Println(<-done)
	// Output:
	// 200 Running true
	// stopToneDetected
}
