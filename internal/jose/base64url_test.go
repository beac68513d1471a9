package jose_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/internal/jose"
)

// strict is the decoder DecodeInto must agree with.
var strict = base64.RawURLEncoding.Strict()

// checkAgainstStrict decodes s with DecodeInto and with encoding/base64's
// strict RawURLEncoding and fails t unless both refuse it or both decode it
// to the same bytes. Input with CR or LF, which encoding/base64 skips, must
// be refused.
func checkAgainstStrict(t *testing.T, s string) { checkWithRoom(t, s, 0) }

// checkWithRoom is checkAgainstStrict with extra bytes of room in dst, as
// splitJWS gives the header (its scratch holds the signature after it):
// the decoded bytes and their length must not depend on the room.
func checkWithRoom(t *testing.T, s string, extra int) {
	t.Helper()
	for _, vector := range []bool{true, false} {
		restore := jose.SetAVX2(vector)
		checkDecode(t, s, extra)
		restore()
	}
}

// checkDecode is checkWithRoom for DecodeInto as it is set now, with AVX2
// or without.
func checkDecode(t *testing.T, s string, extra int) {
	t.Helper()
	dst := make([]byte, jose.DecodedLen(len(s))+extra)
	n, err := jose.DecodeInto(dst, s)
	if strings.ContainsAny(s, "\r\n") {
		if err == nil {
			t.Fatalf("DecodeInto(%q) = %d, nil; want ErrBase64 for CR or LF", s, n)
		}
		return
	}
	want, werr := strict.DecodeString(s)
	switch {
	case (err == nil) != (werr == nil):
		t.Fatalf("DecodeInto(%q) error = %v; encoding/base64's = %v", s, err, werr)
	case err != nil && !errors.Is(err, jose.ErrBase64):
		t.Fatalf("DecodeInto(%q) error = %v, want ErrBase64", s, err)
	case err == nil && !bytes.Equal(dst[:n], want):
		t.Fatalf("DecodeInto(%q) = %x, want %x", s, dst[:n], want)
	case len(want) != jose.DecodedLen(len(s)) && err == nil:
		t.Fatalf("DecodedLen(%d) = %d, decoded %d", len(s), jose.DecodedLen(len(s)), len(want))
	}
}

// TestDecodeIntoShortInputs compares every input of up to three characters
// from the alphabet and seven bytes outside it: every tail a longer input
// can end with, the refused lengths and the non-canonical final bits.
func TestDecodeIntoShortInputs(t *testing.T) {
	const symbols = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ \r\n\x00\xff"
	checkAgainstStrict(t, "")
	for _, a := range []byte(symbols) {
		checkAgainstStrict(t, string(a))
		for _, b := range []byte(symbols) {
			checkAgainstStrict(t, string([]byte{a, b}))
			for _, c := range []byte(symbols) {
				checkAgainstStrict(t, string([]byte{a, b, c}))
			}
		}
	}
}

// TestDecodeIntoEveryLength round-trips random bytes of every length up to
// 600 (past RSA-4096 signatures), and checks that one byte outside the
// alphabet at any position of the encoding is refused.
func TestDecodeIntoEveryLength(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 601 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		s := base64.RawURLEncoding.EncodeToString(b)
		checkAgainstStrict(t, s)
		dst := make([]byte, jose.DecodedLen(len(s)))
		if got, err := jose.DecodeInto(dst, s); err != nil || !bytes.Equal(dst[:got], b) {
			t.Fatalf("DecodeInto(encoding of %d bytes) = %d, %v", n, got, err)
		}
		if n == 0 {
			continue
		}
		for _, bad := range []byte("=+/ \r\n\x00\x80.") {
			i := r.IntN(len(s))
			s2 := s[:i] + string(bad) + s[i+1:]
			for _, vector := range []bool{true, false} {
				restore := jose.SetAVX2(vector)
				_, err := jose.DecodeInto(dst, s2)
				restore()
				if !errors.Is(err, jose.ErrBase64) {
					t.Fatalf("DecodeInto (AVX2 %v) with %q at %d of %d = %v, want ErrBase64", vector, bad, i, len(s), err)
				}
			}
		}
	}
}

// TestDecodeIntoEveryByteInBlocks puts every byte value at every position of
// two whole 32-character blocks and the tail after them: the AVX2 code must
// take or refuse each byte as the scalar code and encoding/base64 do, in
// the first block and after a good one.
func TestDecodeIntoEveryByteInBlocks(t *testing.T) {
	s := base64.RawURLEncoding.EncodeToString([]byte("every byte at every position of two blocks, and a tail"))
	if len(s) < 70 {
		t.Fatalf("encoding is %d characters, want 70 or more", len(s))
	}
	b := []byte(s)
	for i := range b {
		for c := range 256 {
			was := b[i]
			b[i] = byte(c)
			checkWithRoom(t, string(b), 0)
			b[i] = was
		}
	}
}

