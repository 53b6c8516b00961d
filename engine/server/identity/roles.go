package identity

import "strings"

// The application permissions (app roles) of the Graph calling API.
const (
	RoleAccessMedia   = "Calls.AccessMedia.All"
	RoleJoinGroupCall = "Calls.JoinGroupCall.All"
	RoleInitiate      = "Calls.Initiate.All"
	// roleJoinGroupCalls is how the updateRecordingStatus page spells
	// Calls.JoinGroupCall.All: accepted as the same permission.
	roleJoinGroupCalls = "Calls.JoinGroupCalls.All"
)

// AllRoles are the roles an app gets when --app names none.
func AllRoles() []string { return []string{RoleAccessMedia, RoleJoinGroupCall, RoleInitiate} }

// Action is a Graph request as the permission table knows it.
type Action string

// The actions of the Graph surface.
const (
	ActPlaceCall             Action = "create call"
	ActGetCall               Action = "get call"
	ActDeleteCall            Action = "delete call"
	ActGetOperation          Action = "get operation"
	ActAnswer                Action = "answer"
	ActRecordResponse        Action = "recordResponse"
	ActPlayPrompt            Action = "playPrompt"
	ActCancelMedia           Action = "cancelMediaProcessing"
	ActUpdateRecordingStatus Action = "updateRecordingStatus"
	ActSubscribeToTone       Action = "subscribeToTone"
	ActSendDtmfTones         Action = "sendDtmfTones"
)

// RolesFor returns the roles of which a token needs one for action a
// (docs/identity.md#permissions): the one table of the server. nil means
// the action is unknown (the server answers it as a bad request before
// this matters).
func RolesFor(a Action) []string {
	switch a {
	case ActRecordResponse: // recordResponse and record (Graph docs)
		return []string{RoleAccessMedia}
	case ActUpdateRecordingStatus: // Graph docs (either)
		return []string{RoleAccessMedia, RoleJoinGroupCall}
	case ActPlaceCall:
		return []string{RoleInitiate}
	case ActAnswer, ActPlayPrompt, ActCancelMedia, ActSubscribeToTone, ActSendDtmfTones, ActGetCall, ActDeleteCall, ActGetOperation:
		// Not on the pages; any of the calling roles, as the service
		// accepts for a bot's own call.
		return []string{RoleJoinGroupCall, RoleAccessMedia, RoleInitiate}
	}
	return nil
}

// Allowed reports whether roles hold one of those action a needs, and
// the roles it needs.
func Allowed(a Action, roles []string) (bool, []string) {
	need := RolesFor(a)
	for _, r := range roles {
		if strings.EqualFold(r, roleJoinGroupCalls) {
			r = RoleJoinGroupCall
		}
		for _, n := range need {
			if strings.EqualFold(r, n) {
				return true, need
			}
		}
	}
	return false, need
}
