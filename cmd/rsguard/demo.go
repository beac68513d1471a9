package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

const demoSynopsis = `demo [--serve]

Starts an authorization server (oauthtest) and an API protected by rsguard's
net/http Guard, both on 127.0.0.1, and plays a scripted session against the
API. Exits 0 if every step got the expected status. With --serve, the servers
keep running and ready-to-copy curl lines are printed until interrupted.`

// The demo's registered clients: the API itself, which authenticates to the
// introspection endpoint (RFC 7662 §2.1), and a client application for the
// token endpoint (--serve).
const (
	demoAPIClientID = "orders-api"
	demoClientID    = "demo-client"
	demoAudience    = oauthtest.DefaultAudience
)

// demo is the running quickstart: an authorization server and the API.
type demo struct {
	out          io.Writer
	as           *oauthtest.Server
	keys         *jwks.Remote
	api          *http.Server
	apiURL       string
	client       *http.Client
	clientSecret string // of demoClientID, shown in --serve curl lines only
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("demo", demoSynopsis, stderr)
	serve := fs.Bool("serve", false, "keep the servers running and print curl lines until interrupted")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "rsguard demo: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	d, err := startDemo(ctx, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "rsguard demo: %v\n", err)
		return exitRefused
	}
	defer d.close()
	if err := d.play(ctx); err != nil {
		fmt.Fprintf(stdout, "\nFAILED: %v\n", err)
		return exitRefused
	}
	if *serve {
		d.serve(ctx)
	}
	return exitOK
}

// startDemo starts the authorization server and the protected API.
func startDemo(ctx context.Context, out io.Writer) (*demo, error) {
	apiSecret, clientSecret := rand.Text(), rand.Text()
	d := &demo{out: out, client: &http.Client{Timeout: 10 * time.Second}, clientSecret: clientSecret}
	d.as = oauthtest.NewServer(&oauthtest.Config{Clients: []oauthtest.Client{
		{ID: demoAPIClientID, Secret: apiSecret},
		{ID: demoClientID, Secret: clientSecret, Scopes: []string{"orders:read", "orders:write"}},
	}})
	h, err := d.protectedAPI(ctx, apiSecret)
	if err == nil {
		err = d.listen(h)
	}
	if err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// protectedAPI is what a user writes: keys from the issuer's discovered JWKS,
// an introspector for opaque tokens, a validator and a Guard around a mux.
func (d *demo) protectedAPI(ctx context.Context, apiSecret string) (http.Handler, error) {
	var err error
	if d.keys, err = jwks.NewRemote(ctx, d.as.Issuer(), nil); err != nil {
		return nil, err
	}
	in, err := introspection.New(d.as.IntrospectionURL(),
		introspection.ClientSecretBasic(demoAPIClientID, apiSecret), nil)
	if err != nil {
		return nil, err
	}
	v, err := middleware.NewValidator(middleware.Issuer{
		URL: d.as.Issuer(), Audiences: []string{demoAudience}, Keys: d.keys, Introspector: in,
	}, nil)
	if err != nil {
		return nil, err
	}
	guard, err := middleware.NewGuard(v, nil)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /orders", guard.Require(scopes.AllOf("orders:read"), http.HandlerFunc(listOrders)))
	mux.Handle("DELETE /orders/{id}", guard.Require(scopes.AllOf("orders:write"), http.HandlerFunc(deleteOrder)))
	return guard.Protect(mux), nil
}

func listOrders(w http.ResponseWriter, r *http.Request) {
	claims, _ := middleware.FromContext(r.Context())
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"user": claims.Subject, "orders": []string{"1001", "1002"}})
}

func deleteOrder(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusNoContent)
}

// listen serves h on a random loopback port.
func (d *demo) listen(h http.Handler) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	d.api = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	d.apiURL = "http://" + ln.Addr().String()
	go d.api.Serve(ln)
	return nil
}

