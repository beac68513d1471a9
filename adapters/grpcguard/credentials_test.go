package grpcguard_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/rsguard/rsguard/adapters/grpcguard"
	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// credsFixture is a guarded server whose first interceptor counts the calls
// that arrive with an "authorization" value, and a client_credentials token
// source from the fixture's authorization server (RFC 6749 §4.4).
type credsFixture struct {
	f          *guardtest.Fixture
	g          *grpcguard.Guard
	withTokens atomic.Int64
	ts         oauth2.TokenSource
}

func newCredsFixture(t *testing.T) *credsFixture {
	t.Helper()
	cf := &credsFixture{f: guardtest.New(t)}
	cf.g = newGuard(t, cf.f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{unaryCall: guardtest.Requirement}))
	cf.f.Server.AddClient(oauthtest.Client{ID: "reporting", Secret: "s3cret", Scopes: []string{guardtest.Scope}})
	cc := clientcredentials.Config{ClientID: "reporting", ClientSecret: "s3cret", TokenURL: cf.f.Server.TokenURL(), Scopes: []string{guardtest.Scope}}
	cf.ts = oauth2.ReuseTokenSource(nil, cc.TokenSource(context.Background()))
	return cf
}

// counting is a server interceptor that counts calls carrying a token.
func (cf *credsFixture) counting(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if len(metadata.ValueFromIncomingContext(ctx, "authorization")) > 0 {
		cf.withTokens.Add(1)
	}
	return h(ctx, req)
}

// TestCredentialsRefuseInsecureTransport checks that the client credentials
// never put a token on a connection without transport security, unless
// AllowInsecureTransport is given, and work over TLS.
func TestCredentialsRefuseInsecureTransport(t *testing.T) {
	cf := newCredsFixture(t)
	plain := serve(t, cf.g, grpc.ChainUnaryInterceptor(cf.counting))
	serverTLS, clientTLS := tlsOptions(t)
	secure := serve(t, cf.g, serverTLS, grpc.ChainUnaryInterceptor(cf.counting))
	creds := grpcguard.NewCredentials(cf.ts)
	insecureConn := grpc.WithTransportCredentials(insecure.NewCredentials())

	t.Run("dial_option", func(t *testing.T) {
		conn, err := grpc.NewClient("passthrough:///bufconn.test", insecureConn, grpc.WithPerRPCCredentials(creds))
		if err == nil {
			conn.Close()
			t.Fatal("grpc.NewClient(insecure, WithPerRPCCredentials) = nil error, want a refusal")
		}
	})
	t.Run("call_option", func(t *testing.T) {
		client := testpb.NewTestServiceClient(dial(t, plain))
		_, err := client.UnaryCall(withAuth(t, nil), &testpb.SimpleRequest{}, grpc.PerRPCCredentials(creds))
		if status.Code(err) == codes.OK {
			t.Fatal("UnaryCall with PerRPCCredentials on an insecure connection succeeded")
		}
		if n := cf.withTokens.Load(); n != 0 {
			t.Errorf("%d calls reached the server with a token, want 0", n)
		}
	})
	t.Run("allow_insecure", func(t *testing.T) {
		client := testpb.NewTestServiceClient(dial(t, plain, insecureConn,
			grpc.WithPerRPCCredentials(grpcguard.NewCredentials(cf.ts, grpcguard.AllowInsecureTransport()))))
		resp, err := client.UnaryCall(withAuth(t, nil), &testpb.SimpleRequest{})
		if err != nil || resp.GetUsername() == "" {
			t.Fatalf("UnaryCall = %v, %v, want the client's claims", resp, err)
		}
	})
	t.Run("tls", func(t *testing.T) {
		before := cf.withTokens.Load()
		client := testpb.NewTestServiceClient(dial(t, secure, clientTLS, grpc.WithPerRPCCredentials(creds)))
		resp, err := client.UnaryCall(withAuth(t, nil), &testpb.SimpleRequest{})
		if err != nil || resp.GetOauthScope() != guardtest.Scope {
			t.Fatalf("UnaryCall over TLS = %v, %v, want the client's claims with scope %q", resp, err, guardtest.Scope)
		}
		if cf.withTokens.Load() != before+1 {
			t.Errorf("the call did not carry a token")
		}
	})
}

// tokenSource is an oauth2.TokenSource returning a fixed answer.
type tokenSource struct {
	tok *oauth2.Token
	err error
}

func (s tokenSource) Token() (*oauth2.Token, error) { return s.tok, s.err }

// TestGetRequestMetadata checks the metadata and the refusals of the client
// credentials, and that no error holds the token.
func TestGetRequestMetadata(t *testing.T) {
	const secret = "c2VjcmV0LXRva2Vu"
	future := time.Now().Add(time.Hour)
	allow := grpcguard.AllowInsecureTransport()
	tests := []struct {
		name    string
		ts      tokenSource
		opts    []grpcguard.CredentialsOption
		want    string
		wantErr error
	}{
		{"bearer", tokenSource{tok: &oauth2.Token{AccessToken: secret, TokenType: "Bearer", Expiry: future}}, []grpcguard.CredentialsOption{allow}, "Bearer " + secret, nil},
		{"type_defaults_to_bearer", tokenSource{tok: &oauth2.Token{AccessToken: secret}}, []grpcguard.CredentialsOption{allow}, "Bearer " + secret, nil},
		{"lowercase_type", tokenSource{tok: &oauth2.Token{AccessToken: secret, TokenType: "bearer"}}, []grpcguard.CredentialsOption{allow}, "Bearer " + secret, nil},
		{"no_transport_info", tokenSource{tok: &oauth2.Token{AccessToken: secret}}, nil, "", grpcguard.ErrInsecureTransport},
		{"source_error", tokenSource{err: errors.New("oauth2: cannot fetch token: 401")}, []grpcguard.CredentialsOption{allow}, "", nil},
		{"expired", tokenSource{tok: &oauth2.Token{AccessToken: secret, Expiry: time.Now().Add(-time.Minute)}}, []grpcguard.CredentialsOption{allow}, "", nil},
		{"empty", tokenSource{tok: &oauth2.Token{}}, []grpcguard.CredentialsOption{allow}, "", nil},
		{"other_type", tokenSource{tok: &oauth2.Token{AccessToken: secret, TokenType: "DPoP"}}, []grpcguard.CredentialsOption{allow}, "", nil},
		{"not_b64token", tokenSource{tok: &oauth2.Token{AccessToken: secret + "\r\nx-evil: 1"}}, []grpcguard.CredentialsOption{allow}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := grpcguard.NewCredentials(tt.ts, tt.opts...)
			if got, want := c.RequireTransportSecurity(), len(tt.opts) == 0; got != want {
				t.Errorf("RequireTransportSecurity() = %v, want %v", got, want)
			}
			md, err := c.GetRequestMetadata(context.Background(), "https://bufconn.test")
			if tt.want != "" {
				if err != nil || len(md) != 1 || md["authorization"] != tt.want {
					t.Errorf("GetRequestMetadata = %v, %v, want authorization %q", md, err, tt.want)
				}
				return
			}
			if err == nil || md != nil {
				t.Fatalf("GetRequestMetadata = %v, %v, want an error", md, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("GetRequestMetadata error = %v, want one matching %v", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("GetRequestMetadata error holds the token: %v", err)
			}
		})
	}
}
