// Package server is recsim's mock of Microsoft Graph's cloud
// communications calls, as an http.Handler: the Graph surface under /v1.0
// and /beta (calls, answer, DELETE, recordResponse/record, playPrompt,
// cancelMediaProcessing, updateRecordingStatus, operations), the
// simulation control under /recsim/v1 (incoming calls, the caller's
// media, caller hang-up, timelines, notification logs) and the recordings
// at their recordingLocation. Operations run on real caller audio in the
// engine; their notifications go to each call's callbackUri
// (/recsim/v1/inbox is a built-in one that keeps what it receives, for
// trying the mock without a bot). `recsim serve` runs it; other people's
// Go tests mount it:
//
//	srv, err := server.New(server.Config{Clock: runner.Fast})
//	...
//	defer srv.Close()
//	ts := httptest.NewServer(srv)
//
// # Units
//
// Inside, time is a sample index on each call's caller stream; durations
// (Retention, timeouts, back-off) exist only in Config and on the wire.
// A call's media rate is fixed by its first media or operation (default
// Config.Rate, 16 000 Hz); recordings are mono 16-bit PCM WAV at that
// rate.
//
// # Buffers
//
// Media bodies are decoded as they arrive into a new slice the call owns
// from then on; the handler never retains a request's bytes. A recording
// is the engine's buffer of the ended operation, which nothing modifies
// after the operation ends; it is appended, as a complete WAV file, to its
// call's recordings file ({callId}.rec in the data directory: one file
// per call, since creating a file costs far more than writing a
// recording) and served from its region there. A region is offered only
// once it is wholly written. streamWhileRecording downloads copy what has
// been recorded so far under the call's lock.
//
// # Concurrency
//
// A Server is safe for concurrent use. Each call's engine state is guarded
// by its runner lock (runner.PacedCall); the handlers that drive a call are
// serialised per call, and different calls never wait for each other.
// Notifications of one call go out in order from one goroutine per call
// (started when there is something to send, gone when the outbox is
// empty): a notification being retried keeps its place and the later ones
// wait behind it; one acknowledged with a 2xx is never sent again. The
// notifications caused by a request are held until its answer has been
// written, so a bot sees the recordOperation Running before its
// completion even in fast mode. Recordings are written in the background;
// a notification that offers a recording waits until it is in place.
//
// In runner.Realtime mode the runner paces the calls in 20 ms frames on
// Config.RunnerClock; in runner.Fast mode an operation runs to its end
// inside the request that starts it, so cancel, barge-in and hang-up
// during an operation can be exercised only in realtime mode. Tests that
// want them without waiting give Config.RunnerClock a clock whose ticker
// never fires and call Server.Tick frame by frame. Both modes give
// identical results and recordings.
//
// Shutdown stops new calls and operations (503), cancels the running ones
// and waits for their notifications; Close stops everything and removes a
// temporary data directory.
package server
