package middleware

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rsguard/rsguard/internal/httpx"
	"github.com/rsguard/rsguard/scopes"
)

// WellKnownResourcePath is the well-known URI suffix of protected resource
// metadata (RFC 9728 §3).
const WellKnownResourcePath = "/.well-known/oauth-protected-resource"

// DefaultMetadataMaxAge is how long clients and caches may reuse the
// metadata document ("Cache-Control: public, max-age=3600").
const DefaultMetadataMaxAge = time.Hour

// ResourceMetadata configures the OAuth 2.0 protected resource metadata
// (RFC 9728 §2) a [Guard] serves ([Guard.MetadataHandler]) and points to from
// its challenges (§5.1). Only Resource is required; the members the guard
// knows are derived from it, the others are left out unless set.
type ResourceMetadata struct {
	// Resource is the resource identifier (RFC 9728 §1.2), exactly as clients
	// address the resource: an https URL, or http on a loopback host, with no
	// query, fragment or user information, in canonical form (lowercase
	// scheme and host, no default port). Clients compare it byte for byte
	// with the URL they used (§3.3), so it is never normalized: a value that
	// is not canonical is refused. Required.
	Resource string
	// AuthorizationServers lists the issuer identifiers of the authorization
	// servers clients may use (authorization_servers). Default: the issuers
	// the guard's validator trusts, in the order configured.
	AuthorizationServers []string
	// ScopesSupported lists the scopes clients may request for this resource
	// (scopes_supported, RECOMMENDED). Default: left out.
	ScopesSupported []string
	// ResourceName is the human-readable name (resource_name). Default: left out.
	ResourceName string
	// ResourceDocumentation is the URL of developer documentation
	// (resource_documentation). Default: left out.
	ResourceDocumentation string
	// ResourcePolicyURI and ResourceTOSURI are the URLs of the policy and
	// terms of service pages (resource_policy_uri, resource_tos_uri).
	// Default: left out.
	ResourcePolicyURI, ResourceTOSURI string
	// JWKSURI is the URL of the resource's own JWK Set (jwks_uri), for
	// resources that sign responses. Default: left out.
	JWKSURI string
	// ResourceSigningAlgValuesSupported lists the JWS algorithms the resource
	// signs responses with (resource_signing_alg_values_supported). Default:
	// left out.
	ResourceSigningAlgValuesSupported []string
	// TLSClientCertificateBoundAccessTokens announces support for mutual-TLS
	// certificate-bound tokens (tls_client_certificate_bound_access_tokens,
	// RFC 8705 §3). Default false: left out, which means false.
	TLSClientCertificateBoundAccessTokens bool
	// DPoPSigningAlgValuesSupported lists the JWS algorithms accepted for
	// DPoP proofs (dpop_signing_alg_values_supported, RFC 9449 §5.1).
	// Default: the validator's [Validator.DPoPAlgorithms] when the guard
	// accepts DPoP, else left out.
	DPoPSigningAlgValuesSupported []string
	// DPoPBoundAccessTokensRequired announces that only DPoP-bound tokens are
	// accepted (dpop_bound_access_tokens_required, RFC 9449 §5.1). Default:
	// true when the guard requires DPoP (its [GuardConfig.DPoPMode] or every
	// issuer's [Issuer.DPoP] is [DPoPRequired]), else left out (false).
	DPoPBoundAccessTokensRequired bool
	// AuthorizationDetailsTypesSupported lists the authorization_details
	// types of RFC 9396 the resource understands
	// (authorization_details_types_supported). Default: left out.
	AuthorizationDetailsTypesSupported []string
	// Signing, when set, adds signed_metadata (RFC 9728 §2.2). Default nil:
	// the document is not signed.
	Signing *MetadataSigning
	// MaxAge is the max-age of the document's Cache-Control. Default
	// [DefaultMetadataMaxAge] (1h); a negative value sends "no-cache".
	MaxAge time.Duration
}

