package oauthtest

import (
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentUse hits every endpoint and method from several goroutines;
// run with -race.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256", Clients: []Client{{ID: "c", Secret: "s", Scopes: []string{"read"}}}})
	const workers, rounds = 8, 15
	var wg sync.WaitGroup
	errs := make(chan string, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				if msg := concurrentRound(t, s, w, i); msg != "" {
					errs <- msg
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	if got := s.Requests(EndpointIntrospection); got != workers*rounds {
		t.Errorf("Requests(EndpointIntrospection) = %d, want %d", got, workers*rounds)
	}
}

// concurrentRound does one round of mixed work and returns a failure, if any.
func concurrentRound(t *testing.T, s *Server, w, i int) string {
	switch i % 5 {
	case 0:
		s.RotateKey("")
	case 1:
		s.SetFault(EndpointJWKS, Fault{CacheControl: "max-age=1", Count: 1})
	case 2:
		s.ClearFault(EndpointJWKS)
	}
	jwt, opaque := s.Token(TokenOptions{}), s.OpaqueToken(TokenOptions{})
	if w%2 == 0 {
		s.Revoke(opaque)
	}
	r := postForm(t, s, s.IntrospectionURL(), basic("c", "s"), form("token", opaque))
	if active := r.object(t)["active"]; active != (w%2 == 1) {
		return "introspection of opaque token: active = " + r.string()
	}
	if s.Introspect(jwt)["active"] != true {
		return "Introspect(jwt) inactive"
	}
	if status, _, _ := get(t, s, s.JWKSURL()); status != http.StatusOK {
		return "JWKS not 200"
	}
	if r := postForm(t, s, s.TokenURL(), basic("c", "s"), form("grant_type", "client_credentials")); r.status != 200 {
		return "token endpoint: " + r.string()
	}
	_ = s.Requests(EndpointToken) + len(s.JWKS()) + len(s.Metadata())
	return ""
}
