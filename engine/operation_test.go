package engine_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine"
	"github.com/recsim/recsim/engine/graph"
	"github.com/recsim/recsim/fixtures"
	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/media/mediatest"
)

const rate = media.SampleRate(8000)

func sec(s float64) int { return int(s * float64(rate)) }

func speech(t testing.TB, names ...string) []int16 {
	t.Helper()
	var parts [][]int16
	for _, n := range names {
		c, err := fixtures.SpeechClip(n, int(rate))
		require.NoError(t, err)
		parts = append(parts, c.PCM)
	}
	return media.Concat(parts...)
}

func digit(t testing.TB, d byte, seconds float64) []int16 {
	t.Helper()
	pcm, err := media.DTMF(rate, sec(seconds), media.DTMFSpec{Digit: d, Level: -10, Ramp: 16})
	require.NoError(t, err)
	return pcm
}

func request(t testing.TB, body string) engine.RecordRequest {
	t.Helper()
	req, err := graph.ParseRecordRequest([]byte(body), false)
	require.NoError(t, err)
	return req
}

func runOp(t testing.TB, req engine.RecordRequest, prompt *engine.PromptAudio, opts engine.Options, caller []int16, frame int, eom engine.EndOfMedia) *engine.Operation {
	t.Helper()
	op, err := engine.NewOperation(req, prompt, opts, 0)
	require.NoError(t, err)
	op.ProcessAll(caller, frame, eom)
	require.True(t, op.Done())
	return op
}

