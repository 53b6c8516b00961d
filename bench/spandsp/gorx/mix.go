package main

import (
	"fmt"
	"io"
	"os"

	"github.com/recsim/recsim/fixtures/speech"
	"github.com/recsim/recsim/media"
)

// The comparison's input, at 8000 Hz (the only rate dtmf_rx handles).
const (
	mixRate = media.SampleRate(8000)

	// mixDigits are pressed in turn, one after each speech clip: every key
	// of the keypad, A–D included (dtmf_rx reports them too).
	mixDigits = "0123456789*#ABCD"

	// A key press: 80 ms of tone, comfortably above both detectors' 40 ms
	// minimum, with 5 ms raised-cosine ramps; the low tone at −20 dBFS and
	// the high one 2 dB louder, a typical telephone's (both detectors
	// accept −8…+4 dB of twist and reach far below −20 dBFS).
	toneMs    = 80
	rampMs    = 5
	toneLevel = -20.0
	toneTwist = 2.0

	leadMs  = 600 // noise before the first clip
	pauseMs = 300 // silence (noise) on either side of a key press

	// The tone-dense input: every key in turn, 80 ms on and 80 ms off (the
	// fastest dialling the DTMF standards call for is 50 ms on, 50 off),
	// denseCycles times over the keypad: 640 key presses, 102.4 s.
	denseGapMs  = 80
	denseCycles = 40

	// White noise under everything, as the scene of `recsim bench` has,
	// 35 dB below the tones: neither detector is near its level floor.
	noiseLevel = -55.0
	noiseSeed  = 19 // issue 19
)

// ms converts milliseconds to samples at mixRate.
func ms(n int) int { return int(mixRate) * n / 1000 }

// keyPress returns one key press of digit d.
func keyPress(d byte) ([]int16, error) {
	return media.DTMF(mixRate, ms(toneMs), media.DTMFSpec{
		Digit: d, Level: toneLevel, Twist: toneTwist, Ramp: ms(rampMs),
	})
}

// writeInput writes one of the comparison's inputs to path and reports the
// digits pressed in it. what is "mix" (writeMix) or "tones" (writeTones).
func writeInput(path, what string, stdout io.Writer) error {
	var (
		parts   [][]int16
		pressed []byte
		clips   int
		err     error
	)
	switch what {
	case "mix":
		parts, pressed, clips, err = mixParts()
	case "tones":
		parts, pressed, err = toneParts()
	default:
		return fmt.Errorf("-input %q: want mix or tones", what)
	}
	if err != nil {
		return err
	}
	pcm := media.Concat(parts...)
	media.Mix(pcm, media.Noise(media.White, noiseSeed, len(pcm), noiseLevel), 0)

	wav, err := media.EncodeWAV(pcm, mixRate)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, wav, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote      %s (%s): %d Hz, %d samples (%.1f s), %d speech clips, %d key presses\n",
		path, what, mixRate, len(pcm), float64(len(pcm))/float64(mixRate), clips, len(pressed))
	fmt.Fprintf(stdout, "pressed    %d %s\n", len(pressed), pressed)
	return nil
}

// mixParts is the main input, most like a recording: every committed
// speech clip at 8 kHz in manifest order, each followed by a pause, a key
// press and a pause. Most of it is speech and silence, as a caller's
// audio is.
func mixParts() (parts [][]int16, pressed []byte, clips int, err error) {
	all, err := speech.All(mixRate)
	if err != nil {
		return nil, nil, 0, err
	}
	parts = [][]int16{media.Silence(ms(leadMs))}
	for i, c := range all {
		d := mixDigits[i%len(mixDigits)]
		tone, err := keyPress(d)
		if err != nil {
			return nil, nil, 0, err
		}
		parts = append(parts, c.PCM, media.Silence(ms(pauseMs)), tone, media.Silence(ms(pauseMs)))
		pressed = append(pressed, d)
	}
	return parts, pressed, len(all), nil
}

// toneParts is the worst case for a detector that works harder on tones:
// key presses back to back, half of the time tone.
func toneParts() (parts [][]int16, pressed []byte, err error) {
	for range denseCycles {
		for i := range len(mixDigits) {
			d := mixDigits[i]
			tone, err := keyPress(d)
			if err != nil {
				return nil, nil, err
			}
			parts = append(parts, tone, media.Silence(ms(denseGapMs)))
			pressed = append(pressed, d)
		}
	}
	return parts, pressed, nil
}
