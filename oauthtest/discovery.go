package oauthtest

import (
	"net/http"
	"slices"
)

// authMethodsSupported are the authentication methods the metadata lists.
var authMethodsSupported = []string{AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT}

// assertionAlgs are the JWS algorithms accepted for private_key_jwt client
// assertions.
var assertionAlgs = []string{
	"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512", "EdDSA",
}

// Metadata returns the authorization server metadata (RFC 8414 §2) the server
// publishes at both well-known URLs, also usable as an OpenID Connect
// Discovery 1.0 §3 document.
func (s *Server) Metadata() map[string]any {
	s.mu.Lock()
	var algs []string
	for _, k := range s.keys.published {
		if !slices.Contains(algs, k.alg) {
			algs = append(algs, k.alg)
		}
	}
	s.mu.Unlock()
	return map[string]any{
		"issuer":                                                   s.issuer,
		"authorization_endpoint":                                   s.AuthorizationURL(),
		"token_endpoint":                                           s.TokenURL(),
		"introspection_endpoint":                                   s.IntrospectionURL(),
		"jwks_uri":                                                 s.JWKSURL(),
		"response_types_supported":                                 []string{"code"},
		"response_modes_supported":                                 []string{"query"},
		"grant_types_supported":                                    []string{"authorization_code", "client_credentials"},
		"subject_types_supported":                                  []string{"public"},
		"code_challenge_methods_supported":                         []string{"S256"},
		"token_endpoint_auth_methods_supported":                    append(slices.Clone(authMethodsSupported), AuthNone),
		"token_endpoint_auth_signing_alg_values_supported":         assertionAlgs,
		"introspection_endpoint_auth_methods_supported":            authMethodsSupported,
		"introspection_endpoint_auth_signing_alg_values_supported": assertionAlgs,
		"id_token_signing_alg_values_supported":                    algs,
		"authorization_response_iss_parameter_supported":           true,
		"dpop_signing_alg_values_supported":                        dpopAlgs,
	}
}

func (s *Server) serveMetadata(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Metadata(), "")
}
