package engine

// RecordRequest is what a recordResponse asks for, as plain values with
// every default applied. Package graph parses and validates the JSON a bot
// sends (graph.ParseRecordRequest); code that builds requests by hand
// starts from DefaultRecordRequest. Timeouts are whole seconds, as on the
// wire (docs/wire.md#request).
type RecordRequest struct {
	Prompts                        []string // the prompts' mediaInfo.uri in order (recordResponse: 0 or 1)
	BargeInAllowed                 bool
	InitialSilenceTimeoutInSeconds int
	MaxSilenceTimeoutInSeconds     int
	MaxRecordDurationInSeconds     int
	PlayBeep                       bool
	StopTones                      []byte  // digits 0-9 * # A-D, in request order, no duplicates
	ClientContext                  *string // nil: not sent
	StreamWhileRecording           bool
}

// DefaultRecordRequest returns the request an empty body means: every
// timer at 5 s (Graph docs), the beep on, no prompt, no stop tone.
func DefaultRecordRequest() RecordRequest {
	return RecordRequest{
		InitialSilenceTimeoutInSeconds: 5,
		MaxSilenceTimeoutInSeconds:     5,
		MaxRecordDurationInSeconds:     5,
		PlayBeep:                       true,
	}
}
