package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
)

// TestErrorHeadersMatchWriteError checks that Guard.ErrorHeaders, which
// front doors with a framing of their own (Connect) use, sets exactly the
// headers Guard.WriteError writes, with the same status, for every refusal
// of the shared table (DPoP challenges and nonces included), and that
// AdmittedHeaders sets the DPoP-Nonce of an admitted request as the guard's
// handlers do.
func TestErrorHeadersMatchWriteError(t *testing.T) {
	f := guardtest.New(t)
	g, err := middleware.NewGuard(f.Validator, guardtest.MetadataConfig())
	if err != nil {
		t.Fatal(err)
	}
	const url = "http://127.0.0.1:8080/orders"
	for _, c := range f.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			r := c.Request(t, url)
			cred := middleware.Credentials{Authorization: r.Header["Authorization"]}
			if err := g.RequestCredentials(r, &cred); err != nil {
				t.Fatal(err)
			}
			_, err := f.Validator.Admit(t.Context(), &cred, guardtest.Requirement)
			c.CheckErr(t, err)
			h := http.Header{}
			if err == nil {
				g.AdmittedHeaders(h, r.Header)
				if got := h.Get("DPoP-Nonce"); got != c.Nonce {
					t.Errorf("AdmittedHeaders: DPoP-Nonce = %q, want %q", got, c.Nonce)
				}
				return
			}
			status := g.ErrorHeaders(h, r.Header, err)
			w := httptest.NewRecorder()
			g.WriteError(w, r, err)
			if status != w.Code || status != c.Status || !reflect.DeepEqual(h, w.Header()) {
				t.Errorf("ErrorHeaders = %d %v, WriteError = %d %v; want both %d", status, h, w.Code, w.Header(), c.Status)
			}
		})
	}
}
