package middleware

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// neverReplayed is a ReplayStore that remembers nothing, so that a fuzzer's
// repeated input reaches every check each time.
type neverReplayed struct{}

func (neverReplayed) Use(context.Context, string, time.Time) (bool, error) { return false, nil }

// fuzzDPoP is the fixture of FuzzDPoPProof: a token signed with the fuzz
// Ed25519 key (deterministic, so that the corpus' "ath" stays valid),
// bound to the fuzz ES256 key, which signs the corpus' proofs.
func fuzzDPoP(tb testing.TB) (v *Validator, client *dpopClient, token string) {
	keys := fuzzKeys(tb)
	tokenKey, proofKey := keys[2], keys[1]
	client = &dpopClient{k: proofKey, jwk: publicJWK(proofKey)}
	jk, err := jwk.Import(proofKey.key.Public())
	if err != nil {
		tb.Fatal(err)
	}
	tp, _ := jk.Thumbprint(crypto.SHA256)
	client.jkt = base64.RawURLEncoding.EncodeToString(tp)
	claims := merge(baseClaims(), map[string]any{"exp": fuzzNow.Add(time.Hour).Unix(), "iat": fuzzNow.Unix(),
		"cnf": map[string]any{"jkt": client.jkt}})
	token = tokenKey.mintRaw(mustJSON(tokenKey.baseHeader()), mustJSON(claims))
	v = newTestValidator(tb, []*testKey{tokenKey}, func(is *Issuer) { is.Algorithms = []string{"EdDSA"}; is.DPoP = DPoPAllowed },
		&Config{Now: fixedNow(fuzzNow), DPoP: DPoPConfig{ReplayStore: neverReplayed{}}})
	return v, client, token
}

// FuzzDPoPProof feeds the proof checks mutated proofs: they never panic,
// and every proof accepted is, read with encoding/json and verified with
// crypto/ecdsa, a dpop+jwt of the bound key for this request and token.
func FuzzDPoPProof(f *testing.F) {
	v, client, token := fuzzDPoP(f)
	f.Add(client.proof(token, nil, map[string]any{"iat": fuzzNow.Unix()}))
	f.Add("")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, proof string) {
		_, err := v.Authenticate(context.Background(), dpopCred(token, proof))
		if err != nil {
			return
		}
		checkAcceptedProof(t, client, token, proof)
	})
}

// checkAcceptedProof is the reference reading of an accepted proof.
func checkAcceptedProof(t *testing.T, client *dpopClient, token, proof string) {
	parts := strings.Split(proof, ".")
	if len(parts) != 3 {
		t.Fatalf("accepted a proof of %d parts", len(parts))
	}
	var hdr struct {
		Typ string          `json:"typ"`
		Alg string          `json:"alg"`
		JWK json.RawMessage `json:"jwk"`
	}
	var cl struct {
		JTI, HTM, HTU, ATH string
		IAT                float64
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	pb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &hdr) != nil || json.Unmarshal(pb, &cl) != nil {
		t.Fatalf("accepted a proof that encoding/json or base64 refuses: %q", proof)
	}
	jk, err := jwk.ParseKey(hdr.JWK)
	if err != nil {
		t.Fatalf("accepted a jwk jwx refuses: %v", err)
	}
	tp, _ := jk.Thumbprint(crypto.SHA256)
	u, err := url.Parse(cl.HTU)
	switch {
	case !strings.EqualFold(hdr.Typ, "dpop+jwt") && !strings.EqualFold(hdr.Typ, "application/dpop+jwt"):
		t.Fatalf("accepted typ %q", hdr.Typ)
	case hdr.Alg != "ES256":
		t.Fatalf("accepted alg %q", hdr.Alg)
	case base64.RawURLEncoding.EncodeToString(tp) != client.jkt:
		t.Fatal("accepted a proof of another key")
	case cl.HTM != testMethod || cl.ATH != athOf(token) || cl.JTI == "":
		t.Fatalf("accepted htm %q, ath %q, jti %q", cl.HTM, cl.ATH, cl.JTI)
	case err != nil || !strings.EqualFold(u.Scheme, "https") || !strings.EqualFold(u.Hostname(), "api.example.test"):
		t.Fatalf("accepted htu %q", cl.HTU)
	case cl.IAT < float64(fuzzNow.Add(-2*time.Minute).Unix()) || cl.IAT > float64(fuzzNow.Add(time.Minute).Unix()):
		t.Fatalf("accepted iat %v", cl.IAT)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	pub := client.k.key.Public().(*ecdsa.PublicKey)
	if len(sig) != 64 || !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("accepted a proof crypto/ecdsa does not verify")
	}
}

