// Command recsim simulates Microsoft Graph's recordResponse on real audio.
// Run `recsim help` for the commands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit codes: 0 success; 2 bad input or usage (one line on stderr naming the
// file, field and value); 1 a failure that is not the input's fault.
const (
	exitOK       = 0
	exitFailure  = 1
	exitBadInput = 2
)

// command is one subcommand. run returns the process exit code.
type command struct {
	summary string
	run     func(env *env, args []string) int
}

// env is what a command may touch: its streams, so tests run commands in
// process.
type env struct {
	stdout, stderr io.Writer
}

func commands() map[string]command {
	return map[string]command{
		"wavinfo": {"print a WAV file's format and length as recsim reads it", runWavinfo},
		"record":  {"run one recordResponse operation on a caller WAV; print the recordOperation JSON", runRecord},
		"demo":    {"run a record operation on the built-in scenario and explain what happened", runDemo},
		"gen":     {"render a scenario's caller audio to a WAV file", runGen},
		"plot":    {"run one operation on a caller WAV and draw its timeline picture (PNG)", runPlot},
		"dtmf":    {"print the DTMF digits in a WAV file", runDTMF},
		"vad":     {"print the speech segments of a WAV file (start_ms end_ms)", runVAD},
		"serve":   {"run the mock Graph calls server: recordResponse with notifications and recordings", runServe},
		"bench":   {"measure throughput per core, real-time concurrency and scaling on this machine", runBench},
	}
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			if c, ok := cmds[args[1]]; ok {
				return c.run(e, []string{"--help"})
			}
		}
		usage(stdout, cmds)
		if len(args) == 0 {
			return exitBadInput
		}
		return exitOK
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "recsim: unknown command %q (run 'recsim help')\n", args[0])
		return exitBadInput
	}
	return c.run(e, args[1:])
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "recsim simulates Microsoft Graph's recordResponse on real audio.")
	fmt.Fprintln(w, "\nUsage: recsim <command> [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'recsim <command> --help' for a command's flags.")
}

// newFlags returns a flag set whose usage text is the command's synopsis
// and description followed by its flags.
func newFlags(e *env, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: recsim %s %s\n\n%s\n", name, synopsis, strings.TrimSpace(description))
		var has bool
		fs.VisitAll(func(*flag.Flag) { has = true })
		if has {
			fmt.Fprintln(e.stdout, "\nFlags:")
			fs.SetOutput(e.stdout)
			fs.PrintDefaults()
			fs.SetOutput(e.stderr)
		}
	}
	return fs
}

// parse parses flags that may come before, between or after the positional
// arguments and returns the positional ones. Errors come back as one line.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	usage := fs.Usage
	fs.Usage = func() {} // on an error we print one line, not the usage
	fs.SetOutput(io.Discard)
	defer func() { fs.Usage = usage }()
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage()
				return nil, flag.ErrHelp // --help: the command exits 0
			}
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// fail prints one line for a usage or input error and returns its exit code.
func fail(e *env, cmd string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "recsim %s: %s\n", cmd, oneLine(err.Error()))
	return exitBadInput
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// wantArgs checks the number of positional arguments.
func wantArgs(pos []string, n int, what string) error {
	if len(pos) != n {
		if len(pos) < n {
			return fmt.Errorf("missing %s", what)
		}
		return fmt.Errorf("unexpected argument %q", pos[n])
	}
	return nil
}
