package graph

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"

	"github.com/recsim/recsim/engine"
)

// Options are the wire-format switches (docs/wire.md#switches).
type Options struct {
	DocsCasing bool // status as the docs' examples spell it ("completed") instead of the schema ("Completed")
	StrictV1   bool // omit the beta property completionReason; reject beta-only request properties
}

// ResultInfo is Graph's resultInfo.
type ResultInfo struct {
	ODataType string `json:"@odata.type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"subcode"`
	Message   string `json:"message"`
}

// RecordOperation is the recordOperation resource as it goes on the wire
// (docs/wire.md). Null properties are sent as null, as Graph does.
type RecordOperation struct {
	ODataType            string      `json:"@odata.type"`
	ODataID              string      `json:"@odata.id,omitempty"`   // notifications only
	ODataEtag            string      `json:"@odata.etag,omitempty"` // notifications only
	ID                   string      `json:"id"`
	ClientContext        *string     `json:"clientContext"`
	Status               string      `json:"status"`
	ResultInfo           *ResultInfo `json:"resultInfo"`
	RecordingLocation    *string     `json:"recordingLocation"`
	RecordingAccessToken *string     `json:"recordingAccessToken"`
	CompletionReason     *string     `json:"completionReason,omitempty"`
}

// RecordOperationType is the recordOperation's @odata.type.
const RecordOperationType = "#microsoft.graph.recordOperation"

// OperationView is what a recordOperation reports: its id, request and,
// once ended, its result and recording location.
type OperationView struct {
	ID            string
	ClientContext *string
	Status        Status
	Outcome       engine.Outcome // OutcomeNone while not ended
	Location      *string        // recording location (nil: none)
	Token         *string        // recording access token (nil: none)
}

// Wire renders v as a RecordOperation. An operationCanceled result carries
// "" for location and token (Graph docs); others carry what v says.
func (v OperationView) Wire(o Options) RecordOperation {
	op := RecordOperation{ODataType: RecordOperationType, ID: v.ID, ClientContext: v.ClientContext}
	op.Status = StatusName(v.Status, o.DocsCasing)
	if v.Outcome != engine.OutcomeNone {
		r := engine.ResultOf(v.Outcome)
		op.ResultInfo = &ResultInfo{ODataType: "#microsoft.graph.resultInfo", Code: r.Code, Subcode: r.Subcode, Message: r.Message}
		op.RecordingLocation, op.RecordingAccessToken = v.Location, v.Token
		if r.EmptyLocation {
			empty := ""
			op.RecordingLocation, op.RecordingAccessToken = &empty, &empty
		}
		if !o.StrictV1 {
			reason := r.Reason
			op.CompletionReason = &reason
		}
	}
	return op
}

// Status is a commsOperation's status (docs/wire.md). The values are
// stable: stores keep them as numbers.
type Status uint8

// Operation statuses.
const (
	NotStarted Status = iota
	Running
	Completed
	Failed
)

// StatusOf returns the status of an operation on a call: not started
// while queued, running once started, then the status of its result's
// row.
func StatusOf(op *engine.CallOp) Status {
	switch {
	case op.Outcome != engine.OutcomeNone:
		return ResultStatus(engine.ResultOf(op.Outcome))
	case op.Op != nil:
		return Running
	}
	return NotStarted
}

// ResultStatus returns the status a results-table row reports: Failed or
// Completed.
func ResultStatus(r engine.Result) Status {
	if r.Failed {
		return Failed
	}
	return Completed
}

// String returns the status as the Graph schema spells it.
func (s Status) String() string { return StatusName(s, false) }

// StatusName spells an operation status for the wire: as the Graph schema
// does ("NotStarted", "Running", "Completed", "Failed"; the official SDKs
// parse only this casing), or with docsCasing as the docs' examples do
// ("notStarted", "running", …).
func StatusName(s Status, docsCasing bool) string {
	if s > Failed {
		return "Status(" + strconv.Itoa(int(s)) + ")"
	}
	if docsCasing {
		return [...]string{"notStarted", "running", "completed", "failed"}[s]
	}
	return [...]string{"NotStarted", "Running", "Completed", "Failed"}[s]
}

// NewID returns a random lower-case GUID (version 4) for operations and
// calls.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte // 8-4-4-4-12 hex digits
	hex.Encode(out[0:8], b[0:4])
	hex.Encode(out[9:13], b[4:6])
	hex.Encode(out[14:18], b[6:8])
	hex.Encode(out[19:23], b[8:10])
	hex.Encode(out[24:36], b[10:16])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return string(out[:])
}
