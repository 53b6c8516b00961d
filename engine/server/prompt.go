package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/scenario"
)

// promptHostAllowed reports whether u's host is on the prompt allow-list
// (by hostname, or by host:port).
func (s *Server) promptHostAllowed(u *url.URL) bool {
	return s.allow[strings.ToLower(u.Hostname())] || s.allow[strings.ToLower(u.Host)]
}

// promptOf returns what an operation is queued with: nil (no prompt),
// the prompt itself when it needs no download (fixture:NAME, or a URI
// refused without opening a connection), or a pending prompt when one of
// them must be downloaded: startMedia then fetches them in the background.
func (s *Server) promptOf(uris []string) *engine.PromptAudio {
	for _, uri := range uris {
		if u, err := url.Parse(uri); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && s.promptHostAllowed(u) {
			return &engine.PromptAudio{Pending: true}
		}
	}
	return s.loadPrompts(context.Background(), uris)
}

// fetchPrompts downloads an operation's prompts and hands them to the
// engine, which starts the operation (or fails it with 8536) when it is
// first in line. It runs tracked by s.work.
func (s *Server) fetchPrompts(c *call, e *opEntry, uris []string) {
	defer s.work.done()
	pa := s.loadPrompts(s.baseCtx, uris)
	if pa.Err != nil {
		s.log.Info("prompt not loaded", "call", c.id, "operation", e.id, "error", pa.Err)
	}
	c.ctl.Lock()
	defer c.ctl.Unlock()
	c.mu.Lock()
	cop := e.cop
	c.mu.Unlock()
	c.rc().Do(func(ec *engine.Call, ev []engine.CallEvent) []engine.CallEvent {
		return ec.SetPrompt(cop, pa, ev)
	})
}

// loadPrompts loads the prompts of a request and joins them (playPrompt
// may have several; recordResponse at most one). nil when there are none.
// A prompt that cannot be loaded makes the whole a failed prompt.
func (s *Server) loadPrompts(ctx context.Context, prompts []string) *engine.PromptAudio {
	if len(prompts) == 0 {
		return nil
	}
	var all engine.PromptAudio
	for _, p := range prompts {
		pa := s.loadPrompt(ctx, p)
		if pa.Outcome != engine.OutcomeNone {
			return &pa
		}
		all.PCM = append(all.PCM, pa.PCM...)
	}
	return &all
}

// loadPrompt loads one prompt by its mediaInfo.uri:
//   - http(s) URLs on an allow-listed host are fetched with a timeout and a
//     size cap; any other host fails the prompt (8536) without opening a
//     connection;
//   - fixture:NAME plays a committed speech clip (handy with curl);
//   - local paths and file:// URIs fail as a download failure (8536): a
//     server reading its own disk on a bot's say-so would be a hole.
func (s *Server) loadPrompt(ctx context.Context, uri string) engine.PromptAudio {
	fail := func(format string, args ...any) engine.PromptAudio {
		return engine.PromptAudio{Outcome: engine.OutPromptDownload, Err: fmt.Errorf("prompt %s: "+format, append([]any{uri}, args...)...)}
	}
	if strings.HasPrefix(uri, "fixture:") {
		return *scenario.ResolvePrompt(uri, "")
	}
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail("the mock server fetches prompts over http(s) only (or fixture:NAME); local paths and file:// URIs are refused")
	}
	if !s.promptHostAllowed(u) {
		return fail("host %q is not on the prompt allow-list (recsim serve --allow-prompt-host)", u.Hostname())
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.PromptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return fail("%v", err)
	}
	resp, err := s.prompts.Do(req)
	if err != nil {
		return fail("%v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail("the server answered %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.PromptMaxBytes+1))
	if err != nil {
		return fail("%v", err)
	}
	if int64(len(b)) > s.cfg.PromptMaxBytes {
		return fail("larger than %d bytes", s.cfg.PromptMaxBytes)
	}
	return engine.LoadPrompt(bytes.NewReader(b), uri)
}
