// Package mcpguard protects a Model Context Protocol server built with the
// official Go SDK (github.com/modelcontextprotocol/go-sdk) with rsguard, as
// the MCP authorization specification (2025-06-18 and later) asks of an
// OAuth 2.1 resource server:
//
//   - every request to the streamable HTTP endpoint needs a valid bearer
//     token in the Authorization header, checked by a [middleware.Guard]
//     (JWT against the issuer's JWKS, or introspection);
//   - the token's audience must be the server's canonical URI (RFC 8707);
//   - the server publishes its protected resource metadata (RFC 9728) and
//     names it in every 401 and 403 challenge (resource_metadata), so that
//     clients find the authorization server;
//   - tools may need scopes of their own: a tools/call for such a tool with
//     a token that lacks them is answered 403 insufficient_scope, with the
//     scopes that would do, before the SDK sees it (step-up authorization).
//
// Tool handlers find the verified claims with [Claims], and the SDK's own
// [auth.TokenInfo] in req.Extra.TokenInfo as usual.
//
//	g, err := mcpguard.New(validator, "https://mcp.example.com/mcp", &mcpguard.Config{
//		Tools: map[string]scopes.Requirement{"delete_order": scopes.AllOf("orders:write")},
//	})
//	mux := http.NewServeMux()
//	mux.Handle(g.MetadataPath(), g.MetadataHandler())
//	mux.Handle("/mcp", g.Protect(mcp.NewStreamableHTTPHandler(getServer, nil)))
package mcpguard

