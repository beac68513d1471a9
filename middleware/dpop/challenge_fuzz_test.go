package dpop

import (
	"strings"
	"testing"
)

// FuzzChallengeAsksForNonce: a WWW-Authenticate value from any server never
// panics the client, and is read as asking for a nonce only when it names
// the DPoP scheme (first, or after a space or comma: "DPoP,error=…" is read
// leniently as DPoP's parameter) and the use_dpop_nonce code.
func FuzzChallengeAsksForNonce(f *testing.F) {
	for _, s := range []string{
		`DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`,
		`Bearer realm="api", DPoP realm="api", algs="ES256 EdDSA", error="use_dpop_nonce"`,
		`Bearer error="use_dpop_nonce"`,
		`DPoP error=use_dpop_nonce`,
		`DPoP error_description="a, error=use_dpop_nonce"`,
		`DPoP`, `,,, =`, `DPoP error="`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if challengeAsksForNonce(v) {
			l := strings.ToLower(v)
			scheme := strings.HasPrefix(l, "dpop") || strings.Contains(l, " dpop") || strings.Contains(l, ",dpop")
			if !strings.Contains(l, "use_dpop_nonce") || !scheme {
				t.Fatalf("%q read as asking for a nonce", v)
			}
		}
	})
}

func TestChallengeAsksForNonce(t *testing.T) {
	for v, want := range map[string]bool{
		`DPoP error="use_dpop_nonce"`:                                          true,
		`DPoP algs="ES256", error="use_dpop_nonce"`:                            true,
		`Bearer realm="x", error="invalid_token", DPoP error="use_dpop_nonce"`: true,
		`DPoP error="use_dpop_nonce", Bearer realm="x"`:                        true,
		`Bearer error="use_dpop_nonce", DPoP algs="ES256"`:                     false,
		`DPoP error="invalid_dpop_proof"`:                                      false,
		`DPoPX error="use_dpop_nonce"`:                                         false,
		`DPoP error_description="use_dpop_nonce"`:                              false,
		``: false,
	} {
		if got := challengeAsksForNonce(v); got != want {
			t.Errorf("challengeAsksForNonce(%q) = %v, want %v", v, got, want)
		}
	}
}