func find(op *engine.Operation, kind engine.EventKind) []engine.Event {
	var out []engine.Event
	for _, e := range op.Timeline() {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

const beep = 3200 // 400 ms at 8 kHz

func TestASilentCallerEndsWithInitialSilenceTimeoutNotAnEmptyRecording(t *testing.T) {
	op := runOp(t, request(t, `{}`), nil, engine.DefaultOptions(rate), media.Silence(sec(20)), 0, engine.EndSilence)
	r := op.Result()
	assert.Equal(t, "initialSilenceTimeout", r.Reason, "tie at L+5 s: initialSilence beats maxRecordDuration")
	assert.True(t, r.Failed)
	assert.Equal(t, [2]int{400, 8510}, [2]int{r.Code, r.Subcode})
	assert.EqualValues(t, beep, op.Span().Listen, "listen starts after the 400 ms beep")
	assert.EqualValues(t, beep+sec(5), op.Span().End)
	assert.False(t, op.Result().HasRecording)
	assert.Nil(t, slices.Concat(op.RecordingParts()...))
}

func TestMaxRecordDurationCutsTheRecordingExactlyToTheSample(t *testing.T) {
	talk := speech(t, "en_gb_f2_s140_04", "en_us_f3_s150_02", "en_m7_s170_03") // ~13.7 s without a long pause
	caller := media.Concat(media.Silence(beep+sec(0.5)), talk)
	for _, d := range []int{1, 3, 7} {
		t.Run(fmt.Sprintf("a %d s cap gives exactly %d samples", d, d*int(rate)), func(t *testing.T) {
			op := runOp(t, request(t, fmt.Sprintf(`{"maxRecordDurationInSeconds": %d, "maxSilenceTimeoutInSeconds": 5}`, d)), nil, engine.DefaultOptions(rate), caller, 0, engine.EndSilence)
			r := op.Result()
			assert.Equal(t, "maxRecordDurationReached", r.Reason)
			assert.Equal(t, [3]any{false, 200, 8515}, [3]any{r.Failed, r.Code, r.Subcode})
			rec := slices.Concat(op.RecordingParts()...)
			require.Len(t, rec, d*int(rate))
			assert.Equal(t, caller[beep:beep+d*int(rate)], rec, "the recording is the caller's audio from listen start")
		})
	}
}

func TestAStopToneEndsTheRecordingAtItsOnset(t *testing.T) {
	talk := speech(t, "en_us_s160_01")
	onset := beep + sec(0.7) + len(talk) + sec(0.5)
	caller := media.Concat(media.Silence(beep+sec(0.7)), talk, media.Silence(sec(0.5)), digit(t, '#', 0.1), media.Silence(sec(3)))
	req := request(t, `{"stopTones": ["#"], "maxRecordDurationInSeconds": 30}`)

	op := runOp(t, req, nil, engine.DefaultOptions(rate), caller, 0, engine.EndSilence)
	r := op.Result()
	require.Equal(t, "stopToneDetected", r.Reason)
	assert.Equal(t, [3]any{false, 200, 8514}, [3]any{r.Failed, r.Code, r.Subcode})
	assert.Equal(t, byte('#'), op.Span().StopTone)
	rec := slices.Concat(op.RecordingParts()...)
	assert.InDelta(t, onset-beep, len(rec), float64(sec(0.005)), "cut within 5 ms of the tone's onset")
	assert.Equal(t, caller[beep:beep+len(rec)], rec)
	assert.LessOrEqual(t, op.Span().End-int64(onset), int64(sec(0.060)), "reported within 60 ms of the onset")

	opts := engine.DefaultOptions(rate)
	opts.IncludeStopTone = true
	op2 := runOp(t, req, nil, opts, caller, 0, engine.EndSilence)
	assert.EqualValues(t, op2.Span().End-int64(beep), len(slices.Concat(op2.RecordingParts()...)), "includeStopTone keeps the tone up to its detection")
	assert.Greater(t, len(slices.Concat(op2.RecordingParts()...)), len(rec))
}

func TestDigitsThatAreNotStopTonesAreRecordedAsAudio(t *testing.T) {
	caller := media.Concat(media.Silence(beep+sec(0.5)), speech(t, "en_us_s160_01"), digit(t, '5', 0.1), media.Silence(sec(0.3)), digit(t, '#', 0.1), media.Silence(sec(2)))
	op := runOp(t, request(t, `{"stopTones": ["#"], "maxRecordDurationInSeconds": 30}`), nil, engine.DefaultOptions(rate), caller, 0, engine.EndSilence)
	assert.Equal(t, "stopToneDetected", op.Result().Reason)
	digits := find(op, engine.EvDigit)
	require.Len(t, digits, 2)
	assert.Equal(t, byte('5'), digits[0].Digit)
	assert.Less(t, digits[0].Sample, op.Span().End)
}

func TestMaxSilenceIsMeasuredFromTheEndOfTheLastSpeech(t *testing.T) {
	talk := speech(t, "en_gb_f2_s140_04")
	start := beep + sec(1)
	caller := media.Concat(media.Silence(start), talk, media.Silence(sec(10)))
	op := runOp(t, request(t, `{"maxSilenceTimeoutInSeconds": 2, "maxRecordDurationInSeconds": 60}`), nil, engine.DefaultOptions(rate), caller, 0, engine.EndSilence)
	r := op.Result()
	require.Equal(t, "maxSilenceTimeout", r.Reason)
	assert.Equal(t, [3]any{false, 200, 8509}, [3]any{r.Failed, r.Code, r.Subcode})
	ends := find(op, engine.EvSpeechEnd)
	require.NotEmpty(t, ends)
	e := ends[len(ends)-1].Sample
	assert.InDelta(t, start+len(talk), e, float64(sec(0.05)), "speech end within 50 ms of the truth")
	assert.Equal(t, e+int64(sec(2)), op.Span().End, "fires at E + T_m exactly")
	assert.EqualValues(t, e+int64(sec(2))-int64(beep), len(slices.Concat(op.RecordingParts()...)), "the trailing silence is kept")
}

func TestTrimSilenceKeeps200msAroundTheSpeech(t *testing.T) {
	talk := speech(t, "en_gb_f2_s140_04")
	start := beep + sec(2)
	caller := media.Concat(media.Silence(start), talk, media.Silence(sec(10)))
	opts := engine.DefaultOptions(rate)
	opts.TrimSilence = true
	op := runOp(t, request(t, `{"maxSilenceTimeoutInSeconds": 3, "maxRecordDurationInSeconds": 60}`), nil, opts, caller, 0, engine.EndSilence)
	require.Equal(t, "maxSilenceTimeout", op.Result().Reason)
	from, to := op.Span().RecordFrom, op.Span().RecordTo
	assert.InDelta(t, start-sec(0.2), from, float64(sec(0.1)))
	assert.InDelta(t, start+len(talk)+sec(0.2), to, float64(sec(0.05)))
	assert.EqualValues(t, to-from, len(slices.Concat(op.RecordingParts()...)))
}

func TestAStopToneDuringThePromptGivesAnEmptyRecording(t *testing.T) {
	prompt := &engine.PromptAudio{PCM: media.Tone(16000, 32000, media.ToneSpec{Hz: 440, Level: -20})} // 2 s at 16 kHz
	caller := media.Concat(media.Silence(sec(0.5)), digit(t, '#', 0.1), media.Silence(sec(10)))
	req := request(t, `{"stopTones": ["#"], "prompts": [{"mediaInfo": {"uri": "p.wav"}}]}`)
	op := runOp(t, req, prompt, engine.DefaultOptions(rate), caller, 0, engine.EndSilence)
	assert.Equal(t, "stopToneDetected", op.Result().Reason)
	assert.True(t, op.Result().HasRecording, "the row offers a recording")
	assert.Empty(t, slices.Concat(op.RecordingParts()...), "of no samples")
	assert.Equal(t, op.Span().RecordFrom, op.Span().RecordTo)
	assert.Less(t, op.Span().End, int64(sec(2)), "it ends during the prompt")

	opts := engine.DefaultOptions(rate)
	opts.StopTonesDuringPrompt = false
	op2 := runOp(t, req, prompt, opts, caller, 0, engine.EndSilence)
	assert.Equal(t, "initialSilenceTimeout", op2.Result().Reason, "with the switch off the early tone is ignored")
	assert.EqualValues(t, sec(2)+beep, op2.Span().Listen, "the 16 kHz prompt lasts 2 s on the 8 kHz stream")
}

func loadPrompt(t *testing.T, path string) engine.PromptAudio {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	return engine.LoadPrompt(f, path)
}

func TestPromptFailures(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "p8k.wav")
	b, err := media.EncodeWAV(make([]int16, 800), 8000)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bad, b, 0o644))
	notWAV := filepath.Join(dir, "p.mp3")
	require.NoError(t, os.WriteFile(notWAV, []byte("ID3\x03junkjunkjunk"), 0o644))
	for _, c := range []struct {
		name    string
		prompt  engine.PromptAudio
		subcode int
	}{
		{"an 8 kHz prompt fails with bad format", loadPrompt(t, bad), 8535},
		{"a file that is not WAV fails with bad format", loadPrompt(t, notWAV), 8535},
		{"a read error fails with download failed", engine.LoadPrompt(iotest.ErrReader(errors.New("connection reset")), "p.wav"), 8536},
	} {
		t.Run(c.name, func(t *testing.T) {
			op := runOp(t, request(t, `{}`), &c.prompt, engine.DefaultOptions(rate), media.Silence(sec(1)), 0, engine.EndSilence)
			r := op.Result()
			assert.Equal(t, "playPromptFailed", r.Reason)
			assert.Equal(t, [3]any{true, 500, c.subcode}, [3]any{r.Failed, r.Code, r.Subcode})
			assert.EqualValues(t, 0, op.Span().End)
			assert.False(t, op.Result().HasRecording)
		})
	}
}

