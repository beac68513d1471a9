package scopes_test

import (
	"fmt"

	"github.com/rsguard/rsguard/scopes"
)

func ExampleAll() {
	// orders:read, and either admin or orders:write.
	req := scopes.All(scopes.AllOf("orders:read"), scopes.AnyOf("admin", "orders:write"))

	granted, _ := scopes.Parse("openid orders:read")
	fmt.Println(req.Satisfied(granted))
	// What the client should ask for (the "scope" of an RFC 6750 challenge).
	fmt.Println(req.Satisfying(granted))

	granted, _ = scopes.Parse("orders:read orders:write")
	fmt.Println(req.Satisfied(granted))
	// Output:
	// false
	// [orders:read admin]
	// true
}

func ExampleAny() {
	// Either both admin scopes, or both order scopes.
	req := scopes.Any(scopes.AllOf("admin", "audit"), scopes.AllOf("orders:read", "orders:write"))

	granted, _ := scopes.Parse("orders:read")
	// The alternative with the fewest missing scopes is suggested: ties go
	// to the first declared.
	fmt.Println(req.Satisfying(granted))
	fmt.Println(req.Satisfying(scopes.Set{}))
	// Output:
	// [orders:read orders:write]
	// [admin audit]
}

func ExampleNewAllOf() {
	// Scope names from configuration: get an error instead of a panic.
	_, err := scopes.NewAllOf("orders:read", "bad scope")
	fmt.Println(err)
	// Output:
	// scopes: invalid scope syntax: "bad scope"
}

func ExampleParse() {
	s, err := scopes.Parse("openid profile openid")
	fmt.Println(s.List(), s.Has("profile"), s.Has("Profile"), err)
	_, err = scopes.Parse("openid  profile")
	fmt.Println(err)
	// Output:
	// [openid profile] true false <nil>
	// scopes: invalid scope syntax
}

func ExampleParseFields() {
	// A scope claim padded by its authorization server.
	s, err := scopes.ParseFields(" openid  profile ")
	fmt.Println(s.List(), err)
	_, err = scopes.ParseFields("openid\tprofile")
	fmt.Println(err)
	// Output:
	// [openid profile] <nil>
	// scopes: invalid scope syntax
}
