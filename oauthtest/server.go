package oauthtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Defaults for [Config] and [TokenOptions] fields left zero.
const (
	DefaultAlgorithm     = "RS256"
	DefaultAudience      = "https://api.example.test"
	DefaultTokenLifetime = time.Hour
	// DefaultSubject is the "sub" of tokens minted without a subject, and of
	// authorization codes requested without a login_hint.
	DefaultSubject = "test-user"
	// DefaultClientID is the "client_id" of tokens minted without one.
	DefaultClientID = "test-client"
	// AuthCodeLifetime is how long an authorization code may be redeemed
	// (RFC 6749 §4.1.2 recommends at most ten minutes).
	AuthCodeLifetime = time.Minute
)

// DiscoveryMode selects which metadata documents a [Server] publishes.
type DiscoveryMode int

const (
	// DiscoveryBoth publishes OpenID Connect Discovery 1.0 and RFC 8414
	// metadata.
	DiscoveryBoth DiscoveryMode = iota
	// DiscoveryOIDCOnly publishes only issuer + "/.well-known/openid-configuration".
	DiscoveryOIDCOnly
	// DiscoveryRFC8414Only publishes only "/.well-known/oauth-authorization-server"
	// with the issuer's path appended (RFC 8414 §3.1).
	DiscoveryRFC8414Only
)

// Config holds the optional settings of a [Server]. The zero value (or a nil
// *Config) is a usable server.
type Config struct {
	// Algorithm is the JWS algorithm of the first signing key: RS256, RS384,
	// RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA (RFC 7518 §3.1,
	// RFC 8037). Default [DefaultAlgorithm] (RS256).
	Algorithm string
	// Audience is the "aud" of minted tokens that name none, and of the
	// token endpoint's tokens requested for no resource (RFC 8707). Default
	// [DefaultAudience].
	Audience string
	// TokenLifetime is the lifetime of minted tokens. Default
	// [DefaultTokenLifetime] (1h).
	TokenLifetime time.Duration
	// Path is the path of the issuer identifier, e.g. "/tenants/a", for
	// testing RFC 8414 §3.1 path insertion. A missing leading "/" is added; a
	// trailing "/" is kept in the issuer. Default "" (the issuer is the bare
	// server URL).
	Path string
	// DiscoveryMode selects the published metadata documents. Default
	// [DiscoveryBoth].
	DiscoveryMode DiscoveryMode
	// Clients are the registered clients (see [Client]). Default none: the
	// introspection and token endpoints then refuse every request.
	Clients []Client
	// Now returns the current time, for "iat", "exp", introspection and code
	// expiry. Default time.Now.
	Now func() time.Time
	// RequireDPoPNonce makes the token endpoint require a server nonce in
	// DPoP proofs (RFC 9449 §8): a proof without the current one (or the
	// one before [Server.RotateDPoPNonce]) gets 400 "use_dpop_nonce", and
	// every token endpoint answer carries the current nonce in a DPoP-Nonce
	// header. Default false: no nonce.
	RequireDPoPNonce bool
}

// Server is an OAuth 2.0 authorization server listening on 127.0.0.1, for
// tests. Start one with [NewServer] and stop it with [Server.Close].
type Server struct {
	// URL is the base URL of the server, "http://127.0.0.1:port", with no
	// trailing slash.
	URL string

	srv      *httptest.Server
	issuer   string // URL + Path
	base     string // issuer without a trailing "/": the prefix of the endpoints
	path     string // issuer path without a trailing "/"
	alg      string
	audience string
	lifetime time.Duration
	mode     DiscoveryMode
	now      func() time.Time
	done     chan struct{} // closed by Close: ends injected delays
	routes   map[string]route

	mu       sync.Mutex
	keys     keyRing
	clients  map[string]*Client
	tokens   tokenStore
	codes    map[string]*authCode
	usedJTIs map[string]time.Time // client assertion and DPoP proof "jti"s, until they expire
	nonces   *dpopNonces          // nil unless Config.RequireDPoPNonce
	faults   map[Endpoint]*Fault
	counts   map[Endpoint]int

	introspectionJWT IntrospectionJWTOverrides // RFC 9701 answers' overrides
	closed           bool
}

type route struct {
	endpoint Endpoint
	method   string
	handler  http.HandlerFunc
}

