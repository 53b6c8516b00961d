package server

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
)

// Graph's @odata.type values.
const (
	typeCall                  = "#microsoft.graph.call"
	typePlayPrompt            = "#microsoft.graph.playPromptOperation"
	typeCancelMedia           = "#microsoft.graph.cancelMediaProcessingOperation"
	typeUpdateRecordingStatus = "#microsoft.graph.updateRecordingStatusOperation"
	typeSubscribeToTone       = "#microsoft.graph.subscribeToToneOperation"
	typeSendDtmfTones         = "#microsoft.graph.sendDtmfTonesOperation"
	typeToneInfo              = "#microsoft.graph.toneInfo"
	typeResultInfo            = "#microsoft.graph.resultInfo"
	typeNotifications         = "#microsoft.graph.commsNotifications"
	typeNotification          = "#microsoft.graph.commsNotification"
	typeServiceHostedMedia    = "#microsoft.graph.serviceHostedMediaConfig"
)

// callResource is the call resource as GET, the 201 of POST calls and the
// call notifications show it.
type callResource struct {
	ODataType           string      `json:"@odata.type"`
	ODataID             string      `json:"@odata.id,omitempty"`
	ODataEtag           string      `json:"@odata.etag,omitempty"`
	ID                  string      `json:"id"`
	State               string      `json:"state"`
	Direction           string      `json:"direction"`
	CallbackURI         string      `json:"callbackUri"`
	RequestedModalities []string    `json:"requestedModalities"`
	MediaConfig         odataObject `json:"mediaConfig"`
	ToneInfo            *toneInfo   `json:"toneInfo,omitempty"` // a tone the subscription heard (notifications only)
	// What the SDKs read beyond the state (docs/server.md#the-call-resource).
	Source          json.RawMessage   `json:"source,omitempty"`  // participantInfo
	Targets         json.RawMessage   `json:"targets,omitempty"` // invitationParticipantInfo collection
	TenantID        string            `json:"tenantId,omitempty"`
	MyParticipantID string            `json:"myParticipantId,omitempty"`
	CallChainID     string            `json:"callChainId,omitempty"`
	ResultInfo      *graph.ResultInfo `json:"resultInfo,omitempty"` // why it ended, once terminated
}

// Call end reasons (Graph docs: call-delete, "call end reason codes").
func endByBot() *graph.ResultInfo {
	return &graph.ResultInfo{ODataType: typeResultInfo, Code: 200, Subcode: 5001, Message: "The conversation has ended."}
}

func endByCaller() *graph.ResultInfo {
	return &graph.ResultInfo{ODataType: typeResultInfo, Code: 200, Subcode: 4097, Message: "Call ended by the other participant in the call."}
}

// participant returns a participantInfo (or, invited, an
// invitationParticipantInfo) whose identity is kind ("application",
// "phone") with id and name.
func participant(invited bool, kind, id, name string) json.RawMessage {
	typ := "#microsoft.graph.participantInfo"
	if invited {
		typ = "#microsoft.graph.invitationParticipantInfo"
	}
	ident := map[string]any{"@odata.type": "#microsoft.graph.identity", "id": id}
	if name != "" {
		ident["displayName"] = name
	}
	b, _ := json.Marshal(map[string]any{"@odata.type": typ,
		"identity": map[string]any{"@odata.type": "#microsoft.graph.identitySet", kind: ident}})
	return b
}

// toneInfo is a digit subscribeToTone reports (Graph's toneInfo).
type toneInfo struct {
	ODataType  string `json:"@odata.type"`
	SequenceID int64  `json:"sequenceId"`
	Tone       string `json:"tone"`
}

type odataObject struct {
	ODataType string `json:"@odata.type"`
}

// playPromptOperation is a playPrompt's operation resource.
type playPromptOperation struct {
	ODataType        string            `json:"@odata.type"`
	ODataID          string            `json:"@odata.id,omitempty"`
	ODataEtag        string            `json:"@odata.etag,omitempty"`
	ID               string            `json:"id"`
	ClientContext    *string           `json:"clientContext"`
	Status           string            `json:"status"`
	ResultInfo       *graph.ResultInfo `json:"resultInfo"`
	CompletionReason *string           `json:"completionReason"`
}

// commsOperation is an operation that completes at once:
// cancelMediaProcessing and updateRecordingStatus.
type commsOperation struct {
	ODataType     string            `json:"@odata.type"`
	ODataID       string            `json:"@odata.id,omitempty"`
	ODataEtag     string            `json:"@odata.etag,omitempty"`
	ID            string            `json:"id"`
	ClientContext *string           `json:"clientContext"`
	Status        string            `json:"status"`
	ResultInfo    *graph.ResultInfo `json:"resultInfo"`
}

