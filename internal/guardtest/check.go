package guardtest

import (
	"net/http"
	"strings"
	"testing"
)

// CheckHTTP checks an HTTP front door's answer to the case: the status; the
// WWW-Authenticate, Retry-After, DPoP-Nonce and (for a refusal) "Cache-Control: no-store"
// headers, exactly as net/http's [middleware.Guard] writes them with its
// default settings; a refusal without a body (the guard's default) and
// without the token anywhere; and for an admitted request the body
// [Subject], which the protected handler writes when it finds the claims.
func (c *Case) CheckHTTP(tb testing.TB, resp *http.Response, body string) {
	tb.Helper()
	if resp.StatusCode != c.Status {
		tb.Errorf("%s: status = %d, want %d (body %q)", c.Name, resp.StatusCode, c.Status, body)
	}
	h := resp.Header
	if got := strings.Join(h.Values("WWW-Authenticate"), "\n"); got != c.Challenge {
		tb.Errorf("%s: WWW-Authenticate = %q, want %q", c.Name, got, c.Challenge)
	}
	if got := strings.Join(h.Values("Retry-After"), "\n"); got != c.RetryAfter {
		tb.Errorf("%s: Retry-After = %q, want %q", c.Name, got, c.RetryAfter)
	}
	if got := strings.Join(h.Values("DPoP-Nonce"), "\n"); got != c.Nonce {
		tb.Errorf("%s: DPoP-Nonce = %q, want %q", c.Name, got, c.Nonce)
	}
	if c.Kind == nil {
		if body != c.subject() {
			tb.Errorf("%s: body = %q, want %q", c.Name, body, c.subject())
		}
		return
	}
	if got := strings.Join(h.Values("Cache-Control"), "\n"); got != "no-store" {
		tb.Errorf("%s: Cache-Control = %q, want %q", c.Name, got, "no-store")
	}
	if body != "" {
		tb.Errorf("%s: body = %q, want none", c.Name, body)
	}
	c.checkNoToken(tb, "response headers", headerText(h))
}

// CheckGRPC checks a gRPC front door's answer to the case, sent with its
// Authorization values only: the status code (numbered as
// google.golang.org/grpc/codes), a status message that names the reason of
// a refusal ([Case.GRPCDescription], else Description) and never holds the
// token, and for an admitted call the subject that the handler found in its
// context.
func (c *Case) CheckGRPC(tb testing.TB, code uint32, message, subject string) {
	tb.Helper()
	if code != c.GRPCCode {
		tb.Errorf("%s: code = %d, want %d (message %q)", c.Name, code, c.GRPCCode, message)
	}
	if c.GRPCCode == CodeOK {
		if subject != c.subject() {
			tb.Errorf("%s: subject seen by the handler = %q, want %q", c.Name, subject, c.subject())
		}
		return
	}
	desc := c.Description
	if c.GRPCDescription != "" {
		desc = c.GRPCDescription
	}
	if !strings.Contains(message, desc) {
		tb.Errorf("%s: status message = %q, want it to contain %q", c.Name, message, desc)
	}
	c.checkNoToken(tb, "status message", message)
}

// subject is the "sub" an admitted case's handler sees.
func (c *Case) subject() string {
	if c.Subject != "" {
		return c.Subject
	}
	return Subject
}

func (c *Case) checkNoToken(tb testing.TB, where, text string) {
	tb.Helper()
	for _, tok := range c.Tokens() {
		if strings.Contains(text, tok) {
			tb.Errorf("%s: the %s hold the access token", c.Name, where)
		}
	}
}

func headerText(h http.Header) string {
	var b strings.Builder
	for k, vs := range h {
		b.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
	}
	return b.String()
}