func (d *demo) close() {
	if d.api != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		d.api.Shutdown(ctx)
		cancel()
	}
	if d.keys != nil {
		d.keys.Close()
	}
	d.as.Close()
}

// step is one scripted request and the status it must get.
type step struct {
	title  string
	method string
	path   string
	token  func() string // nil sends no Authorization header; called after before
	about  string        // what the token is
	want   int
	before func()
	after  func() string // an extra line to print, if any
}

// play runs the script and returns an error naming the first step whose
// status was not the expected one (after finishing the script).
func (d *demo) play(ctx context.Context) error {
	fmt.Fprintf(d.out, "rsguard demo: an authorization server, an API protected by rsguard, and a scripted session\n\n")
	fmt.Fprintf(d.out, "  authorization server  %s  (oauthtest: discovery, JWKS, introspection, token endpoint)\n", d.as.Issuer())
	fmt.Fprintf(d.out, "  protected API         %s  GET /orders needs orders:read, DELETE /orders/{id} needs orders:write\n", d.apiURL)
	var failed []string
	steps := d.script()
	for i, s := range steps {
		got, err := d.do(ctx, i+1, s)
		if err != nil {
			return fmt.Errorf("step %d (%s): %v", i+1, s.title, err)
		}
		if got != s.want {
			failed = append(failed, fmt.Sprintf("step %d (%s): got %d, want %d", i+1, s.title, got, s.want))
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	fmt.Fprintf(d.out, "\nOK: all %d steps got the expected status.\n", len(steps))
	return nil
}

// script is the session: each step builds on the servers' state.
func (d *demo) script() []step {
	read := oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"orders:read"}}
	expired := read
	expired.Lifetime = -5 * time.Minute
	jwt := d.as.Token(read)
	same := func() string { return jwt }
	mint := func(o oauthtest.TokenOptions) func() string { return func() string { return d.as.Token(o) } }
	opaque := func() string {
		return d.as.OpaqueToken(oauthtest.TokenOptions{Subject: "bob", Scopes: []string{"orders:read"}})
	}
	jwksBefore := 0
	down := []oauthtest.Endpoint{oauthtest.EndpointJWKS, oauthtest.EndpointIntrospection, oauthtest.EndpointDiscovery}
	return []step{
		{title: "valid token", method: "GET", path: "/orders", token: same, about: "JWT, scope orders:read", want: 200},
		{title: "missing scope", method: "DELETE", path: "/orders/42", token: same, about: "same JWT, no orders:write", want: 403},
		{title: "expired token", method: "GET", path: "/orders", token: mint(expired), about: "JWT, expired 5 minutes ago", want: 401},
		{title: "no token", method: "GET", path: "/orders", about: "no Authorization header", want: 401},
		{title: "opaque token", method: "GET", path: "/orders", token: opaque, about: "opaque, resolved by introspection", want: 200},
		{title: "key rotation", method: "GET", path: "/orders", token: mint(read), about: "JWT signed with a new key", want: 200,
			before: func() {
				jwksBefore = d.as.Requests(oauthtest.EndpointJWKS)
				d.as.RotateKey("ES256")
			},
			after: func() string {
				return fmt.Sprintf("the unknown kid triggered one JWKS refresh: fetches %d → %d", jwksBefore, d.as.Requests(oauthtest.EndpointJWKS))
			}},
		{title: "server down, JWT", method: "GET", path: "/orders", token: mint(read), about: "new JWT; JWKS and introspection answer 503", want: 200,
			before: func() {
				for _, e := range down {
					d.as.SetFault(e, oauthtest.Fault{Status: http.StatusServiceUnavailable})
				}
			},
			after: func() string { return "JWTs still verify with the cached keys" }},
		{title: "server down, opaque", method: "GET", path: "/orders", token: opaque, about: "new opaque token; introspection answers 503", want: 503,
			after: func() string {
				for _, e := range down {
					d.as.ClearFault(e)
				}
				return "neither accepted nor refused: 503, no challenge, so the client does not discard its token"
			}},
	}
}
