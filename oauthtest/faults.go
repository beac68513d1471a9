package oauthtest

import (
	"net/http"
	"time"
)

// Endpoint names one of the server's endpoints, for [Server.SetFault] and
// [Server.Requests].
type Endpoint string

// The server's endpoints.
const (
	// EndpointDiscovery is both metadata documents (OpenID Connect Discovery
	// 1.0 §4, RFC 8414 §3).
	EndpointDiscovery Endpoint = "discovery"
	// EndpointJWKS is the JWK Set document (RFC 7517 §5).
	EndpointJWKS Endpoint = "jwks"
	// EndpointIntrospection is the introspection endpoint (RFC 7662 §2).
	EndpointIntrospection Endpoint = "introspection"
	// EndpointToken is the token endpoint (RFC 6749 §3.2).
	EndpointToken Endpoint = "token"
	// EndpointAuthorize is the authorization endpoint (RFC 6749 §3.1).
	EndpointAuthorize Endpoint = "authorize"
)

// Fault describes a misbehaviour injected into an endpoint with
// [Server.SetFault]. Fields combine: a Delay then a Status, for example.
type Fault struct {
	// Status, when set, answers with this HTTP status instead of the normal
	// answer (with Body if set, else a short text).
	Status int
	// Delay waits this long before answering. The wait ends early, with the
	// connection dropped and no answer, when the request's context ends or
	// the server closes.
	Delay time.Duration
	// Body, when not nil, answers with this body (Content-Type
	// application/json, whatever it holds) instead of the normal answer, with
	// status 200 unless Status is set.
	Body []byte
	// CacheControl, when set, is the Cache-Control header of the normal
	// answer (RFC 9111 §5.2), replacing the endpoint's own.
	CacheControl string
	// Count limits the fault to the next Count requests to the endpoint;
	// 0 applies it until [Server.ClearFault].
	Count int
}

// SetFault injects f into every request to endpoint e, replacing any fault
// set before.
func (s *Server) SetFault(e Endpoint, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[e] = &f
}

// ClearFault removes the fault of endpoint e.
func (s *Server) ClearFault(e Endpoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.faults, e)
}

// Requests returns how many requests endpoint e has received, faulted or
// not.
func (s *Server) Requests(e Endpoint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[e]
}

// takeFault counts a request to e and returns the fault to apply to it, if
// any, using up one of its Count.
func (s *Server) takeFault(e Endpoint) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[e]++
	f := s.faults[e]
	if f == nil {
		return Fault{}, false
	}
	if f.Count > 0 {
		f.Count--
		if f.Count == 0 {
			delete(s.faults, e)
		}
	}
	return *f, true
}

// applyFault counts the request and applies the endpoint's fault. It reports
// whether the normal handler should still answer.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, e Endpoint) bool {
	f, ok := s.takeFault(e)
	if !ok {
		return true
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			panic(http.ErrAbortHandler) // the client is gone: drop the connection
		case <-s.done:
			panic(http.ErrAbortHandler) // closing: drop the connection, answer nothing
		}
	}
	switch {
	case f.Body != nil:
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		writeRaw(w, status, f.Body, f.CacheControl)
		return false
	case f.Status != 0:
		if f.CacheControl != "" {
			w.Header().Set("Cache-Control", f.CacheControl)
		}
		http.Error(w, "oauthtest: injected fault", f.Status)
		return false
	}
	if f.CacheControl != "" {
		w.Header().Set("Cache-Control", f.CacheControl)
	}
	return true
}
