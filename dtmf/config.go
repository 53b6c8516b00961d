package dtmf

import (
	"errors"
	"fmt"
	"math"
)

// Supported sample rates (docs/audio.md).
const (
	MinRate = 8000
	MaxRate = 48000
)

// Limits on the analysis structure, fixed so that a Detector needs no
// allocation once made (its block history is an array).
const (
	maxWindow  = 12 // blocks per analysis window (60 ms at 5 ms blocks)
	maxGap     = 12 // blocks of absence that end a digit
	ringBlocks = 32 // block history (160 ms at 5 ms blocks): windows, and the walks that place onsets and releases; a power of two
)

// ErrConfig matches (errors.Is) every error New and NewBank return for an
// invalid Config; those errors are *ConfigError.
var ErrConfig = errors.New("dtmf: invalid Config")

// ConfigError reports an invalid Config field, its value and what it must
// be: "dtmf: Config.Rate = 7000: must be 8000–48000".
type ConfigError struct {
	Field string
	Value any
	Want  string
}

// Error names the field, its value and the valid range.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("dtmf: Config.%s = %v: %s", e.Field, e.Value, e.Want)
}

// Is makes errors.Is(err, ErrConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// Config holds a Detector's parameters. DefaultConfig gives the values the
// package was measured with; the comment on each field says where its
// default comes from.
type Config struct {
	// Rate is the sample rate in samples per second, 8000–48000.
	Rate int

	// Block is the analysis block length in samples. Default: Rate/200
	// (5 ms). Reasoning: the block sets the time resolution (onsets and
	// releases are located to a fraction of a block, so 5 ms keeps even
	// the unrefined error within the 5 ms aim) and the span over which a
	// tone's phase advance is measured: a tone Δf off nominal advances by
	// 2π·Δf·5 ms per block, unambiguous up to ±100 Hz, beyond the largest
	// offset that matters (5 % of 1633 Hz = 82 Hz). Must lie in 2–10 ms.
	Block int

	// Window is the number of blocks one analysis window spans; a window is
	// valid only if the tone pair fills every block of it (see MinFill).
	// Default 6 (30 ms): long enough to measure frequency to 0.13 % and
	// twist to 0.6 dB (TestMargins) and to hold a digit steady against
	// speech, short enough to fit in a 40 ms tone whatever its alignment
	// (40 ms always holds 7 whole 5 ms blocks), and far beyond what a
	// 23 ms tone can fill (4 whole blocks and slivers summing to 3 ms).
	// 3–12.
	Window int

	// MinDuration is the shortest accepted tone, in samples: a digit is
	// accepted (KeyDown) at the first block where a window is valid and the
	// tone, from its estimated onset to where it ends in that block, has
	// lasted this long. Default 31.5 ms: the DTMF requirements
	// (docs/detectors.md#dtmf) accept 40 ms and reject 23 ms; the middle
	// leaves 8.5 ms each way, far more than the error of the onset and end
	// estimates (measured ≤ 1.4 ms), and a 40 ms tone with 5 ms ramps (35 ms
	// at half amplitude or more) still passes. The KeyDown then comes 32–40 ms
	// after the onset (≤ 60 ms, docs/detectors.md#dtmf). Window−2 to
	// Window+2 blocks: durations a valid window can stand for.
	MinDuration int

	// Gap is the number of consecutive blocks without the tone pair after
	// which a held digit is released. Default 5 (25 ms): a 10 ms dropout must
	// not split a digit and a 40 ms pause must (docs/detectors.md#dtmf). With
	// the smoothing of the holding tests (see present) the split falls at a
	// gap of about 22 ms: measured, gaps of up to 18 ms are always bridged and
	// gaps of 28 ms or more always split, at every alignment, whether the tone
	// resumes in phase (a dropout) or with a new phase (a fresh burst) — 8 ms
	// and 12 ms from those two figures.
	Gap int

	// MinLevel is the level, in dBFS (peak of the sine, as media uses it),
	// that the stronger of the two tones must reach. Default −48: the DTMF
	// requirements (docs/detectors.md#dtmf) accept −40 dBFS per tone and
	// reject −55; −48 leaves 8 dB of margin below −40 and 7 dB above −55 (3 dB
	// above the −51 dBFS high tone of a −55 dBFS pair with +4 dB twist). With
	// −8 dB twist the weaker tone of a −40 dBFS pair sits at −48 and is still
	// accepted because only the stronger tone is held to the floor; the twist
	// limits bound the other.
	MinLevel float64

	// MaxTwist is the largest accepted high-group minus low-group level,
	// in dB ("reverse twist" in Q.24's AT&T column, 4 dB). Default +6: +4
	// is accepted (docs/detectors.md#dtmf) and the conformance suite
	// rejects +8; 6 is the middle.
	MaxTwist float64

	// MinTwist is the smallest accepted high-minus-low level in dB (Q.24 AT&T
	// "normal twist" 8 dB, i.e. −8). Default −10: −8 is accepted
	// (docs/detectors.md#dtmf), the suite rejects −12; −10 is the middle.
	// Twist is measured to within 0.6 dB (TestMargins), clipped −3 dBFS pairs
	// included.
	MinTwist float64

	// MaxDeviation is the largest accepted frequency deviation of either tone,
	// as a fraction of its nominal frequency. Default 0.025: Q.24 (AT&T) and
	// docs/detectors.md#dtmf accept ±1.5 % and reject ±3.5 %; 2.5 % is the
	// middle, a margin of 1 % (7 Hz at 697 Hz, 16 Hz at 1633 Hz) each way
	// against an estimation error measured at most 0.13 % (TestMargins).
	MaxDeviation float64

	// MinPurity is the smallest fraction of a window's energy (its constant
	// part removed) that the two tones, as steady sinusoids over the whole
	// window, must carry: the main talk-off guard (speech and music spread
	// their energy over many harmonics). Default 0.80, measured
	// (TestMargins): valid windows of true digits keep at least 0.88 (the
	// worst: a window ending in a 60 % sliver of a −3 dBFS pair clipped at
	// full scale, or with white noise at 15 dB SNR); no window of 5 hours
	// of speech and music (fixtures at two gains, pitch-shifted ×0.85–1.15)
	// that passes every other test gets above 0.69 (high voices do, to 0.88:
	// partials of one voice in the ratios 5/3, 4/3, 5/4, 7/5, 7/4, which the Harmonic
	// guard handles; docs/detectors.md#dtmf). 0.80 is the geometric
	// middle of the energy left over, 12 % and 31 % (2 dB of margin each
	// way). Pure harmonic pairs (a note and its octave) can be purer; the
	// Harmonic guard handles them.
	MinPurity float64

	// MinFill is the smallest amplitude of any block of a valid window,
	// relative to the window's mean amplitude (both tones together). It
	// makes "the pair fills the whole window" concrete, and with Window it
	// sets the shortest accepted tone. Default 0.6: a block only 60 %
	// covered by the tone still counts, so the shortest tone that can make
	// one 6-block window is 4 full blocks plus two 60 % slivers = 26 ms,
	// a window MinDuration then has to confirm; windows wholly inside a
	// tone measure at least 0.93 (TestMargins: −8 dB twist in 15 dB SNR
	// noise is the worst).
	MinFill float64

	// Harmonic is the half-width, as a fraction, of the bands around the
	// column/row frequency ratios 2/1 and 3/2 (and, see harmonicBands, 5/3,
	// 4/3 at 0.6 of it, and 5/4, 7/5 and 7/4 with a test of other partials
	// and of gliding pitch, for voices) in which a pair is rejected: two
	// partials of one harmonic sound (a note and its octave, or its 2nd and
	// 3rd harmonics) stand in exactly these ratios, DTMF pairs never do.
	// Without it a plucked G#5 (830.6 Hz) and its octave, on an instrument
	// tuned 4 cents sharp, pass every other test as 'C' (852 Hz −2.3 %,
	// 1633 Hz +2.0 %; the piano fixture pitched up 6 % does exactly that); the
	// octave of 682 Hz and of 754 Hz balance at 2.1 % on '2' and '6'. Default
	// 0.005: the pairs that must be accepted (docs/detectors.md#dtmf: ±1.5 %
	// each way) keep ratios at least 1.15 % from 2/1 and 1.5 % from 3/2
	// (nominal ratios 1.917, 1.918, 1.568, 1.570), and the two tones'
	// estimation errors (each ≤ 0.13 %, measured) move a ratio by ≤ 0.26 %, so
	// true pairs stay clear; harmonic pairs in the talk-off material measure
	// within 0.15 % of their ratio. 0 disables the guard.
	Harmonic float64
}

