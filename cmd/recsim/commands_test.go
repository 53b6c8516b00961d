package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/fixtures"
	"github.com/recsim/recsim/media"
)

const rate8k = media.SampleRate(8000)

func writeFile(t *testing.T, dir, name string, pcm []int16, rate media.SampleRate) string {
	t.Helper()
	b, err := media.EncodeWAV(pcm, rate)
	require.NoError(t, err)
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

func clip(t *testing.T, name string) []int16 {
	c, err := fixtures.SpeechClip(name, 8000)
	require.NoError(t, err)
	return c.PCM
}

func dtmfTone(t *testing.T, d byte, n int) []int16 {
	pcm, err := media.DTMF(rate8k, n, media.DTMFSpec{Digit: d, Level: -10, Ramp: 16})
	require.NoError(t, err)
	return pcm
}

type wireOp struct {
	ODataType            string  `json:"@odata.type"`
	ID                   string  `json:"id"`
	Status               string  `json:"status"`
	CompletionReason     *string `json:"completionReason"`
	RecordingLocation    *string `json:"recordingLocation"`
	RecordingAccessToken *string `json:"recordingAccessToken"`
	ResultInfo           *struct {
		Code    int    `json:"code"`
		Subcode int    `json:"subcode"`
		Message string `json:"message"`
	} `json:"resultInfo"`
}

func TestRecordPrintsTheOperationAndWritesTheRecording(t *testing.T) {
	dir := t.TempDir()
	caller := media.Concat(media.Silence(4000), clip(t, "en_us_s160_01"), media.Silence(2000), dtmfTone(t, '#', 800), media.Silence(8000))
	callerPath := writeFile(t, dir, "caller.wav", caller, rate8k)
	reqPath := filepath.Join(dir, "req.json")
	require.NoError(t, os.WriteFile(reqPath, []byte(`{"stopTones": ["#"], "maxRecordDurationInSeconds": 20}`), 0o644))
	out := filepath.Join(dir, "rec.wav")

	code, stdout, stderr := runCLI("record", "--caller", callerPath, "--request", reqPath, "--out", out)
	require.Equal(t, exitOK, code, stderr)
	var op wireOp
	require.NoError(t, json.Unmarshal([]byte(stdout), &op))
	assert.Equal(t, "#microsoft.graph.recordOperation", op.ODataType)
	assert.Equal(t, "Completed", op.Status)
	require.NotNil(t, op.CompletionReason)
	assert.Equal(t, "stopToneDetected", *op.CompletionReason)
	assert.Equal(t, 8514, op.ResultInfo.Subcode)
	require.NotNil(t, op.RecordingLocation)
	assert.Equal(t, "file://"+filepath.ToSlash(out), *op.RecordingLocation)
	assert.Nil(t, op.RecordingAccessToken)
	rec, r, err := media.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, rate8k, r, "the recording keeps the caller file's rate")
	assert.Equal(t, caller[3200:3200+len(rec)], rec, "the caller's audio from listen start (after the 400 ms beep)")
}

func TestRecordNeverCreatesOutWithoutARecording(t *testing.T) {
	dir := t.TempDir()
	callerPath := writeFile(t, dir, "silent.wav", media.Silence(8000*8), rate8k)
	out := filepath.Join(dir, "rec.wav")
	code, stdout, _ := runCLI("record", "--caller", callerPath, "--out", out)
	require.Equal(t, exitOK, code, "a failed operation still exits 0")
	var op wireOp
	require.NoError(t, json.Unmarshal([]byte(stdout), &op))
	assert.Equal(t, "Failed", op.Status)
	assert.Equal(t, "initialSilenceTimeout", *op.CompletionReason)
	assert.Nil(t, op.RecordingLocation)
	assert.NoFileExists(t, out)
}

func TestRecordWritesAnEmptyWAVForAStopToneDuringThePrompt(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "prompt.wav", media.Tone(16000, 32000, media.ToneSpec{Hz: 440, Level: -20}), 16000)
	req := filepath.Join(dir, "req.json")
	require.NoError(t, os.WriteFile(req, []byte(`{"stopTones": ["#"], "prompts": [{"mediaInfo": {"uri": "prompt.wav"}}]}`), 0o644))
	callerPath := writeFile(t, dir, "c.wav", media.Concat(media.Silence(4000), dtmfTone(t, '#', 800), media.Silence(8000)), rate8k)
	out := filepath.Join(dir, "rec.wav")
	code, stdout, stderr := runCLI("record", "--caller", callerPath, "--request", req, "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"stopToneDetected"`)
	st, err := os.Stat(out)
	require.NoError(t, err)
	assert.EqualValues(t, media.HeaderSize, st.Size(), "a valid WAV with 0 samples")
}

