package engine

import "github.com/recsim/recsim/media"

// EndOfMedia is what happens when the caller's media ends before the
// operation does (docs/call.md).
type EndOfMedia uint8

// End-of-media policies.
const (
	EndSilence EndOfMedia = iota // the caller stays on the line, silent: digital silence follows (default)
	EndHangup                    // the caller hangs up
	EndStall                     // no more frames: media receive timeout
)

// ProcessAll feeds caller to op in frames of frame samples (0: 20 ms) and,
// if the audio ends first, applies eom until the operation ends. It
// returns the number of caller samples the operation consumed (silence it
// was fed after the end of caller is not counted). Like Process, it does
// not retain caller.
func (op *Operation) ProcessAll(caller []int16, frame int, eom EndOfMedia) int {
	if frame <= 0 {
		frame = int(op.rate.N(media.FrameDuration))
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
		op.Stop(OutCallTerminated)
	case EndStall:
		op.Stop(OutMediaReceive)
	default:
		silence := make([]int16, frame)
		for !op.Done() { // every operation ends by L + maxRecordDuration
			op.Process(silence)
		}
	}
	return used
}