// NewServer starts a server on 127.0.0.1 with a freshly generated signing key.
// cfg may be nil. Like [httptest.NewServer] it panics if it cannot start, and
// it panics on an unsupported [Config.Algorithm].
func NewServer(cfg *Config) *Server {
	if cfg == nil {
		cfg = &Config{}
	}
	s := &Server{
		alg:      orDefault(cfg.Algorithm, DefaultAlgorithm),
		audience: orDefault(cfg.Audience, DefaultAudience),
		lifetime: cfg.TokenLifetime,
		mode:     cfg.DiscoveryMode,
		now:      cfg.Now,
		done:     make(chan struct{}),
		clients:  make(map[string]*Client),
		codes:    make(map[string]*authCode),
		usedJTIs: make(map[string]time.Time),
		faults:   make(map[Endpoint]*Fault),
		counts:   make(map[Endpoint]int),
	}
	if s.lifetime == 0 {
		s.lifetime = DefaultTokenLifetime
	}
	if cfg.RequireDPoPNonce {
		s.nonces = newDPoPNonces()
	}
	if s.now == nil {
		s.now = time.Now
	}
	k, err := newSigningKey(s.alg)
	if err != nil {
		panic(fmt.Sprintf("oauthtest: NewServer: %v", err))
	}
	s.keys.insert(k)
	for _, c := range cfg.Clients {
		s.AddClient(c)
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.setURLs(cfg.Path)
	s.routes = s.buildRoutes()
	s.srv.Start()
	return s
}

// setURLs derives the issuer and the endpoints' prefix from the listener's
// address and the issuer path.
func (s *Server) setURLs(path string) {
	s.URL = "http://" + s.srv.Listener.Addr().String()
	if path != "" && !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	s.issuer = s.URL + path
	s.base = strings.TrimSuffix(s.issuer, "/")
	s.path = strings.TrimSuffix(path, "/")
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Close shuts the server down, ending injected delays first, and blocks until
// all outstanding requests have completed.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
	s.srv.Close()
}

// Issuer returns the issuer identifier: [Server.URL] followed by
// [Config.Path]. It is the "iss" of minted tokens and the "issuer" of the
// metadata documents (RFC 8414 §2).
func (s *Server) Issuer() string { return s.issuer }

// JWKSURL returns the URL of the JWK Set document (RFC 7517 §5).
func (s *Server) JWKSURL() string { return s.base + "/jwks.json" }

// IntrospectionURL returns the URL of the RFC 7662 introspection endpoint.
func (s *Server) IntrospectionURL() string { return s.base + "/introspect" }

// TokenURL returns the URL of the token endpoint (RFC 6749 §3.2).
func (s *Server) TokenURL() string { return s.base + "/token" }

// AuthorizationURL returns the URL of the authorization endpoint
// (RFC 6749 §3.1).
func (s *Server) AuthorizationURL() string { return s.base + "/authorize" }

// OIDCDiscoveryURL returns the URL of the OpenID Connect Discovery 1.0
// document: the issuer followed by "/.well-known/openid-configuration".
func (s *Server) OIDCDiscoveryURL() string {
	return s.base + "/.well-known/openid-configuration"
}

// MetadataURL returns the URL of the RFC 8414 §3.1 metadata document, where
// "/.well-known/oauth-authorization-server" goes between the host and the
// issuer's path.
func (s *Server) MetadataURL() string {
	return s.URL + "/.well-known/oauth-authorization-server" + s.path
}

// Client returns an HTTP client configured for requests to the server, like
// [httptest.Server.Client]. The client is shared: copy it before changing
// its fields.
func (s *Server) Client() *http.Client { return s.srv.Client() }

func (s *Server) buildRoutes() map[string]route {
	r := map[string]route{
		pathOf(s.JWKSURL(), s.URL):          {EndpointJWKS, http.MethodGet, s.serveJWKS},
		pathOf(s.IntrospectionURL(), s.URL): {EndpointIntrospection, http.MethodPost, s.serveIntrospection},
		pathOf(s.TokenURL(), s.URL):         {EndpointToken, http.MethodPost, s.serveToken},
		pathOf(s.AuthorizationURL(), s.URL): {EndpointAuthorize, http.MethodGet, s.serveAuthorize},
	}
	if s.mode != DiscoveryRFC8414Only {
		r[pathOf(s.OIDCDiscoveryURL(), s.URL)] = route{EndpointDiscovery, http.MethodGet, s.serveMetadata}
	}
	if s.mode != DiscoveryOIDCOnly {
		r[pathOf(s.MetadataURL(), s.URL)] = route{EndpointDiscovery, http.MethodGet, s.serveMetadata}
	}
	return r
}

func pathOf(u, base string) string { return strings.TrimPrefix(u, base) }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.routes[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if !s.applyFault(w, r, rt.endpoint) {
		return
	}
	if r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead) {
		w.Header().Set("Allow", rt.method)
		http.Error(w, "oauthtest: method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rt.handler(w, r)
}

// AddClient registers a client, replacing any client with the same ID.
func (s *Server) AddClient(c Client) {
	c.Scopes = append([]string(nil), c.Scopes...)
	c.RedirectURIs = append([]string(nil), c.RedirectURIs...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[c.ID] = &c
}

func (s *Server) client(id string) *Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[id]
}
