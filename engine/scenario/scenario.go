package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/fixtures/speech"
	"github.com/recsim/recsim/media"
)

// Scenario is a caller's audio described as segments, with the request a
// bot sends and the simulation's switches. See doc.go for the format.
type Scenario struct {
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Rate        int             `json:"rate,omitempty"`    // caller stream rate, 8000–48000; default 16000
	Request     json.RawMessage `json:"request,omitempty"` // the recordResponse body as a bot POSTs it
	Options     Options         `json:"options,omitempty"`
	Caller      []Segment       `json:"caller"`
	Background  *Background     `json:"background,omitempty"`
	Frame       int             `json:"frame,omitempty"` // samples per frame fed to the engine; default 20 ms
	// CancelAt cancels the operation (cancelMediaProcessing) when the
	// caller stream reaches this many seconds, if it is still running.
	CancelAt *float64 `json:"cancelAt,omitempty"`
	// SubscribeToTone also listens to the whole caller track for digits
	// as a call subscribed with subscribeToTone does (docs/call.md#tones):
	// Result.Tones.
	SubscribeToTone bool `json:"subscribeToTone,omitempty"`
}

// Options are the simulation switches a scenario may set.
type Options struct {
	StopTonesDuringPrompt *bool    `json:"stopTonesDuringPrompt,omitempty"` // default true
	IncludeStopTone       bool     `json:"includeStopTone,omitempty"`
	TrimSilence           bool     `json:"trimSilence,omitempty"`
	BeepEcho              bool     `json:"beepEcho,omitempty"`
	BeepHz                *float64 `json:"beepHz,omitempty"`
	BeepMs                *int     `json:"beepMs,omitempty"`
	BeepLevel             *float64 `json:"beepLevel,omitempty"`
	EndOfMedia            string   `json:"endOfMedia,omitempty"` // silence (default), hangup, stall
	DocsCasing            bool     `json:"docsCasing,omitempty"`
	StrictV1              bool     `json:"strictV1,omitempty"`
	Fault                 string   `json:"fault,omitempty"` // playPromptFailed, playBeepFailed, unspecifiedError
}

// Segment is one piece of the caller's audio. Exactly one of Silence,
// Speech, DTMF, Tone, Noise, WAV or Hangup is set.
type Segment struct {
	Silence *float64 `json:"silence,omitempty"` // seconds of digital silence
	Speech  string   `json:"speech,omitempty"`  // a speech clip's name (fixtures/speech/manifest.json)
	DTMF    string   `json:"dtmf,omitempty"`    // digits, each Seconds long, Gap apart
	Tone    *float64 `json:"tone,omitempty"`    // a sine of this many Hz, Seconds long
	Noise   string   `json:"noise,omitempty"`   // white, pink or brown noise, Seconds long
	WAV     string   `json:"wav,omitempty"`     // a WAV file, relative to the scenario file
	Hangup  bool     `json:"hangup,omitempty"`  // the caller hangs up here (must be last)

	Seconds float64  `json:"seconds,omitempty"` // dtmf (default 0.1), tone and noise duration
	Gap     *float64 `json:"gap,omitempty"`     // dtmf: silence after each digit, seconds (default 0.1)
	Level   *float64 `json:"level,omitempty"`   // dBFS: tone, per DTMF tone (default −10), noise (default −50), speech level
	Twist   float64  `json:"twist,omitempty"`   // dtmf: high minus low group, dB
	Seed    uint64   `json:"seed,omitempty"`    // noise seed
}

// Background is noise mixed under the whole caller track.
type Background struct {
	Noise string   `json:"noise"`           // white, pink or brown
	Level *float64 `json:"level,omitempty"` // dBFS
	SNR   *float64 `json:"snr,omitempty"`   // dB below the level of the speech segments
	Seed  uint64   `json:"seed,omitempty"`
}

// Error names the scenario file, the field and the value.
type Error struct {
	File, Field, Value, Reason string
}

// Error names the file, the field, the value and why it is refused.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s = %s: %s", e.File, e.Field, e.Value, e.Reason)
}

// Load reads a scenario file.
func Load(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b, path)
}

