package scopes_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/scopes"
)

func mustParse(t *testing.T, s string) scopes.Set {
	t.Helper()
	set, err := scopes.Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q) = %v", s, err)
	}
	return set
}

func TestRequirements(t *testing.T) {
	ordersRead := scopes.AllOf("orders:read")
	nested := scopes.All(scopes.AllOf("orders:read"), scopes.AnyOf("admin", "orders:write"))
	alternatives := scopes.Any(
		scopes.AllOf("a", "b", "c"),
		scopes.AllOf("d", "e"),
		scopes.AllOf("f", "g"),
	)
	tests := []struct {
		name       string
		req        scopes.Requirement
		granted    string
		satisfied  bool
		satisfying string // space-separated
	}{
		{"all-of: granted", scopes.AllOf("a", "b"), "b a", true, "a b"},
		{"all-of: one missing", scopes.AllOf("a", "b"), "a", false, "a b"},
		{"all-of: empty claim", ordersRead, "", false, "orders:read"},
		{"all-of: duplicate names", scopes.AllOf("a", "a", "b"), "a b", true, "a b"},
		{"all-of: duplicate granted", ordersRead, "orders:read orders:read", true, "orders:read"},
		{"all-of: case-sensitive", ordersRead, "Orders:Read", false, "orders:read"},
		{"all-of: no prefix match", ordersRead, "orders:read:all orders", false, "orders:read"},
		{"any-of: first", scopes.AnyOf("a", "b"), "a", true, "a"},
		{"any-of: second", scopes.AnyOf("a", "b"), "b", true, "b"},
		{"any-of: none", scopes.AnyOf("a", "b"), "c", false, "a"},
		{"any-of: empty claim", scopes.AnyOf("a", "b"), "", false, "a"},
		{"any-of: duplicates", scopes.AnyOf("b", "b", "a"), "a a", true, "a"},
		{"nested: all", nested, "orders:read orders:write", true, "orders:read orders:write"},
		{"nested: admin", nested, "admin orders:read", true, "orders:read admin"},
		{"nested: read only", nested, "orders:read", false, "orders:read admin"},
		{"nested: write only", nested, "orders:write", false, "orders:read orders:write"},
		{"nested: empty claim", nested, "", false, "orders:read admin"},
		{"any: fewest missing", alternatives, "d f", false, "d e"},
		{"any: tie goes to first", alternatives, "a b d", false, "a b c"},
		{"any: fewer missing beats order", alternatives, "f", false, "f g"},
		{"any: satisfied part wins", alternatives, "a e f g", true, "f g"},
		{"any: empty claim is a tie", alternatives, "", false, "d e"},
		{"all: union without duplicates", scopes.All(scopes.AllOf("a", "b"), scopes.AllOf("b", "c")), "", false, "a b c"},
		{
			"any of all: deep",
			scopes.Any(scopes.All(scopes.AllOf("x"), scopes.AnyOf("y", "z")), scopes.AllOf("w", "v", "u")),
			"z u", false, "x z",
		},
		{
			"all of any: shared scope",
			scopes.All(scopes.Any(scopes.AllOf("a"), scopes.AllOf("b")), scopes.AnyOf("c", "b")),
			"b", true, "b",
		},
		{
			"all of any: parts choose independently",
			scopes.All(scopes.Any(scopes.AllOf("a"), scopes.AllOf("b")), scopes.AnyOf("c", "b")),
			"", false, "a c",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			granted := mustParse(t, tt.granted)
			if got := tt.req.Satisfied(granted); got != tt.satisfied {
				t.Errorf("%v.Satisfied(%q) = %v, want %v", tt.req, tt.granted, got, tt.satisfied)
			}
			got := tt.req.Satisfying(granted)
			if strings.Join(got, " ") != tt.satisfying {
				t.Errorf("%v.Satisfying(%q) = %q, want %q", tt.req, tt.granted, got, tt.satisfying)
			}
			// Invariant: the suggested scopes, added to the granted ones,
			// satisfy the requirement.
			union, err := scopes.New(append(granted.List(), got...)...)
			if err != nil {
				t.Fatalf("New(granted ∪ Satisfying) = %v", err)
			}
			if !tt.req.Satisfied(union) {
				t.Errorf("%v.Satisfied(granted ∪ Satisfying) = false, want true", tt.req)
			}
			// Invariant: the suggestion alone satisfies it too.
			if !tt.req.Satisfied(mustParse(t, strings.Join(got, " "))) {
				t.Errorf("%v.Satisfied(%q) = false, want true", tt.req, got)
			}
		})
	}
}

