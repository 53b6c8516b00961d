package engine

// CompletionReason is why a record operation ended (the recordOperation's
// completionReason; Graph beta enum, camelCase on the wire).
type CompletionReason uint8

// Completion reasons, in the tie-break order (docs/timeline.md#tie-rules) where it applies
// (lower wins at the same sample).
const (
	ReasonNone CompletionReason = iota
	OperationCanceled
	StopToneDetected
	InitialSilenceTimeout
	MaxSilenceTimeout
	MaxRecordDurationReached
	MediaReceiveTimeout
	PlayPromptFailed
	PlayBeepFailed
	UnspecifiedError
	CompletedSuccessfully // playPrompt only (playPromptOperation's completionReason)
)

// String returns the reason as Graph spells it (camelCase), "" for
// ReasonNone.
func (r CompletionReason) String() string {
	names := [...]string{
		ReasonNone:               "",
		OperationCanceled:        "operationCanceled",
		StopToneDetected:         "stopToneDetected",
		InitialSilenceTimeout:    "initialSilenceTimeout",
		MaxSilenceTimeout:        "maxSilenceTimeout",
		MaxRecordDurationReached: "maxRecordDurationReached",
		MediaReceiveTimeout:      "mediaReceiveTimeout",
		PlayPromptFailed:         "playPromptFailed",
		PlayBeepFailed:           "playBeepFailed",
		UnspecifiedError:         "unspecifiedError",
		CompletedSuccessfully:    "completedSuccessfully",
	}
	if int(r) < len(names) {
		return names[r]
	}
	return "unknown"
}

// Status is an operation's status.
type Status uint8

// Operation statuses.
const (
	NotStarted Status = iota
	Running
	Completed
	Failed
)

// String returns the status as the Graph schema spells it.
func (s Status) String() string {
	return [...]string{"NotStarted", "Running", "Completed", "Failed"}[s]
}

// Outcome names a row of the results table: a completion reason, refined
// by a subcode where one reason has several rows.
type Outcome uint8

// Outcomes: one per row of the results table (docs/results.md).
const (
	OutcomeNone Outcome = iota
	OutMaxRecordDuration
	OutStopTone
	OutMaxSilence
	OutInitialSilence
	OutCanceled
	OutPromptFailed    // generic, 8511
	OutPromptBadFormat // 8535
	OutPromptDownload  // 8536
	OutBeepFailed      // 8512
	OutMediaReceive    // 8513
	OutUnspecified     // 9999
	OutCallTerminated  // hang-up, 410/8528
	OutPromptPlayed    // playPrompt completed (sim)
	numOutcomes
)

// RecordingPolicy says what recording an outcome offers.
type RecordingPolicy uint8

// Recording policies of the results table.
const (
	NoRecording      RecordingPolicy = iota // recordingLocation and token null
	WithRecording                           // the recording is offered
	PartialRecording                        // what was recorded, if anything
	EmptyLocation                           // "" for location and token (doc: operationCanceled)
)

// Result is one row of the results table (docs/results.md): everything a finished
// operation reports besides its id and recording.
type Result struct {
	Outcome   Outcome
	Reason    CompletionReason
	Status    Status
	Code      int
	Subcode   int
	Message   string
	Recording RecordingPolicy
}

// ResultOf returns the row of outcome o in the one results table
// (docs/results.md). The pairings other than 8515 and 8508 are not
// published by Microsoft: change them here and only here.
func ResultOf(o Outcome) Result {
	if o >= numOutcomes {
		o = OutcomeNone
	}
	type row struct {
		reason        CompletionReason
		status        Status
		code, subcode int
		message       string
		recording     RecordingPolicy
	}
	r := [numOutcomes]row{
		OutMaxRecordDuration: {MaxRecordDurationReached, Completed, 200, 8515, "Action completed, max record duration reached.", WithRecording},
		OutStopTone:          {StopToneDetected, Completed, 200, 8514, "Action completed, stop tone detected.", WithRecording},
		OutMaxSilence:        {MaxSilenceTimeout, Completed, 200, 8509, "Action completed, max silence timeout reached.", WithRecording},
		OutInitialSilence:    {InitialSilenceTimeout, Failed, 400, 8510, "Action failed, initial silence timeout reached.", NoRecording},
		OutCanceled:          {OperationCanceled, Failed, 400, 8508, "Action failed, the operation was cancelled.", EmptyLocation},
		OutPromptFailed:      {PlayPromptFailed, Failed, 500, 8511, "Action failed, play prompt failed.", NoRecording},
		OutPromptBadFormat:   {PlayPromptFailed, Failed, 500, 8535, "Action failed, bad prompt format: prompts must be 16 kHz mono 16-bit PCM WAV.", NoRecording},
		OutPromptDownload:    {PlayPromptFailed, Failed, 500, 8536, "Action failed, prompt download failed.", NoRecording},
		OutBeepFailed:        {PlayBeepFailed, Failed, 500, 8512, "Action failed, play beep failed.", NoRecording},
		OutMediaReceive:      {MediaReceiveTimeout, Failed, 500, 8513, "Action failed, media receive timeout.", PartialRecording},
		OutUnspecified:       {UnspecifiedError, Failed, 500, 9999, "Unknown internal server error.", NoRecording},
		OutCallTerminated:    {UnspecifiedError, Failed, 410, 8528, "Action failed, the call was terminated.", PartialRecording},
		OutPromptPlayed:      {CompletedSuccessfully, Completed, 200, 0, "Action completed, prompt played.", NoRecording},
	}[o]
	return Result{Outcome: o, Reason: r.reason, Status: r.status, Code: r.code, Subcode: r.subcode, Message: r.message, Recording: r.recording}
}

// Outcomes lists every outcome with a row in the table.
func Outcomes() []Outcome {
	out := make([]Outcome, 0, numOutcomes-1)
	for o := OutcomeNone + 1; o < numOutcomes; o++ {
		out = append(out, o)
	}
	return out
}
