package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/media"
)

// callOptions are the switches one call runs with: the server's, with a
// call's "options" (POST /recsim/v1/calls) laid over them.
type callOptions struct {
	ops              engine.Options // every operation's options; ops.Rate is the call's default media rate
	silentHangup     bool           // engine.CallOptions.SilentHangup
	eom              engine.EndOfMedia
	docsCasing       bool
	strictV1         bool
	strictCompliance bool
	retention        time.Duration
}

// wire returns the wire options for a resource served on version ver.
// strictV1 applies to /v1.0 only.
func (o callOptions) wire(ver string) graph.Options {
	return graph.Options{DocsCasing: o.docsCasing, StrictV1: o.strictV1 && ver == "v1.0"}
}

// status spells an operation status as the call's casing says.
func (o callOptions) status(s graph.Status) string {
	return graph.StatusName(s, o.docsCasing)
}

func (s *Server) baseOptions() (callOptions, error) {
	c := s.cfg
	if c.EndOfMedia > engine.EndStall {
		return callOptions{}, fmt.Errorf("server: Config.EndOfMedia = %d: must be engine.EndSilence, EndHangup or EndStall", c.EndOfMedia)
	}
	ops := engine.DefaultOptions(c.Rate)
	ops.Cache = s.cache
	return callOptions{ops: ops, silentHangup: c.SilentHangup, eom: c.EndOfMedia,
		docsCasing: c.DocsCasing, strictV1: c.StrictV1, strictCompliance: c.StrictCompliance, retention: c.Retention}, nil
}

// optionsJSON is the "options" object of POST /recsim/v1/calls: the
// switches of `recsim serve` in camelCase, and the engine's simulation
// switches (as in scenario scripts).
type optionsJSON struct {
	HangupPolicy          *string  `json:"hangupPolicy"`
	EndOfMedia            *string  `json:"endOfMedia"`
	DocsCasing            *bool    `json:"docsCasing"`
	StrictV1              *bool    `json:"strictV1"`
	StrictCompliance      *bool    `json:"strictCompliance"`
	Retention             *string  `json:"retention"` // a Go duration, e.g. "10m", "30s"
	Rate                  *int     `json:"rate"`
	StopTonesDuringPrompt *bool    `json:"stopTonesDuringPrompt"`
	IncludeStopTone       *bool    `json:"includeStopTone"`
	TrimSilence           *bool    `json:"trimSilence"`
	BeepEcho              *bool    `json:"beepEcho"`
	BeepHz                *float64 `json:"beepHz"`
	BeepMs                *int     `json:"beepMs"`
	BeepLevel             *float64 `json:"beepLevel"`
	Fault                 *string  `json:"fault"` // playPromptFailed, playBeepFailed, unspecifiedError
}

// serverWide returns the flag of a switch that exists only for the whole
// server.
func serverWide(name string) (string, bool) {
	switch name {
	case "clock":
		return "--clock", true
	case "dataDir":
		return "--data-dir", true
	case "token":
		return "--token", true
	case "addr":
		return "--addr", true
	case "allowPromptHost", "allowPromptHosts":
		return "--allow-prompt-host", true
	}
	return "", false
}

// optionError names a field of "options".
type optionError struct{ field, value, reason string }

func (e *optionError) Error() string {
	return fmt.Sprintf("options.%s = %s: %s", e.field, e.value, e.reason)
}

// applyOptions lays a call's options over base. Unknown names are errors:
// a typo must not silently change a test.
func applyOptions(raw json.RawMessage, base callOptions) (callOptions, error) {
	o := base
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return o, nil
	}
	var names map[string]json.RawMessage
	if json.Unmarshal(raw, &names) != nil {
		return o, &optionError{"", shorten(string(raw)), "must be a JSON object"}
	}
	for name := range names {
		if flag, ok := serverWide(name); ok {
			return o, &optionError{name, shorten(string(names[name])), fmt.Sprintf("is server-wide (recsim serve %s), not a per-call option", flag)}
		}
	}
	var j optionsJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return o, &optionError{te.Field, te.Value, "must be a JSON " + jsonKind(te.Type.Kind().String())}
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return o, &optionError{strings.Trim(f, `"`), "(set)", "unknown option; see recsim serve --help"}
		}
		return o, &optionError{"", "(object)", err.Error()}
	}
	var err error
	if j.HangupPolicy != nil {
		if o.silentHangup, err = graph.ParseHangupPolicy(*j.HangupPolicy); err != nil {
			return o, &optionError{"hangupPolicy", quote(*j.HangupPolicy), "must be notify or silent"}
		}
	}
	if j.EndOfMedia != nil {
		if o.eom, err = graph.ParseEndOfMedia(*j.EndOfMedia); err != nil {
			return o, &optionError{"endOfMedia", quote(*j.EndOfMedia), "must be silence, hangup or stall"}
		}
	}
	setBool := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	setBool(&o.docsCasing, j.DocsCasing)
	setBool(&o.strictV1, j.StrictV1)
	setBool(&o.strictCompliance, j.StrictCompliance)
	setBool(&o.ops.StopTonesDuringPrompt, j.StopTonesDuringPrompt)
	setBool(&o.ops.IncludeStopTone, j.IncludeStopTone)
	setBool(&o.ops.TrimSilence, j.TrimSilence)
	setBool(&o.ops.Beep.Echo, j.BeepEcho)
	if j.Retention != nil {
		d, err := time.ParseDuration(*j.Retention)
		if err != nil || d < 0 {
			return o, &optionError{"retention", quote(*j.Retention), `must be a non-negative Go duration such as "10m" or "30s"`}
		}
		o.retention = d
	}
	if j.Rate != nil {
		r := media.SampleRate(*j.Rate)
		if r.Validate() != nil {
			return o, &optionError{"rate", fmt.Sprint(*j.Rate), "must be 8000–48000 Hz"}
		}
		o.ops.Rate = r
	}
	// The beep's ranges (docs/server.md#per-call-options): wide enough for
	// every beep a service plays, narrow enough that no client can make the
	// server synthesise and keep an arbitrarily long one. A beep the call
	// cannot carry (above half its rate) still fails with playBeepFailed.
	if j.BeepHz != nil {
		if !(*j.BeepHz >= 100 && *j.BeepHz <= 4000) { // NaN fails too
			return o, &optionError{"beepHz", fmt.Sprint(*j.BeepHz), "must be 100–4000 Hz"}
		}
		o.ops.Beep.Hz = *j.BeepHz
	}
	if j.BeepMs != nil {
		if *j.BeepMs < 10 || *j.BeepMs > 2000 {
			return o, &optionError{"beepMs", fmt.Sprint(*j.BeepMs), "must be 10–2000 ms"}
		}
		o.ops.Beep.Duration = time.Duration(*j.BeepMs) * time.Millisecond
	}
	if j.BeepLevel != nil {
		if !(*j.BeepLevel >= -60 && *j.BeepLevel <= 0) {
			return o, &optionError{"beepLevel", fmt.Sprint(*j.BeepLevel), "must be −60…0 dBFS"}
		}
		o.ops.Beep.Level = *j.BeepLevel
	}
	if j.Fault != nil {
		f, err := graph.ParseFault(*j.Fault)
		if err != nil {
			return o, &optionError{"fault", quote(*j.Fault), "must be playPromptFailed, playBeepFailed or unspecifiedError"}
		}
		o.ops.Fault = f
	}
	return o, nil
}

func quote(s string) string { return graph.QuoteValue(s) }

func shorten(s string) string { return graph.ShortValue(s) }
