package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/oauthtest"
)

// Credentials of the resource server at the test authorization server's
// introspection endpoint.
const (
	testClientID = "cli-test"
	testSecret   = "s3cret:with%odd chars"
)

// testClock is the clock pinned for the running test, if any.
var testClock func() time.Time

// pinClock pins the command's clock (and so the validator's) to one whole
// second for the rest of the test, and returns it, so that "expired 10m0s
// ago" does not depend on how long minting and fetching take. Tests using it
// must not run in parallel.
func pinClock(t *testing.T) func() time.Time {
	t.Helper()
	if testClock != nil {
		return testClock
	}
	now := time.Now().Truncate(time.Second)
	testClock = func() time.Time { return now }
	timeNow = testClock
	t.Cleanup(func() { timeNow, testClock = time.Now, nil })
	return testClock
}

// newAS starts an authorization server for one test, with the test client
// registered for introspection, on the test's pinned clock.
func newAS(t *testing.T, cfg *oauthtest.Config) *oauthtest.Server {
	t.Helper()
	if cfg == nil {
		cfg = &oauthtest.Config{}
	}
	cfg.Now = pinClock(t)
	cfg.Clients = append(cfg.Clients, oauthtest.Client{ID: testClientID, Secret: testSecret})
	as := oauthtest.NewServer(cfg)
	t.Cleanup(as.Close)
	return as
}

// cmdResult is what one run of the command produced.
type cmdResult struct {
	code           int
	stdout, stderr string
}

func (r cmdResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// runCmd runs the command with args and stdin, bounded in time.
func runCmd(t *testing.T, stdin string, args ...string) cmdResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &out, &errOut)
	return cmdResult{code: code, stdout: out.String(), stderr: errOut.String()}
}

// verifyArgs returns the common flags for verifying tokens of as.
func verifyArgs(as *oauthtest.Server, extra ...string) []string {
	return append([]string{"verify", "--issuer", as.Issuer(), "--audience", oauthtest.DefaultAudience}, extra...)
}

// decodeJSON decodes the command's claims output.
func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("output is not a JSON object: %v\n%s", err, s)
	}
	return m
}

// wantAll fails unless s contains every one of want.
func wantAll(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, s)
		}
	}
}
