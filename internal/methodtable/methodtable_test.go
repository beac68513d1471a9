package methodtable

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/scopes"
)

var errTest = errors.New("test: invalid method table")

func TestLookup(t *testing.T) {
	b := NewBuilder(errTest)
	read, write := scopes.AllOf("orders:read"), scopes.AllOf("orders:write")
	b.AddRequirements(map[string]scopes.Requirement{
		"/orders.v1.Orders/*":           read,
		"/orders.v1.Orders/CancelOrder": write,
		"/orders.v1.Orders/Ping":        nil,
	})
	b.AddPublic("/grpc.health.v1.Health/*", "/orders.v1.Orders/Version")
	tab, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(tab.Keys()), "[/grpc.health.v1.Health/ /orders.v1.Orders/ /orders.v1.Orders/CancelOrder /orders.v1.Orders/Ping /orders.v1.Orders/Version]"; got != want {
		t.Errorf("Keys() = %s, want %s", got, want)
	}
	for _, tt := range []struct {
		method string
		ok     bool
		public bool
		req    scopes.Requirement
	}{
		{"/orders.v1.Orders/GetOrder", true, false, read},
		{"/orders.v1.Orders/CancelOrder", true, false, write},
		{"/orders.v1.Orders/Ping", true, false, nil},
		{"/orders.v1.Orders/Version", true, true, nil},
		{"/grpc.health.v1.Health/Check", true, true, nil},
		{"/orders.v2.Orders/GetOrder", false, false, nil},
		{"/orders.v1.Orders", false, false, nil},
		{"/orders.v1.Orders/", true, false, read}, // gRPC never routes it; the service default is the closest rule
		{"", false, false, nil},
		{"/", false, false, nil},
		{"orders.v1.Orders/GetOrder", false, false, nil},
	} {
		t.Run(tt.method, func(t *testing.T) {
			r, ok := tab.Lookup(tt.method)
			if ok != tt.ok || r.Public != tt.public || !sameReq(r.Requirement, tt.req) {
				t.Errorf("Lookup(%q) = %+v, %v; want public=%v req=%v, %v", tt.method, r, ok, tt.public, tt.req, tt.ok)
			}
		})
	}
}

func TestNilTableDenies(t *testing.T) {
	var tab *Table
	if r, ok := tab.Lookup("/a.S/M"); ok || r.Public {
		t.Errorf("nil Table: Lookup = %+v, %v; want a denial", r, ok)
	}
}

func sameReq(a, b scopes.Requirement) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func TestBuildErrors(t *testing.T) {
	for _, tt := range []struct {
		name  string
		names []string
		want  string
	}{
		{"no_slash", []string{"orders.v1.Orders/Get"}, "is not"},
		{"no_method", []string{"/orders.v1.Orders/"}, "is not"},
		{"no_service", []string{"//Get"}, "is not"},
		{"extra_segment", []string{"/a/b/c"}, "is not"},
		{"star_in_service", []string{"/orders.*/Get"}, "is not"},
		{"partial_star", []string{"/orders.v1.Orders/Get*"}, "is not"},
		{"twice", []string{"/a.S/M", "/a.S/M"}, "listed twice"},
		{"pattern_twice", []string{"/a.S/*", "/a.S/*"}, "listed twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder(errTest)
			b.AddPublic(tt.names...)
			tab, err := b.Build()
			if tab != nil || !errors.Is(err, errTest) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build = %v, %v; want nil and an error matching errTest saying %q", tab, err, tt.want)
			}
		})
	}
	b := NewBuilder(errTest)
	b.AddPublic("bad1", "/ok.S/M", "bad2")
	if _, err := b.Build(); err == nil || !strings.Contains(err.Error(), "bad1") || !strings.Contains(err.Error(), "bad2") {
		t.Errorf("Build = %v, want both refused entries named", err)
	}
}

// FuzzAdd checks that any entry is either refused with the adapter's
// sentinel or accepted, never a panic, and that an accepted method name is
// found by Lookup as given.
func FuzzAdd(f *testing.F) {
	for _, s := range []string{"/a.S/M", "/a.S/*", "a", "/", "//", "/a/b/c", "/a.S/M*", "/*/M"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		b := NewBuilder(errTest)
		b.AddPublic(name)
		tab, err := b.Build()
		if err != nil {
			if !errors.Is(err, errTest) || tab != nil {
				t.Fatalf("Build(%q) = %v, %v", name, tab, err)
			}
			return
		}
		probe := name
		if strings.HasSuffix(name, "/*") {
			probe = strings.TrimSuffix(name, "*") + "AnyMethod"
		}
		if r, ok := tab.Lookup(probe); !ok || !r.Public {
			t.Fatalf("accepted %q, but Lookup(%q) = %+v, %v", name, probe, r, ok)
		}
	})
}