func TestSatisfyingIsACopy(t *testing.T) {
	req := scopes.AllOf("a", "b")
	got := req.Satisfying(scopes.Set{})
	got[0] = "changed"
	if again := req.Satisfying(scopes.Set{}); !slices.Equal(again, []string{"a", "b"}) {
		t.Errorf("Satisfying after caller's change = %q, want [a b]", again)
	}
}

func TestNewAllOfErrors(t *testing.T) {
	tests := []struct {
		names []string
		want  error
	}{
		{nil, scopes.ErrEmptyRequirement},
		{[]string{""}, scopes.ErrSyntax},
		{[]string{"a b"}, scopes.ErrSyntax},
		{[]string{"ok", "quo\"te"}, scopes.ErrSyntax},
		{[]string{"back\\slash"}, scopes.ErrSyntax},
		{[]string{"caf\u00e9"}, scopes.ErrSyntax},
		{[]string{"tab\t"}, scopes.ErrSyntax},
		{[]string{"a", "b"}, nil},
	}
	for _, tt := range tests {
		for _, ctor := range []struct {
			name string
			fn   func(...string) (scopes.Requirement, error)
		}{{"NewAllOf", scopes.NewAllOf}, {"NewAnyOf", scopes.NewAnyOf}} {
			req, err := ctor.fn(tt.names...)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (req != nil) {
				t.Errorf("%s(%q) = %v, %v, want error %v", ctor.name, tt.names, req, err, tt.want)
			}
		}
	}
}

func TestConstructorsPanic(t *testing.T) {
	tests := []struct {
		name string
		fn   func()
	}{
		{"AllOf()", func() { scopes.AllOf() }},
		{"AllOf(bad)", func() { scopes.AllOf("a b") }},
		{"AnyOf()", func() { scopes.AnyOf() }},
		{"AnyOf(bad)", func() { scopes.AnyOf("\"") }},
		{"All()", func() { scopes.All() }},
		{"All(nil)", func() { scopes.All(scopes.AllOf("a"), nil) }},
		{"Any()", func() { scopes.Any() }},
		{"Any(nil)", func() { scopes.Any(nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", tt.name)
				}
			}()
			tt.fn()
		})
	}
}

func TestRequirementString(t *testing.T) {
	req := scopes.All(scopes.AllOf("orders:read"), scopes.AnyOf("admin", "orders:write"))
	want := "(orders:read AND (admin OR orders:write))"
	if got := fmt.Sprint(req); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// BenchmarkSatisfied measures the per-request check; it must not allocate.
func BenchmarkSatisfied(b *testing.B) {
	granted, _ := scopes.Parse("openid profile orders:read orders:write invoices:read")
	req := scopes.All(scopes.AllOf("orders:read"), scopes.AnyOf("admin", "orders:write"))
	b.ReportAllocs()
	for b.Loop() {
		if !req.Satisfied(granted) {
			b.Fatal("not satisfied")
		}
	}
}

func TestSatisfiedDoesNotAllocate(t *testing.T) {
	granted := mustParse(t, "openid orders:read orders:write")
	req := scopes.Any(scopes.AllOf("admin"), scopes.All(scopes.AllOf("orders:read"), scopes.AnyOf("x", "orders:write")))
	if n := testing.AllocsPerRun(100, func() { req.Satisfied(granted) }); n != 0 {
		t.Errorf("Satisfied allocates %v times per call, want 0", n)
	}
}