// Parse decodes a scenario; name is used in errors. Unknown fields are
// errors (a typo must not silently change a test).
func Parse(b []byte, name string) (*Scenario, error) {
	var s Scenario
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, &Error{File: name, Field: "scenario", Value: "(file)", Reason: err.Error()}
	}
	if s.Rate == 0 {
		s.Rate = 16000
	}
	if err := media.SampleRate(s.Rate).Validate(); err != nil {
		return nil, &Error{File: name, Field: "rate", Value: fmt.Sprint(s.Rate), Reason: "must be 8000–48000 Hz"}
	}
	return &s, nil
}

// Audio is a scenario's caller track.
type Audio struct {
	PCM    []int16
	Rate   media.SampleRate
	Hangup bool // the caller hangs up at the end of PCM
}

// Build renders the caller track. dir resolves relative WAV paths.
func (s *Scenario) Build(name, dir string) (Audio, error) {
	rate := media.SampleRate(s.Rate)
	var parts [][]int16
	var speechSamples []int16
	hangup := false
	bad := func(i int, field, value, reason string) error {
		return &Error{File: name, Field: fmt.Sprintf("caller[%d].%s", i, field), Value: value, Reason: reason}
	}
	for i, g := range s.Caller {
		if hangup {
			return Audio{}, bad(i, "hangup", "true", "hangup must be the last segment")
		}
		kinds := 0
		for _, set := range []bool{g.Silence != nil, g.Speech != "", g.DTMF != "", g.Tone != nil, g.Noise != "", g.WAV != "", g.Hangup} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			return Audio{}, bad(i, "(segment)", fmt.Sprintf("%d kinds", kinds), "set exactly one of silence, speech, dtmf, tone, noise, wav, hangup")
		}
		secs := func(v float64, field string) (int, error) {
			if v < 0 || v > 3600 || math.IsNaN(v) {
				return 0, bad(i, field, fmt.Sprint(v), "must be 0–3600 seconds")
			}
			return int(rate.N(time.Duration(v * float64(time.Second)))), nil
		}
		level := func(def float64) float64 {
			if g.Level != nil {
				return *g.Level
			}
			return def
		}
		switch {
		case g.Silence != nil:
			n, err := secs(*g.Silence, "silence")
			if err != nil {
				return Audio{}, err
			}
			parts = append(parts, media.Silence(n))
		case g.Speech != "":
			if rate != 8000 && rate != 16000 {
				return Audio{}, bad(i, "speech", g.Speech, fmt.Sprintf("speech clips exist at 8000 and 16000 Hz; the scenario's rate is %d", rate))
			}
			c, err := speech.Load(g.Speech, rate)
			if err != nil {
				return Audio{}, bad(i, "speech", fmt.Sprintf("%q", g.Speech), "no such clip (see fixtures/speech/manifest.json)")
			}
			if g.Level != nil {
				media.Gain(c.PCM, *g.Level-media.Level(c.PCM))
			}
			parts = append(parts, c.PCM)
			speechSamples = append(speechSamples, c.PCM...)
		case g.DTMF != "":
			d := 0.1
			if g.Seconds > 0 {
				d = g.Seconds
			}
			gap := 0.1
			if g.Gap != nil {
				gap = *g.Gap
			}
			n, err := secs(d, "seconds")
			if err != nil {
				return Audio{}, err
			}
			ng, err := secs(gap, "gap")
			if err != nil {
				return Audio{}, err
			}
			for _, c := range []byte(g.DTMF) {
				pcm, err := media.DTMF(rate, n, media.DTMFSpec{Digit: c, Level: level(-10), Twist: g.Twist, Ramp: int(rate.N(2 * time.Millisecond))})
				if err != nil {
					return Audio{}, bad(i, "dtmf", fmt.Sprintf("%q", g.DTMF), err.Error())
				}
				parts = append(parts, pcm, media.Silence(ng))
			}
		case g.Tone != nil:
			if *g.Tone <= 0 || *g.Tone >= float64(rate)/2 {
				return Audio{}, bad(i, "tone", fmt.Sprint(*g.Tone), fmt.Sprintf("must be between 0 and %d Hz", int(rate)/2))
			}
			n, err := secs(g.Seconds, "seconds")
			if err != nil {
				return Audio{}, err
			}
			parts = append(parts, media.Tone(rate, n, media.ToneSpec{Hz: *g.Tone, Level: level(-10), Ramp: int(rate.N(5 * time.Millisecond))}))
		case g.Noise != "":
			c, err := noiseColor(g.Noise)
			if err != nil {
				return Audio{}, bad(i, "noise", fmt.Sprintf("%q", g.Noise), err.Error())
			}
			n, err := secs(g.Seconds, "seconds")
			if err != nil {
				return Audio{}, err
			}
			parts = append(parts, media.Noise(c, g.Seed, n, level(-50)))
		case g.WAV != "":
			path := g.WAV
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, path)
			}
			pcm, r, err := media.ReadFile(path)
			if err != nil {
				return Audio{}, bad(i, "wav", fmt.Sprintf("%q", g.WAV), err.Error())
			}
			if r != rate {
				return Audio{}, bad(i, "wav", fmt.Sprintf("%q", g.WAV), fmt.Sprintf("is %d Hz; the scenario's rate is %d Hz (nothing is resampled)", r, rate))
			}
			parts = append(parts, pcm)
		case g.Hangup:
			hangup = true
		}
	}
	pcm := media.Concat(parts...)
	if b := s.Background; b != nil {
		c, err := noiseColor(b.Noise)
		if err != nil {
			return Audio{}, &Error{File: name, Field: "background.noise", Value: fmt.Sprintf("%q", b.Noise), Reason: err.Error()}
		}
		var lvl float64
		switch {
		case b.Level != nil && b.SNR == nil:
			lvl = *b.Level
		case b.SNR != nil && b.Level == nil:
			if len(speechSamples) == 0 {
				return Audio{}, &Error{File: name, Field: "background.snr", Value: fmt.Sprint(*b.SNR), Reason: "needs speech segments to measure the signal level"}
			}
			lvl = media.Level(speechSamples) - *b.SNR
		default:
			return Audio{}, &Error{File: name, Field: "background", Value: "(object)", Reason: "set exactly one of level and snr"}
		}
		media.Mix(pcm, media.Noise(c, b.Seed, len(pcm), lvl), 0)
	}
	return Audio{PCM: pcm, Rate: rate, Hangup: hangup}, nil
}