// DefaultConfig returns the measured defaults for rate (see each field).
func DefaultConfig(rate int) Config {
	return Config{
		Rate:         rate,
		Block:        int(math.Round(float64(rate) / 200)),
		Window:       6,
		MinDuration:  int(math.Round(0.0315 * float64(rate))),
		Gap:          5,
		MinLevel:     -48,
		MaxTwist:     6,
		MinTwist:     -10,
		MaxDeviation: 0.025,
		MinPurity:    0.80,
		MinFill:      0.6,
		Harmonic:     0.005,
	}
}

// validate checks every field and names the first bad one.
func (c Config) validate() error {
	bad := func(field string, v any, want string) error {
		return &ConfigError{Field: field, Value: v, Want: want}
	}
	switch {
	case c.Rate < MinRate || c.Rate > MaxRate:
		return bad("Rate", c.Rate, "must be 8000–48000")
	case c.Block*500 < c.Rate || c.Block*100 > c.Rate:
		return bad("Block", c.Block, fmt.Sprintf("must be 2–10 ms, %d–%d samples at %d Hz", (c.Rate+499)/500, c.Rate/100, c.Rate))
	case c.Window < 3 || c.Window > maxWindow:
		return bad("Window", c.Window, fmt.Sprintf("must be 3–%d blocks", maxWindow))
	case c.MinDuration < (c.Window-2)*c.Block || c.MinDuration > (c.Window+2)*c.Block:
		return bad("MinDuration", c.MinDuration, fmt.Sprintf("must be %d–%d samples (Window−2 to Window+2 blocks)", (c.Window-2)*c.Block, (c.Window+2)*c.Block))
	case c.Gap < 1 || c.Gap > maxGap:
		return bad("Gap", c.Gap, fmt.Sprintf("must be 1–%d blocks", maxGap))
	case !(c.MinLevel >= -90 && c.MinLevel <= 0):
		return bad("MinLevel", c.MinLevel, "must be −90–0 dBFS")
	case !(c.MaxTwist >= 0 && c.MaxTwist <= 20):
		return bad("MaxTwist", c.MaxTwist, "must be 0–20 dB")
	case !(c.MinTwist >= -20 && c.MinTwist <= 0):
		return bad("MinTwist", c.MinTwist, "must be −20–0 dB")
	case !(c.MaxDeviation > 0 && c.MaxDeviation <= 0.05):
		return bad("MaxDeviation", c.MaxDeviation, "must be in (0, 0.05]")
	case !(c.MinPurity > 0 && c.MinPurity <= 1):
		return bad("MinPurity", c.MinPurity, "must be in (0, 1]")
	case !(c.MinFill > 0 && c.MinFill <= 1):
		return bad("MinFill", c.MinFill, "must be in (0, 1]")
	case !(c.Harmonic >= 0 && c.Harmonic <= 0.01):
		return bad("Harmonic", c.Harmonic, "must be in [0, 0.01]")
	}
	return nil
}
