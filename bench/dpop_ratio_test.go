package bench_test

import (
	"math"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/bench"
)

const dpopSample = `BenchmarkDPoPPaired/ES256	100	900 ns/op	1.04 cached/floor	2.1 cold/floor
BenchmarkDPoPPaired/ES256	100	900 ns/op	1.08 cached/floor	2.3 cold/floor
BenchmarkDPoPPaired/ES256	100	900 ns/op	1.30 cached/floor	2.2 cold/floor
BenchmarkDPoPPaired/RS256	100	900 ns/op	1.20 cached/floor	3.5 cold/floor
BenchmarkCertBindingPaired	100	900 ns/op	400 bound-bearer-ns	1.9 bound/bearer
`

func TestDPoPAcceptance(t *testing.T) {
	r, err := bench.ParseResults(strings.NewReader(dpopSample))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bench.Check{}
	for _, c := range bench.DPoPAcceptance(r) {
		got[c.What] = c
	}
	for _, w := range []struct {
		what string
		x    float64
		ok   bool
	}{
		{"ES256 proof: DPoP cached token / proof signature", 1.08, true},
		{"ES256 proof: DPoP cold token / proof signature", 2.2, false},
		{"RS256 proof: DPoP cached token / proof signature", 1.20, false},
		{"EdDSA proof: DPoP cached token / proof signature", math.NaN(), false},
		{"certificate binding over bearer, ns", 400, true},
		{"certificate-bound / bearer, cached", 1.9, false},
	} {
		c, ok := got[w.what]
		same := math.Abs(c.Got-w.x) < 1e-9 || (math.IsNaN(w.x) && math.IsNaN(c.Got))
		if !ok || !same || c.OK != w.ok {
			t.Errorf("DPoPAcceptance() %q = %v (met %v, present %v), want %v (met %v)", w.what, c.Got, c.OK, ok, w.x, w.ok)
		}
	}
}
