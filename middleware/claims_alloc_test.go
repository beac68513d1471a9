package middleware

import (
	"reflect"
	"testing"
)

// TestNewClaims checks the packed allocation at every size class boundary:
// the buffer has exactly n bytes, writing all of them leaves the claims zero,
// and a JSON object that fits costs one allocation, a larger one two.
func TestNewClaims(t *testing.T) {
	var sizes []int
	for _, class := range []int{640, 768, 1024, 1280, 2048} {
		edge := class - int(claimsSize)
		sizes = append(sizes, edge-1, edge, edge+1)
	}
	sizes = append(sizes, 0, 1, 64<<10)
	for _, n := range sizes {
		c, buf := newClaims(n)
		if len(buf) != n || cap(buf) != n {
			t.Fatalf("newClaims(%d): len %d cap %d", n, len(buf), cap(buf))
		}
		for i := range buf {
			buf[i] = 0xff
		}
		if !reflect.DeepEqual(*c, Claims{}) {
			t.Fatalf("newClaims(%d): writing the buffer changed the claims", n)
		}
		want := 1.0
		if n > 2048-int(claimsSize) {
			want = 2
		}
		if got := testing.AllocsPerRun(20, func() { newClaims(n) }); got != want {
			t.Errorf("newClaims(%d): %v allocations, want %v", n, got, want)
		}
	}
}
