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

// command is one subcommand: its synopsis (the usage line after
// "circopt"), its one-line summary and its entry point.
type command struct {
	synopsis string
	summary  string
	run      func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

func register(name, synopsis, summary string, run func(args []string, stdout, stderr io.Writer) error) {
	commands[name] = command{synopsis: synopsis, summary: summary, run: run}
}

// usageError marks a bad invocation (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// helpRequest is returned when -h or -help is given: the command's help
// goes to stdout and the exit status is 0.
type helpRequest struct{ fs *flag.FlagSet }

func (helpRequest) Error() string { return "help requested" }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) (status int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "circopt: internal error: %v\n", r)
			status = 1
		}
	}()
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printUsage(stdout)
		return 0
	case "--version", "-version":
		// What most tools answer; the same as the version command.
		return run(append([]string{"version"}, args[1:]...), stdout, stderr)
	case "help":
		if len(args) == 1 {
			printUsage(stdout)
			return 0
		}
		if _, ok := commands[args[1]]; !ok || len(args) > 2 {
			fmt.Fprintf(stderr, "circopt help: unknown command %q (see circopt help)\n", strings.Join(args[1:], " "))
			return 2
		}
		// The command's own -h prints its synopsis, summary and flags.
		return run([]string{args[1], "-h"}, stdout, stderr)
	}
	name := args[0]
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "circopt: unknown command %q (run circopt -h for the list)\n", name)
		return 2
	}
	err := cmd.run(args[1:], stdout, stderr)
	var ue usageError
	var hr helpRequest
	switch {
	case err == nil:
		return 0
	case errors.As(err, &hr):
		printCommandHelp(stdout, hr.fs)
		return 0
	case errors.As(err, &ue):
		// One line, as every error: the problem, then where the help is.
		fmt.Fprintf(stderr, "circopt %s: %s (see circopt %s -h)\n", name, ue.msg, name)
		return 2
	case errors.Is(err, errReported):
		return 1
	default:
		for _, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
			fmt.Fprintln(stderr, line)
		}
		return 1
	}
}

// errReported means the command already wrote its problems to stderr.
var errReported = errors.New("reported")

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "circopt prints, evaluates, optimizes and verifies circuits in rust_circuit's text format.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: circopt COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "FILE may be - for standard input. Exit status: 0 success; 1 invalid input,")
	fmt.Fprintln(w, "failed evaluation or failed verification; 2 usage error.")
	fmt.Fprintln(w, "Run circopt COMMAND -h (or circopt help COMMAND) for a command's flags.")
}

// printCommandHelp writes the synopsis, summary and flags of the command
// whose flag set is fs.
func printCommandHelp(w io.Writer, fs *flag.FlagSet) {
	name := strings.TrimPrefix(fs.Name(), "circopt ")
	key, _, _ := strings.Cut(name, " ")
	cmd := commands[key]
	fmt.Fprintf(w, "usage: circopt %s\n\n%s\n", cmd.synopsis, cmd.summary)
	if d := details[key]; d != "" {
		fmt.Fprintf(w, "\n%s\n", d)
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nflags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// newFlags makes a flag set that reports problems as errors instead of
// printing them and exiting; run prints them once, with the synopsis.
func newFlags(name string, _ io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("circopt "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args, allowing flags after positional arguments
// (`circopt eval FILE -format json`) as most users expect; "--" ends the
// flags. Flag errors become usage errors, -h a help request.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return helpRequest{fs}
			}
			return usageError{err.Error()}
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Reparse the positionals alone so fs.Args and fs.NArg report them.
	return fs.Parse(append([]string{"--"}, positional...))
}

// oneFile returns the single positional argument.
func oneFile(fs *flag.FlagSet) (string, error) {
	switch fs.NArg() {
	case 0:
		return "", usagef("missing FILE argument")
	case 1:
		return fs.Arg(0), nil
	}
	return "", usagef("want exactly one FILE argument, got %d: %s", fs.NArg(), strings.Join(fs.Args(), " "))
}

// noArgs rejects positional arguments for commands that take none.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() != 0 {
		return usagef("takes no arguments, got %s", strings.Join(fs.Args(), " "))
	}
	return nil
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
