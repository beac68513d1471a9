package middleware

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/rsguard/rsguard/middleware/jwks"
)

// NewIssuerValidator is the one-call constructor for the common case: a
// validator for one issuer whose signing keys it discovers (OpenID Connect
// Discovery, else RFC 8414 §3, "jwks_uri"), fetches before returning,
// refreshes in the background and owns — [Validator.Close] closes them. The
// issuer is given once, in iss.URL, with its Audiences and any other
// [Issuer] setting; iss.Keys must be nil. cfg.RemoteKeys, when set, tunes
// the key source ([jwks.Config]: HTTP client, refresh intervals, a
// JWKS URL that skips discovery). cfg may be nil.
//
//	v, err := middleware.NewIssuerValidator(ctx, middleware.Issuer{
//		URL:       "https://auth.example.com/",
//		Audiences: []string{"https://api.example.com"},
//	}, nil)
//	if err != nil {
//		log.Fatal(err) // discovery or the first JWKS fetch failed
//	}
//	defer v.Close()
func NewIssuerValidator(ctx context.Context, iss Issuer, cfg *Config) (*Validator, error) {
	if iss.Keys != nil {
		return nil, errors.New("middleware: NewIssuerValidator finds the keys itself: Issuer.Keys must be nil")
	}
	if iss.URL == "" {
		return nil, errors.New("middleware: issuer URL is empty")
	}
	var rkc jwks.Config
	if cfg != nil {
		rkc = cfg.Hooks.remoteConfig(cfg.RemoteKeys)
	}
	rk, err := jwks.NewRemote(ctx, iss.URL, &rkc)
	if err != nil {
		return nil, fmt.Errorf("middleware: issuer %q: %w", iss.URL, err)
	}
	iss.Keys = rk
	v, err := NewValidator(iss, cfg)
	if err != nil {
		rk.Close()
		return nil, err
	}
	v.owned = append(v.owned, rk)
	return v, nil
}

// owner holds what a validator owns and closes.
type owner struct {
	owned     []io.Closer
	closeOnce sync.Once
	closeErr  error
}

// Close stops what the validator owns: the key sources that
// [NewIssuerValidator] made and those of the tenants of an issuer template
// ([Issuer.Tenants]) — their background refreshes. Key sources and
// introspectors given in an [Issuer] belong to the caller, who closes them.
// After Close, tokens that need a key the validator no longer fetches are
// answered ErrUnavailable. Close is idempotent and safe for concurrent use;
// it returns once every goroutine it stops has ended.
func (v *Validator) Close() error {
	v.closeOnce.Do(func() {
		var errs []error
		for _, c := range v.owned {
			errs = append(errs, c.Close())
		}
		v.closeErr = errors.Join(errs...)
	})
	return v.closeErr
}
