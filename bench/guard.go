package bench

import (
	"net/http"

	"github.com/rsguard/rsguard/middleware"
)

// rsguardHandler protects next with rsguard's net/http guard in its default
// configuration (token in the Authorization header only).
func rsguardHandler(v *middleware.Validator, next http.Handler) (http.Handler, error) {
	g, err := middleware.NewGuard(v, nil)
	if err != nil {
		return nil, err
	}
	return g.Protect(next), nil
}
