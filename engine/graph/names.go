package graph

import (
	"fmt"
	"strings"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/runner"
)

// The names below are how the simulation's switches are spelt in server
// flags, per-call options and scenario scripts (docs/server.md,
// docs/scenarios.md). Every parser is case-insensitive and its error names
// the value and what is valid.

// ParseEndOfMedia parses silence (also ""), hangup or stall.
func ParseEndOfMedia(s string) (engine.EndOfMedia, error) {
	switch strings.ToLower(s) {
	case "silence", "":
		return engine.EndSilence, nil
	case "hangup":
		return engine.EndHangup, nil
	case "stall":
		return engine.EndStall, nil
	}
	return 0, fmt.Errorf("end-of-media policy %q: must be silence, hangup or stall", s)
}

// ParseHangupPolicy parses the hang-up policy, notify (also "") or
// silent, into engine.CallOptions.SilentHangup.
func ParseHangupPolicy(s string) (silent bool, err error) {
	switch strings.ToLower(s) {
	case "notify", "":
		return false, nil
	case "silent":
		return true, nil
	}
	return false, fmt.Errorf("hang-up policy %q: must be notify or silent", s)
}

// ParseMode parses the runner's clock: realtime (also "") or fast.
func ParseMode(s string) (runner.Mode, error) {
	switch strings.ToLower(s) {
	case "realtime", "":
		return runner.Realtime, nil
	case "fast":
		return runner.Fast, nil
	}
	return 0, fmt.Errorf("clock %q: must be realtime or fast", s)
}

// ParseFault parses the name of an injectable fault (engine.Options.Fault):
// "" (none), playPromptFailed, playBeepFailed or unspecifiedError.
func ParseFault(s string) (engine.Outcome, error) {
	switch strings.ToLower(s) {
	case "":
		return engine.OutcomeNone, nil
	case "playpromptfailed":
		return engine.OutPromptFailed, nil
	case "playbeepfailed":
		return engine.OutBeepFailed, nil
	case "unspecifiederror":
		return engine.OutUnspecified, nil
	}
	return engine.OutcomeNone, fmt.Errorf("fault %q: must be playPromptFailed, playBeepFailed or unspecifiedError", s)
}

// RecordingStatus is the recording status a bot declares with
// updateRecordingStatus (docs/call.md).
type RecordingStatus uint8

// Recording statuses.
const (
	NotRecording RecordingStatus = iota
	Recording
	RecordingFailed
)

// String returns the status as Graph spells it.
func (s RecordingStatus) String() string {
	return [...]string{"notRecording", "recording", "failed"}[s]
}

// ParseRecordingStatus parses notRecording, recording or failed.
func ParseRecordingStatus(s string) (RecordingStatus, error) {
	switch strings.ToLower(s) {
	case "notrecording":
		return NotRecording, nil
	case "recording":
		return Recording, nil
	case "failed":
		return RecordingFailed, nil
	}
	return 0, fmt.Errorf("status %q: must be notRecording, recording or failed", s)
}

// ToneName is Graph's name of a DTMF key (the tone enum): tone0…tone9,
// star, pound, a…d.
func ToneName(d byte) string {
	switch {
	case d >= '0' && d <= '9':
		return "tone" + string(d)
	case d == '*':
		return "star"
	case d == '#':
		return "pound"
	case d >= 'A' && d <= 'D':
		return string(d - 'A' + 'a')
	}
	return "unknown"
}

// ParseTone is ToneName's inverse (case-insensitive); false for another name.
func ParseTone(name string) (byte, bool) {
	n := strings.ToLower(name)
	switch {
	case len(n) == 5 && strings.HasPrefix(n, "tone") && n[4] >= '0' && n[4] <= '9':
		return n[4], true
	case n == "star":
		return '*', true
	case n == "pound":
		return '#', true
	case len(n) == 1 && n[0] >= 'a' && n[0] <= 'd':
		return n[0] - 'a' + 'A', true
	}
	return 0, false
}
