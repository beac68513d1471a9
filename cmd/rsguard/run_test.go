package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/oauthtest"
)

func TestUsageErrors(t *testing.T) {
	as := newAS(t, nil)
	tok := as.Token(oauthtest.TokenOptions{})
	missing := filepath.Join(t.TempDir(), "missing.json")
	notJWKS := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(notJWKS, []byte(`{"keys": 5}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(secretEnv, "")
	aud := oauthtest.DefaultAudience
	for _, tc := range []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no command", nil, "Usage:"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown flag", []string{"verify", "--frob", tok}, "flag provided but not defined: -frob"},
		{"flag needing a value", []string{"verify", tok, "--issuer"}, "flag needs an argument: -issuer"},
		{"no issuer", []string{"verify", "--audience", aud, tok}, "--issuer is required"},
		{"no audience", []string{"verify", "--issuer", as.Issuer(), tok}, "--audience is required"},
		{"empty audience", []string{"verify", "--issuer", as.Issuer(), "--audience", "", tok}, "--audience must not be empty"},
		{"two tokens", verifyArgs(as, tok, tok), "expected one token, got 2"},
		{"empty stdin", verifyArgs(as), "no token given"},
		{"bad scope", verifyArgs(as, "--scope", "a b", tok), "invalid scope syntax"},
		{"empty any-of", verifyArgs(as, "--scope", "a|", tok), "invalid scope syntax"},
		{"unknown alg", verifyArgs(as, "--alg", "XY999", tok), `unsupported algorithm "XY999"`},
		{"missing jwks file", verifyArgs(as, "--jwks", missing, tok), "no such file"},
		{"not a JWKS file", verifyArgs(as, "--jwks", notJWKS, tok), "--jwks " + notJWKS},
		{"insecure issuer", []string{"verify", "--issuer", "http://auth.example.com", "--audience", aud, tok}, "must use https"},
		{"introspect without client", verifyArgs(as, "--introspect", as.IntrospectionURL(), tok), "--client-id is required"},
		{"introspect without secret", verifyArgs(as, "--introspect", as.IntrospectionURL(), "--client-id", "x", tok), "no client secret: set $" + secretEnv},
		{"bad auth method", verifyArgs(as, "--introspect", as.IntrospectionURL(), "--client-id", "x", "--client-secret", "y", "--auth", "jwt", tok), `--auth "jwt"`},
		{"introspect neither endpoint nor issuer", []string{"introspect", "--client-id", "x", tok}, "exactly one of --endpoint and --issuer"},
		{"introspect insecure endpoint", []string{"introspect", "--endpoint", "http://auth.example.com/introspect", "--client-id", "x", "--client-secret", "y", tok}, "--endpoint"},
		{"demo argument", []string{"demo", "now"}, `unexpected argument "now"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCmd(t, "", tc.args...)
			if r.code != exitUsage {
				t.Fatalf("run(%q) = %v, want exit 2", tc.args, r)
			}
			wantAll(t, "stderr", r.stderr, tc.want)
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"verify", "-h"}, {"introspect", "-h"}, {"demo", "-h"}} {
		r := runCmd(t, "", args...)
		if r.code != exitOK || !strings.Contains(r.stdout+r.stderr, "Usage") {
			t.Errorf("run(%q) = %v, want exit 0 and usage", args, r)
		}
	}
}

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		pos     []string
		verbose bool
	}{
		{[]string{"tok"}, []string{"tok"}, false},
		{[]string{"-v", "tok"}, []string{"tok"}, true},
		{[]string{"tok", "-v"}, []string{"tok"}, true},
		{[]string{"a", "-v", "b"}, []string{"a", "b"}, true},
		{[]string{"--", "-tok"}, []string{"-tok"}, false},
		{[]string{"-v", "--", "-tok", "-v"}, []string{"-tok", "-v"}, true},
		{[]string{"-"}, []string{"-"}, false},
		{[]string{"-iPVPCBFicgq7e1h2"}, []string{"-iPVPCBFicgq7e1h2"}, false},
		{[]string{"-v", "-abcdefghijklmnopqrstuvwxyz"}, []string{"-abcdefghijklmnopqrstuvwxyz"}, true},
		{[]string{"-s", "-Secret.Value", "-Tok_en"}, []string{"-Tok_en"}, false},
		{[]string{"-s=-Secret", "-Tok_en", "-v"}, []string{"-Tok_en"}, true},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		v := fs.Bool("v", false, "")
		fs.String("s", "", "")
		pos, err := parseArgs(fs, tc.args)
		if err != nil || !slices.Equal(pos, tc.pos) || *v != tc.verbose {
			t.Errorf("parseArgs(%q) = %q, -v %v, %v; want %q, -v %v", tc.args, pos, *v, err, tc.pos, tc.verbose)
		}
	}
}

func TestReadToken(t *testing.T) {
	for _, tc := range []struct {
		pos   []string
		stdin string
		want  string
	}{
		{[]string{"abc"}, "", "abc"},
		{[]string{"Bearer abc"}, "", "abc"},
		{nil, "  abc\n", "abc"},
		{[]string{"-"}, "bearer  abc\r\n", "abc"},
	} {
		got, err := readToken(tc.pos, strings.NewReader(tc.stdin))
		if err != nil || got != tc.want {
			t.Errorf("readToken(%q, %q) = %q, %v; want %q", tc.pos, tc.stdin, got, err, tc.want)
		}
	}
	if _, err := readToken(nil, strings.NewReader(strings.Repeat("a", maxTokenInput+1))); err == nil {
		t.Errorf("readToken(%d bytes on stdin) = nil error, want one", maxTokenInput+1)
	}
}
