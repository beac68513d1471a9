package redisstore_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/oauthtest"
)

// answer is what a replica answered.
type answer struct {
	status     int
	challenge  string // WWW-Authenticate
	retryAfter string
	body       string
}

// httpClient keeps connections to the replicas open, so that requests sent
// "at once" leave at once.
var httpClient = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 16},
}

// get sends GET /orders to base with the given Authorization and DPoP
// header values ("" for none).
func get(t testing.TB, base, authorization, proof string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/orders", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Errorf("GET %s: %v", base, err)
		return answer{}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return answer{resp.StatusCode, strings.Join(resp.Header.Values("WWW-Authenticate"), ", "), resp.Header.Get("Retry-After"), string(body)}
}

// atOnce sends one request per base at the same instant and returns the
// answers, in the order of bases.
func atOnce(t testing.TB, bases []string, authorization, proof string) []answer {
	t.Helper()
	answers := make([]answer, len(bases))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, base := range bases {
		wg.Go(func() {
			<-start
			answers[i] = get(t, base, authorization, proof)
		})
	}
	close(start)
	wg.Wait()
	return answers
}

func isReplayRefusal(a answer) bool {
	return a.status == http.StatusUnauthorized && strings.Contains(a.challenge, `error="invalid_dpop_proof"`)
}

// TestCrossProcessDPoPReplay runs two replicas as separate OS processes
// sharing one Redis: a proof accepted by one is refused by the other, and of
// a fresh proof sent to both at the same instant, 500 times, exactly one
// copy is accepted each time.
func TestCrossProcessDPoPReplay(t *testing.T) {
	env := newSharedSetUp(t)
	a, b := startReplica(t, env.cfg), startReplica(t, env.cfg)
	key := guardtest.NewDPoPKey()
	token := env.as.Token(oauthtest.TokenOptions{Claims: map[string]any{"cnf": map[string]any{"jkt": key.JKT()}}})
	auth := "DPoP " + token

	proof := key.Proof(token, "GET", apiURL+"/orders")
	if got := get(t, a, auth, proof); got.status != http.StatusOK || got.body != "hello "+oauthtest.DefaultSubject {
		t.Fatalf("replica A, fresh proof: %d %q %q; want 200", got.status, got.challenge, got.body)
	}
	if got := get(t, b, auth, proof); !isReplayRefusal(got) {
		t.Fatalf("replica B, A's proof again: %d %q; want 401 invalid_dpop_proof", got.status, got.challenge)
	}
	if got := get(t, a, auth, proof); !isReplayRefusal(got) {
		t.Fatalf("replica A, its own proof again: %d %q; want 401 invalid_dpop_proof", got.status, got.challenge)
	}

	const rounds = 500
	accepted := [2]int{}
	for i := range rounds {
		proof := key.Proof(token, "GET", apiURL+"/orders")
		got := atOnce(t, []string{a, b}, auth, proof)
		ok := 0
		for r, ans := range got {
			switch {
			case ans.status == http.StatusOK:
				ok++
				accepted[r]++
			case !isReplayRefusal(ans):
				t.Fatalf("round %d, replica %d: %d %q, want 200 or 401 invalid_dpop_proof", i, r, ans.status, ans.challenge)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: the proof was accepted %d times, want exactly once", i, ok)
		}
	}
	t.Logf("%d proofs sent to both replicas at once: each accepted once (A %d, B %d)", rounds, accepted[0], accepted[1])
}

// TestCrossProcessIntrospection asks both replicas, at the same instant, to
// admit a new opaque token: the authorization server is asked once in all,
// for each token.
func TestCrossProcessIntrospection(t *testing.T) {
	env := newSharedSetUp(t)
	bases := []string{startReplica(t, env.cfg), startReplica(t, env.cfg)}
	const tokens = 30
	for i := range tokens {
		token := env.as.OpaqueToken(oauthtest.TokenOptions{})
		before := env.as.Requests(oauthtest.EndpointIntrospection)
		for r, ans := range atOnce(t, bases, "Bearer "+token, "") {
			if ans.status != http.StatusOK {
				t.Fatalf("token %d, replica %d: %d %q, want 200", i, r, ans.status, ans.challenge)
			}
		}
		if n := env.as.Requests(oauthtest.EndpointIntrospection) - before; n != 1 {
			t.Fatalf("token %d requested at both replicas at once: %d introspection calls, want 1", i, n)
		}
	}
	// Cached everywhere now: no more calls.
	total := env.as.Requests(oauthtest.EndpointIntrospection)
	token := env.as.OpaqueToken(oauthtest.TokenOptions{Subject: "again"})
	for range 3 {
		for _, base := range bases {
			if ans := get(t, base, "Bearer "+token, ""); ans.status != http.StatusOK {
				t.Fatalf("%d %q", ans.status, ans.challenge)
			}
		}
	}
	if n := env.as.Requests(oauthtest.EndpointIntrospection) - total; n != 1 {
		t.Errorf("one token, 6 requests at 2 replicas one after another: %d introspection calls, want 1", n)
	}
}
