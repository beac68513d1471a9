package guardtest

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/rsguard/rsguard/internal/keytest"
	"github.com/rsguard/rsguard/middleware"
)

// dpopCases are the table's DPoP requests: a proof breaking each check of
// RFC 9449 §4.3, each nonce path of §9 and each downgrade of §7. Over gRPC,
// which sends Authorization only, a DPoP-bound token cannot be verified
// (no method and URI to check a proof against) and is refused as
// sender-constrained.
func (f *Fixture) dpopCases() []Case {
	k := f.client
	bound := f.boundToken(map[string]any{"jkt": k.jkt})
	other := f.boundToken(map[string]any{"jkt": f.other.jkt})
	unbound := f.Token(Scope, "profile")
	cur := f.Nonce.Nonce(f.Now)
	// proofs returns a Proofs func: one proof for tok with the claims and
	// header changed, or with no nonce.
	proofs := func(tok string, nonce string, hdr, claims map[string]any) func(string, string) []string {
		return func(method, url string) []string {
			return []string{k.proof(tok, method, url, nonce, f.Now, hdr, claims)}
		}
	}
	ok := func(tok string, hdr, claims map[string]any) func(string, string) []string {
		return proofs(tok, cur, hdr, claims)
	}
	const sc = "token is sender-constrained"
	proofErr := func(reason error, desc string) Case {
		return Case{Kind: middleware.ErrInvalidToken, Reason: reason, Status: 401, Challenge: onDPoP("invalid_dpop_proof", desc),
			Nonce: cur, GRPCCode: CodeUnauthenticated, Description: desc, GRPCDescription: sc}
	}
	admitted := Case{Status: 200, Nonce: cur, GRPCCode: CodeUnauthenticated, GRPCDescription: sc}
	cases := []struct {
		name   string
		tok    string
		scheme string
		proofs func(string, string) []string
		want   Case
	}{
		{"dpop_valid", bound, "DPoP", ok(bound, nil, nil), admitted},
		{"dpop_previous_nonce", bound, "DPoP", proofs(bound, f.Nonce.Nonce(f.Now.Add(-nonceStep)), nil, nil), admitted},
		{"dpop_no_nonce", bound, "DPoP", proofs(bound, "", nil, nil), Case{Kind: middleware.ErrInvalidToken, Reason: middleware.ErrUseDPoPNonce,
			Status: 401, Challenge: onDPoP("use_dpop_nonce", "DPoP proof lacks the current server nonce"), Nonce: cur,
			GRPCCode: CodeUnauthenticated, Description: "DPoP proof lacks the current server nonce", GRPCDescription: sc}},
		{"dpop_stale_nonce", bound, "DPoP", proofs(bound, f.Nonce.Nonce(f.Now.Add(-2*nonceStep)), nil, nil), Case{Kind: middleware.ErrInvalidToken,
			Reason: middleware.ErrUseDPoPNonce, Status: 401, Challenge: onDPoP("use_dpop_nonce", "DPoP proof lacks the current server nonce"), Nonce: cur,
			GRPCCode: CodeUnauthenticated, Description: "DPoP proof lacks the current server nonce", GRPCDescription: sc}},
		{"dpop_no_proof", bound, "DPoP", nil, proofErr(middleware.ErrDPoPProofCount, "not exactly one DPoP proof")},
		{"dpop_two_proofs", bound, "DPoP", func(method, url string) []string {
			return append(ok(bound, nil, nil)(method, url), ok(bound, nil, nil)(method, url)...)
		},
			proofErr(middleware.ErrDPoPProofCount, "not exactly one DPoP proof")},
		{"dpop_not_a_jwt", bound, "DPoP", func(string, string) []string { return []string{"not-a-jwt"} }, proofErr(middleware.ErrDPoPMalformed, "malformed DPoP proof")},
		{"dpop_no_jti", bound, "DPoP", ok(bound, nil, map[string]any{"jti": nil}), proofErr(middleware.ErrDPoPMalformed, "malformed DPoP proof")},
		{"dpop_wrong_typ", bound, "DPoP", ok(bound, map[string]any{"typ": "JWT"}, nil), proofErr(middleware.ErrDPoPType, "DPoP proof typ is not dpop+jwt")},
		{"dpop_alg_none", bound, "DPoP", ok(bound, map[string]any{"alg": "none"}, nil), proofErr(middleware.ErrDPoPAlgorithm, "DPoP proof algorithm not allowed")},
		{"dpop_alg_hs256", bound, "DPoP", ok(bound, map[string]any{"alg": "HS256"}, nil), proofErr(middleware.ErrDPoPAlgorithm, "DPoP proof algorithm not allowed")},
		{"dpop_private_jwk", bound, "DPoP", ok(bound, map[string]any{"jwk": apply(k.jwk, map[string]any{"d": b64(keytest.Random(32))})}, nil),
			proofErr(middleware.ErrDPoPKey, "DPoP proof key missing, private or unusable")},
		{"dpop_no_jwk", bound, "DPoP", ok(bound, map[string]any{"jwk": nil}, nil), proofErr(middleware.ErrDPoPKey, "DPoP proof key missing, private or unusable")},
		{"dpop_bad_signature", bound, "DPoP", func(method, url string) []string { return []string{tamper(ok(bound, nil, nil)(method, url)[0])} },
			proofErr(middleware.ErrDPoPSignature, "DPoP proof signature verification failed")},
		{"dpop_wrong_htm", bound, "DPoP", ok(bound, nil, map[string]any{"htm": "DELETE"}), proofErr(middleware.ErrDPoPMethod, "DPoP proof htm does not match the request method")},
		{"dpop_wrong_htu", bound, "DPoP", ok(bound, nil, map[string]any{"htu": "https://elsewhere.example.test/orders"}),
			proofErr(middleware.ErrDPoPURI, "DPoP proof htu does not match the request URI")},
		{"dpop_old_iat", bound, "DPoP", ok(bound, nil, map[string]any{"iat": f.Now.Add(-10 * time.Minute).Unix()}),
			proofErr(middleware.ErrDPoPTime, "DPoP proof iat outside the accepted window")},
		{"dpop_future_iat", bound, "DPoP", ok(bound, nil, map[string]any{"iat": f.Now.Add(10 * time.Minute).Unix()}),
			proofErr(middleware.ErrDPoPTime, "DPoP proof iat outside the accepted window")},
		{"dpop_wrong_ath", bound, "DPoP", ok(bound, nil, map[string]any{"ath": b64(keytest.Random(32))}),
			proofErr(middleware.ErrDPoPTokenHash, "DPoP proof ath does not match the access token")},
		{"dpop_replayed", bound, "DPoP", f.usedProof(bound, cur), proofErr(middleware.ErrDPoPReplayed, "DPoP proof already used")},
		{"dpop_key_not_the_tokens", other, "DPoP", ok(other, nil, nil), Case{Kind: middleware.ErrInvalidToken, Reason: middleware.ErrDPoPKeyBinding,
			Status: 401, Challenge: onDPoP("invalid_token", "DPoP proof key is not the token's"), Nonce: cur,
			GRPCCode: CodeUnauthenticated, Description: "DPoP proof key is not the token's", GRPCDescription: sc}},
		{"dpop_bound_as_bearer", bound, "Bearer", nil, Case{Kind: middleware.ErrInvalidToken, Reason: middleware.ErrSenderConstrained,
			Status: 401, Challenge: onBearer("invalid_token", sc), GRPCCode: CodeUnauthenticated, Description: sc}},
		{"dpop_proof_with_bearer", unbound, "Bearer", ok(unbound, nil, nil), Case{Kind: middleware.ErrInvalidRequest, Reason: middleware.ErrProofWithBearer,
			Status: 400, Challenge: onBearer("invalid_request", "DPoP proof sent with the Bearer scheme"), Nonce: cur,
			GRPCCode: CodeOK, Description: "DPoP proof sent with the Bearer scheme"}},
		{"dpop_unbound_as_dpop", unbound, "DPoP", ok(unbound, nil, nil), Case{Kind: middleware.ErrInvalidToken, Reason: middleware.ErrNotDPoPBound,
			Status: 401, Challenge: onDPoP("invalid_token", "token is not DPoP-bound"), Nonce: cur,
			GRPCCode: CodeUnauthenticated, Description: "token is not DPoP-bound"}},
	}
	out := make([]Case, len(cases))
	for i, c := range cases {
		out[i] = c.want
		out[i].Name, out[i].Authorization, out[i].Proofs = c.name, []string{c.scheme + " " + c.tok}, c.proofs
	}
	return out
}

