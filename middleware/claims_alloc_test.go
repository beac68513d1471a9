package middleware

import (
	"fmt"
	"reflect"
	"strings"
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

// TestColdValidationAllocations holds an uncached validation to one
// allocation beyond the signature check's own, for every algorithm, when the
// validator's memos hold the token's header and scope claim: the block of the
// claims (with their JSON). A token whose scope claim the memo does not hold
// adds the set of scopes, and the memo's admission (an entry and its key,
// with the set parsed again, on one miss in eight).
// The decoded signature stays on the stack (splitToken).
func TestColdValidationAllocations(t *testing.T) {
	for _, alg := range allAlgs() {
		t.Run(alg, func(t *testing.T) {
			k := keyFor(t, alg)
			tok := k.token()
			v := newTestValidator(t, []*testKey{k}, issuerFor(alg), &Config{CacheSize: -1})
			if _, err := validate(v, tok); err != nil {
				t.Fatalf("Validate = %v", err)
			}
			dot := strings.LastIndexByte(tok, '.')
			sig, err := b64.DecodeString(tok[dot+1:])
			if err != nil || !k.key.Verify(alg, []byte(tok[:dot]), sig) {
				t.Fatalf("the token's signature does not verify: %v", err)
			}
			input := []byte(tok[:dot])
			// 100 runs each: see TestVerifyAllocations (internal/jose) on
			// the pooled buffers of PSS and ECDSA under the race detector.
			verify := testing.AllocsPerRun(100, func() { k.key.Verify(alg, input, sig) })
			got := testing.AllocsPerRun(100, func() { validate(v, tok) })
			// One for the claims' block; the scope set comes from the
			// validator's memo (the first validation, above, stored it).
			if got > verify+1 {
				t.Errorf("Validate: %v allocations, want at most the signature check's %v + 1", got, verify)
			}
			// Scope strings the memo does not hold: 80 distinct ones. One
			// allocation more, for the set; the memo's admission (an entry,
			// its key and the set parsed again, on one miss in eight: 0.375
			// a run) stays within the fraction AllocsPerRun truncates, as
			// does the race detector's dropping of pooled buffers (see
			// above), unless it dropped on every run.
			toks := make([]string, 80)
			for i := range toks {
				toks[i] = k.mint(nil, map[string]any{"scope": fmt.Sprintf("read write-%d", i)})
			}
			i := 0
			fresh := testing.AllocsPerRun(len(toks)-1, func() {
				if _, err := validate(v, toks[i]); err != nil {
					t.Fatal(err)
				}
				i++
			})
			if fresh > verify+2 {
				t.Errorf("Validate, new scope strings: %v allocations, want at most the signature check's %v + 2", fresh, verify)
			}
		})
	}
}
