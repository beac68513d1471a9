package introspection_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// jwtIntrospector returns an introspector of as asking for RFC 9701
// answers verified with keys.
func jwtIntrospector(t *testing.T, as *oauthtest.Server, keys jwks.Source, allowJSON bool, url string) *introspection.Introspector {
	t.Helper()
	as.AddClient(oauthtest.Client{ID: "rs", Secret: "rs-secret"})
	if url == "" {
		url = as.IntrospectionURL()
	}
	in, err := introspection.New(url, introspection.ClientSecretBasic("rs", "rs-secret"), &introspection.Config{
		CacheSize: -1,
		JWTResponse: &introspection.JWTResponse{
			Keys: keys, Issuer: as.Issuer(), ClientID: "rs", AllowJSON: allowJSON,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func staticKeys(t *testing.T, as *oauthtest.Server) jwks.Source {
	t.Helper()
	k, err := jwks.ParseStatic(as.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestJWTResponse introspects through oauthtest's RFC 9701 answers and
// refuses each defect of §5 as undecided (ErrUnavailable).
func TestJWTResponse(t *testing.T) {
	as := oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256"})
	defer as.Close()
	other := oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256"})
	defer other.Close()
	in := jwtIntrospector(t, as, staticKeys(t, as), false, "")
	tok := as.OpaqueToken(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"read"}})

	c, err := in.Introspect(context.Background(), tok)
	if err != nil || c.Subject != "alice" || !c.Scopes.Has("read") {
		t.Fatalf("Introspect = %+v, %v; want alice with read", c, err)
	}
	as.Revoke(tok)
	if _, err := in.Introspect(context.Background(), tok); !errors.Is(err, middleware.ErrInactive) {
		t.Errorf("revoked token: %v, want inactive", err)
	}
	tok = as.OpaqueToken(oauthtest.TokenOptions{Subject: "alice"})
	for name, o := range map[string]oauthtest.IntrospectionJWTOverrides{
		"typ JWT":                      {Header: map[string]any{"typ": "JWT"}},
		"no typ":                       {Header: map[string]any{"typ": nil}},
		"alg none":                     {Header: map[string]any{"alg": "none"}},
		"another issuer":               {Claims: map[string]any{"iss": other.Issuer()}},
		"another audience":             {Claims: map[string]any{"aud": "someone-else"}},
		"no iat":                       {Claims: map[string]any{"iat": nil}},
		"no token_introspection":       {Claims: map[string]any{"token_introspection": nil}},
		"token_introspection a string": {Claims: map[string]any{"token_introspection": "active"}},
	} {
		t.Run(name, func(t *testing.T) {
			as.SetIntrospectionJWT(o)
			defer as.SetIntrospectionJWT(oauthtest.IntrospectionJWTOverrides{})
			_, err := in.Introspect(context.Background(), tok)
			if !errors.Is(err, middleware.ErrUnavailable) || !errors.Is(err, introspection.ErrJWTResponse) {
				t.Errorf("Introspect = %v, want unavailable (ErrJWTResponse)", err)
			}
		})
	}
	t.Run("signed by another server's key", func(t *testing.T) {
		in := jwtIntrospector(t, as, staticKeys(t, other), false, "")
		if _, err := in.Introspect(context.Background(), tok); !errors.Is(err, introspection.ErrJWTResponse) {
			t.Errorf("Introspect = %v, want ErrJWTResponse", err)
		}
	})
}

// TestJWTResponseJSON refuses a plain JSON answer unless AllowJSON.
func TestJWTResponseJSON(t *testing.T) {
	as := oauthtest.NewServer(nil)
	defer as.Close()
	var accept string
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accept = r.Header.Get("Accept")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"active":true,"sub":"bob"}`))
	}))
	defer plain.Close()
	_, err := jwtIntrospector(t, as, staticKeys(t, as), false, plain.URL).Introspect(context.Background(), "opaque")
	if !errors.Is(err, introspection.ErrJWTResponse) || accept != introspection.ContentTypeJWT {
		t.Errorf("required JWT, JSON answer: %v (Accept %q)", err, accept)
	}
	c, err := jwtIntrospector(t, as, staticKeys(t, as), true, plain.URL).Introspect(context.Background(), "opaque")
	if err != nil || c.Subject != "bob" || accept != "application/token-introspection+jwt, application/json;q=0.5" {
		t.Errorf("AllowJSON: %+v, %v (Accept %q)", c, err, accept)
	}
}

// TestJWTResponseConfig refuses an incomplete JWTResponse.
func TestJWTResponseConfig(t *testing.T) {
	auth := introspection.ClientSecretBasic("rs", "s")
	for name, r := range map[string]*introspection.JWTResponse{
		"no keys":      {Issuer: "https://as", ClientID: "rs"},
		"no issuer":    {Keys: &jwks.Static{}, ClientID: "rs"},
		"no client id": {Keys: &jwks.Static{}, Issuer: "https://as"},
	} {
		if _, err := introspection.New("https://as.example/introspect", auth, &introspection.Config{JWTResponse: r}); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}
