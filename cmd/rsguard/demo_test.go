package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// answer matches a step's answer line, "   → 200 OK  [ok]".
var answer = regexp.MustCompile(`(?m)^   → (\d{3}) .*\[(.*)\]$`)

func TestDemo(t *testing.T) {
	r := runCmd(t, "", "demo")
	if r.code != exitOK {
		t.Fatalf("demo = %v, want exit 0", r)
	}
	var got []int
	for _, m := range answer.FindAllStringSubmatch(r.stdout, -1) {
		n, _ := strconv.Atoi(m[1])
		got = append(got, n)
		if m[2] != "ok" {
			t.Errorf("answer %q not marked ok", m[0])
		}
	}
	want := []int{200, 403, 401, 401, 200, 200, 200, 503}
	if !slices.Equal(got, want) {
		t.Errorf("demo statuses = %v, want %v\n%s", got, want, r.stdout)
	}
	wantAll(t, "demo output", r.stdout,
		`error="insufficient_scope"`, `scope="orders:write"`,
		`error="invalid_token", error_description="token expired"`,
		"WWW-Authenticate: Bearer realm=\"api\"\n",
		"Retry-After: 10",
		"fetches 1 → 2",
		`"user":"bob"`,
		"OK: all 8 steps got the expected status.")
	if r.stderr != "" {
		t.Errorf("demo stderr = %q, want nothing", r.stderr)
	}
}

// TestDemoServe runs --serve, uses the first printed curl line against the
// running API, then interrupts it.
func TestDemoServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"demo", "--serve"}, strings.NewReader(""), pw, io.Discard)
		pw.Close()
		done <- code
	}()
	sc := bufio.NewScanner(pr)
	sc.Buffer(nil, 1<<20)
	var curls []string
	tokenCurl := ""
	for sc.Scan() && tokenCurl == "" {
		switch l := sc.Text(); {
		case strings.HasPrefix(l, "curl -i"):
			curls = append(curls, l)
		case strings.HasPrefix(l, "curl -s -u"):
			tokenCurl = l
		}
	}
	if len(curls) < 5 {
		t.Fatalf("--serve printed %d curl -i lines, want 5", len(curls))
	}
	for i, want := range []int{200, 403, 204, 200, 401} {
		if got := doCurl(t, curls[i]); got != want {
			t.Errorf("%s\n= %d, want %d", curls[i], got, want)
		}
	}
	if tokenCurl == "" || !clientCredentials(t, tokenCurl) {
		t.Errorf("token endpoint line %q did not get a token", tokenCurl)
	}
	cancel()
	go io.Copy(io.Discard, pr)
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("demo --serve, interrupted = exit %d, want 0", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo --serve did not stop after its context ended")
	}
}

// doCurl performs a printed "curl -i [-X M] [-H 'Authorization: …'] URL"
// line with net/http and returns the status.
func doCurl(t *testing.T, line string) int {
	t.Helper()
	method, auth := "GET", ""
	if m := regexp.MustCompile(`-X (\w+)`).FindStringSubmatch(line); m != nil {
		method = m[1]
	}
	if m := regexp.MustCompile(`-H 'Authorization: ([^']+)'`).FindStringSubmatch(line); m != nil {
		auth = m[1]
	}
	f := strings.Fields(line)
	req, err := http.NewRequest(method, f[len(f)-1], nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// clientCredentials performs the printed "curl -s -u id:secret -d … URL"
// line and reports whether it returned an access token.
func clientCredentials(t *testing.T, line string) bool {
	t.Helper()
	f := strings.Fields(line)
	id, secret, _ := strings.Cut(f[3], ":")
	form := url.Values{}
	for i, w := range f {
		if w == "-d" {
			k, v, _ := strings.Cut(f[i+1], "=")
			form.Set(k, v)
		}
	}
	req, err := http.NewRequest("POST", f[len(f)-1], strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	return resp.StatusCode == 200 && json.NewDecoder(resp.Body).Decode(&body) == nil && body.AccessToken != ""
}