// usedProof returns a Proofs func whose proof the validator has already
// accepted once, for the replay case.
func (f *Fixture) usedProof(tok, nonce string) func(string, string) []string {
	return func(method, url string) []string {
		p := f.client.proof(tok, method, url, nonce, f.Now, nil, nil)
		cred := &middleware.Credentials{Authorization: []string{"DPoP " + tok}, DPoP: []string{p}, Method: method, URI: url}
		if _, err := f.Validator.Authenticate(context.Background(), cred); err != nil {
			panic("guardtest: the replay case's first use was refused: " + err.Error())
		}
		return []string{p}
	}
}

// certificateCases are certificate-bound tokens (RFC 8705 §3) presented
// without a client certificate: over plain HTTP, with the RFC 9440
// Client-Cert header of the right certificate from a peer that is not a
// trusted proxy (the table's guards trust none), and over gRPC without TLS.
func (f *Fixture) certificateCases() []Case {
	cert := newCertificate()
	tok := f.boundToken(map[string]any{"x5t#S256": x5t(cert)})
	const sc = "token is sender-constrained"
	refused := Case{Kind: middleware.ErrInvalidToken, Reason: middleware.ErrSenderConstrained, Status: 401,
		Challenge: onBearer("invalid_token", sc), GRPCCode: CodeUnauthenticated, Description: sc}
	none, header := refused, refused
	none.Name, none.Authorization = "cert_bound_no_certificate", []string{"Bearer " + tok}
	header.Name, header.Authorization = "cert_bound_header_from_untrusted_peer", []string{"Bearer " + tok}
	header.Header = http.Header{"Client-Cert": {clientCertHeader(cert)}}
	return []Case{none, header}
}

