package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/scopes"
)

// maxKeyFile bounds a --jwks file, like jwks.DefaultMaxResponseSize bounds
// a fetched JWKS.
const maxKeyFile = jwks.DefaultMaxResponseSize

// verifyCmd holds the flags of "rsguard verify"; they mirror the library's
// Issuer, Config and jwks.Config.
type verifyCmd struct {
	issuer        string
	audiences     repeatFlag
	jwks          string
	algs          listFlag
	types         typesFlag
	skew          time.Duration
	scope         scopeFlag
	scopeClaim    string
	introspect    string
	client        clientFlags
	allowInsecure bool
	timeout       time.Duration
	explain       bool
	binding       bindingFlags // --dpop, --method, --uri, --cert (binding.go)
}

// clientFlags are the introspection client credentials (RFC 7662 §2.1).
type clientFlags struct {
	id, secret, auth string
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.id, "client-id", "", "client ID for the introspection endpoint")
	fs.StringVar(&c.secret, "client-secret", "", "client secret (default $"+secretEnv+", which keeps it out of shell history)")
	fs.StringVar(&c.auth, "auth", "basic", "client authentication: basic (client_secret_basic) or post (client_secret_post)")
}

// clientAuth returns the introspection client authentication.
func (c *clientFlags) clientAuth(stderr io.Writer) (introspection.ClientAuth, error) {
	if c.id == "" {
		return nil, usageError("--client-id is required to call an introspection endpoint")
	}
	secret := clientSecret(c.secret, stderr)
	if secret == "" {
		return nil, usageError("no client secret: set $%s (or --client-secret)", secretEnv)
	}
	switch c.auth {
	case "basic", "client_secret_basic":
		return introspection.ClientSecretBasic(c.id, secret), nil
	case "post", "client_secret_post":
		return introspection.ClientSecretPost(c.id, secret), nil
	}
	return nil, usageError("--auth %q: want basic or post", c.auth)
}

const verifySynopsis = `verify [flags] [token|-]

Validates an access token as a resource server using rsguard would, prints
its claims as JSON and exits 0; or prints the RFC 6750 error code, the reason
and the rule that failed, and exits 1 (2: usage error, 3: authorization server
unavailable). --explain walks through every check.

Keys come from --jwks (a JWK Set URL or file), else from the issuer's
discovery metadata. Opaque tokens need --introspect; with --introspect and no
--jwks, JWTs are introspected too.`

func (c *verifyCmd) flags(stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("verify", verifySynopsis, stderr)
	fs.StringVar(&c.issuer, "issuer", "", "trusted issuer identifier, compared with \"iss\" exactly (required)")
	fs.Var(&c.audiences, "audience", "accepted audience; repeatable (required)")
	fs.StringVar(&c.jwks, "jwks", "", "JWKS URL or file (default: discovered from --issuer)")
	fs.Var(&c.algs, "alg", "allowed JWS algorithms; repeatable or comma-separated (default: RS*, PS*, ES*, EdDSA)")
	fs.Var(&c.types, "typ", "accepted \"typ\" headers; repeatable; \"compat\" = at+jwt, JWT or none; \"none\" = no typ (default at+jwt)")
	fs.DurationVar(&c.skew, "skew", middleware.DefaultClockSkew, "clock skew allowed for exp, nbf and iat; 0 for none")
	fs.Var(&c.scope, "scope", "required scopes: \"a,b\" all of them, \"a|b\" one of them; repeatable")
	fs.StringVar(&c.scopeClaim, "scope-claim", "", "claim holding the scopes (default \"scope\", else \"scp\")")
	fs.StringVar(&c.introspect, "introspect", "", "RFC 7662 introspection endpoint for opaque tokens")
	c.client.register(fs)
	fs.BoolVar(&c.allowInsecure, "allow-insecure-http", false, "allow plain http to hosts other than loopback")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "timeout of each request to the authorization server")
	fs.BoolVar(&c.explain, "explain", false, "walk through each check and mark the one that fails")
	c.binding.register(fs)
	return fs
}

func runVerify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c verifyCmd
	pos, err := parseArgs(c.flags(stderr), args)
	if err != nil {
		return flagStatus(err)
	}
	tok, err := readToken(pos, stdin)
	var req scopes.Requirement
	if err == nil {
		req, err = c.check()
	}
	var vf *verifier
	if err == nil {
		vf, err = c.verifier(ctx, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rsguard verify: %v\n", err)
		return exitStatus(err)
	}
	defer vf.close()
	res := vf.verify(ctx, tok, req)
	switch {
	case c.explain:
		vf.explain(ctx, stdout, res)
	case res.err == nil:
		err = writeClaims(stdout, res.claims)
	default:
		vf.writeRefusal(ctx, stderr, res)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rsguard verify: %v\n", err)
		return exitRefused
	}
	return exitStatus(res.errOrNil())
}

