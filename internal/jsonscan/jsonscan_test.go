package jsonscan

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

// scanObject runs the scanner over doc as a top-level object, skipping every
// member's value.
func scanObject(doc []byte) error {
	s := Scanner{B: doc}
	return s.Object(true, func(string) error { return s.Skip(1) })
}

func TestScanner(t *testing.T) {
	t.Parallel()
	nest := func(n int) string { // a member value n arrays deep
		return `{"a":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
	}
	tests := []struct {
		doc string
		ok  bool
	}{
		{`{}`, true},
		{" \t\r\n{ } \n", true},
		{`{"a":1}`, true},
		{`{"a":-0.5e+10,"b":1E-3,"c":0,"d":-0}`, true},
		{`{"a":[1,"x",{"b":null},true,false,[]],"c":{}}`, true},
		{`{"a":"\u00e9\n\t\"\\\/\b\f\r"}`, true},
		{`{"a":"\ud83d\ude00"}`, true},
		{`{"a":"\u0000"}`, true},
		{`{"a":"` + "caf\u00e9 \U0001F600" + `"}`, true},
		{`{"a":"\uFFFD"}`, true},
		{`{"a":1,"a":2}`, true}, // duplicates are the claims parser's business
		{nest(MaxDepth), true},
		{nest(MaxDepth + 1), false},
		{`{"a":"\ud83d"}`, false},       // lone high surrogate
		{`{"a":"\ude00"}`, false},       // lone low surrogate
		{`{"a":"\ud83d\u0041"}`, false}, // high surrogate, then not a low one
		{`{"a":"\ud83dx"}`, false},
		{`{"a":"\u12"}`, false},
		{`{"a":"\u12G4"}`, false},
		{`{"a":"\x"}`, false},
		{`{"a":"\'"}`, false},
		{"{\"a\":\"x\x01\"}", false},
		{"{\"a\":\"x\x7f\"}", true}, // DEL is allowed in JSON strings
		{"{\"a\":\"\xff\"}", false},
		{"{\"a\":\"\xc0\xaf\"}", false},     // overlong
		{"{\"a\":\"\xed\xa0\x80\"}", false}, // a surrogate in UTF-8
		{"{\"a\":\"\xe2\x82\"}", false},     // truncated sequence
		{`{"a":01}`, false},
		{`{"a":1.}`, false},
		{`{"a":.5}`, false},
		{`{"a":-}`, false},
		{`{"a":+1}`, false},
		{`{"a":1e}`, false},
		{`{"a":1e+}`, false},
		{`{"a":0x10}`, false},
		{`{"a":NaN}`, false},
		{`{"a":tru}`, false},
		{`{"a":True}`, false},
		{`{"a":nul}`, false},
		{`{"a" 1}`, false},
		{`{"a":1,}`, false},
		{`{"a":[1,]}`, false},
		{`{"a":[,1]}`, false},
		{`{,}`, false},
		{`{a:1}`, false},
		{`{'a':1}`, false},
		{`{"a":1}}`, false},
		{`{"a":1} x`, false},
		{`{"a":1}{}`, false},
		{`{"a":"unterminated}`, false},
		{`{"a":`, false},
		{`{`, false},
		{``, false},
		{` `, false},
		{`[1]`, false},
		{`"s"`, false},
		{`null`, false},
	}
	for _, tc := range tests {
		err := scanObject([]byte(tc.doc))
		if (err == nil) != tc.ok {
			t.Errorf("scan(%q) = %v, want ok %v", tc.doc, err, tc.ok)
		}
		if err == nil && !json.Valid([]byte(tc.doc)) {
			t.Errorf("scan(%q) accepted what encoding/json refuses", tc.doc)
		}
	}
}

func TestScannerStrings(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`"plain"`, `""`, `"esc\"aped\\"`, `"\u0041\u00e9\u4e2d\ud83d\ude00"`,
		`"\/\b\f\n\r\t"`, "\"caf\u00e9\"", `"a\u0000b"`,
	} {
		s := Scanner{B: []byte(in)}
		got, err := s.Str()
		var want string
		if jerr := json.Unmarshal([]byte(in), &want); jerr != nil {
			t.Fatalf("json.Unmarshal(%q): %v", in, jerr)
		}
		if err != nil || got != want || s.I != len(in) {
			t.Errorf("str(%q) = %q, %v (at %d), want %q", in, got, err, s.I, want)
		}
	}
}

// TestStrOnce checks the once-only string members: each is read into its
// destination, a second member with the same bit is refused even when its
// name differs (the caller maps names to bits), a member of another bit is
// still read, and a value that is not a string is refused.
func TestStrOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc  string
		ok   bool
		a, b string
	}{
		{`{"a":"x","b":"y"}`, true, "x", "y"},
		{`{"a":"x","a":"x"}`, false, "x", ""},
		{`{"a":"x","A":"y"}`, false, "x", ""}, // "A" shares a's bit
		{`{"b":"y","a":"\u00e9"}`, true, "\u00e9", "y"},
		{`{"a":1}`, false, "", ""},
		{`{"c":"z"}`, true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.doc, func(t *testing.T) {
			var seen int
			var a, b string
			s := Scanner{B: []byte(tt.doc)}
			err := s.Object(true, func(name string) error {
				switch name {
				case "a", "A":
					return s.StrOnce(&seen, 1, &a)
				case "b":
					return s.StrOnce(&seen, 2, &b)
				}
				return s.Skip(1)
			})
			if (err == nil) != tt.ok || a != tt.a || b != tt.b {
				t.Errorf("err %v, a %q, b %q; want ok %v, a %q, b %q", err, a, b, tt.ok, tt.a, tt.b)
			}
		})
	}
}

// TestNotPlain8 holds notPlain8 to plainASCII: its lowest flag must be the
// first byte that is not plain (none: no flag), for every byte value at
// every position of a plain word, every pair of positions over the bytes at
// the edges of the classes (where a borrow could hide or invent a flag), and
// random words.
func TestNotPlain8(t *testing.T) {
	first := func(w [8]byte) int {
		for i, c := range w {
			if !plainASCII[c] {
				return i
			}
		}
		return 8
	}
	check := func(w [8]byte) {
		t.Helper()
		got := 8
		if m := notPlain8(binary.LittleEndian.Uint64(w[:])); m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if want := first(w); got != want {
			t.Fatalf("notPlain8(%q): first flag at %d, want %d", w[:], got, want)
		}
	}
	base := [8]byte{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}
	for pos := range 8 {
		for c := range 256 {
			w := base
			w[pos] = byte(c)
			check(w)
		}
	}
	edges := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0x81, 0xdc, 0xff}
	for p1 := range 8 {
		for p2 := p1 + 1; p2 < 8; p2++ {
			for _, c1 := range edges {
				for _, c2 := range edges {
					w := base
					w[p1], w[p2] = c1, c2
					check(w)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		// Mostly plain words (ASCII, no control byte), ASCII words, and
		// words of any bytes.
		x := r.Uint64()
		switch r.IntN(3) {
		case 0:
			x = x&0x7f7f7f7f7f7f7f7f | 0x2020202020202020
		case 1:
			x &= 0x7f7f7f7f7f7f7f7f
		}
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], x)
		check(w)
	}
}
