package connectguard_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/rsguard/rsguard/adapters/connectguard"
	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// table is the procedure table of the tests: the protected procedures need
// guardtest.Requirement, Ping is public, Unlisted is in no entry.
var table = &connectguard.Config{
	Procedures: map[string]scopes.Requirement{getOrder: guardtest.Requirement, watchOrders: guardtest.Requirement},
	Public:     []string{ping},
}

func newInterceptor(t testing.TB, v *middleware.Validator, cfg *connectguard.Config) *connectguard.Interceptor {
	t.Helper()
	i, err := connectguard.New(v, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// modes are the two ways of mounting the interceptor: behind
// Interceptor.Handler, where the table's answers are net/http's, and
// without it, where every sender-constrained token is refused as such
// (guardtest.Case.HeadersOnly).
var modes = []struct {
	name    string
	wrapped bool
	want    func(guardtest.Case) guardtest.Case
}{
	{"wrapped", true, func(c guardtest.Case) guardtest.Case { return c }},
	{"headers_only", false, guardtest.Case.HeadersOnly},
}

// TestFrontDoorConnect runs the front-door table shared with net/http, Echo,
// Gin and gRPC (internal/guardtest) against a real Connect server on
// loopback, with real Connect clients, over HTTP/1.1 and HTTP/2 (h2c), in
// the Connect, gRPC and gRPC-Web protocols, for a unary and a server-stream
// procedure, with DPoP proofs made for the POST of the exact URL called:
// the code and message of every answer, the subject the handler saw, the
// RFC 6750 headers of a refusal and the DPoP-Nonce of every answer.
func TestFrontDoorConnect(t *testing.T) {
	f := guardtest.New(t)
	for _, m := range modes {
		s := newServer(t, newInterceptor(t, f.Validator, table), m.wrapped)
		for _, tr := range transports(t) {
			for _, p := range protocols {
				if p.needs2 && tr.proto != 2 {
					continue
				}
				t.Run(m.name+"/"+tr.name+"/"+p.name, func(t *testing.T) {
					h1, h2 := s.h1.Load(), s.h2.Load()
					for _, c := range f.Cases() {
						c = m.want(c)
						t.Run(c.Name, func(t *testing.T) {
							ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
							defer cancel()
							checkAnswer(t, &c, "unary", call(ctx, tr.client, s.URL, getOrder, p, caseHeader(&c, s.URL+getOrder)))
							checkAnswer(t, &c, "stream", stream(ctx, tr.client, s.URL, p, caseHeader(&c, s.URL+watchOrders)))
						})
					}
					if d1, d2 := s.h1.Load()-h1, s.h2.Load()-h2; (tr.proto == 2) != (d2 > 0 && d1 == 0) {
						t.Errorf("requests over HTTP/1.1: %d, over HTTP/2: %d; want all over HTTP/%d", d1, d2, tr.proto)
					}
				})
			}
		}
	}
}

// connectCode is the Connect code (numbered as gRPC's) of a refusal of the
// given category, as the package documentation maps them.
func connectCode(kind error) uint32 {
	switch kind {
	case nil:
		return guardtest.CodeOK
	case middleware.ErrMissingToken, middleware.ErrInvalidToken:
		return guardtest.CodeUnauthenticated
	case middleware.ErrInsufficientScope:
		return guardtest.CodePermissionDenied
	case middleware.ErrInvalidRequest:
		return guardtest.CodeInvalidArgument
	}
	return guardtest.CodeUnavailable
}

// checkAnswer checks one call's answer against the case. A Connect call
// carries every header (DPoP proofs, Client-Cert) as HTTP does, so the
// answer is the HTTP one, not the table's gRPC one (Authorization only):
// the code of the case's Kind, a message naming its Description, the
// subject (guardtest.Case.CheckGRPC); for a refusal the WWW-Authenticate,
// Retry-After, Cache-Control and DPoP-Nonce values of the error's metadata,
// which hold no token; for an admitted call the DPoP-Nonce response header.
func checkAnswer(t *testing.T, c *guardtest.Case, kind string, a answer) {
	t.Helper()
	var code uint32
	var msg string
	if a.err != nil {
		code, msg = uint32(a.err.Code()), a.err.Message()
	}
	want := *c
	want.GRPCCode, want.GRPCDescription = connectCode(c.Kind), ""
	want.CheckGRPC(t, code, msg, a.subject)
	if a.err == nil {
		if got := strings.Join(a.header.Values("DPoP-Nonce"), "\n"); got != c.Nonce {
			t.Errorf("%s %s: DPoP-Nonce = %q, want %q", c.Name, kind, got, c.Nonce)
		}
		return
	}
	meta := a.err.Meta()
	checkTokenless(t, c, kind, meta)
	for _, h := range []struct{ name, want string }{
		{"WWW-Authenticate", c.Challenge}, {"Retry-After", c.RetryAfter}, {"Cache-Control", "no-store"}, {"DPoP-Nonce", c.Nonce},
	} {
		if got := strings.Join(meta.Values(h.name), "\n"); got != h.want {
			t.Errorf("%s %s: %s = %q, want %q", c.Name, kind, h.name, got, h.want)
		}
	}
	for _, tok := range c.Tokens() {
		for k, vs := range meta {
			if strings.Contains(strings.Join(vs, " "), tok) {
				t.Errorf("%s %s: metadata %s holds the access token", c.Name, kind, k)
			}
		}
	}
}

// checkTokenless fails if the error's metadata holds one of the case's
// access tokens.
func checkTokenless(t *testing.T, c *guardtest.Case, kind string, meta http.Header) {
	t.Helper()
	for _, tok := range c.Tokens() {
		for k, vs := range meta {
			if strings.Contains(strings.Join(vs, " "), tok) {
				t.Errorf("%s %s: metadata %s holds the access token", c.Name, kind, k)
			}
		}
	}
}

// TestConnectHTTPAnswer sends the table's unary calls as a plain HTTP client
// would in the Connect protocol (POST, application/json, DPoP proofs for
// that POST), over HTTP/1.1 and h2c, wrapped and not, and checks the HTTP
// answer: the status and WWW-Authenticate, Retry-After, Cache-Control and
// DPoP-Nonce headers are those net/http's Guard writes (guardtest's Status,
// Challenge, RetryAfter, Nonce), because Connect sends a unary error's
// metadata as response headers.
func TestConnectHTTPAnswer(t *testing.T) {
	f := guardtest.New(t)
	for _, m := range modes {
		s := newServer(t, newInterceptor(t, f.Validator, table), m.wrapped)
		for _, tr := range transports(t) {
			t.Run(m.name+"/"+tr.name, func(t *testing.T) {
				for _, c := range f.Cases() {
					c = m.want(c)
					t.Run(c.Name, func(t *testing.T) { postCase(t, tr, s.URL, &c) })
				}
			})
		}
	}
}

// postCase sends case c to GetOrder on the server at url as a plain HTTP
// request of a unary Connect-protocol call, over tr, and checks the answer
// with checkHTTP.
func postCase(t *testing.T, tr transport, url string, c *guardtest.Case) {
	t.Helper()
	req, err := http.NewRequest("POST", url+getOrder, strings.NewReader(`{"ID":"7"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = caseHeader(c, url+getOrder)
	req.Header.Set("Content-Type", "application/json")
	resp, err := tr.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != tr.proto {
		t.Errorf("answered over HTTP/%d, want HTTP/%d", resp.ProtoMajor, tr.proto)
	}
	checkHTTP(t, c, resp, body)
}

// TestConnectMetadata runs the front-door table with Config.Metadata: every
// 401 and 403 challenge names the protected resource metadata document
// (RFC 9728 §5.1, guardtest.MetadataCases), which the interceptor's
// MetadataHandler serves at its MetadataPath; without Metadata there is no
// document.
func TestConnectMetadata(t *testing.T) {
	f := guardtest.New(t)
	cfg := *table
	cfg.Metadata = &middleware.ResourceMetadata{Resource: guardtest.MetadataResource}
	i := newInterceptor(t, f.Validator, &cfg)
	s := newServer(t, i, true)
	for _, tr := range transports(t) {
		t.Run(tr.name, func(t *testing.T) {
			for _, c := range f.MetadataCases() {
				t.Run(c.Name, func(t *testing.T) { postCase(t, tr, s.URL, &c) })
			}
		})
	}
	if got := i.MetadataURL(); got != guardtest.MetadataURL {
		t.Errorf("MetadataURL() = %q, want %q", got, guardtest.MetadataURL)
	}
	mux := http.NewServeMux()
	mux.Handle(i.MetadataPath(), i.MetadataHandler())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + i.MetadataPath())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resource string `json:"resource"`
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || doc.Resource != guardtest.MetadataResource {
		t.Errorf("GET %s = %d, resource %q (%v); want 200 and %q", i.MetadataPath(), resp.StatusCode, doc.Resource, err, guardtest.MetadataResource)
	}
	plain := newInterceptor(t, f.Validator, table)
	if plain.MetadataPath() != "" || plain.MetadataURL() != "" {
		t.Errorf("without Metadata: MetadataPath %q, MetadataURL %q; want none", plain.MetadataPath(), plain.MetadataURL())
	}
}

func checkHTTP(t *testing.T, c *guardtest.Case, resp *http.Response, body []byte) {
	t.Helper()
	if resp.StatusCode != c.Status {
		t.Errorf("%s: status = %d, want %d (body %s)", c.Name, resp.StatusCode, c.Status, body)
	}
	want := map[string]string{"WWW-Authenticate": c.Challenge, "Retry-After": c.RetryAfter, "DPoP-Nonce": c.Nonce}
	if c.Kind != nil {
		want["Cache-Control"] = "no-store"
	}
	for name, v := range want {
		if got := strings.Join(resp.Header.Values(name), "\n"); got != v {
			t.Errorf("%s: %s = %q, want %q", c.Name, name, got, v)
		}
	}
	if c.Kind == nil {
		var reply orderReply
		if err := json.Unmarshal(body, &reply); err != nil || reply.Subject != guardtest.Subject {
			t.Errorf("%s: body = %s, want the subject %q", c.Name, body, guardtest.Subject)
		}
	}
}

// TestFailClosed checks the table's edges: a procedure in no entry is denied
// before any token is read, even with a valid token, and never reaches its
// handler; a public procedure is served without a token, and its handler
// finds no claims even when a token is sent.
func TestFailClosed(t *testing.T) {
	f := guardtest.New(t)
	s := newServer(t, newInterceptor(t, f.Validator, table), true)
	hc := transports(t)[1].client
	ctx := context.Background()
	valid := []string{"Bearer " + f.Token(guardtest.Scope)}
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			before := s.served.Load()
			err := call(ctx, hc, s.URL, unlisted, p, auth(valid...)).err
			if err == nil || err.Code() != connect.CodePermissionDenied || !strings.Contains(err.Message(), "not in the authorization table") {
				t.Errorf("Unlisted with a valid token = %v, want permission_denied, not in the table", err)
			}
			if s.served.Load() != before {
				t.Error("the handler of a procedure in no table entry was called")
			}
			for _, values := range [][]string{nil, valid, {"Bearer not-a-token"}} {
				a := call(ctx, hc, s.URL, ping, p, auth(values...))
				if a.err != nil || a.subject != "" {
					t.Errorf("Ping with %d Authorization values = %q, %v; want served without claims", len(values), a.subject, a.err)
				}
			}
		})
	}
}

// TestNilConfigDeniesAll checks the zero Config: every procedure denied.
func TestNilConfigDeniesAll(t *testing.T) {
	f := guardtest.New(t)
	s := newServer(t, newInterceptor(t, f.Validator, nil), true)
	for _, proc := range []string{getOrder, ping} {
		err := call(context.Background(), transports(t)[0].client, s.URL, proc, protocols[0], auth("Bearer "+f.Token(guardtest.Scope))).err
		if err == nil || err.Code() != connect.CodePermissionDenied {
			t.Errorf("%s with a nil Config = %v, want permission_denied", proc, err)
		}
	}
}

// TestSettings checks Config.Realm and Config.RetryAfter in the answers.
func TestSettings(t *testing.T) {
	f := guardtest.New(t)
	cfg := *table
	cfg.Realm, cfg.RetryAfter = "orders", 1500*time.Millisecond
	s := newServer(t, newInterceptor(t, f.Validator, &cfg), true)
	hc := transports(t)[0].client
	for _, c := range f.Cases() {
		if c.Name != "no_token" && c.Name != "keys_unavailable" {
			continue
		}
		err := call(context.Background(), hc, s.URL, getOrder, protocols[0], auth(c.Authorization...)).err
		want := map[string]string{"no_token": `Bearer realm="orders"`, "keys_unavailable": ""}[c.Name]
		if err == nil || err.Meta().Get("WWW-Authenticate") != want {
			t.Errorf("%s: error %v, WWW-Authenticate %q; want %q", c.Name, err, err.Meta().Get("WWW-Authenticate"), want)
		}
		if c.Name == "keys_unavailable" && err.Meta().Get("Retry-After") != "2" {
			t.Errorf("Retry-After = %q, want 2 (1.5s rounded up)", err.Meta().Get("Retry-After"))
		}
	}
}

func TestNewErrors(t *testing.T) {
	f := guardtest.New(t)
	for _, tt := range []struct {
		name  string
		v     *middleware.Validator
		cfg   *connectguard.Config
		table bool
	}{
		{"nil_validator", nil, nil, false},
		{"malformed", f.Validator, &connectguard.Config{Procedures: map[string]scopes.Requirement{"orders.v1.Orders/Get": nil}}, true},
		{"public_and_protected", f.Validator, &connectguard.Config{Procedures: map[string]scopes.Requirement{ping: nil}, Public: []string{ping}}, true},
		{"bad_realm", f.Validator, &connectguard.Config{Realm: "new\nline"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			i, err := connectguard.New(tt.v, tt.cfg)
			if i != nil || err == nil || errors.Is(err, connectguard.ErrTable) != tt.table || !strings.HasPrefix(err.Error(), "connectguard: ") {
				t.Errorf("New = %v, %v; want nil and a connectguard error (ErrTable: %v)", i, err, tt.table)
			}
		})
	}
}

// TestZeroInterceptorPanicsAtWiring checks that an Interceptor not made by
// New fails when the handler is built, not on its first call, and when its
// metadata handler is asked for.
func TestZeroInterceptorPanicsAtWiring(t *testing.T) {
	for name, i := range map[string]*connectguard.Interceptor{"zero": {}, "nil": nil} {
		for kind, wire := range map[string]func(){
			"unary":    func() { connect.NewUnaryHandler(getOrder, unaryHandler, connect.WithInterceptors(i)) },
			"stream":   func() { connect.NewServerStreamHandler(watchOrders, streamHandler, connect.WithInterceptors(i)) },
			"metadata": func() { i.MetadataHandler() },
		} {
			func() {
				defer func() {
					if s, _ := recover().(string); !strings.HasPrefix(s, "connectguard: ") {
						t.Errorf("%s interceptor, %s handler: recovered %q, want a connectguard panic", name, kind, s)
					}
				}()
				wire()
			}()
		}
	}
}
