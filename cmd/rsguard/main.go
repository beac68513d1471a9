// Command rsguard checks OAuth 2.0 access tokens the way the rsguard library
// does, and runs a local quickstart.
//
//	rsguard verify [flags] [token|-]      validate a token; --explain walks through each check
//	rsguard introspect [flags] [token|-]  ask an RFC 7662 introspection endpoint about a token
//	rsguard demo [--serve]                a local authorization server, a protected API, a scripted session
//
// Exit status: 0 accepted (or demo passed), 1 refused (or a demo step failed),
// 2 usage error, 3 authorization server unavailable.
//
// The command uses the standard flag package: three subcommands with a dozen
// flags do not justify a dependency (and the root module may depend only on
// the standard library, golang.org/x and jwx). Flags may follow the token.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
