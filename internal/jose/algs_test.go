package jose

import "testing"

// TestSetBits checks that every algorithm of the table owns one bit, so that
// a Set holds exactly the algorithms added to it, and that an unknown name
// is in no Set.
func TestSetBits(t *testing.T) {
	var all Set
	for i, a := range table {
		if a.bit != 1<<i {
			t.Errorf("%s: bit %#x, want 1<<%d", a.Name, a.bit, i)
		}
		got, ok := Lookup(a.Name)
		if !ok || got != a {
			t.Errorf("Lookup(%q) = %v, %v; want its table entry", a.Name, got, ok)
		}
		one := Set(0).With(got)
		for _, b := range table {
			if one.Has(b) != (b.Name == a.Name) {
				t.Errorf("Set{%s}.Has(%s) = %v", a.Name, b.Name, one.Has(b))
			}
		}
		all = all.With(a)
	}
	for _, name := range []string{"", "none", "rs256", "RS256 ", "HS1"} {
		a, ok := Lookup(name)
		if ok || all.Has(a) {
			t.Errorf("Lookup(%q) = %v, %v; the set of every algorithm has it: %v", name, a, ok, all.Has(a))
		}
	}
}
