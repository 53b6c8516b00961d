package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/communications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// menu is what the IVR caller does: listens a moment, presses 1 ("leave a
// message"), speaks after a pause long enough for the bot to start
// recording, then presses # to end the message. On the realtime clock the
// 1 is heard about 0.6 s after the media is put, the speech starts 1.5 s
// later. The flow needs a realtime server: on a fast one the subscribed
// call would consume the whole menu at once, before the recording starts
// (docs/call.md#tones).
const menu = `{"caller": [{"silence": 0.5}, {"dtmf": "1"}, {"silence": 1.5}, {"speech": "en_us_s160_01"}, {"silence": 0.5}, {"dtmf": "#"}, {"silence": 1}]}`

// menuSpeechSamples is the length of the menu's spoken message at 16 kHz:
// fixtures/speech/16k/en_us_s160_01.wav has 57 244 samples (3.58 s).
const menuSpeechSamples = 57244

// toneOf returns the toneInfo of a call notification as the SDK parsed it,
// or nil when it carries none.
func toneOf(n notification) models.ToneInfoable {
	if n.call == nil {
		return nil
	}
	return n.call.GetToneInfo()
}

// checkTone checks a toneInfo the SDK parsed: its type, sequenceId and tone.
func checkTone(ti models.ToneInfoable, seq int64, tone models.Tone) error {
	if ti.GetSequenceId() == nil || ti.GetTone() == nil {
		return fmt.Errorf("toneInfo: the SDK parsed sequenceId %v, tone %v", ti.GetSequenceId(), ti.GetTone())
	}
	return check(str(ti.GetOdataType()) == "#microsoft.graph.toneInfo" && *ti.GetSequenceId() == seq && *ti.GetTone() == tone,
		"toneInfo: %s sequenceId %d tone %s, want #microsoft.graph.toneInfo sequenceId %d tone %s",
		str(ti.GetOdataType()), *ti.GetSequenceId(), ti.GetTone(), seq, tone)
}

