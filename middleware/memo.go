package middleware

import (
	"strings"
	"sync/atomic"
)

// memo remembers what a pure function of a string returned for the last few
// strings it was given: the parsed protected header of an access token (one
// issuer signs every token with the same few headers) and the parsed scope
// claim (a client's tokens carry the same scope string). A hit saves a
// decode and a parse on every uncached validation; the result is the one
// parsing gives, whatever the memo holds, because the key is the whole
// input and the value a function of it.
//
// Lookups are a few atomic loads and string compares. Entries are immutable
// and replaced whole, so a reader never sees half of one. Only one miss in
// memoAdmit stores its value: traffic with more distinct strings than slots
// (more than four headers in turn, from several issuers or keys; many
// clients' scope strings) costs a few allocations on one validation in
// memoAdmit, not on each, and cannot churn the slots faster than that; its
// misses cost what parsing did before. Forged headers can push entries out,
// never mislead: an entry's value is a function of its key. The header memo
// is asked before the signature is checked, so a forger can time its hits;
// they tell a recent alg, kid and typ, which the JWK Set publishes. The
// scope memo is asked only once the signature and the claims have passed.
type memo[V any] struct {
	slots  [memoSlots]atomic.Pointer[memoEntry[V]]
	misses atomic.Uint32
}

type memoEntry[V any] struct {
	key string
	val V
}

const (
	memoSlots = 4
	memoAdmit = 8
)

// get returns the value remembered for key, if any; a nil memo remembers
// nothing.
func (m *memo[V]) get(key string) (V, bool) {
	if m == nil {
		var zero V
		return zero, false
	}
	for i := range m.slots {
		if e := m.slots[i].Load(); e != nil && e.key == key {
			return e.val, true
		}
	}
	var zero V
	return zero, false
}

// put offers key after a miss: on one miss in memoAdmit it stores
// value(k) in the next slot in turn, where k is the memo's own copy of key,
// so that the value may alias k but never the caller's buffers (a token's,
// which the memo would otherwise keep alive). The value must not be
// modified afterwards.
func (m *memo[V]) put(key string, value func(k string) V) {
	if m == nil {
		return
	}
	n := m.misses.Add(1)
	if n%memoAdmit != 1 {
		return
	}
	k := strings.Clone(key)
	i := n / memoAdmit % memoSlots
	m.slots[i].Store(&memoEntry[V]{key: k, val: value(k)})
}