// HeadersOnly returns the answer of a front door that sees the request's
// headers (Authorization, DPoP, Client-Cert) but neither its method, URI nor
// TLS state, such as a Connect interceptor without the HTTP wrapper: the
// core cannot check a sender constraint there, so every case whose token is
// DPoP-bound or certificate-bound (the cases gRPC answers "token is
// sender-constrained") is refused as such, the error on the challenge of the
// scheme the request used (RFC 9449 §7.1), with the nonce of a request that
// uses DPoP. Other cases are returned unchanged.
func (c Case) HeadersOnly() Case {
	const sc = "token is sender-constrained"
	if c.GRPCDescription != sc && c.Description != sc {
		return c
	}
	dpopScheme := len(c.Authorization) == 1 && strings.HasPrefix(c.Authorization[0], "DPoP ")
	c.Kind, c.Reason, c.Code, c.Rule, c.Status = middleware.ErrInvalidToken, middleware.ErrSenderConstrained, "invalid_token", "", 401
	c.Challenge, c.Description, c.GRPCDescription, c.GRPCCode = onBearer("invalid_token", sc), sc, "", CodeUnauthenticated
	if dpopScheme {
		c.Challenge = onDPoP("invalid_token", sc)
	}
	if !dpopScheme && c.Proofs == nil {
		c.Nonce = ""
	}
	return c
}