// ivr runs a second call as an IVR menu: the bot answers, subscribes to
// the caller's tones, waits for the menu digit 1, records the message that
// follows up to #, downloads it, sends three DTMF tones back and hangs up.
// Every notification goes through the same bot, so its bearer JWT is
// validated like the others.
func ivr(ctx context.Context, comms *communications.CommunicationsRequestBuilder, client *http.Client, mockURL string, b *bot) error {
	callID, err := control(client, mockURL, "POST", "/recsim/v1/calls", `{"callbackUri": "`+b.URL+`/notify"}`)
	if err != nil {
		return err
	}
	callRes := "/communications/calls/" + callID
	if _, err := b.next("created", callRes); err != nil {
		return err
	}
	call := comms.Calls().ByCallId(callID)
	if err := answer(ctx, call, b.URL+"/notify"); err != nil {
		return err
	}
	n, err := b.next("updated", callRes)
	if err != nil {
		return err
	}
	if err := check(n.callState == "established", "answer: notification state %q, want established", n.callState); err != nil {
		return err
	}
	fmt.Printf("IVR call %s: answered, state established\n", callID)

	// Subscribe before the caller's audio: from now on the call listens to
	// its caller even when no operation runs.
	st := communications.NewCallsItemSubscribeToTonePostRequestBody()
	st.SetClientContext(ptr("sdk-tones"))
	stOp, err := call.SubscribeToTone().Post(ctx, st, nil)
	if err != nil {
		return fmt.Errorf("SubscribeToTone: %w", describe(err))
	}
	if err := check(str(stOp.GetOdataType()) == "#microsoft.graph.subscribeToToneOperation" && stOp.GetStatus() != nil &&
		*stOp.GetStatus() == models.COMPLETED_OPERATIONSTATUS && str(stOp.GetClientContext()) == "sdk-tones",
		"SubscribeToTone: %s status %v clientContext %s", str(stOp.GetOdataType()), stOp.GetStatus(), str(stOp.GetClientContext())); err != nil {
		return err
	}
	fmt.Printf("subscribeToTone: %s %s\n", str(stOp.GetOdataType()), stOp.GetStatus())

	if _, err := control(client, mockURL, "PUT", "/recsim/v1/calls/"+callID+"/media", menu); err != nil {
		return err
	}
	fmt.Println("caller: the menu script (1, a spoken message, #)")

	// The menu digit: the first toneInfo must be tone1.
	var sample []byte // one tone notification as received, printed once
	for {
		n, err := b.recv("the menu digit")
		if err != nil {
			return err
		}
		if !strings.HasSuffix(n.resourceURL, callRes) {
			continue // another call's late notification
		}
		ti := toneOf(n)
		if ti == nil {
			return fmt.Errorf("a %s notification without toneInfo before the menu digit: %s", n.changeType, n.body)
		}
		if err := check(n.changeType == "updated", "toneInfo in a %s notification", n.changeType); err != nil {
			return err
		}
		if err := checkTone(ti, 1, models.TONE1_TONE); err != nil {
			return err
		}
		sample = n.body
		fmt.Printf("toneInfo: sequenceId %d, %s → record a message\n", *ti.GetSequenceId(), ti.GetTone())
		break
	}

	// Record the message, ended by #.
	rr := communications.NewCallsItemRecordResponsePostRequestBody()
	rr.SetStopTones([]string{"#"})
	rr.SetInitialSilenceTimeoutInSeconds(ptr(int32(5)))
	rr.SetMaxRecordDurationInSeconds(ptr(int32(20)))
	rr.SetClientContext(ptr("sdk-ivr-record"))
	op, err := call.RecordResponse().Post(ctx, rr, nil)
	if err != nil {
		return fmt.Errorf("RecordResponse: %w", describe(err))
	}
	if err := check(op.GetId() != nil && op.GetStatus() != nil && *op.GetStatus() == models.RUNNING_OPERATIONSTATUS,
		"RecordResponse: id %s status %v", str(op.GetId()), op.GetStatus()); err != nil {
		return err
	}
	opID := *op.GetId()
	fmt.Printf("recordResponse: operation %s %s, stopTones #\n", opID, op.GetStatus())

	// Its completion and the # toneInfo, in whichever order they come.
	var done models.RecordOperationable
	pound := false
	for done == nil || !pound {
		n, err := b.recv("the recording's completion and the # toneInfo")
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(n.resourceURL, "/operations/"+opID) && n.changeType == "deleted":
			ro, ok := n.op.(models.RecordOperationable)
			if err := check(ok, "recordResponse completion: the SDK parsed a %T", n.op); err != nil {
				return err
			}
			reason, _ := ro.GetAdditionalData()["completionReason"].(*string)
			if err := check(ro.GetStatus() != nil && *ro.GetStatus() == models.COMPLETED_OPERATIONSTATUS && str(reason) == "stopToneDetected" &&
				str(ro.GetRecordingLocation()) != "" && str(ro.GetRecordingAccessToken()) != "",
				"recordResponse completion: status %v, completionReason %s, location %s", ro.GetStatus(), str(reason), str(ro.GetRecordingLocation())); err != nil {
				return err
			}
			done = ro
			fmt.Printf("recordResponse completion: %s, completionReason %s\n", ro.GetStatus(), str(reason))
		case strings.HasSuffix(n.resourceURL, callRes) && toneOf(n) != nil:
			ti := toneOf(n)
			if err := checkTone(ti, 2, models.POUND_TONE); err != nil {
				return err
			}
			pound = true
			fmt.Printf("toneInfo: sequenceId %d, %s (the stop tone is reported too)\n", *ti.GetSequenceId(), ti.GetTone())
		case strings.HasSuffix(n.resourceURL, callRes) || strings.Contains(n.resourceURL, callRes+"/"):
			return fmt.Errorf("an unexpected %s notification on %s: %s", n.changeType, n.resourceURL, n.body)
		}
	}

	wav, pcm, rate, err := downloadWAV(client, str(done.GetRecordingLocation()), str(done.GetRecordingAccessToken()))
	if err != nil {
		return err
	}
	// The recording runs from the beep's end to the #, so it holds the
	// whole spoken message: at least as long as the clip.
	if err := check(rate == 16000 && len(pcm) >= menuSpeechSamples,
		"recording: %d Hz, %d samples (the message alone is %d)", rate, len(pcm), menuSpeechSamples); err != nil {
		return err
	}
	fmt.Printf("message: %d bytes, %d Hz, %.2f s\n", len(wav), rate, float64(len(pcm))/16000)

	// Tones back to the caller.
	sd := communications.NewCallsItemSendDtmfTonesPostRequestBody()
	sd.SetTones([]models.Tone{models.TONE1_TONE, models.TONE2_TONE, models.POUND_TONE})
	sd.SetDelayBetweenTonesMs(ptr(int32(200)))
	sd.SetClientContext(ptr("sdk-dtmf"))
	sdOp, err := call.SendDtmfTones().Post(ctx, sd, nil)
	if err != nil {
		return fmt.Errorf("SendDtmfTones: %w", describe(err))
	}
	if err := check(str(sdOp.GetOdataType()) == "#microsoft.graph.sendDtmfTonesOperation" && sdOp.GetId() != nil &&
		sdOp.GetStatus() != nil && *sdOp.GetStatus() == models.RUNNING_OPERATIONSTATUS && str(sdOp.GetClientContext()) == "sdk-dtmf",
		"SendDtmfTones: %s id %s status %v clientContext %s", str(sdOp.GetOdataType()), str(sdOp.GetId()), sdOp.GetStatus(), str(sdOp.GetClientContext())); err != nil {
		return err
	}
	if n, err = b.next("deleted", "/operations/"+*sdOp.GetId()); err != nil {
		return err
	}
	sdDone, ok := n.op.(models.SendDtmfTonesOperationable)
	if err := check(ok && sdDone.GetStatus() != nil && *sdDone.GetStatus() == models.COMPLETED_OPERATIONSTATUS &&
		sdDone.GetCompletionReason() != nil && *sdDone.GetCompletionReason() == models.COMPLETEDSUCCESSFULLY_SENDDTMFCOMPLETIONREASON,
		"sendDtmfTones completion: %T status %v", n.op, n.op.GetStatus()); err != nil {
		return err
	}
	fmt.Printf("sendDtmfTones tone1 tone2 pound: %s, then completion %s (%s)\n", sdOp.GetStatus(), sdDone.GetStatus(), sdDone.GetCompletionReason())

	if err := call.Delete(ctx, nil); err != nil {
		return fmt.Errorf("DELETE call: %w", describe(err))
	}
	if n, err = b.next("deleted", callRes); err != nil {
		return err
	}
	if err := check(n.callState == "terminated", "deleted notification: state %q", n.callState); err != nil {
		return err
	}
	if len(sample) == 0 {
		return errors.New("no tone notification kept")
	}
	fmt.Printf("IVR call hung up. A tone notification as the bot received it:\n%s\n", sample)
	return nil
}
