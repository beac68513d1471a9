// Package discovery fetches an authorization server's metadata (RFC 8414 §3,
// OpenID Connect Discovery 1.0 §4) for rsguard's packages: the JWKS key
// source (jwks_uri), introspection (introspection_endpoint) and the CLI.
package discovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/rsguard/rsguard/internal/httpx"
	"github.com/rsguard/rsguard/internal/jsonscan"
)

// Metadata is the part of an authorization server's metadata (RFC 8414 §2,
// OpenID Connect Discovery 1.0 §3) that rsguard uses.
type Metadata struct {
	Issuer                               string   `json:"issuer"`
	JWKSURI                              string   `json:"jwks_uri"`
	TokenEndpoint                        string   `json:"token_endpoint"`
	IntrospectionEndpoint                string   `json:"introspection_endpoint"`
	IntrospectionEndpointAuthMethods     []string `json:"introspection_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthSigningAlgs []string `json:"introspection_endpoint_auth_signing_alg_values_supported"`
	TokenEndpointAuthMethods             []string `json:"token_endpoint_auth_methods_supported"`
	ScopesSupported                      []string `json:"scopes_supported"`
	RevocationEndpoint                   string   `json:"revocation_endpoint"`
	AuthorizationEndpoint                string   `json:"authorization_endpoint"`
	CodeChallengeMethodsSupported        []string `json:"code_challenge_methods_supported"`
	IDTokenSigningAlgValuesSupported     []string `json:"id_token_signing_alg_values_supported"`
}

// MaxMetadataSize bounds a discovery document.
const MaxMetadataSize = 1 << 20

// ErrDiscovery is matched by every error [Discover] returns.
var ErrDiscovery = errors.New("rsguard: authorization server metadata discovery failed")

// URLs returns the metadata URLs tried for issuer, in order: OpenID
// Connect Discovery (issuer + "/.well-known/openid-configuration"), then
// RFC 8414 §3.1, where the well-known segment goes between the host and the
// issuer's path.
func URLs(issuer string) []string {
	trimmed := strings.TrimSuffix(issuer, "/")
	oidc := trimmed + "/.well-known/openid-configuration"
	scheme, rest, ok := strings.Cut(issuer, "://")
	if !ok {
		return []string{oidc}
	}
	host, path, _ := strings.Cut(rest, "/")
	path = strings.TrimSuffix(path, "/")
	oauth := scheme + "://" + host + "/.well-known/oauth-authorization-server"
	if path != "" {
		oauth += "/" + path
	}
	return []string{oidc, oauth}
}

// Discover fetches the issuer's metadata from the URLs of [URLs], in
// order, and returns the first document found. The document's "issuer" must
// equal issuer exactly (RFC 8414 §3.3), else it is refused; a document with a
// member name twice, also in another case, is refused too. client may be nil;
// the rules of https-except-loopback (unless allowInsecure), a size cap of
// [MaxMetadataSize], a timeout, and no redirects to other hosts apply.
func Discover(ctx context.Context, client *http.Client, issuer string, allowInsecure bool) (*Metadata, error) {
	if _, err := httpx.CheckURL(issuer, allowInsecure); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDiscovery, err)
	}
	client = httpx.Client(client)
	var errs []error
	for _, u := range URLs(issuer) {
		md, err := fetchMetadata(ctx, client, u)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if md.Issuer != issuer {
			return nil, fmt.Errorf("%w: %s names issuer %q, want %q", ErrDiscovery, u, md.Issuer, issuer)
		}
		return md, nil
	}
	return nil, fmt.Errorf("%w: %w", ErrDiscovery, errors.Join(errs...))
}

func fetchMetadata(ctx context.Context, client *http.Client, u string) (*Metadata, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: status %d", u, resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "" && mt != "application/json" {
		return nil, fmt.Errorf("%s: content type %q", u, mt)
	}
	body, err := httpx.ReadBody(resp.Body, MaxMetadataSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	if err := jsonscan.UniqueMembers(body); err != nil {
		// A second "issuer" or "jwks_uri" (or "Issuer") must not be read
		// last-wins (RFC 8259 §4).
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	var md Metadata
	if err := json.Unmarshal(body, &md); err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	return &md, nil
}
