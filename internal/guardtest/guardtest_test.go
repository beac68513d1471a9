package guardtest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
)

// TestCasesAgainstCore checks the table against the core itself: each case's
// Authorization values, parsed and validated and checked against
// guardtest.Requirement, give an error of the case's category and reason, and
// the core's own rendering of that error (Status, Challenge) is the one the
// table writes out for every front door.
func TestCasesAgainstCore(t *testing.T) {
	f := guardtest.New(t)
	cases := f.Cases()
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if seen[c.Name] {
				t.Fatalf("duplicate case name %q", c.Name)
			}
			seen[c.Name] = true
			err := coreDecision(context.Background(), f.Validator, &c)
			c.CheckErr(t, err)
			if got := middleware.Status(err); got != c.Status {
				t.Errorf("Status(%v) = %d, want %d", err, got, c.Status)
			}
			if err == nil {
				return
			}
			// Challenge renders the Bearer challenge; the table's error sits
			// on it unless the request used DPoP.
			bearerLine, dpopLine, _ := strings.Cut(c.Challenge, "\n")
			want := bearerLine
			if strings.Contains(dpopLine, "error=") {
				want = "Bearer" + strings.TrimPrefix(dpopLine, `DPoP realm="api", algs="`+strings.Join(f.Validator.DPoPAlgorithms(), " ")+`"`)
				want = strings.Replace(want, "Bearer, ", `Bearer realm="api", `, 1)
			}
			if got := middleware.Challenge(err, middleware.DefaultRealm); got != want {
				t.Errorf("Challenge(%v) = %q, want %q", err, got, want)
			}
			if got := middleware.SafeDescription(err); got != c.Description {
				t.Errorf("SafeDescription(%v) = %q, want %q", err, got, c.Description)
			}
		})
	}
	for _, name := range []string{"valid", "expired", "wrong_audience", "missing_scope", "no_token", "keys_unavailable", "malformed_header",
		"dpop_valid", "dpop_no_nonce", "dpop_replayed", "dpop_bound_as_bearer", "dpop_proof_with_bearer", "dpop_unbound_as_dpop",
		"cert_bound_no_certificate", "cert_bound_header_from_untrusted_peer"} {
		if !seen[name] {
			t.Errorf("the table has no %q case", name)
		}
	}
}

// coreDecision is what every front door decides, written with the core's
// one entry point: the case's request to a GET of caseURL, as credentials.
func coreDecision(ctx context.Context, v *middleware.Validator, c *guardtest.Case) error {
	cred := &middleware.Credentials{Authorization: c.Authorization, Method: http.MethodGet, URI: caseURL}
	if c.Proofs != nil {
		cred.DPoP = c.Proofs(http.MethodGet, caseURL)
	}
	_, err := v.Admit(ctx, cred, guardtest.Requirement)
	return err
}

const caseURL = "http://127.0.0.1:8080/orders"

// TestCheckHTTPCatchesDifferences makes sure CheckHTTP fails an answer that
// differs from the case, so that a front door cannot pass by accident.
func TestCheckHTTPCatchesDifferences(t *testing.T) {
	c := guardtest.Case{Name: "expired", Authorization: []string{"Bearer abc"}, Kind: middleware.ErrInvalidToken,
		Status: 401, Challenge: `Bearer realm="api", error="invalid_token", error_description="token expired"`}
	good := func() *http.Response {
		h := http.Header{}
		h.Set("WWW-Authenticate", c.Challenge)
		h.Set("Cache-Control", "no-store")
		return &http.Response{StatusCode: 401, Header: h}
	}
	tests := []struct {
		name   string
		resp   func() *http.Response
		body   string
		failed bool
	}{
		{"same", good, "", false},
		{"status", func() *http.Response { r := good(); r.StatusCode = 403; return r }, "", true},
		{"challenge", func() *http.Response { r := good(); r.Header.Set("WWW-Authenticate", `Bearer realm="api"`); return r }, "", true},
		{"cache", func() *http.Response { r := good(); r.Header.Del("Cache-Control"); return r }, "", true},
		{"body", good, `{"message":"Unauthorized"}`, true},
		{"token_leaked", func() *http.Response { r := good(); r.Header.Set("X-Debug", "abc"); return r }, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			c.CheckHTTP(rec, tt.resp(), tt.body)
			if rec.failed != tt.failed {
				t.Errorf("CheckHTTP failed = %v, want %v", rec.failed, tt.failed)
			}
		})
	}
}

// TestCheckGRPCCatchesDifferences does the same for CheckGRPC.
func TestCheckGRPCCatchesDifferences(t *testing.T) {
	c := guardtest.Case{Name: "expired", Authorization: []string{"Bearer abc"}, Kind: middleware.ErrInvalidToken,
		GRPCCode: guardtest.CodeUnauthenticated, Description: "token expired"}
	ok := guardtest.Case{Name: "valid", GRPCCode: guardtest.CodeOK}
	tests := []struct {
		name    string
		c       guardtest.Case
		code    uint32
		msg     string
		subject string
		failed  bool
	}{
		{"same", c, guardtest.CodeUnauthenticated, "grpcguard: token expired", "", false},
		{"code", c, guardtest.CodePermissionDenied, "grpcguard: token expired", "", true},
		{"message", c, guardtest.CodeUnauthenticated, "grpcguard: unauthenticated", "", true},
		{"token_leaked", c, guardtest.CodeUnauthenticated, "grpcguard: token expired: abc", "", true},
		{"ok", ok, guardtest.CodeOK, "", guardtest.Subject, false},
		{"ok_without_claims", ok, guardtest.CodeOK, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			tt.c.CheckGRPC(rec, tt.code, tt.msg, tt.subject)
			if rec.failed != tt.failed {
				t.Errorf("CheckGRPC failed = %v, want %v", rec.failed, tt.failed)
			}
		})
	}
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
