package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzScanner checks the scanner against json.Valid in both directions, on
// the documents both are meant to agree on: objects in valid UTF-8 without
// surrogate escapes, nested less than MaxDepth.
func FuzzScanner(f *testing.F) {
	for _, seed := range []string{`{}`, `{"a":[1,-2.5e3,"x\n",{"b":null}],"c":true}`, `{"a":"\u00e9"}`, `{"a":01}`, `{"a":1,}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := scanObject(data)
		valid := json.Valid(data)
		if err == nil && !valid {
			t.Fatalf("scanner accepted %q, which encoding/json refuses", data)
		}
		trimmed := strings.TrimLeft(string(data), " \t\r\n")
		comparable := utf8.Valid(data) && strings.HasPrefix(trimmed, "{") &&
			!strings.Contains(strings.ToLower(string(data)), `\ud`) &&
			strings.Count(string(data), "[")+strings.Count(string(data), "{") < MaxDepth
		if comparable && valid && err != nil {
			t.Fatalf("scanner refused %q, which encoding/json accepts: %v", data, err)
		}
	})
}

// FuzzUniqueMembers checks UniqueMembers against encoding/json's tokenizer
// and strings.EqualFold: it refuses exactly the objects that repeat a member
// name under case folding (on documents the scanner accepts).
func FuzzUniqueMembers(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"a":1,"A":2}`, `{"kid":1,"\u212aid":2}`, `{"a":{"a":1,"a":2}}`, `{"ß":1,"ss":2}`,
		`{"σ":1,"ς":2}`, `{"x":[{"y":1}],"X":null}`, `{"a\u0000":1,"a":2}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := UniqueMembers(data)
		s := Scanner{B: data}
		if s.Skip(1) != nil || s.end(true) != nil || data[0] != '{' || !utf8.Valid(data) {
			if err == nil && !json.Valid(data) {
				t.Fatalf("UniqueMembers(%q) accepted invalid JSON", data)
			}
			return
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.Token()
		var names []string
		dup := false
		for dec.More() {
			tok, terr := dec.Token()
			if terr != nil {
				t.Fatalf("decoding %q: %v", data, terr)
			}
			name := tok.(string)
			for _, n := range names {
				dup = dup || strings.EqualFold(n, name)
			}
			names = append(names, name)
			var skip json.RawMessage
			if derr := dec.Decode(&skip); derr != nil {
				t.Fatalf("decoding %q: %v", data, derr)
			}
		}
		if dup != (err != nil) {
			t.Fatalf("UniqueMembers(%q) = %v, want an error: %v", data, err, dup)
		}
	})
}

// FuzzValues checks the values Number and Str return against encoding/json:
// what they scan is the JSON value encoding/json reads, to the same value,
// and a refusal is of input encoding/json refuses too.
func FuzzValues(f *testing.F) {
	for _, seed := range []string{`0`, `7`, `05`, `1767323045`, `999999999999999`, `1000000000000000`,
		`12345678901234567890`, `-3`, `1.5`, `1e3`, `1E+2`, `2.`, `1ex`, `-`, `1,`, `"abc"`, `"a\"b"`,
		`"\u00e9"`, `"caf` + "\u00e9" + `"`, `"x` + "\x01" + `"`, `"unterminated`, `""`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		isStr := len(data) > 0 && data[0] == '"'
		s := &Scanner{B: data}
		var got any
		var err error
		if isStr {
			got, err = s.Str()
		} else {
			got, err = s.Number()
		}
		if err != nil {
			var v any
			// Number and Str start at the value: encoding/json also skips
			// white space before it.
			atValue := len(data) > 0 && strings.TrimLeft(string(data[:1]), " \t\r\n") != ""
			if atValue && json.Unmarshal(data, &v) == nil && utf8.Valid(data) && !strings.Contains(strings.ToLower(string(data)), `\ud`) {
				if _, ok := v.(float64); ok == !isStr {
					t.Fatalf("scanner refused %q, which encoding/json reads as %v: %v", data, v, err)
				}
			}
			return
		}
		var want any
		if isStr {
			var v string
			if e := json.Unmarshal(data[:s.I], &v); e != nil {
				t.Fatalf("Str read %q from %q, which encoding/json refuses: %v", got, data[:s.I], e)
			}
			want = v
		} else {
			var v float64
			if e := json.Unmarshal(data[:s.I], &v); e != nil {
				t.Fatalf("Number read %v from %q, which encoding/json refuses: %v", got, data[:s.I], e)
			}
			want = v
		}
		if got != want {
			t.Fatalf("scan of %q = %v, encoding/json's %v", data[:s.I], got, want)
		}
		if json.Valid(data) && strings.TrimRight(string(data[s.I:]), " \t\r\n") != "" {
			t.Fatalf("scan of %q stopped at %d, before the end of the value", data, s.I)
		}
	})
}
