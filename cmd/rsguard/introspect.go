package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/rsguard/rsguard/internal/httpx"
	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
)

const introspectSynopsis = `introspect [flags] [token|-]

Asks an OAuth 2.0 introspection endpoint (RFC 7662) about a token, with
client credentials, and prints the normalized claims as JSON (exit 0). An
inactive token exits 1, an unreachable endpoint 3. The claims are not checked
against an issuer or audience: use "rsguard verify --introspect" for that.`

// introspectCmd holds the flags of "rsguard introspect".
type introspectCmd struct {
	endpoint      string
	issuer        string
	client        clientFlags
	scopeClaim    string
	allowInsecure bool
	timeout       time.Duration
}

func runIntrospect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c introspectCmd
	fs := newFlagSet("introspect", introspectSynopsis, stderr)
	fs.StringVar(&c.endpoint, "endpoint", "", "introspection endpoint URL")
	fs.StringVar(&c.issuer, "issuer", "", "issuer whose metadata names the endpoint (instead of --endpoint)")
	c.client.register(fs)
	fs.StringVar(&c.scopeClaim, "scope-claim", "", "member holding the scopes (default \"scope\", else \"scp\")")
	fs.BoolVar(&c.allowInsecure, "allow-insecure-http", false, "allow plain http to hosts other than loopback")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "request timeout")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	tok, err := readToken(pos, stdin)
	var in *introspection.Introspector
	if err == nil {
		in, err = c.introspector(ctx, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rsguard introspect: %v\n", err)
		return exitStatus(err)
	}
	claims, err := in.Introspect(ctx, tok)
	switch {
	case err == nil:
		err = writeClaims(stdout, claims)
	case errors.Is(err, middleware.ErrInactive):
		fmt.Fprintf(stderr, "rsguard: token not active: %s answered active=false (revoked, expired or unknown)\n", in.Endpoint())
		return exitRefused
	case errors.Is(err, middleware.ErrUnavailable):
		if h := hintText(err); h != "" {
			fmt.Fprintf(stderr, "rsguard: the introspection endpoint refuses the client credentials: %s\n", h)
			return exitUnavailable
		}
		fmt.Fprintf(stderr, "rsguard: the introspection endpoint is unavailable: %v\n", err)
		return exitUnavailable
	}
	if err != nil {
		fmt.Fprintf(stderr, "rsguard introspect: %v\n", err)
		return exitRefused
	}
	return exitOK
}

// introspector builds the client from --endpoint, or from the issuer's
// metadata (RFC 8414 §2 "introspection_endpoint").
func (c *introspectCmd) introspector(ctx context.Context, stderr io.Writer) (*introspection.Introspector, error) {
	if (c.endpoint == "") == (c.issuer == "") {
		return nil, usageError("give exactly one of --endpoint and --issuer")
	}
	if c.timeout <= 0 {
		return nil, usageError("--timeout must be positive")
	}
	auth, err := c.client.clientAuth(stderr)
	if err != nil {
		return nil, err
	}
	cfg := &introspection.Config{
		HTTPClient:        &http.Client{Timeout: c.timeout},
		AllowInsecureHTTP: c.allowInsecure,
		ScopeClaim:        c.scopeClaim,
		CacheSize:         -1,
	}
	if c.endpoint != "" {
		in, err := introspection.New(c.endpoint, auth, cfg)
		if err != nil {
			return nil, usageError("--endpoint: %v", err)
		}
		return in, nil
	}
	if _, err := httpx.CheckURL(c.issuer, c.allowInsecure); err != nil {
		return nil, usageError("--issuer: %v", err)
	}
	in, err := introspection.NewFromIssuer(ctx, c.issuer, auth, cfg)
	if err != nil {
		// Discovery failing to connect is an unavailable server (3); a
		// document without an endpoint, a usage problem (2).
		if errors.Is(err, introspection.ErrNoEndpoint) {
			return nil, usageError("%v", err)
		}
		return nil, middleware.Unavailable(middleware.ErrIntrospectionError, err)
	}
	return in, nil
}