import (
	"errors"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// DefaultMaxBodySize bounds the request body read to find the tool of a
// tools/call, in bytes: the SDK's own default limit
// ([mcp.DefaultMaxRequestBodyBytes], 4 MiB).
const DefaultMaxBodySize = mcp.DefaultMaxRequestBodyBytes

// Config holds the optional settings of a [Guard]. The zero value (or a nil
// *Config) requires a valid token for the resource on every request, and
// publishes metadata listing the validator's issuers.
type Config struct {
	// Requirement is the scope requirement of every request to the endpoint.
	// The scopes that satisfy it are the scope attribute of the 401
	// challenges ([middleware.GuardConfig.ChallengeScope]), from which MCP
	// clients take the scopes they ask for. Default nil: a valid token,
	// whatever its scopes, and no scope attribute.
	Requirement scopes.Requirement
	// Tools maps tool names to the scopes a tools/call of that tool needs,
	// on top of Requirement. A tool not in the map needs Requirement only.
	// Default: none.
	Tools map[string]scopes.Requirement
	// AllowAudienceTrailingSlash also accepts tokens whose "aud" is the
	// resource with a trailing "/" added or removed
	// ("https://mcp.example.com/mcp/" for "https://mcp.example.com/mcp"), for
	// authorization servers that rewrite the RFC 8707 resource parameter.
	// Default false: "aud" must hold the resource exactly.
	AllowAudienceTrailingSlash bool
	// Metadata holds the other members of the protected resource metadata
	// document (scopes_supported, resource_name, …; see
	// [middleware.ResourceMetadata]). Its Resource, if set, must be the
	// resource given to [New]. Default: resource, authorization_servers and
	// bearer_methods_supported only.
	Metadata *middleware.ResourceMetadata
	// Realm is the realm of the challenges. Default [middleware.DefaultRealm].
	Realm string
	// ErrorHandler writes the body of refusals (see
	// [middleware.GuardConfig.ErrorHandler]). Default: no body.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, status int, err *middleware.Error)
	// MaxBodySize bounds the body read to find the tool of a tools/call when
	// Tools is set; a larger body is answered 413. Default
	// [DefaultMaxBodySize].
	MaxBodySize int64
}

// Guard protects an MCP streamable HTTP endpoint. It is safe for concurrent
// use.
type Guard struct {
	g         *middleware.Guard
	resource  string
	audiences []string // resource, and its trailing-slash twin when allowed
	base      scopes.Requirement
	tools     map[string]scopes.Requirement // each already All(base, tool)
	maxBody   int64
}

// New returns a guard for the MCP server whose canonical URI is resource
// (the endpoint URL as clients address it, e.g.
// "https://mcp.example.com/mcp": https, or http on a loopback host; see
// [middleware.ResourceMetadata.Resource]). v must accept resource as an
// audience (its [middleware.Issuer.Audiences]). cfg may be nil.
//
// The guard reads tokens from the Authorization header only, with the Bearer
// scheme: the MCP authorization specification forbids tokens in the query
// string, and the SDK's transport (which ties sessions to the token's user)
// reads Bearer credentials only, so DPoP-bound tokens are refused
// ([middleware.DPoPOff]) whatever the issuers' [middleware.Issuer.DPoP].
func New(v *middleware.Validator, resource string, cfg *Config) (*Guard, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	md := middleware.ResourceMetadata{}
	if cfg.Metadata != nil {
		md = *cfg.Metadata
	}
	if md.Resource != "" && md.Resource != resource {
		return nil, errors.New("mcpguard: Config.Metadata.Resource differs from the resource")
	}
	md.Resource = resource
	g, err := middleware.NewGuard(v, &middleware.GuardConfig{
		Realm: cfg.Realm, ErrorHandler: cfg.ErrorHandler, Metadata: &md,
		DPoPMode:       middleware.DPoPOff, // the SDK's transport reads the Bearer scheme only
		ChallengeScope: challengeScope(cfg.Requirement),
	})
	if err != nil {
		return nil, err
	}
	if cfg.MaxBodySize < 0 {
		return nil, errors.New("mcpguard: negative MaxBodySize")
	}
	mg := &Guard{g: g, resource: resource, audiences: []string{resource}, base: cfg.Requirement,
		maxBody: cfg.MaxBodySize, tools: make(map[string]scopes.Requirement, len(cfg.Tools))}
	if mg.maxBody == 0 {
		mg.maxBody = DefaultMaxBodySize
	}
	if cfg.AllowAudienceTrailingSlash {
		mg.audiences = append(mg.audiences, slashTwin(resource))
	}
	for name, req := range cfg.Tools {
		if req == nil {
			return nil, errors.New("mcpguard: nil requirement for tool " + name)
		}
		if mg.base != nil {
			req = scopes.All(mg.base, req)
		}
		mg.tools[name] = req
	}
	return mg, nil
}

// challengeScope is the scope attribute of the 401 challenges for req: the
// scopes that would satisfy it with none granted, which the MCP
// authorization specification asks servers to name ("Scope Selection
// Strategy"); "" for no requirement, or one that names no scope (roles).
func challengeScope(req scopes.Requirement) string {
	if req == nil {
		return ""
	}
	set, err := scopes.New(req.Satisfying(scopes.Set{})...)
	if err != nil {
		return ""
	}
	return set.String()
}

// slashTwin returns u with a trailing "/" removed, or added if it has none.
func slashTwin(u string) string {
	if t, ok := strings.CutSuffix(u, "/"); ok {
		return t
	}
	return u + "/"
}

// Resource returns the canonical URI the guard protects.
func (g *Guard) Resource() string { return g.resource }

// Guard returns the underlying [middleware.Guard], whose
// [middleware.Guard.WriteError] answers like the MCP endpoint.
func (g *Guard) Guard() *middleware.Guard { return g.g }

// MetadataPath returns the path at which to serve [Guard.MetadataHandler]:
// "/.well-known/oauth-protected-resource" followed by the resource's path
// (RFC 9728 §3.1), where MCP clients look for it.
func (g *Guard) MetadataPath() string { return g.g.MetadataPath() }

// MetadataURL returns the URL of the metadata document, the resource_metadata
// of the challenges.
func (g *Guard) MetadataURL() string { return g.g.MetadataURL() }

// MetadataHandler serves the protected resource metadata document (see
// [middleware.Guard.MetadataHandler]).
func (g *Guard) MetadataHandler() http.Handler { return g.g.MetadataHandler() }

// Protect returns a handler that admits to next — the SDK's
// [mcp.StreamableHTTPHandler] — only requests with a valid token for the
// resource that satisfies [Config.Requirement] and, for a tools/call, the
// tool's requirement. It then calls next with the claims in the request
// context ([middleware.FromContext]) and the SDK's [auth.TokenInfo] where the
// SDK looks for it, so that tool handlers see it in req.Extra.TokenInfo and
// the SDK ties each session to its user (TokenInfo.UserID).
//
// Refusals are the guard's: 401 for a missing or invalid token (including a
// token for another audience), 403 insufficient_scope naming the scopes that
// would satisfy the request, 400 for a malformed request, 503 when the
// authorization server cannot be reached; 401 and 403 carry resource_metadata,
// and a 401 names the scopes of [Config.Requirement].
func (g *Guard) Protect(next http.Handler) http.Handler {
	sdk := auth.RequireBearerToken(tokenInfo, &auth.RequireBearerTokenOptions{
		ResourceMetadataURL:    g.MetadataURL(),
		AllowMissingExpiration: true,       // rsguard has checked "exp" (or introspection has)
		ClockSkew:              neverStale, // rsguard's verdict on "exp" stands, with its clock and skew
	})(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r = g.admit(w, r); r != nil {
			sdk.ServeHTTP(w, r)
		}
	})
}

// admit authenticates r, checks the audience, then the requirement of the
// request, answering refusals with the guard; it returns r with the claims
// in its context, or nil when it has answered.
func (g *Guard) admit(w http.ResponseWriter, r *http.Request) *http.Request {
	if r = g.g.Admit(w, r, nil); r == nil {
		return nil
	}
	c, _ := middleware.FromContext(r.Context())
	if !c.HasAudience(g.audiences) {
		g.g.WriteError(w, r, middleware.InvalidToken(middleware.ErrAudienceMismatch,
			errors.New("mcpguard: the token's audience is not this MCP server")))
		return nil
	}
	req, err := g.requirement(r)
	if err != nil {
		g.writeBodyError(w, r, err)
		return nil
	}
	if req == nil {
		return r
	}
	return g.g.Admit(w, r, req)
}
