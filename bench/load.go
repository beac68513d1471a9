package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
)

// Server names, in table order: the unprotected handler is the baseline.
const (
	Unprotected = "unprotected"
	RSGuard     = "rsguard"
	Auth0       = "auth0"
)

// ServerNames lists the servers of [StartServers] in table order.
var ServerNames = []string{Unprotected, RSGuard, Auth0}

// hello is the protected handler: it answers a short body, like a small API.
var hello = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "hello\n")
})

// Handlers returns the three handlers of the HTTP figure by server name: the
// same small handler unprotected, behind rsguard's guard (verified-token
// cache on, the default) and behind auth0's CheckJWT (caching JWKS provider,
// fetched from jwksURL, see [ServeJWKS]).
func Handlers(f *Fixture, alg, jwksURL string) (map[string]http.Handler, error) {
	v, err := NewRSGuard(f, 0)
	if err != nil {
		return nil, err
	}
	guarded, err := rsguardHandler(v, hello)
	if err != nil {
		return nil, err
	}
	a, err := NewAuth0(f, alg, jwksURL)
	if err != nil {
		return nil, err
	}
	return map[string]http.Handler{
		Unprotected: hello,
		RSGuard:     guarded,
		Auth0:       jwtmiddleware.New(a.ValidateToken).CheckJWT(hello),
	}, nil
}

// Servers are the three loopback servers of the HTTP load figure, serving
// [Handlers].
type Servers struct {
	URLs map[string]string // server name → base URL on 127.0.0.1
	all  []*httptest.Server
}

// StartServers starts the three servers for alg's token, and a fourth one
// publishing the JWK Set for auth0.
func StartServers(f *Fixture, alg string) (*Servers, error) {
	s := &Servers{URLs: make(map[string]string)}
	jwksSrv := ServeJWKS(f)
	s.all = append(s.all, jwksSrv)
	hs, err := Handlers(f, alg, jwksSrv.URL+"/jwks")
	if err != nil {
		s.Close()
		return nil, err
	}
	for _, name := range ServerNames {
		srv := httptest.NewServer(hs[name])
		s.all = append(s.all, srv)
		s.URLs[name] = srv.URL
	}
	return s, nil
}

// Close stops every server.
func (s *Servers) Close() {
	for _, srv := range s.all {
		srv.Close()
	}
}

// LoadConfig bounds one load run. The zero value is a short run.
type LoadConfig struct {
	// Clients is the number of concurrent keep-alive connections. Default 8.
	Clients int
	// Duration bounds the run in time. Default 2s.
	Duration time.Duration
	// MaxRequests bounds the run in count. Default 1,000,000.
	MaxRequests int
}

// LoadResult is the outcome of one load run.
type LoadResult struct {
	Requests int           // answered with 200
	Elapsed  time.Duration // wall time of the run
	// CPU is the process CPU time of the run — load generator and server
	// together, both in this process — or 0 where unavailable.
	CPU time.Duration
}

// RPS returns requests per second.
func (r LoadResult) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Load sends GET requests carrying token as a bearer token (RFC 6750 §2.1)
// to url from cfg.Clients concurrent keep-alive connections until
// cfg.Duration has passed or cfg.MaxRequests were sent. Any answer other than
// 200 stops the run with an error.
func Load(ctx context.Context, url, token string, cfg LoadConfig) (LoadResult, error) {
	cfg = cfg.withDefaults()
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.Clients, MaxConnsPerHost: cfg.Clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var sent, done atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	cpu0, _ := CPUTime()
	start := time.Now()
	for range cfg.Clients {
		wg.Go(func() {
			for ctx.Err() == nil && sent.Add(1) <= int64(cfg.MaxRequests) {
				if err := get(ctx, client, url, token); err != nil {
					if ctx.Err() == nil {
						once.Do(func() { firstErr = err; cancel() })
					}
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	res := LoadResult{Requests: int(done.Load()), Elapsed: time.Since(start)}
	if cpu1, ok := CPUTime(); ok {
		res.CPU = cpu1 - cpu0
	}
	return res, firstErr
}

func (cfg LoadConfig) withDefaults() LoadConfig {
	if cfg.Clients <= 0 {
		cfg.Clients = 8
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 2 * time.Second
	}
	if cfg.MaxRequests <= 0 {
		cfg.MaxRequests = 1_000_000
	}
	return cfg
}

var errStatus = errors.New("bench: unexpected status")

func get(ctx context.Context, client *http.Client, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w %d from %s", errStatus, resp.StatusCode, url)
	}
	return nil
}

// Median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
