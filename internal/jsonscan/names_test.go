package jsonscan

import (
	"fmt"
	"strings"
	"testing"
)

// TestNameSet checks NameSet against strings.EqualFold, below and above the
// inline capacity, with names that fold across scripts.
func TestNameSet(t *testing.T) {
	t.Parallel()
	twins := [][2]string{
		{"role", "ROLE"}, {"kid", "\u212aid"}, {"sub", "\u017fub"}, {"straße", "STRAßE"},
		{"σ", "Σ"}, {"ς", "Σ"}, {"x", "x"}, {"", ""},
	}
	distinct := [][2]string{{"role", "roles"}, {"a", "b"}, {"ß", "ss"}, {"i", "ı"}, {"", "x"}}
	for _, fill := range []int{0, 5, maxInlineNames - 1, maxInlineNames, 3 * maxInlineNames} {
		for _, p := range append(twins, distinct...) {
			var ns NameSet
			for i := range fill {
				if !ns.Add(fmt.Sprint("filler-", i)) {
					t.Fatalf("filler %d refused", i)
				}
			}
			if !ns.Add(p[0]) {
				t.Fatalf("after %d names, Add(%q) refused a new name", fill, p[0])
			}
			want := !strings.EqualFold(p[0], p[1])
			if got := ns.Add(p[1]); got != want {
				t.Errorf("after %d names and %q, Add(%q) = %v, want %v", fill, p[0], p[1], got, want)
			}
		}
	}
}