// metadataDoc is the JSON document of RFC 9728 §2, members in the order of
// the RFC.
type metadataDoc struct {
	Resource                              string   `json:"resource"`
	AuthorizationServers                  []string `json:"authorization_servers,omitempty"`
	JWKSURI                               string   `json:"jwks_uri,omitempty"`
	ScopesSupported                       []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported                []string `json:"bearer_methods_supported"`
	ResourceSigningAlgValuesSupported     []string `json:"resource_signing_alg_values_supported,omitempty"`
	ResourceName                          string   `json:"resource_name,omitempty"`
	ResourceDocumentation                 string   `json:"resource_documentation,omitempty"`
	ResourcePolicyURI                     string   `json:"resource_policy_uri,omitempty"`
	ResourceTOSURI                        string   `json:"resource_tos_uri,omitempty"`
	TLSClientCertificateBoundAccessTokens bool     `json:"tls_client_certificate_bound_access_tokens,omitempty"`
	AuthorizationDetailsTypesSupported    []string `json:"authorization_details_types_supported,omitempty"`
	DPoPSigningAlgValuesSupported         []string `json:"dpop_signing_alg_values_supported,omitempty"`
	DPoPBoundAccessTokensRequired         bool     `json:"dpop_bound_access_tokens_required,omitempty"`
	SignedMetadata                        string   `json:"signed_metadata,omitempty"`
}

// metadata is a guard's prepared document and the headers it is served with.
type metadata struct {
	url, path    string // the document's URL (§3.1) and its path
	body         []byte
	etag         string
	cacheControl string
}

// MetadataURL returns the URL of the metadata document of resource
// (RFC 9728 §3.1): "/.well-known/oauth-protected-resource" inserted between
// the host and the path, a path of "/" alone dropped. For example
// https://api.example.com/mcp → https://api.example.com/.well-known/oauth-protected-resource/mcp.
// It returns an error if resource is not a valid resource identifier (see
// [ResourceMetadata.Resource]).
func MetadataURL(resource string) (string, error) {
	origin, path, err := checkResource(resource)
	if err != nil {
		return "", err
	}
	if path == "/" {
		path = ""
	}
	return origin + WellKnownResourcePath + path, nil
}

// checkResource validates a resource identifier and splits it into origin
// ("https://host:port") and path.
func checkResource(resource string) (origin, path string, err error) {
	u, err := httpx.CheckURL(resource, false)
	if err != nil {
		return "", "", fmt.Errorf("middleware: resource %q: %w", resource, err)
	}
	switch {
	case u.Host == "" || u.Opaque != "":
		err = errors.New("must be an absolute URL with a host")
	case u.User != nil:
		err = errors.New("must not hold user information")
	case u.RawQuery != "" || u.ForceQuery:
		err = errors.New("must not have a query (RFC 9728 §1.2)")
	case u.Fragment != "" || strings.Contains(resource, "#"):
		err = errors.New("must not have a fragment (RFC 9728 §1.2)")
	case u.String() != resource || u.Scheme != strings.ToLower(u.Scheme) || u.Host != strings.ToLower(u.Host):
		err = errors.New("must be in canonical form (lowercase scheme and host, no escapes to normalize)")
	case u.Port() == "443" && u.Scheme == "https", u.Port() == "80" && u.Scheme == "http":
		err = errors.New("must not name the default port")
	case strings.ContainsAny(resource, "\"\\ "):
		err = errors.New("must not contain quotes, backslashes or spaces")
	}
	if err != nil {
		return "", "", fmt.Errorf("middleware: resource %q %w", resource, err)
	}
	return u.Scheme + "://" + u.Host, u.EscapedPath(), nil
}

