package scenario

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/fixtures/speech"
	"github.com/recsim/recsim/media"
)

// ResolvePrompt loads a prompt named by a mediaInfo.uri the way the CLI
// does (docs/cli.md): a local path (relative to dir), a file:// URI, or
// fixture:NAME for a committed speech clip at 16 kHz. http(s) URIs fail as
// a download failure (8536) without opening a connection: only the server
// fetches them.
func ResolvePrompt(uri, dir string) *engine.PromptAudio {
	var p engine.PromptAudio
	switch {
	case strings.HasPrefix(uri, "fixture:"):
		c, err := speech.Load(strings.TrimPrefix(uri, "fixture:"), engine.PromptRate)
		if err != nil {
			p = engine.PromptAudio{Outcome: engine.OutPromptDownload, Err: err}
		} else {
			p = engine.PromptAudio{PCM: c.PCM}
		}
	case strings.HasPrefix(uri, "http://"), strings.HasPrefix(uri, "https://"):
		p = engine.PromptAudio{Outcome: engine.OutPromptDownload, Err: fmt.Errorf("prompt %s: the command line reads local files only", uri)}
	case strings.HasPrefix(uri, "file:"):
		u, err := url.Parse(uri)
		if err != nil || u.Path == "" {
			p = engine.PromptAudio{Outcome: engine.OutPromptDownload, Err: fmt.Errorf("prompt URI %q: %v", uri, err)}
		} else {
			p = loadPromptFile(u.Path)
		}
	default:
		path := uri
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		p = loadPromptFile(path)
	}
	return &p
}

// Result is what simulating a scenario gave.
type Result struct {
	Op       *engine.Operation
	Request  engine.RecordRequest
	Audio    Audio
	Wire     graph.Options
	Consumed int // caller samples the operation consumed
	// Tones are the digits a tone subscription heard on the caller track
	// (SubscribeToTone): EvDigit events.
	Tones []engine.CallEvent
}

// Simulate builds the caller track and runs one record operation on it
// from sample 0, as the scenario's request and options say. name names
// the scenario in errors; dir resolves its relative paths (for a scenario
// read from a file: the file's directory).
func (s *Scenario) Simulate(name, dir string) (*Result, error) {
	audio, err := s.Build(name, dir)
	if err != nil {
		return nil, err
	}
	opts, eom, wire, err := s.EngineOptions(name)
	if err != nil {
		return nil, err
	}
	req, err := graph.ParseRecordRequest(s.Request, wire.StrictV1)
	if err != nil {
		return nil, fmt.Errorf("%s: request.%w", name, err)
	}
	var prompt *engine.PromptAudio
	if len(req.Prompts) > 0 {
		prompt = ResolvePrompt(req.Prompts[0], dir)
	}
	op, err := engine.NewOperation(req, prompt, opts, 0)
	if err != nil {
		return nil, err
	}
	if audio.Hangup {
		eom = engine.EndHangup
	}
	frame := s.Frame
	if frame <= 0 {
		frame = int(media.SampleRate(s.Rate).N(media.FrameDuration))
	}
	pcm := audio.PCM
	var used int
	if s.CancelAt != nil {
		at := int(media.SampleRate(s.Rate).N(time.Duration(*s.CancelAt * float64(time.Second))))
		if at < 0 || at > len(pcm) {
			return nil, &Error{File: name, Field: "cancelAt", Value: fmt.Sprint(*s.CancelAt), Reason: "must fall within the caller audio"}
		}
		used = feed(op, pcm[:at], frame)
		op.Stop(engine.OutCanceled) // does nothing if the operation ended before at
	} else {
		used = op.ProcessAll(pcm, frame, eom)
	}
	res := &Result{Op: op, Request: req, Audio: audio, Wire: wire, Consumed: used}
	if s.SubscribeToTone {
		if res.Tones, err = listenTones(pcm, opts); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// listenTones runs a tone subscription over the whole of pcm, a caller
// stream at opts.Rate, as a subscribed call with no operation hears it:
// the EvDigit events, in order.
func listenTones(pcm []int16, opts engine.Options) ([]engine.CallEvent, error) {
	c, err := engine.NewCall(engine.CallOptions{Ops: opts})
	if err != nil {
		return nil, err
	}
	if err := c.SetMedia(pcm, false); err != nil {
		return nil, err
	}
	if err := c.SubscribeTones(); err != nil {
		return nil, err
	}
	var ev []engine.CallEvent
	frame := int(opts.Rate.N(media.FrameDuration))
	for c.State().Advancing {
		ev = c.Advance(frame, ev)
	}
	return ev, nil
}

// feed gives op the samples of pcm frame by frame until it ends.
func feed(op *engine.Operation, pcm []int16, frame int) int {
	used := 0
	for used < len(pcm) && !op.Done() {
		used += op.Process(pcm[used:min(used+frame, len(pcm))])
	}
	return used
}

// loadPromptFile loads a prompt from a local file: a missing or unreadable
// file is a failed download (8536), anything else as engine.LoadPrompt
// says.
func loadPromptFile(path string) engine.PromptAudio {
	f, err := os.Open(path)
	if err != nil {
		return engine.PromptAudio{Outcome: engine.OutPromptDownload, Err: err}
	}
	defer f.Close()
	return engine.LoadPrompt(f, path)
}
