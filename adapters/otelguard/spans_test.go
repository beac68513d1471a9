package otelguard_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/rsguard/rsguard/adapters/otelguard"
	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

const (
	rsID     = "resource-server"
	rsSecret = "s3cret-Of-The-RS"
)

func newAS(t *testing.T) *oauthtest.Server {
	t.Helper()
	as := oauthtest.NewServer(&oauthtest.Config{Clients: []oauthtest.Client{{ID: rsID, Secret: rsSecret}}})
	t.Cleanup(as.Close)
	return as
}

// parentOf checks that child's parent is parent, in the same trace.
func parentOf(t *testing.T, child, parent tracetest.SpanStub) {
	t.Helper()
	if child.Parent.SpanID() != parent.SpanContext.SpanID() || child.SpanContext.TraceID() != parent.SpanContext.TraceID() {
		t.Errorf("span %q: parent %v, want %q (%v)", child.Name, child.Parent.SpanID(), parent.Name, parent.SpanContext.SpanID())
	}
}

// TestJWKSFetchSpans checks the spans of JWKS fetches: the discovery and the
// download as children of the fetch span, each with its HTTP request as a
// child; a background refresh as a root span.
func TestJWKSFetchSpans(t *testing.T) {
	as := newAS(t)
	tel := newTelemetry(t, otelguard.Config{})
	rk, err := jwks.NewRemote(context.Background(), as.Issuer(), &jwks.Config{
		Hooks: tel.hooks.JWKS(), HTTPClient: tel.client(as.Client()), AllowInsecureHTTP: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rk.Close()
	if err := rk.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := tel.ended()
	fetches, disc, gets := s[otelguard.SpanJWKSFetch], s[otelguard.SpanDiscovery], s["HTTP GET"]
	if len(fetches) != 2 || len(disc) != 1 || len(gets) != 3 {
		t.Fatalf("spans: %d fetches, %d discoveries, %d GETs; want 2, 1, 3", len(fetches), len(disc), len(gets))
	}
	for i, f := range fetches {
		if f.Parent.IsValid() {
			t.Errorf("fetch %d has a parent: want a root span", i)
		}
		a := attrs(f.Attributes)
		want := []string{"initial", "manual"}[i]
		if a["rsguard.jwks.reason"] != want || a["url.full"] != as.JWKSURL() || a["rsguard.jwks.keys"] != "1" || f.Status.Code != codes.Unset {
			t.Errorf("fetch %d: attributes %v status %v, want reason %s, url %s, 1 key", i, a, f.Status, want, as.JWKSURL())
		}
	}
	parentOf(t, disc[0], fetches[0])
	if a := attrs(disc[0].Attributes); a["rsguard.issuer"] != as.Issuer() || a["rsguard.jwks_uri"] != as.JWKSURL() {
		t.Errorf("discovery attributes %v", a)
	}
	// The metadata GET under discovery, the JWKS GETs under their fetches.
	parentOf(t, gets[0], disc[0])
	parentOf(t, gets[1], fetches[0])
	parentOf(t, gets[2], fetches[1])
	if p := attrs(gets[1].Attributes)["url.path"]; p != "/jwks.json" {
		t.Errorf("second GET is for %q, want the JWKS", p)
	}
}

// TestJWKSFetchFailure checks a failed fetch: an Error status and error.type
// on the span and the fetch histogram, and the age gauge still counting from
// the last success.
func TestJWKSFetchFailure(t *testing.T) {
	as := newAS(t)
	tel := newTelemetry(t, otelguard.Config{})
	rk, err := jwks.NewRemote(context.Background(), "", &jwks.Config{
		URL: as.JWKSURL(), Hooks: tel.hooks.JWKS(), HTTPClient: as.Client(), AllowInsecureHTTP: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rk.Close()
	tel.clock.Advance(90 * time.Second)
	as.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Status: 500})
	if err := rk.Refresh(context.Background()); !errors.Is(err, jwks.ErrFetch) {
		t.Fatalf("Refresh: %v, want jwks.ErrFetch", err)
	}
	f := tel.ended()[otelguard.SpanJWKSFetch]
	if len(f) != 2 {
		t.Fatalf("%d fetch spans, want 2", len(f))
	}
	if f[1].Status.Code != codes.Error || attrs(f[1].Attributes)["error.type"] != "fetch" || len(f[1].Events) != 1 {
		t.Errorf("failed fetch: status %v attributes %v events %d, want Error, error.type fetch, one exception event", f[1].Status, attrs(f[1].Attributes), len(f[1].Events))
	}
	m := tel.metrics(t)
	got := histCounts(t, m["rsguard.jwks.fetch.duration"], func(a map[string]string) string {
		return a["rsguard.jwks.reason"] + "/" + a["error.type"] + "/" + a["url.full"]
	})
	want := map[string]uint64{"initial//" + as.JWKSURL(): 1, "manual/fetch/" + as.JWKSURL(): 1}
	if len(got) != len(want) || got["initial//"+as.JWKSURL()] != 1 || got["manual/fetch/"+as.JWKSURL()] != 1 {
		t.Errorf("fetch histogram counts %v, want %v", got, want)
	}
	age := gaugeValues(t, m["rsguard.jwks.age"])
	if len(age) != 1 || age[as.JWKSURL()] != 90 {
		t.Errorf("rsguard.jwks.age = %v, want 90 s for %s", age, as.JWKSURL())
	}
}

// TestIntrospectionSpans checks a decision on an opaque token inside a
// traced request: the validation span under the request's, the
// introspection span under it, the introspection POST under that; and the
// attributes of each.
func TestIntrospectionSpans(t *testing.T) {
	as := newAS(t)
	tel := newTelemetry(t, otelguard.Config{})
	in, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic(rsID, rsSecret), &introspection.Config{
		Hooks: tel.hooks, HTTPClient: tel.client(as.Client()),
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}, Introspector: in},
		&middleware.Config{Hooks: tel.hooks})
	if err != nil {
		t.Fatal(err)
	}
	token := as.OpaqueToken(oauthtest.TokenOptions{Scopes: []string{"orders:read"}})
	ctx, server := tel.tp.Tracer("test").Start(context.Background(), "GET /orders/{id}", trace.WithSpanKind(trace.SpanKindServer))
	cred := &middleware.Credentials{Authorization: []string{"Bearer " + token}, Route: "GET /orders/{id}"}
	if _, err := v.Admit(ctx, cred, scopes.AllOf("orders:read")); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Admit(ctx, cred, scopes.AllOf("orders:write")); !errors.Is(err, middleware.ErrInsufficientScope) {
		t.Fatalf("Admit without the scope: %v", err)
	}
	server.End()
	s := tel.ended()
	vals, intro, posts := s[otelguard.SpanValidation], s[otelguard.SpanIntrospection], s["HTTP POST"]
	if len(vals) != 2 || len(intro) != 1 || len(posts) != 1 {
		t.Fatalf("spans: %d validations, %d introspections, %d POSTs; want 2, 1 (the second is a cache hit), 1", len(vals), len(intro), len(posts))
	}
	srv := s["GET /orders/{id}"][0]
	parentOf(t, vals[0], srv)
	parentOf(t, vals[1], srv)
	parentOf(t, intro[0], vals[0])
	parentOf(t, posts[0], intro[0])
	for i, want := range []map[string]string{
		{"rsguard.outcome": "admitted", "rsguard.route": "GET /orders/{id}", "rsguard.issuer": as.Issuer(), "rsguard.cache.hit": "false"},
		{"rsguard.outcome": "forbidden", "rsguard.reason": "insufficient_scope", "error.type": "insufficient_scope", "rsguard.route": "GET /orders/{id}"},
	} {
		got := attrs(vals[i].Attributes)
		for k, w := range want {
			if got[k] != w {
				t.Errorf("validation span %d: %s = %q, want %q (all: %v)", i, k, got[k], w, got)
			}
		}
		if vals[i].Status.Code != codes.Unset || vals[i].SpanKind != trace.SpanKindInternal {
			t.Errorf("validation span %d: status %v kind %v, want Unset, internal", i, vals[i].Status, vals[i].SpanKind)
		}
	}
	if a := attrs(intro[0].Attributes); a["rsguard.token.active"] != "true" || a["url.full"] != as.IntrospectionURL() {
		t.Errorf("introspection span attributes %v", a)
	}
	for _, sp := range tel.spans.GetSpans() {
		for _, kv := range sp.Attributes {
			if s := kv.Value.String(); s == token || s == rsSecret {
				t.Errorf("span %q attribute %s holds a secret", sp.Name, kv.Key)
			}
		}
	}
	m := tel.metrics(t)
	ic := histCounts(t, m["rsguard.introspection.duration"], func(a map[string]string) string { return a["rsguard.token.active"] + a["error.type"] })
	if len(ic) != 1 || ic["true"] != 1 {
		t.Errorf("introspection histogram counts %v, want one active", ic)
	}
	lookups := sumValues(t, m["rsguard.cache.lookups"], func(a map[string]string) string { return a["rsguard.cache.name"] + "/" + a["rsguard.cache.result"] })
	// Opaque tokens are never in the verified-token cache: two misses there,
	// then a miss (the request) and a hit in the introspection cache.
	if len(lookups) != 3 || lookups["token/miss"] != 2 || lookups["introspection/hit"] != 1 || lookups["introspection/miss"] != 1 {
		t.Errorf("cache lookups %v, want token/miss 2, introspection/miss 1, introspection/hit 1", lookups)
	}
}

