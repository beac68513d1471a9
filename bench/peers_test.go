package bench_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rsguard/rsguard/bench"
)

// fixture is generated once per test binary: every benchmark and test uses
// the same keys and tokens.
var fixture = sync.OnceValues(bench.NewFixture)

func loadFixture(tb testing.TB) *bench.Fixture {
	tb.Helper()
	f, err := fixture()
	if err != nil {
		tb.Fatalf("NewFixture() = %v", err)
	}
	return f
}

type namedVerifier struct {
	name string
	v    bench.Verifier
}

// verifiers builds rsguard (cache off) and every peer for alg.
func verifiers(tb testing.TB, f *bench.Fixture, alg string) []namedVerifier {
	tb.Helper()
	rs, err := bench.NewRSGuard(f, -1)
	if err != nil {
		tb.Fatalf("NewRSGuard() = %v", err)
	}
	out := []namedVerifier{{"rsguard", func(ctx context.Context, tok string) error {
		_, err := rs.Validate(ctx, tok)
		return err
	}}}
	for _, p := range []struct {
		name string
		new  func(*bench.Fixture) (bench.Verifier, error)
	}{
		{"jwx", bench.NewJWX},
		{"golang-jwt", bench.NewGolangJWT},
		{"keyfunc", bench.NewKeyfunc},
		{"go-jose", bench.NewGoJose},
	} {
		v, err := p.new(f)
		if err != nil {
			tb.Fatalf("%s: setup = %v", p.name, err)
		}
		out = append(out, namedVerifier{p.name, v})
	}
	srv := bench.ServeJWKS(f)
	tb.Cleanup(srv.Close)
	a, err := bench.NewAuth0(f, alg, srv.URL+"/jwks")
	if err != nil {
		tb.Fatalf("NewAuth0(%s) = %v", alg, err)
	}
	return append(out, namedVerifier{"auth0", bench.Auth0Verifier(a)})
}

func TestFixtureTokens(t *testing.T) {
	f := loadFixture(t)
	for _, alg := range bench.Algorithms {
		c := f.Cases[alg]
		if n := len(c.Token); n < 400 || n > 800 {
			t.Errorf("%s token is %d bytes, want a realistic 400–800", alg, n)
		}
		if !bench.Floor(c)() {
			t.Errorf("Floor(%s)() = false, want true", alg)
		}
		bad := *c
		bad.Input = append([]byte(nil), c.Input...)
		bad.Input[len(bad.Input)-1] ^= 1
		if bench.Floor(&bad)() {
			t.Errorf("Floor(%s) of a changed input = true, want false", alg)
		}
	}
}

// TestPeersEquivalent checks that every verifier accepts the fixture's token
// and refuses the same bad ones, so that the benchmarks compare like with
// like and none of them measures a failure path.
func TestPeersEquivalent(t *testing.T) {
	f := loadFixture(t)
	now := f.Now
	for _, alg := range bench.Algorithms {
		bad := map[string]string{
			"bad signature": tamper(f.Cases[alg].Token),
			"expired": mint(t, f, alg, map[string]any{
				"exp": now.Add(-time.Hour).Unix(), "iat": now.Add(-2 * time.Hour).Unix(),
				"nbf": now.Add(-2 * time.Hour).Unix()}, nil),
			"not yet valid":  mint(t, f, alg, map[string]any{"nbf": now.Add(time.Hour).Unix()}, nil),
			"wrong issuer":   mint(t, f, alg, map[string]any{"iss": "https://evil.example.test/"}, nil),
			"wrong audience": mint(t, f, alg, map[string]any{"aud": "https://other.example.test"}, nil),
			"unknown kid":    mint(t, f, alg, nil, map[string]any{"kid": "no-such-key"}),
		}
		for _, nv := range verifiers(t, f, alg) {
			t.Run(alg+"/"+nv.name, func(t *testing.T) {
				ctx := context.Background()
				if err := nv.v(ctx, f.Cases[alg].Token); err != nil {
					t.Fatalf("Verify(%s token) = %v, want nil", alg, err)
				}
				for name, tok := range bad {
					if err := nv.v(ctx, tok); err == nil {
						t.Errorf("Verify(%s) = nil, want an error", name)
					}
				}
			})
		}
	}
}

func mint(t *testing.T, f *bench.Fixture, alg string, claims, header map[string]any) string {
	t.Helper()
	tok, err := f.Mint(alg, claims, header)
	if err != nil {
		t.Fatalf("Mint(%s) = %v", alg, err)
	}
	return tok
}

// tamper changes one character in the middle of the token's signature.
func tamper(tok string) string {
	b := []byte(tok)
	i := len(b) - 10
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