func TestRecordRejectsBadInputWithOneLineAndExit2(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "c.wav", media.Silence(800), rate8k)
	badReq := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(badReq, []byte(`{"maxSilenceTimeoutInSeconds": 500}`), 0o644))
	notWAV := filepath.Join(dir, "notwav.wav")
	require.NoError(t, os.WriteFile(notWAV, []byte("hello, this is not a wav file"), 0o644))
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"a missing --caller", []string{"record"}, []string{"--caller"}},
		{"a caller that does not exist", []string{"record", "--caller", filepath.Join(dir, "none.wav")}, []string{"none.wav"}},
		{"a caller that is not WAV", []string{"record", "--caller", notWAV}, []string{"notwav.wav", "RIFF.id"}},
		{"an out-of-range timeout", []string{"record", "--caller", good, "--request", badReq}, []string{"bad.json", "maxSilenceTimeoutInSeconds = 500", "1 to 120"}},
		{"an unknown flag", []string{"record", "--caller", good, "--frobnicate"}, []string{"frobnicate"}},
		{"a bad end-of-media policy", []string{"record", "--caller", good, "--end-of-media", "explode"}, []string{"explode"}},
	} {
		t.Run("it rejects "+c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(c.args...)
			assert.Equal(t, exitBadInput, code)
			assert.Empty(t, stdout)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			for _, w := range c.want {
				assert.Contains(t, stderr, w)
			}
		})
	}
}

func TestDTMFAndVADCommands(t *testing.T) {
	dir := t.TempDir()
	talk := clip(t, "en_us_s160_01")
	pcm := media.Concat(media.Silence(8000), talk, media.Silence(4000), dtmfTone(t, '1', 640), media.Silence(640), dtmfTone(t, '#', 640), media.Silence(4000))
	path := writeFile(t, dir, "in.wav", pcm, rate8k)

	code, out, _ := runCLI("dtmf", path)
	require.Equal(t, exitOK, code)
	assert.Equal(t, "1#\n", out)
	code, out, _ = runCLI("dtmf", "--json", path)
	require.Equal(t, exitOK, code)
	var js struct {
		Digits string `json:"digits"`
		Events []struct {
			Digit    string  `json:"digit"`
			OnsetMs  float64 `json:"onset_ms"`
			OffsetMs float64 `json:"offset_ms"`
		} `json:"events"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &js))
	assert.Equal(t, "1#", js.Digits)
	require.Len(t, js.Events, 2)
	onset := 1000 * float64(8000+len(talk)+4000) / 8000
	assert.InDelta(t, onset, js.Events[0].OnsetMs, 5)
	assert.InDelta(t, onset+80, js.Events[0].OffsetMs, 5)

	silent := writeFile(t, dir, "silent.wav", media.Silence(8000), rate8k)
	code, out, _ = runCLI("dtmf", silent)
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "\n", out, "an empty line when there is no digit")

	code, out, _ = runCLI("vad", path)
	require.Equal(t, exitOK, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 1, "one speech segment: %q", out)
	var s, e int
	_, err := fmtSscan(lines[0], &s, &e)
	require.NoError(t, err)
	assert.InDelta(t, 1000, s, 100)
	assert.InDelta(t, 1000+1000*len(talk)/8000, e, 50)

	code, _, stderr := runCLI("vad", filepath.Join(dir, "nope.wav"))
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, stderr, "nope.wav")
}

func TestGenPlotAndDemo(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "s.json")
	require.NoError(t, os.WriteFile(sc, []byte(`{"rate": 8000, "caller": [{"silence": 0.5}, {"speech": "en_us_s160_01"}, {"dtmf": "12"}]}`), 0o644))
	out := filepath.Join(dir, "s.wav")
	code, stdout, stderr := runCLI("gen", sc, "-o", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "8000 Hz")
	pcm, r, err := media.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, rate8k, r)
	assert.Equal(t, 4000+len(clip(t, "en_us_s160_01"))+2*1600, len(pcm))

	require.NoError(t, os.WriteFile(sc, []byte(`{"rate": 8000, "caller": [{"speech": "no_such_clip"}]}`), 0o644))
	code, _, stderr = runCLI("gen", sc, "-o", out)
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, stderr, `caller[0].speech = "no_such_clip"`)

	png := filepath.Join(dir, "t.png")
	code, stdout, stderr = runCLI("plot", "--caller", out, "-o", png)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "t.png")
	assert.FileExists(t, png)

	demoDir := filepath.Join(dir, "demo")
	code, stdout, stderr = runCLI("demo", "--dir", demoDir)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "stopToneDetected")
	assert.Contains(t, stdout, "8514")
	for _, f := range []string{"recording.wav", "caller.wav", "outbound.wav", "operation.json", "timeline.json", "timeline.png"} {
		assert.FileExists(t, filepath.Join(demoDir, f))
	}
}
