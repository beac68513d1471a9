package introspection_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
)

// endpoint is a real RFC 7662 introspection endpoint on loopback. It checks
// the request's shape and client authentication, and answers with the
// document registered for the token, {"active":false} for any other.
type endpoint struct {
	*httptest.Server
	t     testing.TB
	calls atomic.Int64

	mu      sync.Mutex
	answers map[string]string          // token → response body
	auth    func(r *http.Request) bool // client authentication check
	status  int                        // when set, the status of every answer
	raw     []byte                     // when set, the body of every answer
	ctype   string                     // Content-Type; default application/json
	hold    chan struct{}              // when set, every request waits on it
}

const (
	testToken    = "opaque-Z9x-7Qk" // distinctive, so that tests can check errors never contain it
	testClientID = "rs-client"
	testSecret   = "rs-secret"
)

// newEndpoint starts an endpoint that accepts client_secret_basic with
// testClientID and testSecret.
func newEndpoint(t testing.TB) *endpoint {
	t.Helper()
	e := &endpoint{t: t, answers: make(map[string]string)}
	e.auth = func(r *http.Request) bool {
		id, secret, ok := r.BasicAuth()
		return ok && id == testClientID && secret == testSecret
	}
	e.Server = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.Close)
	return e
}

// URL of the introspection endpoint.
func (e *endpoint) endpointURL() string { return e.URL + "/introspect" }

func (e *endpoint) set(token, body string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.answers[token] = body
}

// with runs f with e locked, to change its behaviour.
func (e *endpoint) with(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f()
}

// fail makes every answer use status and body (nil: the normal body).
func (e *endpoint) fail(status int, body []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status, e.raw = status, body
}

func (e *endpoint) serve(w http.ResponseWriter, r *http.Request) {
	e.calls.Add(1)
	if problem := requestProblem(r); problem != "" {
		e.t.Errorf("endpoint: %s", problem)
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	hold, auth, status, raw, ctype := e.hold, e.auth, e.status, e.raw, e.ctype
	body, ok := e.answers[r.PostForm.Get("token")]
	e.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Second):
			e.t.Error("endpoint: request held for 10s")
		}
	}
	if !auth(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="introspection"`)
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	if !ok {
		body = `{"active":false}`
	}
	if raw != nil {
		body = string(raw)
	}
	if ctype == "" {
		ctype = "application/json"
	}
	w.Header().Set("Content-Type", ctype)
	if status != 0 {
		w.WriteHeader(status)
	}
	_, _ = w.Write([]byte(body))
}

// requestProblem checks the RFC 7662 §2.1 request shape.
func requestProblem(r *http.Request) string {
	switch {
	case r.Method != http.MethodPost:
		return "method " + r.Method
	case r.URL.Path != "/introspect":
		return "path " + r.URL.Path
	case r.Header.Get("Content-Type") != "application/x-www-form-urlencoded":
		return "content type " + r.Header.Get("Content-Type")
	case r.Header.Get("Accept") != "application/json":
		return "accept " + r.Header.Get("Accept")
	}
	if err := r.ParseForm(); err != nil {
		return "form: " + err.Error()
	}
	switch {
	case r.PostForm.Get("token") == "":
		return "no token"
	case r.PostForm.Get("token_type_hint") != "access_token":
		return "token_type_hint " + r.PostForm.Get("token_type_hint")
	case len(r.URL.Query()) != 0:
		return "query parameters"
	}
	return ""
}

// newClock returns an injectable clock at a fixed instant.
func newClock() *guardtest.Clock { return guardtest.ClockAt(time.Unix(1_750_000_000, 0)) }

// newIntrospector returns an introspector for e with client_secret_basic.
func newIntrospector(t *testing.T, e *endpoint, cfg *introspection.Config) *introspection.Introspector {
	t.Helper()
	in, err := introspection.New(e.endpointURL(), introspection.ClientSecretBasic(testClientID, testSecret), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return in
}

// checkUnavailable fails unless err is an introspection outage, and checks
// that its text holds no secret.
func checkUnavailable(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if !isKind(err, middleware.ErrUnavailable, middleware.ErrIntrospectionError) {
		t.Errorf("error = %v, want ErrUnavailable with ErrIntrospectionError", err)
	}
	checkNoSecret(t, err, secrets...)
}

func checkInactive(t *testing.T, err error) {
	t.Helper()
	if !isKind(err, middleware.ErrInvalidToken, middleware.ErrInactive) {
		t.Errorf("error = %v, want ErrInvalidToken with ErrInactive", err)
	}
}

func isKind(err, kind, reason error) bool {
	var e *middleware.Error
	return errors.As(err, &e) && e.Kind == kind && e.Reason == reason
}

func checkNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range append(secrets, testSecret) {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains secret %q", err, s)
		}
	}
}

// newServer starts h on loopback until the test ends.
func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}
