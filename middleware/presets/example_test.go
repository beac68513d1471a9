package presets_test

import (
	"fmt"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/presets"
)

// A Cognito user pool's access tokens: no "aud", so the app client in
// "client_id" is checked instead, and "token_use" must be "access". Give the
// Issuer to middleware.NewIssuerValidator, which discovers the pool's keys.
func ExampleCognito() {
	iss := presets.Cognito("eu-west-1", "eu-west-1_AbCdEf123", "7d8fe2hkp1k8e3v2jcm0example")
	fmt.Println(iss.URL)
	fmt.Println(iss.AudienceClaim, iss.Audiences, iss.Types)
	// Output:
	// https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123
	// client_id [7d8fe2hkp1k8e3v2jcm0example] []
}

// An Entra ID API that accepts v2.0 tokens of its own tenant; only a known
// client may call it.
func ExampleEntraID() {
	iss := presets.EntraID("72f988bf-86f1-41af-91ab-2d7cd011db47", "6e74172b-be56-4843-9ff4-e66a39bb12e3")
	iss.Validators = append(iss.Validators, presets.RequireClient("75dbe77f-10a3-4e59-85fd-8c127544f17c"))
	fmt.Println(iss.URL, iss.Types, iss.ScopeClaim)
	// Output:
	// https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0 [JWT] scp
}

// A multi-tenant Entra ID API: tokens of the listed tenants, each verified
// with its own tenant's keys.
func ExampleEntraIDMultiTenant() {
	iss := presets.EntraIDMultiTenant("6e74172b-be56-4843-9ff4-e66a39bb12e3", middleware.Tenants{
		Allowed:    []string{"72f988bf-86f1-41af-91ab-2d7cd011db47", "f8cdef31-a31e-4b4a-93e4-5f571e91255a"},
		MaxTenants: 50,
	})
	v, err := middleware.NewValidator(iss, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()
	fmt.Println(iss.URL)
	fmt.Println(iss.Tenants.JWKSURL)
	// Output:
	// https://login.microsoftonline.com/{tenantid}/v2.0
	// https://login.microsoftonline.com/{tenantid}/discovery/v2.0/keys
}

// A Keycloak realm whose client has an Audience mapper naming the API.
func ExampleKeycloak() {
	iss := presets.Keycloak("https://keycloak.example.com/", "shop", "orders-api")
	fmt.Println(iss.URL, iss.Audiences)
	// Output:
	// https://keycloak.example.com/realms/shop [orders-api]
}
