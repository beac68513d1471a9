package bench

// DPoPAcceptance computes issue 13's figures from the results of the
// package's BenchmarkDPoPPaired and BenchmarkCertBindingPaired, medians over
// the samples: a DPoP
// request with a cached token against the bare signature check of its proof
// (goal ≤ 1.10) per proof algorithm, the same with a cold token (for
// reference), and the certificate-binding check over a bearer request
// (goal ≤ 1 µs, given in ns).
func DPoPAcceptance(verify Results) []Check {
	var out []Check
	for _, alg := range DPoPAlgorithms {
		name := "BenchmarkDPoPPaired/" + alg
		x, ok := verify.Median(name, "cached/floor")
		out = append(out, check(alg+" proof: DPoP cached token / proof signature", "≤ 1.10", x, ok, x <= 1.10, ""))
		x, ok = verify.Median(name, "cold/floor")
		out = append(out, check(alg+" proof: DPoP cold token / proof signature", "", x, ok, false, ""))
	}
	x, ok := verify.Median("BenchmarkCertBindingPaired", "bound-bearer-ns")
	out = append(out, check("certificate binding over bearer, ns", "≤ 1000", x, ok, x <= 1000, ""))
	x, ok = verify.Median("BenchmarkCertBindingPaired", "bound/bearer")
	return append(out, check("certificate-bound / bearer, cached", "", x, ok, false, ""))
}
