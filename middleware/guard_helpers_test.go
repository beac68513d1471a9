package middleware_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"flag"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// The -update flag rewrites golden files. Another test file of this binary may
// define it too, so it is defined only if absent and read through the flag set.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata/golden")
	}
}

func htUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const (
	htIssuer   = "https://as.example.test"
	htAudience = "https://api.example.test"
)

// htNow is the fixed clock of these tests.
var htNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// htFixture is an issuer with a freshly generated ES256 key, and a validator
// that trusts it.
type htFixture struct {
	key        *ecdsa.PrivateKey
	kid        string
	v          *middleware.Validator
	validated  atomic.Int64 // Validate calls, through Hooks
	validation atomic.Int64 // Validate calls that missed the cache
}

func newHTFixture(t testing.TB) *htFixture {
	t.Helper()
	return newHTFixtureKeys(t, nil, htAudience)
}

// newHTFixtureKeys builds a fixture whose validator uses keys (nil: the
// fixture's own key) and accepts audience.
func newHTFixtureKeys(t testing.TB, keys jwks.Source, audience string) *htFixture {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &htFixture{key: priv, kid: "k1"}
	if keys == nil {
		k, err := jwks.NewKey(f.kid, "ES256", &priv.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if keys, err = jwks.NewStatic(k); err != nil {
			t.Fatal(err)
		}
	}
	hooks := &middleware.Hooks{Validated: func(_ context.Context, ev middleware.ValidationEvent) {
		f.validated.Add(1)
		if !ev.CacheHit {
			f.validation.Add(1)
		}
	}}
	f.v, err = middleware.NewValidator(
		middleware.Issuer{URL: htIssuer, Audiences: []string{audience}, Keys: keys},
		&middleware.Config{Now: func() time.Time { return htNow }, Hooks: hooks},
	)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// token mints an RFC 9068 access token with the given scope, valid for an
// hour at htNow; claims override or (nil value) delete members.
func (f *htFixture) token(t testing.TB, scope string, claims map[string]any) string {
	t.Helper()
	c := map[string]any{
		"iss": htIssuer, "aud": htAudience, "sub": "alice", "client_id": "app",
		"iat": htNow.Unix(), "exp": htNow.Add(time.Hour).Unix(), "jti": "id-1",
	}
	if scope != "" {
		c["scope"] = scope
	}
	maps.Copy(c, claims)
	maps.DeleteFunc(c, func(_ string, v any) bool { return v == nil })
	return guardtest.SignES256(f.key, map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": f.kid}, c)
}

// htDownKeys is a key source whose authorization server cannot be reached.
type htDownKeys struct{}

func (htDownKeys) LookupKey(context.Context, string) (*jwks.Key, error) {
	return nil, middleware.Unavailable(middleware.ErrKeysUnavailable, errors.New("dial tcp 127.0.0.1:1: connection refused"))
}

func htGuard(t testing.TB, v *middleware.Validator, cfg *middleware.GuardConfig) *middleware.Guard {
	t.Helper()
	g, err := middleware.NewGuard(v, cfg)
	if err != nil {
		t.Fatalf("NewGuard = %v", err)
	}
	return g
}

// serve starts h on a loopback httptest.Server for the test's duration.
func htServe(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// htDo sends a request to base+target with a real client; header values are
// added in order, so a key may repeat.
func htDo(t testing.TB, base, method, target, body string, header ...string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+target, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// dump renders the parts of a response that RFC 6750 fixes, for golden files.
func htDump(resp *http.Response, body string) string {
	var b strings.Builder
	b.WriteString(resp.Proto + " " + resp.Status + "\n")
	for _, k := range []string{"WWW-Authenticate", "Cache-Control", "Retry-After", "Content-Type"} {
		vals := resp.Header.Values(k)
		slices.Sort(vals)
		for _, v := range vals {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	b.WriteString("\n" + body)
	return b.String()
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func htGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if htUpdate() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("response differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// htEcho is a handler that answers 200 with the subject and scopes of the
// claims in the context, or "anonymous".
var htEcho = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := middleware.FromContext(r.Context())
	if !ok {
		io.WriteString(w, "anonymous")
		return
	}
	io.WriteString(w, c.Subject+" "+c.Scopes.String())
})
