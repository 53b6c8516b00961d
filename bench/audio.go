package bench

import (
	"fmt"

	"github.com/recsim/recsim/fixtures/speech"
	"github.com/recsim/recsim/media"
)

// Levels of the synthesised parts of the bench audio. The speech fixtures
// keep their committed level; the rest is set against it.
const (
	// dtmfLevel is the low-group level of every tone: −10 dBFS per tone is
	// a typical handset level (Q.24 allows −3 to −25 dBm0 per tone).
	dtmfLevel = -10
	// dtmfTwist: the high group 2 dB above the low group, a common handset
	// pre-emphasis (well inside Q.24's +4/−8 dB).
	dtmfTwist = 2
	// noiseLevel is the white-noise floor under everything: −55 dBFS, a
	// quiet line (about 35 dB below the speech fixtures' active level),
	// so silence is never digital zero and the detectors see real input.
	noiseLevel = -55
	// toneMs and toneRampMs shape a key press: 100 ms with 5 ms ramps, a
	// fast but ordinary press (Q.24: ≥ 40 ms).
	toneMs     = 100
	toneRampMs = 5
)

// pauseMs returns pause i between utterances, cycled: all below the
// default maxSilenceTimeout (5 s) so the pauses never end an operation.
func pauseMs(i int) int { return [...]int{300, 800, 1500, 500, 1100, 400}[i%6] }

// digits are the keys pressed inside the throughput scene. None is '#',
// the stop tone, so they are detected and reported but end nothing.
const digits = "1472580396*A"

// audio builds the bench's audio at one rate from the embedded speech
// fixtures and media synthesis. It owns what it returns.
type audio struct {
	rate  media.SampleRate
	clips [][]int16
	seed  uint64
}

func newAudio(rate int) (*audio, error) {
	r := media.SampleRate(rate)
	if rate != 8000 && rate != 16000 {
		return nil, fmt.Errorf("bench: rate %d Hz: the speech fixtures exist at 8000 and 16000 Hz", rate)
	}
	cs, err := speech.All(r)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	a := &audio{rate: r}
	for _, c := range cs {
		a.clips = append(a.clips, c.PCM)
	}
	return a, nil
}

func (a *audio) ms(ms int) int { return int(a.rate) * ms / 1000 }

func (a *audio) tone(d byte) []int16 {
	pcm, err := media.DTMF(a.rate, a.ms(toneMs), media.DTMFSpec{Digit: d, Level: dtmfLevel, Twist: dtmfTwist, Ramp: a.ms(toneRampMs)})
	if err != nil {
		panic(err) // the digits above are all valid
	}
	return pcm
}

// withNoise mixes the noise floor into pcm and returns it.
func (a *audio) withNoise(pcm []int16) []int16 {
	a.seed++
	media.Mix(pcm, media.Noise(media.White, a.seed, len(pcm), noiseLevel), 0)
	return pcm
}

// Scene is the throughput scene: what one caller says during one long
// recordResponse. It starts with 600 ms of line noise (the beep plays
// over its first 400 ms), then utterances separated by pauses, a key press
// (not a stop tone) after every third one, and ends with a pause, the stop
// tone '#' and 500 ms of noise. Speech, pauses and tones all lie under the
// noise floor. The length is at least seconds.
type Scene struct {
	Rate    int
	PCM     []int16
	Digits  string // keys pressed, in order, ending with '#'
	StopAt  int    // sample index of the stop tone's onset
	Speech  int    // utterances
	Seconds float64
}

// NewScene builds the throughput scene at rate (8000 or 16000 Hz) with at
// least seconds of audio.
func NewScene(rate int, seconds float64) (*Scene, error) {
	a, err := newAudio(rate)
	if err != nil {
		return nil, err
	}
	want := int(seconds * float64(rate))
	parts := [][]int16{media.Silence(a.ms(600))}
	n := len(parts[0])
	sc := &Scene{Rate: rate}
	var keys []byte
	for i := 0; n < want; i++ {
		clip := a.clips[(i*7)%len(a.clips)] // a stride through voices and speeds
		pause := media.Silence(a.ms(pauseMs(i)))
		parts = append(parts, clip, pause)
		n += len(clip) + len(pause)
		sc.Speech++
		if i%3 == 2 {
			d := digits[(i/3)%len(digits)]
			keys = append(keys, d)
			gap := media.Silence(a.ms(300))
			parts = append(parts, a.tone(d), gap)
			n += a.ms(toneMs) + len(gap)
		}
	}
	tail := media.Silence(a.ms(400))
	parts = append(parts, tail)
	sc.StopAt = n + len(tail)
	parts = append(parts, a.tone('#'), media.Silence(a.ms(500)))
	sc.PCM = a.withNoise(media.Concat(parts...))
	sc.Digits = string(append(keys, '#'))
	sc.Seconds = float64(len(sc.PCM)) / float64(rate)
	return sc, nil
}

// callLoop is the caller audio shared by the concurrency calls: turns of
// 500 ms of noise (over which the next operation's beep plays), one or two
// utterances with a pause, a pause and a key press, repeated; the key is
// '#' and '*' in turn. Calls queue recordResponses whose stop tones
// alternate the same way (see CallRequests), so each operation ends on its
// turn's key after 2–8 s and the next one, which starts inside that key
// press, does not end on its tail. Calls start at different offsets into
// the audio so that their operations do not all end in the same frame.
func callLoop(rate int, samples int) ([]int16, error) {
	a, err := newAudio(rate)
	if err != nil {
		return nil, err
	}
	a.seed = 1000
	var parts [][]int16
	n := 0
	for i := 0; n < samples; i++ {
		turn := [][]int16{media.Silence(a.ms(500)), a.clips[(i*11)%len(a.clips)]}
		if i%2 == 1 {
			turn = append(turn, media.Silence(a.ms(pauseMs(i))), a.clips[(i*11+5)%len(a.clips)])
		}
		turn = append(turn, media.Silence(a.ms(400)), a.tone(turnKeys[i%2]))
		for _, p := range turn {
			n += len(p)
		}
		parts = append(parts, turn...)
	}
	return a.withNoise(media.Concat(parts...)), nil
}

// turnKeys are the keys that end the call turns, in turn.
const turnKeys = "#*"