// FuzzNormalizeHTU checks the htu normalizer: no panic; a result is an
// absolute http(s) URI without query or fragment that net/url parses, is
// its own normal form, and compares equal to the input.
func FuzzNormalizeHTU(f *testing.F) {
	for _, s := range []string{testURI, "HTTPS://API.Example.Test:443/a/./b/../%7e%2f?q#f", "http://[::1]:80", "https://h/%zz", "https://u@h/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeHTU(s)
		if err != nil {
			return
		}
		u, perr := url.Parse(n)
		switch {
		case perr != nil:
			t.Fatalf("NormalizeHTU(%q) = %q, which net/url refuses: %v", s, n, perr)
		case u.Scheme != "http" && u.Scheme != "https", u.RawQuery != "", u.Fragment != "", u.User != nil, u.Host == "":
			t.Fatalf("NormalizeHTU(%q) = %q: not an absolute http(s) URI without query, fragment or user", s, n)
		case strings.ToLower(u.Host) != u.Host:
			t.Fatalf("NormalizeHTU(%q) = %q: host not in lower case", s, n)
		}
		if again, err := NormalizeHTU(n); err != nil || again != n {
			t.Fatalf("NormalizeHTU(%q) = %q, then %q, %v: not idempotent", s, n, again, err)
		}
		if !SameHTU(s, n) {
			t.Fatalf("SameHTU(%q, its normal form %q) = false", s, n)
		}
	})
}

// TestDPoPFuzzCorpus checks the seed corpus of FuzzDPoPProof: its first
// entries are proofs the fuzz keys made (accepted, so the fuzzer starts from
// the deepest path), rewritten with RSGUARD_UPDATE_DPOP_CORPUS=1 after the
// fuzz keys change.
func TestDPoPFuzzCorpus(t *testing.T) {
	v, client, token := fuzzDPoP(t)
	dir := filepath.Join("testdata", "fuzz", "FuzzDPoPProof")
	if os.Getenv("RSGUARD_UPDATE_DPOP_CORPUS") == "1" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		at := func(m map[string]any) map[string]any { return merge(map[string]any{"iat": fuzzNow.Unix()}, m) }
		seeds := map[string]string{
			"valid":          client.proof(token, nil, at(nil)),
			"valid_typ_case": client.proof(token, map[string]any{"typ": "application/DPoP+JWT"}, at(nil)),
			"htu_normalized": client.proof(token, nil, at(map[string]any{"htu": "HTTPS://api.example.TEST:443/orders/./1"})),
			"wrong_htm":      client.proof(token, nil, at(map[string]any{"htm": "POST"})),
			"private_jwk":    client.proof(token, map[string]any{"jwk": merge(client.jwk, map[string]any{"d": "AAAA"})}, at(nil)),
		}
		for name, p := range seeds {
			body := "go test fuzz v1\nstring(" + strconv.Quote(p) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	accepted := 0
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, fi := range files {
		data, _ := os.ReadFile(filepath.Join(dir, fi.Name()))
		body, _ := strings.CutPrefix(string(data), "go test fuzz v1\nstring(")
		p, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(body), ")"))
		if err != nil {
			t.Fatalf("%s: not a string corpus entry", fi.Name())
		}
		if _, err := v.Authenticate(context.Background(), dpopCred(token, p)); err == nil {
			accepted++
			checkAcceptedProof(t, client, token, p)
		}
	}
	if accepted < 3 {
		t.Fatalf("%d corpus proofs accepted, want 3 (regenerate with RSGUARD_UPDATE_DPOP_CORPUS=1)", accepted)
	}
}