// TestDecisionSpansOnlyInTracedRequests checks that a request without a
// recording span gets no validation span, unless RootSpans.
func TestDecisionSpansOnlyInTracedRequests(t *testing.T) {
	for _, root := range []bool{false, true} {
		tel := newTelemetry(t, otelguard.Config{RootSpans: root})
		v := newJWTValidator(t, tel, nil)
		_, err := v.Admit(context.Background(), &middleware.Credentials{Route: "/x"}, nil)
		if !errors.Is(err, middleware.ErrMissingToken) {
			t.Fatal(err)
		}
		vals := tel.ended()[otelguard.SpanValidation]
		if root != (len(vals) == 1) || len(vals) > 1 {
			t.Errorf("RootSpans %v: %d validation spans", root, len(vals))
		}
		if root && (vals[0].Parent.IsValid() || attrs(vals[0].Attributes)["error.type"] != "missing_token") {
			t.Errorf("root validation span: parent %v attributes %v", vals[0].Parent, attrs(vals[0].Attributes))
		}
		if n := len(histCounts(t, tel.metrics(t)["rsguard.validation.duration"], func(a map[string]string) string { return a["rsguard.outcome"] })); n != 1 {
			t.Errorf("RootSpans %v: %d outcome series, want the decision measured either way", root, n)
		}
	}
}

