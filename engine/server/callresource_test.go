package server_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/server/identity"
)

func TestTheCallResourceCarriesWhatSDKsRead(t *testing.T) {
	m := newMock(t, fast(), nil)
	t.Run("an incoming call: a phone caller ringing the bot's app", func(t *testing.T) {
		id := m.established("")
		c := m.graph("GET", "/v1.0/communications/calls/"+id, "").json(t)
		assert.Equal(t, identity.DefaultTenant, c["tenantId"])
		assert.Len(t, c["myParticipantId"], 36)
		assert.Len(t, c["callChainId"], 36)
		src := c["source"].(map[string]any)
		assert.Equal(t, "#microsoft.graph.participantInfo", src["@odata.type"])
		assert.Equal(t, "+15555550100", src["identity"].(map[string]any)["phone"].(map[string]any)["id"])
		tg := c["targets"].([]any)[0].(map[string]any)
		assert.Equal(t, "#microsoft.graph.invitationParticipantInfo", tg["@odata.type"])
		assert.Equal(t, identity.DefaultApp().ClientID, tg["identity"].(map[string]any)["application"].(map[string]any)["id"])
		assert.Nil(t, c["resultInfo"], "only once it has ended")
	})
	t.Run("a placed call keeps the source and targets the bot sent", func(t *testing.T) {
		body := `{"callbackUri": "` + m.bot.URL + `", "targets": [{"@odata.type": "#microsoft.graph.invitationParticipantInfo", "identity": {"@odata.type": "#microsoft.graph.identitySet", "phone": {"@odata.type": "#microsoft.graph.identity", "id": "+12345678901"}}}],
			"source": {"@odata.type": "#microsoft.graph.participantInfo", "identity": {"@odata.type": "#microsoft.graph.identitySet", "application": {"@odata.type": "#microsoft.graph.identity", "id": "my-bot", "displayName": "Contoso"}}}}`
		r := m.graph("POST", "/v1.0/communications/calls", body)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		c := m.graph("GET", "/v1.0/communications/calls/"+r.json(t)["id"].(string), "").json(t)
		var want map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &want))
		assert.Equal(t, want["targets"], c["targets"])
		assert.Equal(t, want["source"], c["source"])
		bad := m.graph("POST", "/v1.0/communications/calls", `{"callbackUri": "`+m.bot.URL+`", "targets": {"identity": {}}}`)
		require.Equal(t, http.StatusBadRequest, bad.Status)
		_, msg, _ := bad.graphError(t)
		assert.Contains(t, msg, "targets = ")
	})
	t.Run("a terminated call says why it ended", func(t *testing.T) {
		for who, want := range map[string]float64{"bot": 5001, "caller": 4097} {
			id := m.established("")
			if who == "bot" {
				require.Equal(t, http.StatusNoContent, m.graph("DELETE", "/v1.0/communications/calls/"+id, "").Status)
			} else {
				require.Equal(t, http.StatusNoContent, m.send("POST", "/recsim/v1/calls/"+id+"/hangup", nil).Status)
			}
			n := m.bot.until(t, "deleted", "/communications/calls/"+id)
			ri := n.Data["resultInfo"].(map[string]any)
			assert.EqualValues(t, 200, ri["code"], who)
			assert.Equal(t, want, ri["subcode"], who)
			assert.NotEmpty(t, ri["message"])
		}
	})
}
