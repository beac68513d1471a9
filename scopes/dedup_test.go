package scopes_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/scopes"
)

// distinctScopes returns n distinct scope-tokens, then the first n/2 again.
func distinctScopes(n int) []string {
	list := make([]string, 0, n+n/2)
	for i := range n {
		list = append(list, "s"+strconv.Itoa(i))
	}
	return append(list, list[:n/2]...)
}

// TestParseManyTokens checks deduplication and order across the size at which
// the set switches from a linear scan to a map.
func TestParseManyTokens(t *testing.T) {
	t.Parallel()
	for _, n := range []int{15, 16, 17, 18, 40, 1000} {
		in := distinctScopes(n)
		want := in[:n]
		s, err := scopes.Parse(strings.Join(in, " "))
		if err != nil || !slices.Equal(s.List(), want) {
			t.Errorf("Parse(%d tokens, %d repeated) = %d tokens, %v; want %d", len(in), n/2, s.Len(), err, n)
		}
		s, err = scopes.New(in...)
		if err != nil || !slices.Equal(s.List(), want) {
			t.Errorf("New(%d tokens, %d repeated) = %d tokens, %v; want %d", len(in), n/2, s.Len(), err, n)
		}
	}
}

// BenchmarkParseMany measures Parse on long scope strings of distinct tokens,
// where duplicate removal must stay linear: ns/op should grow about 4x from
// 4000 to 16000 tokens (it grew 16x before duplicates were tracked in a map).
func BenchmarkParseMany(b *testing.B) {
	for _, n := range []int{4000, 16000} {
		s := strings.Join(distinctScopes(n), " ")
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := scopes.Parse(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