// TestDiscoveryFailure checks a fetch that cannot discover the JWKS URL:
// both spans end with status Error, the fetch's error.type is "discovery".
func TestDiscoveryFailure(t *testing.T) {
	as := newAS(t)
	as.SetFault(oauthtest.EndpointDiscovery, oauthtest.Fault{Status: 503})
	tel := newTelemetry(t, otelguard.Config{})
	_, err := jwks.NewRemote(context.Background(), as.Issuer(), &jwks.Config{
		Hooks: tel.hooks.JWKS(), HTTPClient: as.Client(), AllowInsecureHTTP: true,
	})
	if !errors.Is(err, jwks.ErrDiscovery) {
		t.Fatalf("NewRemoteKeys: %v, want ErrDiscovery", err)
	}
	s := tel.ended()
	f, d := s[otelguard.SpanJWKSFetch], s[otelguard.SpanDiscovery]
	if len(f) != 1 || len(d) != 1 {
		t.Fatalf("%d fetch spans, %d discovery spans; want 1, 1", len(f), len(d))
	}
	parentOf(t, d[0], f[0])
	if f[0].Status.Code != codes.Error || attrs(f[0].Attributes)["error.type"] != "discovery" {
		t.Errorf("fetch span: status %v attributes %v", f[0].Status, attrs(f[0].Attributes))
	}
	if d[0].Status.Code != codes.Error || attrs(d[0].Attributes)["error.type"] != "discovery" || attrs(d[0].Attributes)["rsguard.jwks_uri"] != "" {
		t.Errorf("discovery span: status %v attributes %v", d[0].Status, attrs(d[0].Attributes))
	}
	got := histCounts(t, tel.metrics(t)["rsguard.jwks.fetch.duration"], func(a map[string]string) string { return a["error.type"] })
	if len(got) != 1 || got["discovery"] != 1 {
		t.Errorf("fetch histogram %v, want one discovery failure", got)
	}
}
