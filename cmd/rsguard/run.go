package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/rsguard/rsguard/middleware"
)

// Exit statuses.
const (
	exitOK          = 0 // token accepted; demo passed
	exitRefused     = 1 // token refused; a demo step failed
	exitUsage       = 2 // bad command line
	exitUnavailable = 3 // the authorization server could not be reached
)

// secretEnv names the environment variable read for the client secret when
// --client-secret is not given, so that it stays out of shell history and
// process listings.
const secretEnv = "RSGUARD_CLIENT_SECRET"

// maxTokenInput bounds a token read from stdin; the validator refuses tokens
// over middleware.DefaultMaxTokenSize anyway, with its own message.
const maxTokenInput = 1 << 20

const usageText = `rsguard checks OAuth 2.0 access tokens as the rsguard library does.

Usage:
  rsguard verify [flags] [token|-]      validate a token; --explain walks through each check
  rsguard introspect [flags] [token|-]  ask an RFC 7662 introspection endpoint about a token
  rsguard demo [--serve]                local authorization server + protected API + scripted session

A token of "-", or none, is read from stdin. Run "rsguard <command> -h" for
the flags of a command.

Exit status: 0 accepted, 1 refused, 2 usage error, 3 authorization server
unavailable.
`

// run is the whole command, minus the process: it parses args (without the
// program name), does the work and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	switch args[0] {
	case "verify":
		return runVerify(ctx, args[1:], stdin, stdout, stderr)
	case "introspect":
		return runIntrospect(ctx, args[1:], stdin, stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	}
	fmt.Fprintf(stderr, "rsguard: unknown command %q\n\n%s", args[0], usageText)
	return exitUsage
}

// errUsage marks command-line errors (exit status 2).
var errUsage = errors.New("usage")

// usageError returns an error matching errUsage.
func usageError(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, a...)...)
}

// parseArgs parses flags that may come before or after the positional
// arguments (the flag package alone stops at the first one), and returns the
// positional arguments. A token that starts with "-" (base64url allows it) is
// taken as a positional argument, not as an unknown flag, so that it is
// neither refused nor echoed in an error.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	args, dashed := hideDashTokens(fs, args)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return unhide(pos, dashed), nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return unhide(append(pos, rest...), dashed), nil // "--" ends the flags
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// hideDashTokens replaces the arguments that start with "-" but are tokens
// rather than flags — not a defined flag, not a flag's value, and long or
// holding characters no flag name has — by placeholders that do not start
// with "-". It returns the new arguments and the hidden ones.
func hideDashTokens(fs *flag.FlagSet, args []string) ([]string, map[string]string) {
	out := slices.Clone(args)
	hidden := map[string]string{}
	value := false // the argument is the value of the flag before it
	for i, a := range args {
		if value || a == "--" {
			value = false
			if a == "--" {
				break
			}
			continue
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		name, _, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if f := fs.Lookup(name); f != nil {
			b, ok := f.Value.(interface{ IsBoolFlag() bool })
			value = !inline && !(ok && b.IsBoolFlag())
			continue
		}
		if name != "h" && name != "help" && (len(a) >= 24 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != "") {
			ph := "\x00" + strconv.Itoa(i)
			out[i], hidden[ph] = ph, a
		}
	}
	return out, hidden
}

// unhide puts the hidden tokens back into the positional arguments.
func unhide(pos []string, hidden map[string]string) []string {
	for i, p := range pos {
		if a, ok := hidden[p]; ok {
			pos[i] = a
		}
	}
	return pos
}

// newFlagSet returns a flag set that reports errors instead of exiting, with
// usage printed to stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: rsguard %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// flagStatus maps a flag parsing error to an exit status: -h is a success.
func flagStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// readToken returns the token from the positional arguments, or from stdin
// when there is none or it is "-". Surrounding white space and a leading
// "Bearer " (as copied from an Authorization header) are removed.
func readToken(pos []string, stdin io.Reader) (string, error) {
	var tok string
	switch {
	case len(pos) > 1:
		return "", usageError("expected one token, got %d arguments", len(pos))
	case len(pos) == 1 && pos[0] != "-":
		tok = pos[0]
	default:
		b, err := io.ReadAll(io.LimitReader(bufio.NewReader(stdin), maxTokenInput+1))
		if err != nil {
			return "", fmt.Errorf("rsguard: reading the token from stdin: %w", err)
		}
		if len(b) > maxTokenInput {
			return "", usageError("the token on stdin is larger than %d bytes", maxTokenInput)
		}
		tok = string(b)
	}
	tok = strings.TrimSpace(tok)
	if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
		tok = strings.TrimSpace(tok[7:])
	}
	if tok == "" {
		return "", usageError("no token given (pass it as an argument, or on stdin)")
	}
	return tok, nil
}

// clientSecret returns the --client-secret value, else $RSGUARD_CLIENT_SECRET.
// A secret given on the command line earns a warning, never an echo.
func clientSecret(flagValue string, stderr io.Writer) string {
	if flagValue != "" {
		fmt.Fprintf(stderr, "rsguard: note: --client-secret is visible in process listings and shell history; prefer $%s\n", secretEnv)
		return flagValue
	}
	return os.Getenv(secretEnv)
}

// exitStatus maps a validation outcome to the exit status.
func exitStatus(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, middleware.ErrUnavailable):
		return exitUnavailable
	}
	return exitRefused
}
