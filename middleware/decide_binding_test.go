package middleware

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// decidedLog records the Decided events of a validator.
type decidedLog struct {
	mu  sync.Mutex
	evs []DecisionEvent
}

func (l *decidedLog) hooks() *Hooks {
	return &Hooks{Decided: func(_ context.Context, ev DecisionEvent) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.evs = append(l.evs, ev)
	}}
}

func (l *decidedLog) take() []DecisionEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	evs := l.evs
	l.evs = nil
	return evs
}

// TestDecisionHooksBinding checks that the sender-constraint checks run
// inside the decision point: a DPoP request admitted, a bound token
// presented as a bearer token, a replayed proof, a missing certificate and a
// replay store that cannot answer (503) each reach Decided exactly once, with
// the error the front door got and the route it gave.
func TestDecisionHooksBinding(t *testing.T) {
	tk := keyFor(t, "ES256")
	c := newDPoPClient(t, "ES256")
	bound := c.boundToken(tk)
	reused := c.proof(bound, nil, nil)
	certBound := tk.mint(nil, map[string]any{"cnf": map[string]any{"x5t#S256": "AAAA"}})
	var log decidedLog
	v := dpopValidator(t, "ES256", DPoPAllowed, &Config{Hooks: log.hooks()})
	down := dpopValidator(t, "ES256", DPoPAllowed, &Config{Hooks: log.hooks(), DPoP: DPoPConfig{ReplayStore: failingStore{}}})
	if _, err := v.Admit(context.Background(), dpopCred(bound, reused), nil); err != nil {
		t.Fatalf("first use of the proof: %v", err)
	}
	log.take()
	for _, tt := range []struct {
		name string
		v    *Validator
		cred *Credentials
		want error // nil: admitted
	}{
		{"dpop admitted", v, dpopCred(bound, c.proof(bound, nil, nil)), nil},
		{"bound token as bearer", v, &Credentials{Authorization: []string{"Bearer " + bound}}, ErrSenderConstrained},
		{"replayed proof", v, dpopCred(bound, reused), ErrDPoPReplayed},
		{"certificate missing", v, &Credentials{Authorization: []string{"Bearer " + certBound}}, ErrInvalidToken},
		{"replay store down", down, dpopCred(bound, c.proof(bound, nil, nil)), ErrReplayUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.cred.Route = "/orders/{id}"
			_, err := tt.v.Admit(context.Background(), tt.cred, nil)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("Admit = %v, want admitted", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("Admit = %v, want %v", err, tt.want)
			}
			evs := log.take()
			if len(evs) != 1 {
				t.Fatalf("%d Decided events, want 1: %+v", len(evs), evs)
			}
			if ev := evs[0]; ev.Err != err || ev.Route != "/orders/{id}" || ev.Issuer != testIssuer {
				t.Errorf("Decided(%+v), want Err %v, route /orders/{id}, issuer %q", ev, err, testIssuer)
			}
		})
	}
}

// TestDecisionHooksNestedModes checks that an inner guard's refusal of the
// presentation the outer guard admitted (its DPoP mode differs) is a
// decision of its own, reported to Decided with the inner route, and that
// the inner guard's Authenticate reports it likewise.
func TestDecisionHooksNestedModes(t *testing.T) {
	tk := keyFor(t, "ES256")
	var log decidedLog
	v := dpopValidator(t, "ES256", DPoPAllowed, &Config{Hooks: log.hooks()})
	outer, _ := NewGuard(v, nil)
	required, _ := NewGuard(v, &GuardConfig{DPoPMode: DPoPRequired})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	var authErr error
	mux := http.NewServeMux()
	mux.Handle("GET /required", required.Protect(ok))
	mux.Handle("GET /authenticate", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, authErr = required.Authenticate(r)
	}))
	srv := httptest.NewServer(outer.Protect(mux))
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		path   string
		status int
	}{{"/required", 401}, {"/authenticate", 200}} {
		t.Run(tt.path, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
			req.Header.Set("Authorization", "Bearer "+tk.token())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			evs := log.take()
			if len(evs) != 2 || evs[0].Err != nil || !errors.Is(evs[1].Err, ErrDPoPRequired) {
				t.Fatalf("Decided events %+v, want the outer admission then the inner DPoP-required refusal", evs)
			}
			if evs[1].Route != "GET "+tt.path {
				t.Errorf("inner decision's route = %q, want %q", evs[1].Route, "GET "+tt.path)
			}
			if tt.path == "/authenticate" && authErr != evs[1].Err {
				t.Errorf("Authenticate = %v, Decided got %v", authErr, evs[1].Err)
			}
		})
	}
}
