package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/recsim/recsim/engine"
)

// ErrBadRequest is matched (errors.Is) by every *RequestError.
var ErrBadRequest = errors.New("bad request")

// RequestError reports an invalid recordResponse body. It names the field,
// the value sent and the valid range (docs/wire.md#request).
type RequestError struct {
	Field  string // JSON path, e.g. "maxSilenceTimeoutInSeconds", "prompts[0].mediaInfo.uri"
	Value  string // the value as sent (JSON text, shortened)
	Reason string // what is valid
}

// Error says "field = value: what is valid".
func (e *RequestError) Error() string {
	return fmt.Sprintf("%s = %s: %s", e.Field, e.Value, e.Reason)
}

// Is makes errors.Is(err, ErrBadRequest) true.
func (e *RequestError) Is(target error) bool { return target == ErrBadRequest }

// Limits of a recordResponse body (Graph docs; docs/wire.md#request).
const (
	MinTimerSeconds  = 1   // the smallest timeout or duration cap, seconds
	MaxTimerSeconds  = 120 // the largest, seconds
	MaxClientContext = 256 // characters
)

// stopToneDigit maps the accepted spellings of a stop tone (docs/wire.md#request: the
// characters 0-9 * # A-D, or the Graph tone names tone0…tone9, star,
// pound, a–d; case-insensitive) to the digit.
func stopToneDigit(s string) (byte, bool) {
	l := strings.ToLower(s)
	if len(l) == 1 {
		c := l[0]
		switch {
		case c >= '0' && c <= '9', c == '*', c == '#':
			return c, true
		case c >= 'a' && c <= 'd':
			return c - 'a' + 'A', true
		}
		return 0, false
	}
	if len(l) == 5 && strings.HasPrefix(l, "tone") && l[4] >= '0' && l[4] <= '9' {
		return l[4], true
	}
	switch l {
	case "star":
		return '*', true
	case "pound":
		return '#', true
	}
	return 0, false
}

// ParseRecordRequest parses and validates a recordResponse body
// (docs/wire.md#request).
// Unknown properties are ignored; numbers sent as strings, wrong types and
// out-of-range values are *RequestError. An empty body means all defaults.
// beta allows streamWhileRecording; on v1.0 with strictV1 it is rejected.
func ParseRecordRequest(body []byte, strictV1 bool) (engine.RecordRequest, error) {
	req := engine.DefaultRecordRequest()
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return req, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return req, &RequestError{Field: "body", Value: ShortValue(string(body)), Reason: "must be a JSON object: " + jsonReason(err)}
	}
	var err error
	set := func(e error) {
		if err == nil {
			err = e
		}
	}
	if v, ok := raw["bargeInAllowed"]; ok {
		set(parseBool(v, "bargeInAllowed", &req.BargeInAllowed))
	}
	if v, ok := raw["playBeep"]; ok {
		set(parseBool(v, "playBeep", &req.PlayBeep))
	}
	if v, ok := raw["streamWhileRecording"]; ok {
		if strictV1 {
			set(&RequestError{Field: "streamWhileRecording", Value: ShortValue(string(v)), Reason: "is a beta property; not accepted on /v1.0 with strictV1"})
		}
		set(parseBool(v, "streamWhileRecording", &req.StreamWhileRecording))
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{
		{"initialSilenceTimeoutInSeconds", &req.InitialSilenceTimeoutInSeconds},
		{"maxSilenceTimeoutInSeconds", &req.MaxSilenceTimeoutInSeconds},
		{"maxRecordDurationInSeconds", &req.MaxRecordDurationInSeconds},
	} {
		if v, ok := raw[f.name]; ok {
			set(parseSeconds(v, f.name, f.dst))
		}
	}
	if v, ok := raw["clientContext"]; ok && !isNull(v) {
		var s string
		if json.Unmarshal(v, &s) != nil {
			set(&RequestError{Field: "clientContext", Value: ShortValue(string(v)), Reason: "must be a string of at most 256 characters"})
		} else if n := utf8.RuneCountInString(s); n > MaxClientContext {
			set(&RequestError{Field: "clientContext", Value: fmt.Sprintf("%d characters", n), Reason: "must be at most 256 characters"})
		} else {
			req.ClientContext = &s
		}
	}
	if v, ok := raw["stopTones"]; ok && !isNull(v) {
		var tones []json.RawMessage
		if json.Unmarshal(v, &tones) != nil {
			set(&RequestError{Field: "stopTones", Value: ShortValue(string(v)), Reason: "must be an array of strings"})
		}
		for i, tv := range tones {
			var s string
			field := fmt.Sprintf("stopTones[%d]", i)
			if json.Unmarshal(tv, &s) != nil {
				set(&RequestError{Field: field, Value: ShortValue(string(tv)), Reason: "must be a string"})
				continue
			}
			d, ok := stopToneDigit(s)
			if !ok {
				set(&RequestError{Field: field, Value: QuoteValue(s), Reason: "must be one of 0-9 * # A-D or tone0…tone9, star, pound, a, b, c, d"})
				continue
			}
			if bytes.IndexByte(req.StopTones, d) < 0 {
				req.StopTones = append(req.StopTones, d)
			}
		}
	}
	if v, ok := raw["prompts"]; ok && !isNull(v) {
		set(parsePrompts(v, &req.Prompts))
	}
	return req, err
}

