package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
)

// TestCorpus runs the conformance corpus (testdata/attacks.json, and the
// front-door cases that present one bearer token of the table's issuer)
// through "rsguard verify" and "rsguard verify --explain", with the keys
// from a file and the clock pinned to the table's: the exit status, the
// error code, the reason and the rule are the corpus's, and --explain marks
// that rule failed after every check before it passed.
func TestCorpus(t *testing.T) {
	for _, tc := range []struct {
		table *guardtest.Table
		scope []string
	}{
		{guardtest.Attacks(t), nil},
		{guardtest.FrontDoor(t), []string{"--scope", guardtest.Scope}},
	} {
		now := tc.table.Now
		timeNow = func() time.Time { return now }
		t.Cleanup(func() { timeNow = time.Now })
		file := filepath.Join(t.TempDir(), "jwks.json")
		if err := os.WriteFile(file, tc.table.JWKS, 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{"verify", "--issuer", tc.table.Issuer, "--jwks", file}
		for _, a := range tc.table.Audiences {
			args = append(args, "--audience", a)
		}
		args = append(args, tc.scope...)
		for _, c := range tc.table.Cases {
			tok, ok := cliToken(c, tc.table)
			if !ok {
				continue
			}
			t.Run(c.Name, func(t *testing.T) {
				checkVerdict(t, c, runCmd(t, "", append(args, tok)...))
				checkExplain(t, c, runCmd(t, "", append(append(args, "--explain"), tok)...))
			})
		}
	}
}

// cliToken is the token the command is given for c, and whether the
// command can present c at all: it takes one token of one issuer, so
// requests with several values, another scheme, or the unavailable issuer's
// token are for the front doors only.
func cliToken(c guardtest.Case, table *guardtest.Table) (string, bool) {
	if c.Token != "" {
		return c.Token, true
	}
	if len(c.Authorization) != 1 || c.Rule == "request" || c.Verdict == "undecided" ||
		!strings.EqualFold(strings.SplitN(c.Authorization[0], " ", 2)[0], "bearer") {
		return "", false
	}
	return c.Authorization[0], true // "Bearer <token>", as pasted from a request
}

func checkVerdict(t *testing.T, c guardtest.Case, r cmdResult) {
	t.Helper()
	want := map[string]int{"accept": exitOK, "refuse": exitRefused, "undecided": exitUnavailable}[c.Verdict]
	if r.code != want {
		t.Fatalf("verify = %v, want exit %d", r, want)
	}
	if c.Verdict == "accept" {
		wantAll(t, "claims", r.stdout, fmt.Sprintf(`"sub": %q`, c.Subject))
		return
	}
	code := c.Code
	if code == "" {
		code = "(none)"
	}
	wantAll(t, "refusal", r.stderr,
		fmt.Sprintf("error   %s (HTTP %d)", code, c.Status),
		"reason  "+c.Description,
		"rule    "+string(c.Rule)+": ")
	if strings.Contains(r.stderr, c.Token) && c.Token != "" {
		t.Errorf("the refusal holds the token")
	}
}

func checkExplain(t *testing.T, c guardtest.Case, r cmdResult) {
	t.Helper()
	order, marks, _, result := explainLines(t, r.stdout)
	if c.Verdict == "accept" {
		if result != "accepted" {
			t.Errorf("--explain result = %q, want accepted", result)
		}
		return
	}
	if !strings.HasSuffix(result, "rule "+string(c.Rule)) {
		t.Errorf("--explain result = %q, want … rule %s", result, c.Rule)
	}
	passed := true
	for _, name := range order {
		want := markPass
		switch {
		case name == string(c.Rule):
			want, passed = markFail, false
		case !passed:
			want = markSkip
		}
		if marks[name] != want {
			t.Errorf("--explain marks %s %s, want %s:\n%s", name, marks[name], want, r.stdout)
		}
	}
	if passed {
		t.Errorf("--explain lists no %s check:\n%s", c.Rule, r.stdout)
	}
}
