package middleware

import (
	"errors"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/rsguard/rsguard/scopes"
)

// warm validates token with v memoAdmit+2 times, enough for its header and scope
// claim to be stored (one miss in memoAdmit is), and fails unless every
// validation gives the same verdict; it returns the last one.
func warm(t *testing.T, v *Validator, token string) (*Claims, error) {
	t.Helper()
	var c *Claims
	var err error
	for i := range memoAdmit + 2 {
		ci, erri := validate(v, token)
		if i > 0 && (erri == nil) != (err == nil) {
			t.Fatalf("validation %d: error %v after %v", i+1, erri, err)
		}
		c, err = ci, erri
	}
	return c, err
}

// TestHeaderMemo: headers that differ from remembered ones in one member
// (another key id or algorithm, of the same length; another, absent or empty
// "typ") are judged on their own, not from the memo, and the remembered ones
// again as before.
func TestHeaderMemo(t *testing.T) {
	k := newTestKey(t, "k1", "RS256", "RS256")
	v := newTestValidator(t, []*testKey{k}, func(is *Issuer) { is.Types = CompatTypes() }, &Config{CacheSize: -1})
	good := k.token()
	if _, err := warm(t, v, good); err != nil {
		t.Fatalf("good token refused: %v", err)
	}
	if _, ok := v.headers.get(good[:strings.IndexByte(good, '.')]); !ok {
		t.Fatal("the memo does not hold the header of a token validated ten times")
	}
	cases := []struct {
		name   string
		token  string
		reason error // nil: accepted
	}{
		{"another kid", k.mint(map[string]any{"kid": "k2"}, nil), ErrUnknownKey},
		{"another alg", k.mint(map[string]any{"alg": "RS384"}, nil), ErrKeyMismatch},
		{"typ JWT", k.mint(map[string]any{"typ": "JWT"}, nil), nil},
		{"typ jwt", k.mint(map[string]any{"typ": "jwt"}, nil), nil},
		{"typ at+jwx", k.mint(map[string]any{"typ": "at+jwx"}, nil), ErrWrongType},
		{"untyped, unknown kid", k.mint(map[string]any{"typ": nil, "kid": "k3"}, nil), ErrUnknownKey},
		{"untyped", k.mint(map[string]any{"typ": nil}, nil), nil},
		{"empty typ", k.mint(map[string]any{"typ": ""}, nil), ErrWrongType},
		{"good again", good, nil},
	}
	for round := range 2 {
		for _, c := range cases {
			_, err := warm(t, v, c.token)
			switch {
			case c.reason == nil && err != nil:
				t.Errorf("round %d, %s: refused: %v", round, c.name, err)
			case c.reason != nil && !errors.Is(err, c.reason):
				t.Errorf("round %d, %s: error %v, want %v", round, c.name, err, c.reason)
			}
		}
	}
}

// TestScopeMemo: a scope claim of the same length as a remembered one gets
// its own set, and a remembered one its own again.
func TestScopeMemo(t *testing.T) {
	k := keyFor(t, "ES256")
	v := newTestValidator(t, []*testKey{k}, nil, &Config{CacheSize: -1})
	for round := range 2 {
		for _, c := range []struct {
			scope any
			want  []string // nil: refused
		}{
			{"read write", []string{"read", "write"}},
			{"read admin", []string{"read", "admin"}},
			{"write read", []string{"write", "read"}},
			{"read\twrit", nil},
			{[]string{"read", "write"}, []string{"read", "write"}},
			{"read  write", []string{"read", "write"}},
			{"read write", []string{"read", "write"}},
		} {
			claims, err := warm(t, v, k.mint(nil, map[string]any{"scope": c.scope}))
			if _, ok := v.scopeSets.get(string(mustJSON(c.scope))); ok != (c.want != nil) {
				t.Errorf("round %d, scope %q: in the memo %v, want %v", round, c.scope, ok, c.want != nil)
			}
			switch {
			case c.want == nil && !errors.Is(err, ErrMalformed):
				t.Errorf("round %d, scope %q: error %v, want ErrMalformed", round, c.scope, err)
			case c.want != nil && err != nil:
				t.Errorf("round %d, scope %q: refused: %v", round, c.scope, err)
			case c.want != nil && !slices.Equal(claims.Scopes.List(), c.want):
				t.Errorf("round %d, scope %q: scopes %q, want %q", round, c.scope, claims.Scopes.List(), c.want)
			}
		}
	}
}

