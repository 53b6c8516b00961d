package engine

import (
	"errors"
	"fmt"
	"io"

	"github.com/recsim/recsim/media"
)

// PromptAudio is a loaded prompt: its samples at PromptRate, or the
// playPromptFailed outcome loading it ended with.
type PromptAudio struct {
	PCM     []int16
	Outcome Outcome // OutcomeNone when the prompt can play
	Err     error   // why it cannot, for logs and messages
	// Pending: the prompt is still being fetched. An operation queued
	// with it waits at the head of the call's queue, consuming no caller
	// audio, until Call.SetPrompt gives it the prompt.
	Pending bool
}

// LoadPrompt reads a prompt WAV from r. Prompts must be 16 kHz mono 16-bit
// PCM (Graph docs; docs/audio.md): anything else that parses as WAV, and anything that
// does not parse, fails with the bad-format row (8535); a read error fails
// with the download row (8536).
func LoadPrompt(r io.Reader, name string) PromptAudio {
	rd, err := media.NewReader(r, name)
	if err != nil {
		return promptFailure(err)
	}
	f := rd.Format()
	if f.Rate != PromptRate || f.Channels != 1 || f.Bits != 16 || f.Encoding != media.PCM {
		return PromptAudio{Outcome: OutPromptBadFormat,
			Err: fmt.Errorf("%s: prompt is %d Hz, %d channel(s), %s %d-bit: prompts must be 16000 Hz mono 16-bit PCM", name, int(f.Rate), f.Channels, f.Encoding, f.Bits)}
	}
	pcm, err := media.ReadAll(rd)
	if err != nil {
		return promptFailure(err)
	}
	return PromptAudio{PCM: pcm}
}

func promptFailure(err error) PromptAudio {
	if errors.Is(err, media.ErrFormat) {
		return PromptAudio{Outcome: OutPromptBadFormat, Err: err}
	}
	return PromptAudio{Outcome: OutPromptDownload, Err: err}
}
