package presets_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/presets"
)

// TestEntraIDMultiTenant: the multi-tenant preset accepts the Entra ID
// fixture's token for an allowed tenant, with that tenant's keys, fetched
// from its own key set URL (whose keys name the template issuer, as Entra
// ID's do); another tenant's token causes no fetch.
func TestEntraIDMultiTenant(t *testing.T) {
	f := loadFixtures(t)["entraid-v2"]
	tenant := f.Claims["tid"].(string)
	var fetched atomic.Int32
	pub := signingKey(t).PublicKey
	jwks, _ := json.Marshal(map[string]any{"keys": []any{map[string]any{
		"kty": "RSA", "use": "sig", "kid": f.Header["kid"], "n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
		"issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
	}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		if r.URL.Path != "/"+tenant+"/discovery/v2.0/keys" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	defer srv.Close()

	iss := presets.EntraIDMultiTenant(f.Args[1], middleware.Tenants{Allowed: []string{tenant}})
	if iss.Tenants.Claim != "tid" || !strings.HasPrefix(iss.Tenants.JWKSURL, "https://login.microsoftonline.com/") {
		t.Fatalf("preset Tenants = %+v, want Claim tid and Entra ID's key set URL", iss.Tenants)
	}
	iss.Tenants.JWKSURL = srv.URL + "/{tenantid}/discovery/v2.0/keys"
	v, err := middleware.NewValidator(iss, &middleware.Config{Now: func() time.Time { return time.Unix(f.Now, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Validate(context.Background(), f.token(t, nil, nil)); err != nil {
		t.Fatalf("Validate(allowed tenant) = %v", err)
	}
	other := "00000000-0000-0000-0000-000000000001"
	_, err = v.Validate(context.Background(), f.token(t, map[string]any{
		"iss": "https://login.microsoftonline.com/" + other + "/v2.0", "tid": other}, nil))
	if !errors.Is(err, middleware.ErrIssuerMismatch) {
		t.Errorf("Validate(tenant outside the list) = %v, want ErrIssuerMismatch", err)
	}
	if n := fetched.Load(); n != 1 {
		t.Errorf("%d key set fetches, want 1 (the allowed tenant's)", n)
	}
}
