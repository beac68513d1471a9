package main

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/oauthtest"
)

const apiURI = "https://api.example.test/orders"

// certFile writes cert's PEM to a file of the test and returns its path.
func certFile(t *testing.T, name string) (string, string) {
	t.Helper()
	c := oauthtest.NewClientCertificate(name)
	p := filepath.Join(t.TempDir(), name+".pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, oauthtest.CertThumbprint(c.Leaf)
}

// TestExplainBinding runs verify --explain on DPoP-bound and
// certificate-bound tokens: every binding check is listed after the
// token's own checks and before the scope, the one that fails is marked
// with why, the ones after it are not reached.
func TestExplainBinding(t *testing.T) {
	as := newAS(t, nil)
	now := pinClock(t)()
	key, other := oauthtest.NewDPoPKey("ES256"), oauthtest.NewDPoPKey("EdDSA")
	bound := as.Token(oauthtest.TokenOptions{JKT: key.Thumbprint()})
	unbound := as.Token(oauthtest.TokenOptions{})
	proof := func(o oauthtest.ProofOptions) string {
		o.URI, o.IssuedAt = apiURI, orTime(o.IssuedAt, now)
		if o.Token == "" {
			o.Token = bound
		}
		return key.MakeProof(o)
	}
	certPath, thumb := certFile(t, "svc")
	otherCert, _ := certFile(t, "other")
	certBound := as.Token(oauthtest.TokenOptions{CertThumbprint: thumb})
	jws := "request token size format header alg claims iss typ key signature exp nbf iat aud profile scope_claim role_claim "
	dpopOrder := jws + "cnf dpop dpop.alg dpop.typ dpop.jwk jkt htm htu dpop.iat ath dpop.signature jti validators scope"
	for _, tc := range []struct {
		name, token string
		args        []string
		order       string
		failed      string // "" when accepted
		words       []string
	}{
		{name: "DPoP accepted", token: bound, order: dpopOrder,
			args:  []string{"--dpop", proof(oauthtest.ProofOptions{}), "--uri", apiURI + "?page=2"},
			words: []string{"bound to DPoP key " + key.Thumbprint() + "; presented with the DPoP scheme", `"GET" (request: --method GET)`, "thumbprint " + key.Thumbprint(), "result: accepted"}},
		{name: "htm", token: bound, order: dpopOrder, failed: "htm",
			args:  []string{"--dpop", proof(oauthtest.ProofOptions{Method: "POST"}), "--uri", apiURI},
			words: []string{`the proof is for "POST", the request is --method GET`}},
		{name: "htu", token: bound, order: dpopOrder, failed: "htu",
			args:  []string{"--dpop", proof(oauthtest.ProofOptions{}), "--uri", "https://api.example.test/other"},
			words: []string{`the proof is for "` + apiURI + `"`}},
		{name: "ath of another token", token: bound, order: dpopOrder, failed: "ath",
			args:  []string{"--dpop", proof(oauthtest.ProofOptions{Token: unbound}), "--uri", apiURI},
			words: []string{"made for another token"}},
		{name: "another key", token: bound, order: dpopOrder, failed: "jkt",
			args:  []string{"--dpop", other.MakeProof(oauthtest.ProofOptions{URI: apiURI, Token: bound, IssuedAt: now}), "--uri", apiURI},
			words: []string{"signed by key " + other.Thumbprint() + ", but the token is bound to " + key.Thumbprint()}},
		{name: "typ", token: bound, order: dpopOrder, failed: "dpop.typ",
			args:  []string{"--dpop", proof(oauthtest.ProofOptions{Header: map[string]any{"typ": "JWT"}}), "--uri", apiURI},
			words: []string{`typ is "JWT"`}},
		{name: "old proof", token: bound, order: dpopOrder, failed: "dpop.iat",
			args:  []string{"--dpop", proof(oauthtest.ProofOptions{IssuedAt: now.Add(-10 * time.Minute)}), "--uri", apiURI},
			words: []string{"(10m0s ago), outside the accepted window"}},
		{name: "bound token as bearer", token: bound, order: jws + "cnf validators scope", failed: "cnf",
			words: []string{"give the proof with --dpop"}},
		{name: "unbound token with DPoP", token: unbound, order: dpopOrder, failed: "cnf",
			args:  []string{"--dpop", proof(oauthtest.ProofOptions{Token: unbound}), "--uri", apiURI},
			words: []string{"not bound to a DPoP key", "downgrade"}},
		{name: "certificate accepted", token: certBound, order: jws + "cnf x5t#S256 validators scope",
			args:  []string{"--cert", certPath},
			words: []string{"bound to certificate " + thumb, `"svc", thumbprint ` + thumb, "result: accepted"}},
		{name: "another certificate", token: certBound, order: jws + "cnf x5t#S256 validators scope", failed: "x5t#S256",
			args:  []string{"--cert", otherCert},
			words: []string{"bound to certificate " + thumb + ", --cert is \"other\""}},
		{name: "no certificate", token: certBound, order: jws + "cnf x5t#S256 validators scope", failed: "cnf",
			words: []string{"give it with --cert"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCmd(t, "", append(verifyArgs(as, "--jwks", as.JWKSURL(), "--explain"), append(tc.args, tc.token)...)...)
			order, marks, texts, result := explainLines(t, r.stdout)
			if got := strings.Join(order, " "); got != tc.order {
				t.Errorf("order = %s\nwant    %s\n%s", got, tc.order, r)
			}
			past := false
			for _, rl := range order {
				want := markPass
				switch {
				case rl == tc.failed:
					want, past = markFail, true
				case past:
					want = markSkip
				}
				if marks[rl] != want {
					t.Errorf("%s marked %s, want %s\n%s", rl, marks[rl], want, r)
				}
			}
			text := r.stdout
			if tc.failed != "" {
				text = texts[tc.failed]
				if r.code != exitRefused || !strings.HasSuffix(result, "rule "+tc.failed) {
					t.Errorf("exit %d, result %q: want %d and rule %s", r.code, result, exitRefused, tc.failed)
				}
			} else if r.code != exitOK {
				t.Errorf("exit %d, want %d\n%s", r.code, exitOK, r)
			}
			wantAll(t, "output", text, tc.words...)
		})
	}
}

func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

func TestVerifyBindingFlags(t *testing.T) {
	as := newAS(t, nil)
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not PEM"), 0o600)
	for _, args := range [][]string{
		{"--dpop", "a.b.c"},          // no --uri
		{"--cert", bad},              // not PEM
		{"--cert", bad + ".missing"}, // no file
	} {
		r := runCmd(t, "", append(verifyArgs(as, "--jwks", as.JWKSURL()), append(args, as.Token(oauthtest.TokenOptions{}))...)...)
		if r.code != exitUsage {
			t.Errorf("verify %v: exit %d, want %d\n%s", args, r.code, exitUsage, r)
		}
	}
	// Without --explain, a refusal names the binding rule too.
	key := oauthtest.NewDPoPKey("ES256")
	tok := as.Token(oauthtest.TokenOptions{JKT: key.Thumbprint()})
	p := key.MakeProof(oauthtest.ProofOptions{Method: "DELETE", URI: apiURI, Token: tok, IssuedAt: pinClock(t)()})
	r := runCmd(t, "", append(verifyArgs(as, "--jwks", as.JWKSURL()), "--dpop", p, "--uri", apiURI, tok)...)
	wantAll(t, "stderr", r.stderr, "invalid_dpop_proof", "rule    htm: the proof is for \"DELETE\"")
	if r.code != exitRefused {
		t.Errorf("exit %d, want %d", r.code, exitRefused)
	}
}