// TestDecodeBlocks: where the processor has AVX2, DecodeInto decodes whole
// blocks with it, up to a block with a byte outside the alphabet or the
// end of dst's room; elsewhere it decodes none.
func TestDecodeBlocks(t *testing.T) {
	s := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0x3C, 0x99, 0xF0}, 40)) // 160 characters
	dst := make([]byte, jose.DecodedLen(len(s)))
	for _, c := range []struct {
		src  string
		room int
		want int
	}{
		{s, len(dst), 160},
		{s[:159], len(dst), 128},
		{s[:31], len(dst), 0},
		{s[:70] + "." + s[71:], len(dst), 64},
		{"." + s[1:], len(dst), 0},
		{s, 95, 96},
		{s, 24*3 - 1, 64},
	} {
		want := c.want
		if !jose.HasAVX2() {
			want = 0
		}
		// Room beyond dst's length, filled with a guard byte: the vector
		// code writes 24 bytes a block and nothing after them.
		buf := bytes.Repeat([]byte{0xEE}, len(dst)+32)
		got := jose.DecodeBlocks(buf[:c.room:c.room], c.src)
		if got != want {
			t.Errorf("DecodeBlocks(%d-byte dst, %d characters) = %d, want %d (AVX2: %v)", c.room, len(c.src), got, want, jose.HasAVX2())
		}
		wrote := got / 4 * 3
		if !bytes.Equal(buf[wrote:], bytes.Repeat([]byte{0xEE}, len(buf)-wrote)) {
			t.Errorf("DecodeBlocks(%d-byte dst, %d characters) wrote past the %d bytes it decoded", c.room, len(c.src), wrote)
		}
		if decoded, err := strict.DecodeString(c.src[:got]); err != nil || !bytes.Equal(buf[:wrote], decoded) {
			t.Errorf("DecodeBlocks(%d-byte dst, %d characters) decoded %x, want %x (%v)", c.room, len(c.src), buf[:wrote], decoded, err)
		}
	}
}

// TestDecodeIntoShortDst: a destination shorter than DecodedLen is an error,
// not a panic; one of exactly DecodedLen takes every length (the eight-byte
// writes stay inside it, or the bounds check would panic).
func TestDecodeIntoShortDst(t *testing.T) {
	s := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xAB}, 40))
	for n := range jose.DecodedLen(len(s)) {
		if _, err := jose.DecodeInto(make([]byte, n), s); !errors.Is(err, jose.ErrBase64) {
			t.Fatalf("DecodeInto(%d-byte dst) = %v, want ErrBase64", n, err)
		}
	}
	for n := range 40 {
		b := bytes.Repeat([]byte{0xCD}, n)
		s := base64.RawURLEncoding.EncodeToString(b)
		dst := make([]byte, jose.DecodedLen(len(s)))
		if got, err := jose.DecodeInto(dst, s); err != nil || got != n || !bytes.Equal(dst, b) {
			t.Fatalf("DecodeInto(%d bytes) = %d, %v", n, got, err)
		}
	}
}

func TestDecodeIntoAllocations(t *testing.T) {
	s := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 256))
	dst := make([]byte, 512)
	if n := testing.AllocsPerRun(100, func() { _, _ = jose.DecodeInto(dst, s) }); n != 0 {
		t.Errorf("DecodeInto allocates %v times, want 0", n)
	}
}

func FuzzDecodeInto(f *testing.F) {
	for _, s := range []string{"", "A", "AA", "AB", "AAA", "AAB", "AQ", "AAE", "eyJhbGciOiJSUzI1NiJ9",
		"AAAA\nAAAA", "AAAA====", "_-_-_-_-_", "YWJjZGVmZ2hpamtsbW5vcA", "YWJjZGVmZ2hpamtsbW5vcA\r"} {
		f.Add(s)
	}
	// Whole blocks for the AVX2 code, good and with a bad byte in the
	// first, the second or the tail.
	long := base64.RawURLEncoding.EncodeToString([]byte("a seed of seventy characters for the vector code's blocks"))
	for _, s := range []string{long, long[:64], long[:5] + "." + long[6:], long[:40] + "\n" + long[41:], long[:66] + "=" + long[67:]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, extra := range []int{0, 1, 2, 7, 8, 23} {
			checkWithRoom(t, s, extra)
		}
	})
}

func BenchmarkDecodeInto(b *testing.B) {
	sig := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0x5A, 0xC3}, 128)) // an RS256 signature's length
	dst := make([]byte, 512)
	b.Run("rsguard", func(b *testing.B) {
		for b.Loop() {
			_, _ = jose.DecodeInto(dst, sig)
		}
	})
	b.Run("rsguard-scalar", func(b *testing.B) {
		defer jose.SetAVX2(false)()
		for b.Loop() {
			_, _ = jose.DecodeInto(dst, sig)
		}
	})
	b.Run("encoding-base64", func(b *testing.B) {
		src := []byte(sig)
		for b.Loop() {
			_, _ = strict.Decode(dst, src)
		}
	})
}

func TestInAlphabet(t *testing.T) {
	for c := range 256 {
		_, err := strict.DecodeString(string([]byte{'A', 'A', 'A', byte(c)}))
		if want := err == nil && c != '\r' && c != '\n'; jose.InAlphabet(byte(c)) != want {
			t.Errorf("InAlphabet(%q) = %v, want %v", c, !want, want)
		}
	}
}
