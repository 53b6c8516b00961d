package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/media"
)

// runCLI runs recsim in process and returns its exit code and output.
func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestEveryCommandHasHelp(t *testing.T) {
	for name := range commands() {
		t.Run(name+" --help exits 0 and prints its usage", func(t *testing.T) {
			code, out, _ := runCLI(name, "--help")
			assert.Equal(t, exitOK, code)
			assert.Contains(t, out, "Usage: recsim "+name)
		})
	}
	code, out, _ := runCLI("help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "Commands:")
}

func TestUnknownCommandIsBadInput(t *testing.T) {
	code, _, errOut := runCLI("frobnicate")
	assert.Equal(t, exitBadInput, code)
	assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line")
	assert.Contains(t, errOut, "frobnicate")
}

func TestWavinfoNamesFileFieldAndValue(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.wav")
	b, err := media.EncodeWAV(make([]int16, 800), 8000)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(good, b, 0o644))
	code, out, _ := runCLI("wavinfo", good)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "8000 Hz")
	assert.Contains(t, out, "800 samples")

	bad := filepath.Join(dir, "bad.wav")
	b[22] = 0 // channels = 0
	require.NoError(t, os.WriteFile(bad, b, 0o644))
	code, _, errOut := runCLI("wavinfo", bad)
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, errOut, "bad.wav")
	assert.Contains(t, errOut, "fmt.channels = 0")
	assert.Equal(t, 1, strings.Count(errOut, "\n"))
}

func fmtSscan(s string, a ...any) (int, error) { return fmt.Sscan(s, a...) }