func TestABeepTheCallCannotCarryFailsWithPlayBeepFailed(t *testing.T) {
	opts := engine.DefaultOptions(rate)
	opts.Beep.Hz = 5000 // above the 4 kHz Nyquist limit of an 8 kHz call
	op := runOp(t, request(t, `{}`), nil, opts, media.Silence(sec(1)), 0, engine.EndSilence)
	r := op.Result()
	assert.Equal(t, "playBeepFailed", r.Reason)
	assert.Equal(t, [2]int{500, 8512}, [2]int{r.Code, r.Subcode})
}

func TestCancelHangupAndStall(t *testing.T) {
	caller := media.Concat(media.Silence(beep), speech(t, "en_gb_f2_s140_04"))
	half := beep + sec(2)
	for _, c := range []struct {
		name    string
		stop    func(*engine.Operation)
		reason  string
		code    [2]int
		partial bool
	}{
		{"cancel ends with operationCanceled", func(op *engine.Operation) { op.Stop(engine.OutCanceled) }, "operationCanceled", [2]int{400, 8508}, false},
		{"a hang-up keeps the partial recording", func(op *engine.Operation) { op.Stop(engine.OutCallTerminated) }, "unspecifiedError", [2]int{410, 8528}, true},
		{"a stalled stream ends with mediaReceiveTimeout", func(op *engine.Operation) { op.Stop(engine.OutMediaReceive) }, "mediaReceiveTimeout", [2]int{500, 8513}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			op, err := engine.NewOperation(request(t, `{"maxRecordDurationInSeconds": 30}`), nil, engine.DefaultOptions(rate), 0)
			require.NoError(t, err)
			require.Equal(t, half, op.Process(caller[:half]))
			c.stop(op)
			r := op.Result()
			assert.Equal(t, c.reason, r.Reason)
			assert.Equal(t, c.code, [2]int{r.Code, r.Subcode})
			assert.EqualValues(t, half, op.Span().End)
			if c.partial {
				assert.Equal(t, caller[beep:half], slices.Concat(op.RecordingParts()...))
			} else {
				assert.False(t, op.Result().HasRecording)
			}
			assert.Equal(t, 0, op.Process(caller[half:]), "an ended operation consumes nothing")
		})
	}
}

