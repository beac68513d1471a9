package mcpguard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// A per-tool requirement must be answered at the HTTP layer: once the SDK
// has the message, a refusal can only be a JSON-RPC error inside a 200, which
// no OAuth client reads as a request for more scopes. So the guard reads the
// body of a POST (bounded), finds the tools/call requests in it (one message,
// or a JSON-RPC batch of older protocol versions) and checks their tools'
// requirements before the SDK is called; the body is put back unchanged.
//
// The guard and the SDK must agree on which tool a message calls, so a
// message whose "method", "params" or "name" member is repeated, or present
// under another case ("Method"), is refused 400 rather than guessed at.

const methodCallTool = "tools/call"

// CodeInsufficientScope is the JSON-RPC error code of a tools/call refused by
// [Guard.ToolMiddleware], in the range JSON-RPC 2.0 §5.1 leaves to
// implementations (-32000 to -32099), clear of the codes the SDK uses
// (-32001 to -32005 for its connection, -32002 and -32020 to -32042 for MCP).
const CodeInsufficientScope = -32060

var (
	errBodyTooLarge = errors.New("mcpguard: request body too large")
	errAmbiguous    = errors.New("mcpguard: ambiguous JSON-RPC message (repeated or case-variant member)")
)

// requirement returns what r needs: the base requirement, and for a POST
// calling tools with requirements of their own, all of them.
func (g *Guard) requirement(r *http.Request) (scopes.Requirement, error) {
	if len(g.tools) == 0 || r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
		return g.base, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, g.maxBody+1))
	if int64(len(body)) > g.maxBody {
		return nil, errBodyTooLarge
	}
	orig := r.Body
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), orig), orig} // on a read error, the SDK meets it too
	if err != nil {
		return g.base, nil
	}
	names, err := CalledTools(body)
	if err != nil {
		return nil, err
	}
	var reqs []scopes.Requirement
	for _, name := range names {
		if req, ok := g.tools[name]; ok {
			reqs = append(reqs, req)
		}
	}
	switch len(reqs) {
	case 0:
		return g.base, nil
	case 1:
		return reqs[0], nil
	}
	return scopes.All(reqs...), nil
}

// writeBodyError answers a body the guard would not read: 413, or 400 for an
// ambiguous message. They are not about the token, so they carry no
// challenge, like the SDK's own answers to such bodies.
func (g *Guard) writeBodyError(w http.ResponseWriter, _ *http.Request, err error) {
	w.Header().Set("Cache-Control", "no-store")
	if errors.Is(err, errBodyTooLarge) {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	http.Error(w, err.Error(), http.StatusBadRequest)
}

// CalledTools returns the names of the tools that the JSON-RPC message body
// calls (method "tools/call", RFC-less MCP §"Calling Tools"), in order; body
// is one message or a batch (an array). It returns nil for a body that is
// not JSON, or calls no tool: the SDK refuses or serves it without tools. It
// returns an error for a message whose "method", "params" or (in params)
// "name" member is repeated or spelled in another case, which JSON decoders
// resolve differently.
func CalledTools(body []byte) ([]string, error) {
	if !bytes.Contains(body, []byte(methodCallTool)) && bytes.IndexByte(body, '\\') < 0 {
		return nil, nil // "tools/call" can only be spelled with escapes, and there are none
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var batch []json.RawMessage
		if json.Unmarshal(trimmed, &batch) != nil {
			return nil, nil
		}
		var names []string
		for _, m := range batch {
			name, err := calledTool(m)
			if err != nil {
				return nil, err
			}
			if name != nil {
				names = append(names, *name)
			}
		}
		return names, nil
	}
	name, err := calledTool(trimmed)
	if err != nil || name == nil {
		return nil, err
	}
	return []string{*name}, nil
}

// calledTool returns the tool a single message calls, or nil.
func calledTool(msg []byte) (*string, error) {
	m, err := members(msg, "method", "params")
	if err != nil || m == nil {
		return nil, err
	}
	var method string
	if json.Unmarshal(m["method"], &method) != nil || method != methodCallTool {
		return nil, nil
	}
	p, err := members(m["params"], "name")
	if err != nil {
		return nil, err
	}
	var name string // no name: a call of "", as the SDK decodes it
	if raw, ok := p["name"]; ok && json.Unmarshal(raw, &name) != nil {
		return nil, nil
	}
	return &name, nil
}

// members returns the values of the named members of the JSON object obj,
// or nil if obj is not a JSON object. A named member that is repeated, or
// present under another case, is errAmbiguous.
func members(obj []byte, names ...string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil
	}
	out := make(map[string]json.RawMessage, len(names))
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil
		}
		key, _ := t.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, nil
		}
		for _, n := range names {
			if !strings.EqualFold(key, n) {
				continue
			}
			if _, dup := out[n]; dup || key != n {
				return nil, errAmbiguous
			}
			out[n] = val
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil
	}
	return out, nil
}

// ToolMiddleware returns SDK receiving middleware that checks the tool
// requirements of [Config.Tools] again inside the server, against the claims
// of the request ([Claims]): a tools/call whose token lacks the tool's scopes
// fails with a JSON-RPC error, whatever reached the SDK. [Guard.Protect]
// already answers such calls 403 at the HTTP layer; this is defence in depth
// for a server also reachable by another path (a second handler, a test
// transport). Install it with server.AddReceivingMiddleware.
func (g *Guard) ToolMiddleware() mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if method == methodCallTool {
				if err := g.checkTool(req); err != nil {
					return nil, err
				}
			}
			return next(ctx, method, req)
		}
	}
}

// checkTool checks a tools/call request against its tool's requirement.
func (g *Guard) checkTool(req mcp.Request) error {
	p, ok := req.GetParams().(*mcp.CallToolParamsRaw)
	if !ok {
		return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "mcpguard: unexpected tools/call parameters"}
	}
	need, ok := g.tools[p.Name]
	if !ok {
		need = g.base
	}
	if need == nil {
		return nil
	}
	c, _ := Claims(req)
	err := g.g.Validator().Check(c, need)
	if err == nil {
		return nil
	}
	// The core decides, so that requirements beyond scopes (roles, step-up)
	// work on tools as on routes; the message names what would satisfy it.
	e := middleware.AsError(err)
	msg := "mcpguard: insufficient_scope: tool " + p.Name + " needs " + e.Scope
	switch e.Reason {
	case middleware.ErrInsufficientScope:
	case middleware.ErrMissingToken: // no claims: what the tool needs of none
		msg += strings.Join(need.Satisfying(scopes.Set{}), " ")
	default:
		msg = "mcpguard: " + e.Code() + ": tool " + p.Name + ": " + middleware.SafeDescription(e)
		if acr, maxAge := middleware.StepUpAttributes(e); acr != "" || maxAge != "" {
			msg += ` (acr_values="` + acr + `" max_age="` + maxAge + `")`
		}
	}
	return &jsonrpc.Error{Code: CodeInsufficientScope, Message: msg}
}
