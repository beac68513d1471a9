// Command example serves an MCP server (the official Go SDK's streamable
// HTTP transport) protected by rsguard: a token for this server's canonical
// URI on every request, scopes per tool, and the RFC 9728 metadata that MCP
// clients use to find the authorization server.
//
// Against your authorization server:
//
//	go run . -issuer https://as.example.com -resource https://mcp.example.com/mcp
//
// Without -issuer it starts an in-process test authorization server
// (oauthtest) and prints a token to try:
//
//	go run .
//	curl -i http://127.0.0.1:8080/mcp                                    # 401, resource_metadata=…
//	curl -i http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp
//	curl -i -H "Authorization: Bearer $TOKEN" -H "Accept: application/json, text/event-stream" \
//	  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}' \
//	  http://127.0.0.1:8080/mcp
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rsguard/rsguard/adapters/mcpguard"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

func main() {
	issuer := flag.String("issuer", "", "issuer URL (default: an in-process test authorization server)")
	resource := flag.String("resource", "http://127.0.0.1:8080/mcp", "the canonical URI of this MCP server, as clients address it")
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *issuer == "" {
		as := oauthtest.NewServer(&oauthtest.Config{Audience: *resource})
		defer as.Close()
		*issuer = as.Issuer()
		fmt.Println("TOKEN=" + as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"orders:read"}}))
	}
	keys, err := jwks.NewRemote(ctx, *issuer, nil) // discovers jwks_uri
	if err != nil {
		log.Fatal(err)
	}
	defer keys.Close()
	h, err := newHandler(*issuer, *resource, keys)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	log.Printf("MCP endpoint %s", *resource)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// newHandler builds the protected MCP server: a validator for the issuer
// accepting this server's canonical URI as audience, the guard with a
// requirement per tool, the metadata document at its well-known path, and
// the SDK's streamable HTTP handler behind the guard.
func newHandler(issuer, resource string, keys jwks.Source) (http.Handler, error) {
	v, err := middleware.NewValidator(middleware.Issuer{URL: issuer, Audiences: []string{resource}, Keys: keys},
		&middleware.Config{Hooks: middleware.SlogHooks(slog.Default())})
	if err != nil {
		return nil, err
	}
	g, err := mcpguard.New(v, resource, &mcpguard.Config{
		Requirement: scopes.AllOf("orders:read"),                                                 // every request
		Tools:       map[string]scopes.Requirement{"cancel_order": scopes.AllOf("orders:write")}, // and this tool
		Metadata: &middleware.ResourceMetadata{
			ResourceName: "Orders", ScopesSupported: []string{"orders:read", "orders:write"},
		},
	})
	if err != nil {
		return nil, err
	}
	server := newServer(g)
	mux := http.NewServeMux()
	mux.Handle(g.MetadataPath(), g.MetadataHandler())
	mux.Handle("/mcp", g.Protect(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)))
	return mux, nil
}

type orderArgs struct {
	ID string `json:"id" jsonschema:"the order to cancel"`
}

type orders struct {
	Owner  string   `json:"owner"`
	Orders []string `json:"orders"`
}

// newServer is the MCP server: its tools read the caller from the verified
// claims.
func newServer(g *mcpguard.Guard) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "orders", Version: "1.0.0"}, nil)
	s.AddReceivingMiddleware(g.ToolMiddleware()) // the tool scopes, checked again inside the SDK
	mcp.AddTool(s, &mcp.Tool{Name: "list_orders", Description: "List the caller's orders"},
		func(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, orders, error) {
			claims, _ := mcpguard.Claims(req)
			return nil, orders{Owner: claims.Subject, Orders: []string{"7", "42"}}, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "cancel_order", Description: "Cancel an order (needs orders:write)"},
		func(_ context.Context, req *mcp.CallToolRequest, in orderArgs) (*mcp.CallToolResult, orders, error) {
			claims, _ := mcpguard.Claims(req)
			left := slices.DeleteFunc([]string{"7", "42"}, func(id string) bool { return id == in.ID })
			return nil, orders{Owner: claims.Subject, Orders: left}, nil
		})
	return s
}