// summary is everything an operation reports, for chunking comparisons.
type summary struct {
	Outcome  engine.Outcome
	End      int64
	Consumed int
	Timeline []engine.Event
	WAV      [32]byte
}

func summarize(t testing.TB, op *engine.Operation, consumed int) summary {
	b, err := media.EncodeWAV(slices.Concat(op.RecordingParts()...), rate)
	require.NoError(t, err)
	return summary{op.Result().Outcome, op.Span().End, consumed, append([]engine.Event(nil), op.Timeline()...), sha256.Sum256(b)}
}

func TestTheEngineIsChunkingInvariant(t *testing.T) {
	talk := speech(t, "en_us_s160_01", "en_gb_f2_s140_04")
	scenes := map[string]struct {
		req    string
		caller []int16
	}{
		"stop tone":   {`{"stopTones": ["#"], "maxRecordDurationInSeconds": 30}`, media.Concat(media.Silence(beep+sec(0.3)), talk, digit(t, '#', 0.08), media.Silence(sec(1)))},
		"max silence": {`{"maxSilenceTimeoutInSeconds": 1, "maxRecordDurationInSeconds": 30}`, media.Concat(media.Silence(beep+sec(0.3)), talk, media.Silence(sec(2)))},
		"max record":  {`{"maxRecordDurationInSeconds": 3}`, media.Concat(media.Silence(sec(0.2)), talk)},
		"initial":     {`{"initialSilenceTimeoutInSeconds": 1}`, media.Noise(media.Pink, 3, sec(3), -50)},
	}
	for name, sc := range scenes {
		t.Run(name+" gives identical results in any frame size", func(t *testing.T) {
			req := request(t, sc.req)
			mediatest.RequireChunkingInvariant(t, sc.caller, func(feed func(func(int64, []int16))) summary {
				op, err := engine.NewOperation(req, nil, engine.DefaultOptions(rate), 0)
				require.NoError(t, err)
				consumed := 0
				feed(func(_ int64, chunk []int16) {
					if !op.Done() {
						consumed += op.Process(chunk)
					}
				})
				if !op.Done() {
					op.Stop(engine.OutMediaReceive)
				}
				return summarize(t, op, consumed)
			})
		})
	}
}

func TestProcessDoesNotAllocatePerFrame(t *testing.T) {
	op, err := engine.NewOperation(request(t, `{"maxRecordDurationInSeconds": 120, "initialSilenceTimeoutInSeconds": 120, "stopTones": ["#"]}`), nil, engine.DefaultOptions(rate), 0)
	require.NoError(t, err)
	frame := media.Noise(media.White, 1, 160, -30)
	for range 100 { // past the beep, into listen
		op.Process(frame)
	}
	allocs := testing.AllocsPerRun(2000, func() { op.Process(frame) })
	assert.Zero(t, allocs)
	assert.False(t, op.Done())
}

