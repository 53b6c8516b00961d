package engine

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

// recordingPolicy says what recording an outcome offers.
type recordingPolicy uint8

// Recording policies of the results table.
const (
	noRecording      recordingPolicy = iota // recordingLocation and token null
	withRecording                           // the recording is offered
	partialRecording                        // what was recorded, if anything
	emptyLocation                           // no recording; "" for location and token (Graph docs: operationCanceled)
)

// Result is one row of the results table (docs/results.md): everything a finished
// operation reports besides its id and recording.
type Result struct {
	Outcome Outcome
	Reason  string // the completionReason, as Graph spells it (camelCase); "" for OutcomeNone
	Failed  bool   // the status the row reports: failed, else completed
	Code    int
	Subcode int
	Message string
	// EmptyLocation: the row reports "" rather than null for
	// recordingLocation and recordingAccessToken (operationCanceled, as
	// the Graph docs show it).
	EmptyLocation bool
	// HasRecording: the result offers a recording. The rows with a
	// recording always do (possibly of 0 samples, e.g. a stop tone during
	// the prompt), the partial rows (mediaReceiveTimeout, the hang-up)
	// only if anything was recorded: Operation.Result knows which,
	// ResultOf reports it for the rows that always offer one.
	HasRecording bool
	recording    recordingPolicy
}

// ResultOf returns the row of outcome o in the one results table
// (docs/results.md). The pairings other than 8515 and 8508 are not
// published by Microsoft: change them here and only here.
func ResultOf(o Outcome) Result {
	if o >= numOutcomes {
		o = OutcomeNone
	}
	type row struct {
		reason        string
		failed        bool
		code, subcode int
		message       string
		recording     recordingPolicy
	}
	r := [numOutcomes]row{
		OutMaxRecordDuration: {"maxRecordDurationReached", false, 200, 8515, "Action completed, max record duration reached.", withRecording},
		OutStopTone:          {"stopToneDetected", false, 200, 8514, "Action completed, stop tone detected.", withRecording},
		OutMaxSilence:        {"maxSilenceTimeout", false, 200, 8509, "Action completed, max silence timeout reached.", withRecording},
		OutInitialSilence:    {"initialSilenceTimeout", true, 400, 8510, "Action failed, initial silence timeout reached.", noRecording},
		OutCanceled:          {"operationCanceled", true, 400, 8508, "Action failed, the operation was cancelled.", emptyLocation},
		OutPromptFailed:      {"playPromptFailed", true, 500, 8511, "Action failed, play prompt failed.", noRecording},
		OutPromptBadFormat:   {"playPromptFailed", true, 500, 8535, "Action failed, bad prompt format: prompts must be 16 kHz mono 16-bit PCM WAV.", noRecording},
		OutPromptDownload:    {"playPromptFailed", true, 500, 8536, "Action failed, prompt download failed.", noRecording},
		OutBeepFailed:        {"playBeepFailed", true, 500, 8512, "Action failed, play beep failed.", noRecording},
		OutMediaReceive:      {"mediaReceiveTimeout", true, 500, 8513, "Action failed, media receive timeout.", partialRecording},
		OutUnspecified:       {"unspecifiedError", true, 500, 9999, "Unknown internal server error.", noRecording},
		OutCallTerminated:    {"unspecifiedError", true, 410, 8528, "Action failed, the call was terminated.", partialRecording},
		OutPromptPlayed:      {"completedSuccessfully", false, 200, 0, "Action completed, prompt played.", noRecording},
	}[o]
	return Result{Outcome: o, Reason: r.reason, Failed: r.failed, Code: r.code, Subcode: r.subcode, Message: r.message,
		EmptyLocation: r.recording == emptyLocation, HasRecording: r.recording == withRecording, recording: r.recording}
}
