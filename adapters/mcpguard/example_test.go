package mcpguard_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rsguard/rsguard/adapters/mcpguard"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// An MCP server whose tools need orders:read, and cancel_order also
// orders:write; the metadata document goes at its well-known path.
func ExampleNew() {
	as := oauthtest.NewServer(nil) // your authorization server
	defer as.Close()
	keys, err := jwks.NewRemote(context.Background(), as.Issuer(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer keys.Close()
	const resource = "https://mcp.example.com/mcp" // the endpoint, as clients address it
	v, err := middleware.NewValidator(middleware.Issuer{URL: as.Issuer(), Audiences: []string{resource}, Keys: keys}, nil)
	if err != nil {
		log.Fatal(err)
	}
	g, err := mcpguard.New(v, resource, &mcpguard.Config{
		Requirement: scopes.AllOf("orders:read"),
		Tools:       map[string]scopes.Requirement{"cancel_order": scopes.AllOf("orders:write")},
	})
	if err != nil {
		log.Fatal(err)
	}
	server := mcp.NewServer(&mcp.Implementation{Name: "orders", Version: "1.0.0"}, nil)
	server.AddReceivingMiddleware(g.ToolMiddleware())
	// mcp.AddTool(server, …): handlers read mcpguard.Claims(req).

	mux := http.NewServeMux()
	mux.Handle(g.MetadataPath(), g.MetadataHandler())
	mux.Handle("/mcp", g.Protect(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)))
	fmt.Println(g.MetadataPath())
	fmt.Println(g.MetadataURL())
	// Output:
	// /.well-known/oauth-protected-resource/mcp
	// https://mcp.example.com/.well-known/oauth-protected-resource/mcp
}