func TestTheResultsTableHasEveryRow(t *testing.T) {
	want := map[engine.Outcome][3]any{
		engine.OutMaxRecordDuration: {"maxRecordDurationReached", 200, 8515},
		engine.OutStopTone:          {"stopToneDetected", 200, 8514},
		engine.OutMaxSilence:        {"maxSilenceTimeout", 200, 8509},
		engine.OutInitialSilence:    {"initialSilenceTimeout", 400, 8510},
		engine.OutCanceled:          {"operationCanceled", 400, 8508},
		engine.OutPromptFailed:      {"playPromptFailed", 500, 8511},
		engine.OutPromptBadFormat:   {"playPromptFailed", 500, 8535},
		engine.OutPromptDownload:    {"playPromptFailed", 500, 8536},
		engine.OutBeepFailed:        {"playBeepFailed", 500, 8512},
		engine.OutMediaReceive:      {"mediaReceiveTimeout", 500, 8513},
		engine.OutUnspecified:       {"unspecifiedError", 500, 9999},
		engine.OutCallTerminated:    {"unspecifiedError", 410, 8528},
		engine.OutPromptPlayed:      {"completedSuccessfully", 200, 0},
	}
	for o, w := range want {
		r := engine.ResultOf(o)
		assert.Equal(t, w, [3]any{r.Reason, r.Code, r.Subcode}, "outcome %d", o)
		assert.Equal(t, o, r.Outcome)
		assert.NotEmpty(t, r.Message)
		assert.Equal(t, o == engine.OutCanceled, r.EmptyLocation, "only operationCanceled reports \"\" locations")
	}
	assert.Equal(t, engine.Result{}, engine.ResultOf(engine.OutPromptPlayed+1), "past the last row: the empty row")
	assert.Equal(t, engine.Result{}, engine.ResultOf(engine.OutcomeNone))
}

func TestAnOperationStartingLaterOnTheStreamBehavesTheSame(t *testing.T) {
	talk := speech(t, "en_us_s160_01")
	caller := media.Concat(media.Silence(beep+sec(0.7)), talk, media.Silence(sec(0.4)), digit(t, '#', 0.1), media.Silence(sec(2)))
	req := request(t, `{"stopTones": ["#"], "maxRecordDurationInSeconds": 30}`)
	at0 := runOp(t, req, nil, engine.DefaultOptions(rate), caller, 0, engine.EndSilence)
	const start = 100003
	op, err := engine.NewOperation(req, nil, engine.DefaultOptions(rate), start)
	require.NoError(t, err)
	op.ProcessAll(caller, 0, engine.EndSilence)
	require.Equal(t, engine.OutStopTone, at0.Result().Outcome)
	assert.Equal(t, at0.Result().Outcome, op.Result().Outcome)
	assert.Equal(t, at0.Span().End+start, op.Span().End)
	assert.Equal(t, slices.Concat(at0.RecordingParts()...), slices.Concat(op.RecordingParts()...))
	require.Equal(t, len(at0.Timeline()), len(op.Timeline()))
	for i, e := range at0.Timeline() {
		g := op.Timeline()[i]
		assert.Equal(t, e.Sample+start, g.Sample, "event %d (%s)", i, e.Kind)
		assert.Equal(t, e.At+start, g.At, "event %d (%s)", i, e.Kind)
	}
}