// commsNotifications is the body of every notification POST (docs/wire.md):
// one item.
type commsNotifications struct {
	ODataType string              `json:"@odata.type"`
	Value     []commsNotification `json:"value"`
}

type commsNotification struct {
	ODataType    string `json:"@odata.type"`
	ChangeType   string `json:"changeType"`
	ResourceURL  string `json:"resourceUrl"`
	ResourceData any    `json:"resourceData"`
}

// opKind says what an operation entry is.
type opKind uint8

const (
	kindRecord opKind = iota
	kindPlay
	kindCancel
	kindUpdateStatus
	kindSubscribeTone
	kindSendDtmf
)

// opEntry is an operation of a call as the server reports it. Its
// mutable fields are guarded by the call's mu.
type opEntry struct {
	id            string
	kind          opKind
	ver           string // the surface it was created on
	root          string // the server root URL the bot used
	clientContext *string
	stream        bool // streamWhileRecording

	cop     *engine.CallOp // record and play: the engine's operation
	status  graph.Status
	outcome engine.Outcome
	ended   bool
	storing bool       // ended in the engine, its recording being stored
	rec     *recording // its recording, once offered

	created   time.Time // orders the call's operations in the store
	timeline  []byte    // the timeline's JSON once ended (graph.TimelineEntry)
	published int       // timeline entries put on the event stream (under the engine call's lock)
	prompts   []string  // the prompts' URIs (record and play), for the outbound audio
	tones     []string  // sendDtmfTones: the tones and the delay between them, for the outbound audio
	toneDelay int
}

// media reports whether e runs in the media queue (and so has a
// completion notification).
func (e *opEntry) media() bool {
	return e.kind == kindRecord || e.kind == kindPlay || e.kind == kindSendDtmf
}

func (e *opEntry) resourceURL(callID string) string {
	return "/communications/calls/" + callID + "/operations/" + e.id
}

// resource returns e as JSON-ready Graph resource; etag, if not empty,
// adds @odata.id and @odata.etag (notifications).
func (e *opEntry) resource(callID string, o callOptions, etag string) any {
	var odataID string
	if etag != "" {
		odataID = e.resourceURL(callID)
	}
	w := o.wire(e.ver)
	switch e.kind {
	case kindRecord:
		v := graph.OperationView{ID: e.id, ClientContext: e.clientContext, Status: e.status, Outcome: e.outcome}
		if e.rec != nil {
			loc, tok := e.rec.location, e.rec.token
			v.Location = &loc
			if tok != "" { // after a restart the server knows only its hash
				v.Token = &tok
			}
		}
		op := v.Wire(w)
		if e.outcome == engine.OutcomeNone && e.rec != nil { // streamWhileRecording: offered while it runs
			op.RecordingLocation, op.RecordingAccessToken = v.Location, v.Token
		}
		op.ODataID, op.ODataEtag = odataID, etag
		return op
	case kindPlay, kindSendDtmf:
		typ := typePlayPrompt
		if e.kind == kindSendDtmf {
			typ = typeSendDtmfTones
		}
		op := playPromptOperation{ODataType: typ, ODataID: odataID, ODataEtag: etag, ID: e.id,
			ClientContext: e.clientContext, Status: o.status(e.status)}
		if e.outcome != engine.OutcomeNone {
			r := engine.ResultOf(e.outcome)
			op.ResultInfo = &graph.ResultInfo{ODataType: typeResultInfo, Code: r.Code, Subcode: r.Subcode, Message: r.Message}
			reason := playPromptReason(e.outcome)
			op.CompletionReason = &reason
		}
		return op
	}
	t := typeCancelMedia
	switch e.kind {
	case kindUpdateStatus:
		t = typeUpdateRecordingStatus
	case kindSubscribeTone:
		t = typeSubscribeToTone
	}
	return commsOperation{ODataType: t, ODataID: odataID, ODataEtag: etag, ID: e.id, ClientContext: e.clientContext, Status: o.status(e.status)}
}

// playPromptReason maps an outcome to Graph's playPromptCompletionReason
// enum (unknown, completedSuccessfully, mediaOperationCanceled): the SDKs
// parse only these.
func playPromptReason(o engine.Outcome) string {
	switch o {
	case engine.OutPromptPlayed:
		return "completedSuccessfully"
	case engine.OutCanceled:
		return "mediaOperationCanceled"
	}
	return "unknown"
}

// defaultCaller is the phone number of the callers rung through the
// control surface (a number of the range kept for fiction, 555-01xx).
const defaultCaller = "+15555550100"

// compactJSON returns b without insignificant space (b is valid JSON).
func compactJSON(b json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}
