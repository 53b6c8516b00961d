package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tiny makes a bench run take a fraction of a second: the figures are not
// checked, only what the command prints.
var tiny = []string{"--scene-seconds", "1", "--kernel-seconds", "0.01", "--calls", "4", "--seconds", "0.1", "--scale-frames", "2"}

func TestBenchPrintsItsTablesWithPlainProgressOnStderr(t *testing.T) {
	code, out, errOut := runCLI(append([]string{"bench", "--only", "throughput,concurrency"}, tiny...)...)
	require.Equal(t, exitOK, code, errOut)
	for _, want := range []string{"recsim bench · ", "machine: ", "1. Throughput per core", "2. Concurrency in real time", "Targets"} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "Scaling", "--only leaves the other sections out")
	assert.Contains(t, errOut, "recsim bench: [", "stderr is not a terminal: one plain line per stage")
	assert.Contains(t, errOut, "throughput: dtmf at 8 kHz")
}

func TestBenchJSONFeedsCompare(t *testing.T) {
	code, out, errOut := runCLI(append([]string{"bench", "--only", "throughput", "--json"}, tiny...)...)
	require.Equal(t, exitOK, code, errOut)
	var rep struct {
		Tool    string
		Machine struct{ CPU string }
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep), "stdout is the JSON alone")
	assert.Equal(t, "recsim bench", rep.Tool)
	assert.NotEmpty(t, rep.Machine.CPU)

	path := filepath.Join(t.TempDir(), "before.json")
	require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
	code, out, errOut = runCLI(append([]string{"bench", "--only", "throughput", "--compare", path}, tiny...)...)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Compared with ")
	assert.Contains(t, out, "dtmf 8 kHz samples/s")
}

func TestBenchRejectsBadFlagsWithOneLine(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"tool": "something else"}`), 0o644))
	tests := map[string][]string{
		"runs = 0":            {"--runs", "0"},
		`section "gpu"`:       {"--only", "gpu"},
		"call rate 11025":     {"--rate", "11025"},
		`unexpected argument`: {"extra"},
		"not a recsim bench":  {"--compare", bad},
		"no such file":        {"--compare", filepath.Join(t.TempDir(), "missing.json")},
	}
	for want, args := range tests {
		code, _, errOut := runCLI(append([]string{"bench"}, args...)...)
		assert.Equal(t, exitBadInput, code, args)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
		assert.Contains(t, errOut, want)
	}
}
