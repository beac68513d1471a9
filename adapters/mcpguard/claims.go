package mcpguard

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rsguard/rsguard/middleware"
)

// claimsKey is the key of the verified claims in [auth.TokenInfo.Extra].
const claimsKey = "github.com/rsguard/rsguard/middleware.Claims"

// neverStale is the ClockSkew given to the SDK's own expiry check: rsguard
// has checked "exp" with the validator's clock and leeway, and its verdict
// stands, so the SDK's check (time.Now, no leeway) never overrules it.
const neverStale = 100 * 365 * 24 * time.Hour

// errNoClaims is what tokenInfo returns when Protect's admission did not run:
// the SDK then answers 401, never serving an unauthenticated request.
var errNoClaims = errors.New("mcpguard: request not admitted by the guard")

// tokenInfo is the SDK's [auth.TokenVerifier], behind [Guard.Protect]: it
// verifies nothing itself, but converts the claims the guard verified and put
// in the request context into the SDK's token information.
func tokenInfo(_ context.Context, _ string, r *http.Request) (*auth.TokenInfo, error) {
	c, ok := middleware.FromContext(r.Context())
	if !ok {
		return nil, errors.Join(auth.ErrInvalidToken, errNoClaims)
	}
	return TokenInfo(c), nil
}

// TokenInfo converts verified claims into the SDK's [auth.TokenInfo]: the
// scopes, "exp", a UserID of issuer and subject (the SDK binds each session
// to it, so another user's token cannot continue the session), and the
// claims themselves in Extra, where [ClaimsFromTokenInfo] finds them.
func TokenInfo(c *middleware.Claims) *auth.TokenInfo {
	return &auth.TokenInfo{
		Scopes:     c.Scopes.List(),
		Expiration: c.ExpiresAt,
		UserID:     c.Issuer + " " + c.Subject,
		Extra:      map[string]any{claimsKey: c},
	}
}

// ClaimsFromTokenInfo returns the verified claims of a [TokenInfo] made by
// this package, and whether there were any.
func ClaimsFromTokenInfo(ti *auth.TokenInfo) (*middleware.Claims, bool) {
	if ti == nil {
		return nil, false
	}
	c, ok := ti.Extra[claimsKey].(*middleware.Claims)
	return c, ok && c != nil
}

// Claims returns the verified claims of the token that carried an MCP
// request, for tool, prompt and resource handlers:
//
//	func(ctx context.Context, req *mcp.CallToolRequest, in Input) (*mcp.CallToolResult, Output, error) {
//		claims, ok := mcpguard.Claims(req)
//		…
//
// It reports false for a request that did not come through [Guard.Protect].
func Claims(req mcp.Request) (*middleware.Claims, bool) {
	if req == nil {
		return nil, false
	}
	extra := req.GetExtra()
	if extra == nil {
		return nil, false
	}
	return ClaimsFromTokenInfo(extra.TokenInfo)
}