// newMetadata prepares g's metadata document from md.
func (g *Guard) newMetadata(md *ResourceMetadata) (*metadata, error) {
	mdURL, err := MetadataURL(md.Resource)
	if err != nil {
		return nil, err
	}
	for _, s := range md.ScopesSupported {
		if !scopes.ValidToken(s) {
			return nil, fmt.Errorf("middleware: scopes_supported: invalid scope %q", s)
		}
	}
	doc := metadataDoc{
		Resource:                              md.Resource,
		AuthorizationServers:                  md.AuthorizationServers,
		JWKSURI:                               md.JWKSURI,
		ScopesSupported:                       md.ScopesSupported,
		BearerMethodsSupported:                g.bearerMethods(),
		ResourceSigningAlgValuesSupported:     md.ResourceSigningAlgValuesSupported,
		ResourceName:                          md.ResourceName,
		ResourceDocumentation:                 md.ResourceDocumentation,
		ResourcePolicyURI:                     md.ResourcePolicyURI,
		ResourceTOSURI:                        md.ResourceTOSURI,
		TLSClientCertificateBoundAccessTokens: md.TLSClientCertificateBoundAccessTokens,
		AuthorizationDetailsTypesSupported:    md.AuthorizationDetailsTypesSupported,
		DPoPSigningAlgValuesSupported:         md.DPoPSigningAlgValuesSupported,
		DPoPBoundAccessTokensRequired:         md.DPoPBoundAccessTokensRequired,
	}
	if bearer, dpop := g.v.acceptsSchemes(g.mode); dpop {
		if doc.DPoPSigningAlgValuesSupported == nil {
			doc.DPoPSigningAlgValuesSupported = g.v.DPoPAlgorithms()
		}
		doc.DPoPBoundAccessTokensRequired = doc.DPoPBoundAccessTokensRequired || !bearer
	}
	if doc.AuthorizationServers == nil {
		for _, is := range g.v.issuers {
			doc.AuthorizationServers = append(doc.AuthorizationServers, is.URL)
		}
	}
	if md.Signing != nil {
		if doc.SignedMetadata, err = md.Signing.sign(&doc); err != nil {
			return nil, err
		}
	}
	body, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("middleware: metadata: %w", err)
	}
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	m := &metadata{url: mdURL, path: mdURL[strings.Index(mdURL, WellKnownResourcePath):], body: body,
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`, cacheControl: "no-cache"}
	if maxAge := orDuration(md.MaxAge, DefaultMetadataMaxAge); maxAge >= 0 {
		m.cacheControl = "public, max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10)
	}
	return m, nil
}

func orDuration(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// bearerMethods lists the token sources the guard accepts, in the names of
// RFC 9728 §2 (bearer_methods_supported).
func (g *Guard) bearerMethods() []string {
	methods := []string{"header"}
	if g.allowForm {
		methods = append(methods, "body")
	}
	if g.allowQuery {
		methods = append(methods, "query")
	}
	return methods
}

// addResourceMetadata adds the resource_metadata attribute of RFC 9728 §5.1
// to every challenge of a 401 or 403 answer (Bearer and DPoP alike): the URL
// of the guard's metadata document, validated when the guard was made (no
// quote, backslash or control character).
func (g *Guard) addResourceMetadata(h http.Header, status int) {
	if g.md == nil || (status != http.StatusUnauthorized && status != http.StatusForbidden) {
		return
	}
	appendChallengeAttr(h, `resource_metadata="`+g.md.url+`"`)
}

// appendChallengeAttr appends the attribute attr to every challenge in h.
func appendChallengeAttr(h http.Header, attr string) {
	cs := h["Www-Authenticate"]
	for i, c := range cs {
		sep := ", "
		if !strings.Contains(c, " ") {
			sep = " " // a bare scheme: "Bearer"
		}
		cs[i] = c + sep + attr
	}
}

// MetadataURL returns the URL of the guard's protected resource metadata
// document (RFC 9728 §3.1), the resource_metadata of its challenges (§5.1),
// or "" when [GuardConfig.Metadata] is not set.
func (g *Guard) MetadataURL() string {
	if g.md == nil {
		return ""
	}
	return g.md.url
}

// MetadataPath returns the path of [Guard.MetadataURL], to register
// [Guard.MetadataHandler] on a mux, for example
// "/.well-known/oauth-protected-resource/mcp"; "" when [GuardConfig.Metadata]
// is not set.
func (g *Guard) MetadataPath() string {
	if g.md == nil {
		return ""
	}
	return g.md.path
}

// MetadataHandler returns the handler that serves the guard's protected
// resource metadata document (RFC 9728 §3.2), to be mounted at
// [Guard.MetadataPath]. It answers GET and HEAD with the JSON document,
// Cache-Control per [ResourceMetadata.MaxAge] and an ETag (If-None-Match is
// answered 304), and OPTIONS as a CORS preflight; every answer allows any
// origin (Access-Control-Allow-Origin: *), since the document is public and
// browser-based clients fetch it (§3). Other methods are answered 405. When
// [GuardConfig.Metadata] is not set, it answers 404.
func (g *Guard) MetadataHandler() http.Handler {
	if g.md == nil {
		return http.NotFoundHandler()
	}
	return g.md
}

func (m *metadata) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "*")
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		h.Set("Allow", "GET, HEAD, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.Set("Cache-Control", m.cacheControl)
	h.Set("ETag", m.etag)
	if etagMatch(r.Header.Values("If-None-Match"), m.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(m.body)))
	if r.Method == http.MethodGet {
		w.Write(m.body)
	}
}

// etagMatch reports whether an If-None-Match list (RFC 9110 §13.1.2) names
// etag or is "*"; weak comparison.
func etagMatch(values []string, etag string) bool {
	for _, v := range values {
		for tag := range strings.SplitSeq(v, ",") {
			tag = strings.TrimPrefix(trimOWS(tag), "W/")
			if tag == etag || tag == "*" {
				return true
			}
		}
	}
	return false
}
