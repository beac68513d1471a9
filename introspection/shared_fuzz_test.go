package introspection

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// FuzzSharedRecord checks the records of the shared cache, which come from a
// store that others may write to: decoding never panics, accepts no value
// that was not encoded with the keys for that name, and returns what was
// encoded. It runs unsealed and sealed.
func FuzzSharedRecord(f *testing.F) {
	f.Add([]byte{}, []byte(`{"active":true,"sub":"u"}`), byte(kindActive), int64(1_750_000_000_000), false)
	f.Add([]byte{1, 'a', 0, 0, 1, 0x97, 0x5c, 0x4e, 0x3c, 0}, []byte{}, byte(kindInactive), int64(0), true)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80}, []byte(`{}`), byte('x'), int64(-1), true)
	f.Add(bytes.Repeat([]byte{0xff}, 80), []byte(`{"active":true}`), byte(kindActive), int64(1), false)
	f.Fuzz(func(t *testing.T, garble, body []byte, kind byte, ms int64, sealed bool) {
		s := fuzzShared(t, sealed)
		if _, _, _, ok := s.decode("name", garble); ok {
			t.Fatalf("decode accepted %x, which was not encoded with the keys", garble)
		}
		until := time.UnixMilli(ms)
		rec := s.encode("name", kind, until, body)
		k, u, b, ok := s.decode("name", rec)
		if !ok || k != kind || !u.Equal(until) || !bytes.Equal(b, body) {
			t.Fatalf("decode(encode(%c, %v, %q)) = %c, %v, %q, %v", kind, until, body, k, u, b, ok)
		}
		if _, _, _, ok := s.decode("other", rec); ok {
			t.Fatal("decode accepted a record under another name")
		}
		// garble as a mask over the record (its excess bytes appended).
		changed := bytes.Clone(rec)
		for i, m := range garble {
			if i < len(changed) {
				changed[i] ^= m
			} else {
				changed = append(changed, m)
			}
		}
		if _, _, _, ok := s.decode("name", changed); ok && !bytes.Equal(changed, rec) {
			t.Fatalf("decode accepted a record changed by %x", garble)
		}
	})
}

// nopShared is a SharedCache that holds nothing.
type nopShared struct{}

func (nopShared) Get(context.Context, string) ([]byte, error)              { return nil, nil }
func (nopShared) Set(context.Context, string, []byte, time.Duration) error { return nil }

func fuzzShared(tb testing.TB, sealed bool) *shared {
	tb.Helper()
	cfg := &SharedConfig{Cache: nopShared{}, Key: bytes.Repeat([]byte{1}, 32)}
	if sealed {
		cfg.SealKey = bytes.Repeat([]byte{2}, 32)
	}
	s, err := newShared(cfg, time.Minute, time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
