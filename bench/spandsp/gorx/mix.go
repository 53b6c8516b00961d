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

	// White noise under everything, as the scene of `recsim bench` has,
	// 35 dB below the tones: neither detector is near its level floor.
	noiseLevel = -55.0
	noiseSeed  = 19 // issue 19
)

// writeMix writes the comparison's input audio to path: every committed
// speech clip at 8 kHz in manifest order, each followed by a pause, a key
// press and a pause, under white noise. It reports the digits pressed.
func writeMix(path string, stdout io.Writer) error {
	clips, err := speech.All(mixRate)
	if err != nil {
		return err
	}
	ms := func(n int) int { return int(mixRate) * n / 1000 }
	parts := [][]int16{media.Silence(ms(leadMs))}
	pressed := make([]byte, 0, len(clips))
	for i, c := range clips {
		d := mixDigits[i%len(mixDigits)]
		tone, err := media.DTMF(mixRate, ms(toneMs), media.DTMFSpec{
			Digit: d, Level: toneLevel, Twist: toneTwist, Ramp: ms(rampMs),
		})
		if err != nil {
			return err
		}
		parts = append(parts, c.PCM, media.Silence(ms(pauseMs)), tone, media.Silence(ms(pauseMs)))
		pressed = append(pressed, d)
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
	fmt.Fprintf(stdout, "wrote      %s: %d Hz, %d samples (%.1f s), %d speech clips\n",
		path, mixRate, len(pcm), float64(len(pcm))/float64(mixRate), len(clips))
	fmt.Fprintf(stdout, "pressed    %d %s\n", len(pressed), pressed)
	return nil
}
