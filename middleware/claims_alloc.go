package middleware

import "unsafe"

// claimsSize is the size of a Claims value.
const claimsSize = unsafe.Sizeof(Claims{})

// newClaims returns zero claims and a buffer of n bytes for their JSON
// object, in one allocation when the object is no larger than an access
// token's usually is: one allocation less on every uncached validation. The
// claims keep the buffer as raw, so both live exactly as long; each struct
// fills one of the allocator's size classes (640 … 2048 bytes), so packing
// costs no more memory than two allocations would.
func newClaims(n int) (*Claims, []byte) {
	switch m := uintptr(n); {
	case m <= 640-claimsSize:
		p := new(struct {
			c Claims
			b [640 - claimsSize]byte
		})
		return &p.c, p.b[:n:n]
	case m <= 768-claimsSize:
		p := new(struct {
			c Claims
			b [768 - claimsSize]byte
		})
		return &p.c, p.b[:n:n]
	case m <= 1024-claimsSize:
		p := new(struct {
			c Claims
			b [1024 - claimsSize]byte
		})
		return &p.c, p.b[:n:n]
	case m <= 1280-claimsSize:
		p := new(struct {
			c Claims
			b [1280 - claimsSize]byte
		})
		return &p.c, p.b[:n:n]
	case m <= 2048-claimsSize:
		p := new(struct {
			c Claims
			b [2048 - claimsSize]byte
		})
		return &p.c, p.b[:n:n]
	}
	return new(Claims), make([]byte, n)
}
