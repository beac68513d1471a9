package scopes_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/scopes"
)

// scopeGrammar is RFC 6749 §3.3 transcribed literally, as the reference:
// scope = scope-token *( SP scope-token ); scope-token = 1*NQCHAR;
// NQCHAR = %x21 / %x23-5B / %x5D-7E.
var scopeGrammar = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$`)

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "a", "openid profile", "a a", "a  b", " a", "x\"y", "é", "a\tb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		set, err := scopes.Parse(in)
		valid := in == "" || scopeGrammar.MatchString(in)
		if (err == nil) != valid {
			t.Fatalf("Parse(%q) = %v, want accepted %v (RFC 6749 §3.3)", in, err, valid)
		}
		if err != nil {
			if set.Len() != 0 {
				t.Fatalf("Parse(%q) failed but returned %d scopes", in, set.Len())
			}
			return
		}
		seen := map[string]bool{}
		for _, tok := range set.List() {
			if !scopes.ValidToken(tok) || !scopeGrammar.MatchString(tok) || seen[tok] {
				t.Fatalf("Parse(%q) yielded invalid or duplicate token %q", in, tok)
			}
			seen[tok] = true
			if !set.Has(tok) {
				t.Fatalf("Parse(%q).Has(%q) = false", in, tok)
			}
		}
		for tok := range strings.SplitSeq(in, " ") {
			if in != "" && !seen[tok] {
				t.Fatalf("Parse(%q) lost token %q", in, tok)
			}
		}
		again, err := scopes.Parse(set.String())
		if err != nil || again.String() != set.String() {
			t.Fatalf("Parse(String()) = %q, %v, want %q (round trip)", again.String(), err, set.String())
		}
	})
}

// FuzzParseFields holds ParseFields to Parse over the string with its runs
// of spaces collapsed and its ends trimmed.
func FuzzParseFields(f *testing.F) {
	for _, s := range []string{"", " ", "a", "a  b", " a b ", "  ", "a\tb", "x\"y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, gerr := scopes.ParseFields(in)
		want, werr := scopes.Parse(strings.Join(strings.FieldsFunc(in, func(r rune) bool { return r == ' ' }), " "))
		if (gerr == nil) != (werr == nil) || got.String() != want.String() {
			t.Fatalf("ParseFields(%q) = %q, %v; want %q, %v", in, got.String(), gerr, want.String(), werr)
		}
	})
}
