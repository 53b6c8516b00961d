package engine

// EventKind is the type of a timeline event (and of a CallEvent).
// Package graph spells the kinds as the timeline's JSON does
// (docs/timeline.md).
type EventKind uint8

// Timeline event kinds.
const (
	EvStart         EventKind = iota + 1 // the operation starts (dequeued)
	EvPromptStart                        // the prompt starts playing
	EvPromptEnd                          // the prompt has played
	EvBeepStart                          // the beep starts
	EvBeepEnd                            // the beep has played
	EvListenStart                        // recording starts (L)
	EvSpeechStart                        // the VAD confirmed speech; Sample is its first sample
	EvSpeechEnd                          // the VAD ended speech; Sample is one past its last sample
	EvDigit                              // a DTMF digit; Sample is its onset
	EvTimerArmed                         // maxSilence armed; Deadline is when it fires
	EvTimerDisarmed                      // a timer disarmed (Detail says which)
	EvCompleted                          // the operation ended; Outcome says how
	EvProgress                           // (CallEvent only) the running operation's timeline grew
	EvHangup                             // (CallEvent only) the caller hung up
	evBeepFault                          // internal mark: the beep cannot play
	evFault                              // internal mark: injected fault
)

// Event details (constant strings, so recording an event never allocates).
const (
	detailBeforeListen   = "before listen start"
	detailMaxSilence     = "maxSilence"
	detailInitialSilence = "initialSilence"
	detailStopTone       = "stop tone"
	detailNotStopTone    = "not a stop tone: recorded as audio"
	detailIgnoredEarly   = "stop tone before listen start, ignored (stopTonesDuringPrompt off)"
	detailHeldTone       = "still held from the previous operation, ignored"
)

// Event is one entry of an operation's timeline. Sample is the stream
// sample the event refers to; At is the sample at which it was decided
// (equal to Sample for phase changes and timers).
type Event struct {
	Kind     EventKind
	Sample   int64
	At       int64
	Digit    byte    // EvDigit; EvCompleted on a stop tone
	Outcome  Outcome // EvCompleted
	Deadline int64   // EvTimerArmed
	Detail   string
}