func TestReleaseRecyclesTheRecordingBufferOnlyOnceTheOperationHasEnded(t *testing.T) {
	talk := speech(t, "en_gb_f2_s140_04")
	caller := media.Concat(media.Silence(beep+sec(0.5)), talk)
	req := request(t, `{"maxRecordDurationInSeconds": 2}`)

	op, err := engine.NewOperation(req, nil, engine.DefaultOptions(rate), 0)
	require.NoError(t, err)
	op.Process(caller[:beep+sec(1)])
	require.False(t, op.Done())
	op.Release()
	assert.Len(t, slices.Concat(op.RecordingParts()...), sec(1), "a running operation keeps its buffer")

	op.ProcessAll(caller[beep+sec(1):], 160, engine.EndSilence)
	require.True(t, op.Done())
	want := append([]int16(nil), slices.Concat(op.RecordingParts()...)...)
	require.Equal(t, caller[beep:beep+sec(2)], want)
	span, timeline, result := op.Span(), append([]engine.Event(nil), op.Timeline()...), op.Result()
	op.Release()
	assert.True(t, op.Result().HasRecording, "the outcome still says there was a recording")
	assert.Nil(t, slices.Concat(op.RecordingParts()...), "but its samples are gone")
	assert.Nil(t, op.RecordingParts())
	assert.Equal(t, span, op.Span(), "the span, timeline and result stay")
	assert.Equal(t, timeline, op.Timeline())
	assert.Equal(t, result, op.Result())
	op.Release() // a second time does nothing

	// Later operations (which may get the buffer back) record correctly.
	for range 3 {
		next := runOp(t, req, nil, engine.DefaultOptions(rate), caller, 160, engine.EndSilence)
		assert.Equal(t, want, slices.Concat(next.RecordingParts()...))
		next.Release()
	}
}

func TestARecordingHoldsTheAudioRecordedNotItsMaximum(t *testing.T) {
	req := request(t, `{"maxRecordDurationInSeconds": 120, "initialSilenceTimeoutInSeconds": 60}`)
	caller := media.Concat(media.Silence(beep), speech(t, "en_gb_f2_s140_04"))
	const ops = 200
	keep := make([]*engine.Operation, 0, ops)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range ops {
		op, err := engine.NewOperation(req, nil, engine.DefaultOptions(rate), 0)
		require.NoError(t, err)
		op.Process(caller) // about 3 s of listening, still running
		require.False(t, op.Done())
		keep = append(keep, op)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / ops
	recorded := float64(2 * (len(caller) - beep))
	t.Logf("%.0f KiB per running operation that has recorded %.0f KiB of its 120 s (%.0f KiB)", per/1024, recorded/1024, 2*120*float64(rate)/1024)
	assert.Less(t, per, recorded+96*1024, "the recorded audio, a chunk of slack and the detectors; not 120 s")
	assert.Equal(t, len(caller)-beep, len(slices.Concat(keep[0].RecordingParts()...)))

	t.Run("the chunks hold exactly the samples, across chunk boundaries", func(t *testing.T) {
		long := media.Concat(media.Silence(beep), speech(t, "en_gb_f2_s140_04", "en_us_s160_01", "en_gb_m1_s200_45"))
		op, err := engine.NewOperation(request(t, `{"maxRecordDurationInSeconds": 6}`), nil, engine.DefaultOptions(rate), 0)
		require.NoError(t, err)
		op.ProcessAll(long, 479, engine.EndSilence)
		require.True(t, op.Done())
		want := long[beep : beep+sec(6)]
		assert.Equal(t, want, slices.Concat(op.RecordingParts()...))
		var joined []int16
		for _, p := range op.RecordingParts() {
			joined = append(joined, p...)
		}
		assert.Equal(t, want, joined)
		assert.Greater(t, len(op.RecordingParts()), 2, "6 s at 8 kHz spans three 16 384-sample chunks")
	})
}

func TestRecordingIntoWarmChunksDoesNotAllocate(t *testing.T) {
	opts := engine.DefaultOptions(rate)
	opts.Cache = engine.NewCache(0)
	req := request(t, `{"maxRecordDurationInSeconds": 60, "initialSilenceTimeoutInSeconds": 60}`)
	frame := media.Tone(rate, 160, media.ToneSpec{Hz: 300, Level: -30})
	warm, err := engine.NewOperation(req, nil, opts, 0)
	require.NoError(t, err)
	for range 3100 { // the beep and 60 s: every chunk the next operation needs
		warm.Process(frame)
	}
	require.True(t, warm.Done())
	warm.Release()
	op, err := engine.NewOperation(req, nil, opts, 0)
	require.NoError(t, err)
	for range 50 {
		op.Process(frame) // past the beep
	}
	allocs := testing.AllocsPerRun(2500, func() { op.Process(frame) }) // across chunk boundaries
	assert.Zero(t, allocs)
}
