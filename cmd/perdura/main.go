// Command perdura is the IT service continuity management platform: it lints and analyses a
// continuity model kept as code and (in later versions) serves it to the people who keep an
// organisation's essential IT services running through disasters.
//
// main only wires: every command is built by newRoot with its inputs and outputs injected, so
// tests run the whole CLI in process.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes shared by every command (CONTRACT.md).
const (
	exitOK      = 0 // done
	exitFound   = 1 // the check found errors
	exitCannot  = 2 // could not run: bad usage, unreadable path, a model that does not load
	exitUnknown = exitCannot
)

// exitError carries a command's exit code with the message to print (if any).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// cannot wraps an error as "could not run" (exit 2).
func cannot(format string, args ...any) error {
	return &exitError{code: exitCannot, err: fmt.Errorf(format, args...)}
}

// found ends a command with exit 1 without printing more.
func found() error { return &exitError{code: exitFound} }

// env is the process environment, injected so tests set PERDURA_* without touching the real one.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var xe *exitError
	if errors.As(err, &xe) {
		if xe.err != nil {
			fmt.Fprintf(stderr, "perdura: %v\n", xe.err)
		}
		return xe.code
	}
	// Anything cobra itself rejects (unknown command or flag, wrong argument count) is usage.
	fmt.Fprintf(stderr, "perdura: %v\n", err)
	if cmd, _, ferr := root.Find(args); ferr == nil && cmd != nil {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return exitUnknown
}

// newRoot builds the command tree.
func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "perdura",
		Short: "IT service continuity management: continuity as code, checked against the dependency graph",
		Long: strings.TrimSpace(`
Perdura keeps what an organisation needs to run its essential IT services through a disaster:
business functions and their impact analysis, services and their dependencies, sites, providers,
people, plans and scenarios, as YAML files in git. It proves whether recovery targets can be met.

Environment variables PERDURA_<FLAG> (upper case, dashes as underscores) set any flag's default.`),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.HiddenDefaultCmd = true
	root.AddCommand(newDemoCmd(e), newServeCmd(e), newLintCmd(e), newAnalyzeCmd(e), newApplyCmd(e), newUserCmd(e), newAuditCmd(e), newDBCmd(e), newSchemaCmd(e), newExportCmd(e), newVersionCmd(e))
	for _, c := range root.Commands() {
		bindEnv(c, e.getenv)
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cannot("%v\nRun '%s --help' for usage.", err, c.CommandPath())
	})
	return root
}
