package jwks

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"fmt"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// checkKeyOps refuses a key whose "key_ops" (RFC 7517 §4.3) is present but
// does not allow "verify", repeats a value, or names an operation that is
// not a signature's, which would contradict "use" (a key in use is "sig",
// and §4.3 requires "use" and "key_ops" to agree when both are present). An
// absent "key_ops" allows every operation its "use" allows.
func checkKeyOps(jk jwk.Key) error {
	ops, ok := jk.KeyOps()
	if !ok {
		return nil
	}
	verify := false
	seen := make(map[jwk.KeyOperation]bool, len(ops))
	for _, op := range ops {
		switch {
		case seen[op]:
			return fmt.Errorf("%w: \"key_ops\" repeats %q", ErrUnusableKey, op)
		case op == jwk.KeyOpVerify:
			verify = true
		case op != jwk.KeyOpSign:
			return fmt.Errorf("%w: \"key_ops\" %q is not a signature operation", ErrUnusableKey, op)
		}
		seen[op] = true
	}
	if !verify {
		return fmt.Errorf("%w: \"key_ops\" does not allow \"verify\"", ErrUnusableKey)
	}
	return nil
}

// checkX5C refuses a key whose "x5c" (RFC 7517 §4.7) is present but whose
// first certificate holds another public key than the JWK's own members:
// "The key in the first certificate MUST match the public key represented by
// other members of the JWK." The chain itself is not validated; rsguard
// trusts the JWK Set by where it came from, not by certificates.
func checkX5C(jk jwk.Key, pub crypto.PublicKey) error {
	chain, ok := jk.X509CertChain()
	if !ok || chain.Len() == 0 {
		return nil
	}
	first, _ := chain.Get(0)
	der, err := base64.StdEncoding.DecodeString(string(first))
	if err != nil {
		return fmt.Errorf("%w: \"x5c\" is not base64: %w", ErrUnusableKey, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("%w: \"x5c\": %w", ErrUnusableKey, err)
	}
	eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !eq.Equal(cert.PublicKey) {
		return fmt.Errorf("%w: the \"x5c\" certificate holds another key", ErrUnusableKey)
	}
	return nil
}