func parsePrompts(v json.RawMessage, dst *[]string) error {
	var items []json.RawMessage
	if json.Unmarshal(v, &items) != nil {
		return &RequestError{Field: "prompts", Value: ShortValue(string(v)), Reason: "must be an array of at most 1 mediaPrompt"}
	}
	if len(items) > 1 {
		return &RequestError{Field: "prompts", Value: fmt.Sprintf("%d elements", len(items)), Reason: "must hold 0 or 1 mediaPrompt"}
	}
	for i, it := range items {
		var p struct {
			MediaInfo *struct {
				URI *json.RawMessage `json:"uri"`
			} `json:"mediaInfo"`
		}
		field := fmt.Sprintf("prompts[%d]", i)
		if json.Unmarshal(it, &p) != nil {
			return &RequestError{Field: field, Value: ShortValue(string(it)), Reason: "must be a mediaPrompt object with mediaInfo.uri"}
		}
		if p.MediaInfo == nil {
			return &RequestError{Field: field + ".mediaInfo", Value: "missing", Reason: "is required (mediaInfo.uri locates the prompt's WAV)"}
		}
		var uri string
		if p.MediaInfo.URI == nil || json.Unmarshal(*p.MediaInfo.URI, &uri) != nil || strings.TrimSpace(uri) == "" {
			val := "missing"
			if p.MediaInfo.URI != nil {
				val = ShortValue(string(*p.MediaInfo.URI))
			}
			return &RequestError{Field: field + ".mediaInfo.uri", Value: val, Reason: "is required: a non-empty string locating a 16 kHz mono 16-bit PCM WAV"}
		}
		*dst = append(*dst, uri)
	}
	return nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

func parseBool(v json.RawMessage, field string, dst *bool) error {
	if isNull(v) {
		return nil // null: the default stands
	}
	switch string(bytes.TrimSpace(v)) {
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		return &RequestError{Field: field, Value: ShortValue(string(v)), Reason: "must be a JSON boolean (true or false)"}
	}
	return nil
}

func parseSeconds(v json.RawMessage, field string, dst *int) error {
	if isNull(v) {
		return nil
	}
	s := string(bytes.TrimSpace(v))
	reason := fmt.Sprintf("must be a whole number of seconds from %d to %d", MinTimerSeconds, MaxTimerSeconds)
	if strings.HasPrefix(s, `"`) {
		return &RequestError{Field: field, Value: ShortValue(s), Reason: reason + " (a JSON number, not a string)"}
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		return &RequestError{Field: field, Value: ShortValue(s), Reason: reason}
	}
	if f != float64(int64(f)) || f < MinTimerSeconds || f > MaxTimerSeconds {
		return &RequestError{Field: field, Value: ShortValue(s), Reason: reason}
	}
	*dst = int(f)
	return nil
}

// QuoteValue quotes s for an error message, shortened by ShortValue.
func QuoteValue(s string) string { return ShortValue(fmt.Sprintf("%q", s)) }

// ShortValue folds white space and cuts s to 64 bytes, for quoting a sent
// value in an error message.
func ShortValue(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 64 {
		return s[:61] + "..."
	}
	return s
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "found " + te.Value
	}
	return err.Error()
}