// TestScopeMemoOwnsItsStrings: a remembered scope set's strings point into
// the memo's copy of the claim, not into the claims of the token that
// filled the slot, which the memo would otherwise keep alive.
func TestScopeMemoOwnsItsStrings(t *testing.T) {
	k := keyFor(t, "ES256")
	v := newTestValidator(t, []*testKey{k}, nil, &Config{CacheSize: -1})
	claims, err := warm(t, v, k.mint(nil, map[string]any{"scope": "orders:read orders:write"}))
	if err != nil {
		t.Fatal(err)
	}
	var e *memoEntry[scopes.Set]
	for i := range v.scopeSets.slots {
		if s := v.scopeSets.slots[i].Load(); s != nil && s.key == `"orders:read orders:write"` {
			e = s
		}
	}
	if e == nil {
		t.Fatal("the scope claim is not in the memo")
	}
	within := func(s string, in []byte) bool {
		p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.SliceData(in)))
		return p >= lo && p+uintptr(len(s)) <= lo+uintptr(len(in))
	}
	for _, s := range e.val.List() {
		if !within(s, bytesOf(e.key)) {
			t.Errorf("remembered scope %q is not in the memo's copy of the claim", s)
		}
		if within(s, claims.raw) {
			t.Errorf("remembered scope %q points into a token's claims", s)
		}
	}
}

// TestMemoConcurrent has 16 goroutines look up and store 24 keys in one memo
// (more than it holds, so slots are replaced while read): every hit must be
// the value of its key, and the race detector must find nothing.
func TestMemoConcurrent(t *testing.T) {
	var m memo[string]
	var hits sync.WaitGroup
	var hitCount [16]int
	for g := range 16 {
		hits.Go(func() {
			for i := range 4000 {
				key := "key-" + strconv.Itoa((i*7+g)%24)
				if v, ok := m.get(key); ok {
					if v != "value of "+key {
						t.Errorf("get(%q) = %q", key, v)
						return
					}
					hitCount[g]++
					continue
				}
				m.put(key, func(k string) string { return "value of " + k })
			}
		})
	}
	hits.Wait()
	total := 0
	for _, n := range hitCount {
		total += n
	}
	if total == 0 {
		t.Error("no lookup hit a stored key")
	}
}

// TestMemoAdmission: a memo stores the first miss and one in memoAdmit after
// it, in its slots in turn, so distinct keys without end allocate on one
// miss in memoAdmit.
func TestMemoAdmission(t *testing.T) {
	var m memo[int]
	for i := range memoAdmit * (memoSlots + 1) {
		m.put(strconv.Itoa(i), func(string) int { return i })
	}
	for i := range memoAdmit * (memoSlots + 1) {
		v, ok := m.get(strconv.Itoa(i))
		stored := i%memoAdmit == 0 && i >= memoAdmit // the first was replaced by the last
		if ok != stored || ok && v != i {
			t.Errorf("get(%d) = %d, %v; want stored %v", i, v, ok, stored)
		}
	}
	keys := make([]string, 800)
	for i := range keys {
		keys[i] = "distinct-" + strconv.Itoa(i)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i, key := range keys {
		if _, ok := m.get(key); !ok {
			m.put(key, func(string) int { return i })
		}
	}
	runtime.ReadMemStats(&after)
	// An entry and its key: two allocations on a stored miss.
	if per, max := float64(after.Mallocs-before.Mallocs)/float64(len(keys)), 2.0/memoAdmit+0.05; per > max {
		t.Errorf("a miss allocates %.3f times on average, want at most %.3f", per, max)
	}
	var nilMemo *memo[int]
	nilMemo.put("a", func(string) int { return 1 })
	if _, ok := nilMemo.get("a"); ok {
		t.Error("a nil memo remembered a value")
	}
}
