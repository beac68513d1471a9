package guardtest

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// Table is one file of the conformance corpus in the repository's top-level
// testdata/ (see its README.md): the validator it is written for and its
// cases, with the expected answers as the file states them.
type Table struct {
	// Now is the pinned clock of the validator (Config.Now).
	Now time.Time
	// Issuer is the trusted issuer; Audiences its accepted audiences.
	Issuer    string
	Audiences []string
	// JWKS is the issuer's public JWK Set.
	JWKS []byte
	// UnavailableIssuer is a second trusted issuer whose keys cannot be
	// fetched ("" in the attack table).
	UnavailableIssuer string
	// Cases are the table's cases, in file order.
	Cases []Case

	dpop middleware.DPoPMode // "dpop": "allowed" — the issuer accepts DPoP-bound tokens too
}

// Attacks returns the attack table, testdata/attacks.json: tokens and the
// verdict a validator with the table's settings gives each.
func Attacks(tb testing.TB) *Table { return readTable(tb, "attacks.json") }

// FrontDoor returns the front-door decision table, testdata/frontdoor.json:
// requests to a route that requires [Requirement] and the answer of every
// front door.
func FrontDoor(tb testing.TB) *Table { return readTable(tb, "frontdoor.json") }

// Validator returns a validator for the table: its issuer with its keys,
// default settings and the table's pinned clock. Tables with an unavailable
// issuer need a [Fixture], which serves its failing key set.
func (t *Table) Validator(tb testing.TB) *middleware.Validator {
	tb.Helper()
	v, err := middleware.NewValidator(t.issuer(tb), &middleware.Config{Now: t.clock})
	if err != nil {
		tb.Fatalf("guardtest: NewValidator: %v", err)
	}
	return v
}

// UncachedValidator is Validator with the verified-token cache off, so that
// every validation of a token parses and checks it again.
func (t *Table) UncachedValidator(tb testing.TB) *middleware.Validator {
	tb.Helper()
	v, err := middleware.NewValidator(t.issuer(tb), &middleware.Config{Now: t.clock, CacheSize: -1})
	if err != nil {
		tb.Fatalf("guardtest: NewValidator: %v", err)
	}
	return v
}

func (t *Table) clock() time.Time { return t.Now }

func (t *Table) issuer(tb testing.TB) middleware.Issuer {
	tb.Helper()
	keys, err := jwks.ParseStatic(t.JWKS)
	if err != nil {
		tb.Fatalf("guardtest: corpus JWKS: %v", err)
	}
	return middleware.Issuer{URL: t.Issuer, Audiences: t.Audiences, Keys: keys, DPoP: t.dpop}
}

// CorpusDir is the repository's top-level testdata directory, found from
// this source file, so that tests of any module of the repository read it.
func CorpusDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata")
}

type fileCase struct {
	Name          string   `json:"name"`
	Token         string   `json:"token"`
	Authorization []string `json:"authorization"`
	Verdict       string   `json:"verdict"`
	Error         string   `json:"error"`
	Reason        string   `json:"reason"`
	Description   string   `json:"description"`
	Rule          string   `json:"rule"`
	Status        int      `json:"status"`
	Challenge     string   `json:"challenge"`
	RetryAfter    string   `json:"retry_after"`
	GRPCCode      uint32   `json:"grpc_code"`
	Subject       string   `json:"subject"`
}

func readTable(tb testing.TB, name string) *Table {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(CorpusDir(), name))
	if err != nil {
		tb.Fatalf("guardtest: %v", err)
	}
	var f struct {
		Now               time.Time       `json:"now"`
		Issuer            string          `json:"issuer"`
		Audiences         []string        `json:"audiences"`
		JWKS              json.RawMessage `json:"jwks"`
		UnavailableIssuer string          `json:"unavailable_issuer"`
		DPoP              string          `json:"dpop"`
		Cases             []fileCase      `json:"cases"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		tb.Fatalf("guardtest: %s: %v", name, err)
	}
	t := &Table{Now: f.Now, Issuer: f.Issuer, Audiences: f.Audiences, JWKS: f.JWKS, UnavailableIssuer: f.UnavailableIssuer}
	switch f.DPoP {
	case "allowed":
		t.dpop = middleware.DPoPAllowed
	case "":
	default:
		tb.Fatalf("guardtest: %s: unknown dpop mode %q", name, f.DPoP)
	}
	for _, c := range f.Cases {
		tc, err := c.toCase()
		if err != nil {
			tb.Fatalf("guardtest: %s: case %q: %v", name, c.Name, err)
		}
		t.Cases = append(t.Cases, tc)
	}
	return t
}

func (c *fileCase) toCase() (Case, error) {
	out := Case{
		Name: c.Name, Token: c.Token, Authorization: c.Authorization, Verdict: c.Verdict, Code: c.Error,
		Rule: middleware.Rule(c.Rule), Status: c.Status, Challenge: c.Challenge,
		RetryAfter: c.RetryAfter, GRPCCode: c.GRPCCode, Description: c.Description, Subject: c.Subject,
	}
	if c.Verdict == "accept" {
		return out, nil
	}
	var ok bool
	if out.Kind, ok = kinds[c.Verdict+" "+c.Error]; !ok {
		return out, errors.New("unknown verdict and error " + c.Verdict + " " + c.Error)
	}
	for _, r := range reasons {
		if middleware.InvalidToken(r, nil).Description == c.Reason { // the reason's text, as the core describes it
			out.Reason = r
		}
	}
	if out.Reason == nil {
		return out, errors.New("unknown reason " + c.Reason)
	}
	return out, nil
}

// kinds maps a verdict and RFC 6750 error code to the core's category.
var kinds = map[string]error{
	"refuse invalid_token":      middleware.ErrInvalidToken,
	"refuse invalid_request":    middleware.ErrInvalidRequest,
	"refuse insufficient_scope": middleware.ErrInsufficientScope,
	"refuse ":                   middleware.ErrMissingToken,
	"undecided ":                middleware.ErrUnavailable,
}

// reasons are the core's reason sentinels, found by their text.
var reasons = []error{
	middleware.ErrMissingToken, middleware.ErrInsufficientScope, middleware.ErrUnavailable,
	middleware.ErrMalformed, middleware.ErrTokenTooLarge, middleware.ErrUnsupportedFormat,
	middleware.ErrDisallowedAlg, middleware.ErrWrongType, middleware.ErrUnknownCritical,
	middleware.ErrUnknownKey, middleware.ErrKeyMismatch, middleware.ErrBadSignature,
	middleware.ErrExpired, middleware.ErrNotYetValid, middleware.ErrMissingClaim,
	middleware.ErrIssuerMismatch, middleware.ErrAudienceMismatch, middleware.ErrInactive,
	middleware.ErrMultipleTokens, middleware.ErrMalformedHeader, middleware.ErrKeysUnavailable,
	middleware.ErrIntrospectionError, middleware.ErrBodyTooLarge,
}
