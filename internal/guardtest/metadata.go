package guardtest

import (
	"net/http"
	"strings"

	"github.com/rsguard/rsguard/middleware"
)

// MetadataResource is the resource identifier of the table's protected
// resource, for front doors whose guard publishes protected resource
// metadata ([MetadataConfig]).
const MetadataResource = Audience + "/orders"

// MetadataURL is the URL of MetadataResource's metadata document (RFC 9728
// §3.1), the resource_metadata attribute such a guard adds to its 401 and 403
// challenges (§5.1). It is written out, not computed by the core.
const MetadataURL = "https://api.example.test/.well-known/oauth-protected-resource/orders"

// MetadataConfig returns the guard settings of the metadata variant of the
// table: default settings, and [GuardConfig.Metadata] for MetadataResource.
//
// [GuardConfig.Metadata]: https://pkg.go.dev/github.com/rsguard/rsguard/middleware#GuardConfig
func MetadataConfig() *middleware.GuardConfig {
	return &middleware.GuardConfig{Metadata: &middleware.ResourceMetadata{Resource: MetadataResource}}
}

// MetadataCases returns [Fixture.Cases] as a guard made with
// [MetadataConfig] must answer them: every 401 and 403 challenge ends with
// resource_metadata="[MetadataURL]" (each scheme's, Bearer and DPoP); 400,
// 503 and admitted requests are unchanged.
func (f *Fixture) MetadataCases() []Case {
	cases := f.Cases()
	for i := range cases {
		if s := cases[i].Status; s != http.StatusUnauthorized && s != http.StatusForbidden {
			continue
		}
		chs := strings.Split(cases[i].Challenge, "\n") // one per scheme (Bearer, DPoP)
		for j := range chs {
			chs[j] += `, resource_metadata="` + MetadataURL + `"`
		}
		cases[i].Challenge = strings.Join(chs, "\n")
	}
	return cases
}