func noiseColor(s string) (media.NoiseColor, error) {
	switch strings.ToLower(s) {
	case "white":
		return media.White, nil
	case "pink":
		return media.Pink, nil
	case "brown":
		return media.Brown, nil
	}
	return 0, errors.New("must be white, pink or brown")
}

// EngineOptions converts the scenario's switches for the engine.
func (s *Scenario) EngineOptions(name string) (engine.Options, engine.EndOfMedia, graph.Options, error) {
	o := engine.DefaultOptions(media.SampleRate(s.Rate))
	so := s.Options
	if so.StopTonesDuringPrompt != nil {
		o.StopTonesDuringPrompt = *so.StopTonesDuringPrompt
	}
	o.IncludeStopTone = so.IncludeStopTone
	o.TrimSilence = so.TrimSilence
	o.Beep.Echo = so.BeepEcho
	if so.BeepHz != nil {
		o.Beep.Hz = *so.BeepHz
	}
	if so.BeepMs != nil {
		o.Beep.Duration = time.Duration(*so.BeepMs) * time.Millisecond
	}
	if so.BeepLevel != nil {
		o.Beep.Level = *so.BeepLevel
	}
	eom, err := graph.ParseEndOfMedia(so.EndOfMedia)
	if err != nil {
		return o, 0, graph.Options{}, &Error{File: name, Field: "options.endOfMedia", Value: fmt.Sprintf("%q", so.EndOfMedia), Reason: "must be silence, hangup or stall"}
	}
	f, err := graph.ParseFault(so.Fault)
	if err != nil {
		return o, 0, graph.Options{}, &Error{File: name, Field: "options.fault", Value: fmt.Sprintf("%q", so.Fault), Reason: "must be playPromptFailed, playBeepFailed or unspecifiedError"}
	}
	o.Fault = f
	return o, eom, graph.Options{DocsCasing: so.DocsCasing, StrictV1: so.StrictV1}, nil
}