// check validates the flag combination and returns the scope requirement.
func (c *verifyCmd) check() (scopes.Requirement, error) {
	switch {
	case c.issuer == "":
		return nil, usageError("--issuer is required")
	case len(c.audiences) == 0:
		return nil, usageError("--audience is required")
	case c.timeout <= 0:
		return nil, usageError("--timeout must be positive")
	}
	for _, a := range c.audiences {
		if a == "" {
			return nil, usageError("--audience must not be empty")
		}
	}
	if err := c.binding.check(); err != nil {
		return nil, err
	}
	return c.scope.requirement()
}

// verifier is a validator built from the flags, with the parts --explain
// looks at.
type verifier struct {
	cmd    *verifyCmd
	v      *middleware.Validator
	keys   jwks.Source // nil: JWTs go to introspection
	remote *jwks.Remote
	in     *introspection.Introspector
	now    time.Time
	skew   time.Duration
}

// timeNow is the clock of verify; every check of one run sees the same
// instant.
var timeNow = time.Now

func (c *verifyCmd) verifier(ctx context.Context, stderr io.Writer) (*verifier, error) {
	vf := &verifier{cmd: c, now: timeNow(), skew: max(c.skew, 0)}
	var err error
	if vf.keys, vf.remote, err = c.keySource(ctx); err != nil {
		return nil, err
	}
	iss := middleware.Issuer{
		URL: c.issuer, Audiences: c.audiences, Keys: vf.keys,
		Algorithms: c.algs, Types: c.types, ScopeClaim: c.scopeClaim,
		DPoP: middleware.DPoPAllowed, // bearer for unbound tokens, DPoP (--dpop) for bound ones
	}
	if c.introspect != "" {
		if vf.in, err = c.introspector(stderr); err != nil {
			vf.close()
			return nil, err
		}
		iss.Introspector = vf.in
	}
	skew := c.skew
	if skew <= 0 {
		skew = -1 // the flag's 0 means none; the Config's 0 means the default
	}
	cfg := &middleware.Config{ClockSkew: skew, Now: func() time.Time { return vf.now }, CacheSize: -1}
	if vf.v, err = middleware.NewValidator(iss, cfg); err != nil {
		vf.close()
		return nil, usageError("%v", err)
	}
	return vf, nil
}

// keySource builds the key source: none when only --introspect is given,
// a JWKS file, or a jwks.Remote for a JWKS URL or the issuer's
// discovered jwks_uri. The Remote is lazy, so that an unreachable server
// surfaces from Validate as ErrUnavailable, like in a running API.
func (c *verifyCmd) keySource(ctx context.Context) (jwks.Source, *jwks.Remote, error) {
	if c.jwks == "" && c.introspect != "" {
		return nil, nil, nil
	}
	if c.jwks != "" && !isURL(c.jwks) {
		ks, err := keyFile(c.jwks)
		return ks, nil, err
	}
	rk, err := jwks.NewRemote(ctx, c.issuer, &jwks.Config{
		URL:               c.jwks,
		Lazy:              true,
		Timeout:           c.timeout,
		AllowInsecureHTTP: c.allowInsecure,
	})
	if err != nil {
		return nil, nil, usageError("%v", err)
	}
	return rk, rk, nil
}

func isURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

// keyFile reads a JWK Set (RFC 7517 §5) from a file.
func keyFile(path string) (*jwks.Static, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError("--jwks: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	switch {
	case err != nil:
		return nil, usageError("--jwks: %v", err)
	case len(data) > maxKeyFile:
		return nil, usageError("--jwks: %s is larger than %d bytes", path, maxKeyFile)
	}
	ks, err := jwks.ParseStatic(data)
	if err != nil {
		return nil, usageError("--jwks %s: %v", path, err)
	}
	return ks, nil
}

// introspector builds the RFC 7662 client for --introspect.
func (c *verifyCmd) introspector(stderr io.Writer) (*introspection.Introspector, error) {
	auth, err := c.client.clientAuth(stderr)
	if err != nil {
		return nil, err
	}
	in, err := introspection.New(c.introspect, auth, &introspection.Config{
		HTTPClient:        &http.Client{Timeout: c.timeout},
		AllowInsecureHTTP: c.allowInsecure,
		ScopeClaim:        c.scopeClaim,
		CacheSize:         1,
	})
	if err != nil {
		return nil, usageError("--introspect: %v", err)
	}
	return in, nil
}

func (vf *verifier) close() {
	if vf.remote != nil {
		vf.remote.Close()
	}
}

// result is the core's verdict on one token.
type result struct {
	token  string
	claims *middleware.Claims // nil when refused
	err    *middleware.Error  // nil when accepted
	req    scopes.Requirement
}

func (r *result) errOrNil() error {
	if r.err == nil {
		return nil
	}
	return r.err
}

// verify hands the token to the core's entry point, as every front door
// does ([middleware.Validator.Admit]): the verdict is the library's, never
// recomputed here.
func (vf *verifier) verify(ctx context.Context, tok string, req scopes.Requirement) *result {
	r := &result{token: tok, req: req}
	c, err := vf.v.Admit(ctx, vf.cmd.binding.credentials(tok), req)
	if err != nil {
		r.err = middleware.AsError(err)
		return r
	}
	r.claims = c
	return r
}
