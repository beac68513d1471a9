package middleware

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/rsguard/rsguard/internal/jsonscan"
)

// walk follows p through v, a value decoded by encoding/json: the oracle
// of FuzzClaimPath.
func walk(v any, p ClaimPath) (any, bool) {
	for _, name := range p {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[name]; !ok {
			return nil, false
		}
	}
	return v, true
}

// FuzzClaimPath checks the claim path parser and the one-pass reader
// against encoding/json: neither panics; a parsed path prints back as
// itself; what the reader finds in a JSON object without repeated members
// is what encoding/json finds there, and it finds nothing that
// encoding/json does not.
func FuzzClaimPath(f *testing.F) {
	f.Add([]byte(`{"realm_access":{"roles":["a","b"]},"x":1}`), "realm_access.roles")
	f.Add([]byte(`{"resource_access":{"api":{"roles":"a b"}}}`), "resource_access.api.roles")
	f.Add([]byte(`{"https://e.com/roles":["r"]}`), `"https://e.com/roles"`)
	f.Add([]byte(`{"a":{"b":1,"B":2}}`), "a.b")
	f.Add([]byte(`{"a":"b"}`), "a.b")
	f.Add([]byte(`{"a":{"b":{"c":[]}}}`), `a."b".c`)
	f.Add([]byte(`{"a":{"a":{"a":{}}}}`), "a.a.a.a")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		p, err := ParseClaimPath(path)
		if err != nil {
			return
		}
		if again, err := ParseClaimPath(p.String()); err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("ParseClaimPath(%q).String() = %q, parsed back as %q, %v", path, p.String(), again, err)
		}
		// The path, a prefix of it and a sibling, read at once.
		paths := []ClaimPath{p, p[: len(p)-1 : len(p)-1], append(p[:len(p)-1:len(p)-1], "x")}
		if len(p) == 1 {
			paths = paths[:1]
		}
		got := make([][]byte, len(paths))
		err = readPaths(data, paths, func(i int, v jsonscan.Span) {
			if got[i] != nil {
				t.Fatalf("path %d found twice", i)
			}
			got[i] = data[v.Start:v.End]
		})
		if err != nil {
			return
		}
		var doc any
		if !json.Valid(data) || json.Unmarshal(data, &doc) != nil || jsonscan.UniqueMembers(data) != nil {
			return
		}
		for i, q := range paths {
			want, ok := walk(doc, q)
			if ok != (got[i] != nil) {
				t.Fatalf("path %q: reader found %q, encoding/json found %v", q, got[i], ok)
			}
			if !ok {
				continue
			}
			var have any
			if err := json.Unmarshal(got[i], &have); err != nil || !reflect.DeepEqual(have, want) {
				t.Fatalf("path %q: reader's value %q = %v, encoding/json's %v", q, got[i], have, want)
			}
		}
	})
}

// FuzzAuthorizationDetails checks the RFC 9396 parser against
// encoding/json: it never panics; what it accepts is valid JSON whose
// objects encoding/json reads alike, each with a non-empty type, and each
// detail's Raw is that object.
func FuzzAuthorizationDetails(f *testing.F) {
	f.Add([]byte(`[{"type":"payment_initiation","actions":["initiate"],"locations":["https://b.example"],"amount":{"v":"1"}}]`))
	f.Add([]byte(`[{"type":"a","identifier":"x","datatypes":[],"privileges":["p"]},{"type":"b"}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"type":""}]`))
	f.Add([]byte(`[{"type":"a","Type":"b"}]`))
	f.Add([]byte(`[{"type":"a","actions":"x"}]`))
	f.Add([]byte(` [ {"type" : "\u00e9"} ] `))
	f.Fuzz(func(t *testing.T, data []byte) {
		details, err := ParseAuthorizationDetails(data)
		if err != nil {
			if details != nil {
				t.Fatalf("error %v with %d details", err, len(details))
			}
			return
		}
		var want []struct {
			Type       string   `json:"type"`
			Locations  []string `json:"locations"`
			Actions    []string `json:"actions"`
			Datatypes  []string `json:"datatypes"`
			Identifier string   `json:"identifier"`
			Privileges []string `json:"privileges"`
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if err := json.Unmarshal(data, &want); err != nil || len(want) != len(details) {
			t.Fatalf("encoding/json: %d details, %v; parser: %d", len(want), err, len(details))
		}
		for i, d := range details {
			w := want[i]
			if d.Type == "" || d.Type != w.Type || d.Identifier != w.Identifier ||
				!sameStrings(d.Locations, w.Locations) || !sameStrings(d.Actions, w.Actions) ||
				!sameStrings(d.Datatypes, w.Datatypes) || !sameStrings(d.Privileges, w.Privileges) {
				t.Fatalf("detail %d = %+v, encoding/json %+v", i, d, w)
			}
			var raw []json.RawMessage
			_ = json.Unmarshal(data, &raw)
			if !bytes.Equal(d.Raw(), raw[i]) {
				t.Fatalf("detail %d raw %q, want %q", i, d.Raw(), raw[i])
			}
		}
	})
}

// sameStrings compares a parsed list with encoding/json's, for which an
// absent member and an empty array are both empty.
func sameStrings(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}
