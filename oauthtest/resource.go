package oauthtest

import (
	"net/url"
	"slices"
	"strings"
)

// resourceParam is the resource indicator of authorization and token
// requests (RFC 8707 §2), the one parameter a request may repeat: a client
// asking for a token for several resources names each.
const resourceParam = "resource"

// resourcesOf returns the distinct resource indicators vs, in order, or
// invalid_target for one that is not an absolute URI without a fragment
// (RFC 8707 §2). A token for them has them as its audience (§2.2), in
// place of [Config.Audience].
func resourcesOf(vs []string) ([]string, *oauthError) {
	var out []string
	for _, v := range vs {
		u, err := url.Parse(v)
		if err != nil || !u.IsAbs() || strings.Contains(v, "#") {
			return nil, invalidTarget("resource must be an absolute URI without a fragment")
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

func invalidTarget(desc string) *oauthError {
	return &oauthError{status: 400, code: "invalid_target", desc: desc}
}
