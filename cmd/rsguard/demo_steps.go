package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rsguard/rsguard/oauthtest"
)

// maxShownBody bounds the part of an answer's body the demo prints.
const maxShownBody = 200

// do runs one step and prints the request and the answer.
func (d *demo) do(ctx context.Context, n int, s step) (int, error) {
	if s.before != nil {
		s.before()
	}
	req, err := http.NewRequestWithContext(ctx, s.method, d.apiURL+s.path, nil)
	if err != nil {
		return 0, err
	}
	if s.token != nil {
		req.Header.Set("Authorization", "Bearer "+s.token())
	}
	fmt.Fprintf(d.out, "\n%d. %-20s %-6s %-11s %s\n", n, s.title, s.method, s.path, s.about)
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if err := d.printAnswer(resp, s.want); err != nil {
		return 0, err
	}
	if s.after != nil {
		if note := s.after(); note != "" {
			fmt.Fprintf(d.out, "     (%s)\n", note)
		}
	}
	return resp.StatusCode, nil
}

// printAnswer prints the status, the auth headers and the start of the body.
func (d *demo) printAnswer(resp *http.Response, want int) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxShownBody+1))
	if err != nil {
		return err
	}
	mark := "ok"
	if resp.StatusCode != want {
		mark = fmt.Sprintf("UNEXPECTED, want %d", want)
	}
	fmt.Fprintf(d.out, "   → %d %s  [%s]\n", resp.StatusCode, http.StatusText(resp.StatusCode), mark)
	for _, h := range []string{"WWW-Authenticate", "Retry-After"} {
		if v := resp.Header.Get(h); v != "" {
			fmt.Fprintf(d.out, "     %s: %s\n", h, v)
		}
	}
	if b := strings.TrimSpace(string(body)); b != "" {
		if len(b) > maxShownBody {
			b = b[:maxShownBody] + "…"
		}
		fmt.Fprintf(d.out, "     %s\n", b)
	}
	return nil
}

// refreshEvery is how often --serve prints fresh tokens: before the last ones
// expire (oauthtest.DefaultTokenLifetime).
const refreshEvery = oauthtest.DefaultTokenLifetime - 10*time.Minute

// serve prints curl lines with fresh tokens until ctx ends.
func (d *demo) serve(ctx context.Context) {
	t := time.NewTicker(refreshEvery)
	defer t.Stop()
	for {
		d.printCurls()
		select {
		case <-ctx.Done():
			fmt.Fprintln(d.out, "\nstopping.")
			return
		case <-t.C:
			fmt.Fprintf(d.out, "\n--- fresh tokens (%s) ---\n", time.Now().Format(time.TimeOnly))
		}
	}
}

func (d *demo) printCurls() {
	read := oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"orders:read"}}
	rw := oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"orders:read", "orders:write"}}
	jwt := d.as.Token(read)
	orders, order := d.apiURL+"/orders", d.apiURL+"/orders/42"
	fmt.Fprintf(d.out, "\nThe servers keep running; press Ctrl-C to stop. Tokens are valid for %s.\n\n", oauthtest.DefaultTokenLifetime)
	lines := []struct{ what, cmd string }{
		{"read orders (200)", curlLine("", jwt, orders)},
		{"delete with a read-only token (403 insufficient_scope)", curlLine("DELETE", jwt, order)},
		{"delete with orders:write (204)", curlLine("DELETE", d.as.Token(rw), order)},
		{"opaque token, resolved by introspection (200)", curlLine("", d.as.OpaqueToken(read), orders)},
		{"no token (401)", curlLine("", "", orders)},
		{"get a token from the token endpoint (client credentials grant)",
			fmt.Sprintf("curl -s -u %s:%s -d grant_type=client_credentials -d scope=orders:read %s", demoClientID, d.clientSecret, d.as.TokenURL())},
		{"see why a token is accepted or refused",
			fmt.Sprintf("go run ./cmd/rsguard verify --explain --issuer %s --audience %s %s", d.as.Issuer(), demoAudience, jwt)},
	}
	for _, l := range lines {
		fmt.Fprintf(d.out, "# %s\n%s\n\n", l.what, l.cmd)
	}
}

// curlLine is a copyable curl command; the tokens are base64url, which needs
// no shell quoting.
func curlLine(method, token, url string) string {
	var b strings.Builder
	b.WriteString("curl -i")
	if method != "" {
		b.WriteString(" -X " + method)
	}
	if token != "" {
		b.WriteString(" -H 'Authorization: Bearer " + token + "'")
	}
	b.WriteString(" " + url)
	return b.String()
}
