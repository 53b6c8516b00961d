package engine

import (
	"fmt"
	"strings"
)

// EndOfMedia is what happens when the caller's media ends before the
// operation does (SPEC §5).
type EndOfMedia uint8

// End-of-media policies.
const (
	EndSilence EndOfMedia = iota // the caller stays on the line, silent: digital silence follows (default)
	EndHangup                    // the caller hangs up
	EndStall                     // no more frames: media receive timeout
)

func (e EndOfMedia) String() string { return [...]string{"silence", "hangup", "stall"}[e] }

// ParseEndOfMedia parses a policy name (case-insensitive).
func ParseEndOfMedia(s string) (EndOfMedia, error) {
	switch strings.ToLower(s) {
	case "silence", "":
		return EndSilence, nil
	case "hangup":
		return EndHangup, nil
	case "stall":
		return EndStall, nil
	}
	return 0, fmt.Errorf("end-of-media policy %q: must be silence, hangup or stall", s)
}

// FrameSize is the default frame: 20 ms (SPEC §1).
const FrameMs = 20

// Run feeds caller to op in frames of frame samples (0: 20 ms) and, if the
// audio ends first, applies eom until the operation ends. It returns the
// number of caller samples the operation consumed (silence it was fed
// after the end of caller is not counted).
func Run(op *Operation, caller []int16, frame int, eom EndOfMedia) int {
	if frame <= 0 {
		frame = int(op.Rate()) * FrameMs / 1000
	}
	used := 0
	for used < len(caller) && !op.Done() {
		n := min(frame, len(caller)-used)
		used += op.Process(caller[used : used+n])
	}
	if op.Done() {
		return used
	}
	switch eom {
	case EndHangup:
		op.Hangup()
	case EndStall:
		op.Stall()
	default:
		silence := make([]int16, frame)
		for !op.Done() { // every operation ends by L + maxRecordDuration
			op.Process(silence)
		}
	}
	return used
}
