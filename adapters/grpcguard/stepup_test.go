package grpcguard_test

import (
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/rsguard/rsguard/adapters/grpcguard"
	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/scopes"
)

// TestStepUpTrailer checks that a step-up refusal (RFC 9470 §3) carries, in
// the www-authenticate trailer, the challenge an HTTP front door sends
// (without realm), and nothing for other refusals.
func TestStepUpTrailer(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{unaryCall: guardtest.Requirement}))
	client := testpb.NewTestServiceClient(dial(t, serve(t, g)))
	want := map[string]string{
		"authz_step_up_both": `Bearer error="insufficient_user_authentication", error_description="a more recent or stronger authentication of the user is required", acr_values="gold", max_age="300"`,
		"authz_step_up_acr":  `Bearer error="insufficient_user_authentication", error_description="a more recent or stronger authentication of the user is required", acr_values="gold"`,
		"authz_role_missing": "",
		"authz_step_up":      "",
	}
	for _, c := range f.Cases() {
		w, ok := want[c.Name]
		if !ok {
			continue
		}
		delete(want, c.Name)
		var trailer metadata.MD
		_, err := client.UnaryCall(withAuth(t, c.Authorization), &testpb.SimpleRequest{}, grpc.Trailer(&trailer))
		got := ""
		if v := trailer.Get(grpcguard.TrailerChallenge); len(v) > 0 {
			got = v[0]
		}
		if got != w {
			t.Errorf("%s: trailer %q = %q, want %q", c.Name, grpcguard.TrailerChallenge, got, w)
		}
		if w != "" && status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s: code %v, want Unauthenticated", c.Name, status.Code(err))
		}
	}
	if len(want) != 0 {
		t.Errorf("cases not in the table: %v", want)
	}
}
