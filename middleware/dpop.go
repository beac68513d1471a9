package middleware

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rsguard/rsguard/internal/jose"
)

// Defaults for [DPoPConfig] fields left zero.
const (
	// DefaultDPoPProofWindow is how long after its "iat" a proof is accepted
	// (RFC 9449 §11.1), besides [Config.ClockSkew] either side: long enough
	// for a request to cross a slow network, short enough to keep the replay
	// store small.
	DefaultDPoPProofWindow = 60 * time.Second
	// DefaultDPoPNonceStep is the life of a server nonce (RFC 9449 §9): a
	// nonce is current for one step and still accepted during the next.
	DefaultDPoPNonceStep = 5 * time.Minute
	// MaxDPoPProofSize bounds a proof, in bytes.
	MaxDPoPProofSize = 8 << 10
)

// DefaultDPoPAlgorithms returns, in a new slice and sorted, the proof
// algorithms accepted when [DPoPConfig.Algorithms] is empty: every
// asymmetric JWS algorithm rsguard verifies (RFC 9449 §4.2). "none" and HS*
// are never accepted: a proof must be signed with a private key.
func DefaultDPoPAlgorithms() []string {
	algs := jose.Asymmetric()
	slices.Sort(algs)
	return algs
}

// DPoPConfig holds the settings of DPoP proof verification (RFC 9449 §4.3),
// for the issuers whose [Issuer.DPoP] accepts it. The zero value is the safe
// default: no server nonce, the in-memory replay store, fail closed.
type DPoPConfig struct {
	// Algorithms is the allow-list of proof algorithms. Default
	// [DefaultDPoPAlgorithms]; symmetric algorithms are refused.
	Algorithms []string
	// ProofWindow is how long after its "iat" a proof is accepted, beside
	// [Config.ClockSkew] either side; its "jti" is remembered that long.
	// Default [DefaultDPoPProofWindow] (60s).
	ProofWindow time.Duration
	// Nonce, when set, makes every proof carry a server nonce (RFC 9449 §9):
	// a proof without the current (or previous) one is answered
	// use_dpop_nonce with a DPoP-Nonce header. Default nil: no nonces.
	Nonce *NonceKey
	// ReplayStore remembers the proofs used. Default: a
	// [MemoryReplayStore] of [DefaultReplayCapacity] entries, which only
	// protects this replica; give replicas a shared store.
	ReplayStore ReplayStore
	// AllowReplayStoreFailure accepts a proof when the replay store fails
	// (fail open). Default false: the request is answered 503 with
	// Retry-After, neither accepted nor refused. Failing open lets a proof
	// captured during an outage be replayed within its window.
	AllowReplayStoreFailure bool
}

// Reasons of refused DPoP proofs (RFC 9449 §4.3), one per check. Each matches
// ErrInvalidToken; in an answer they are error "invalid_dpop_proof"
// ([ErrUseDPoPNonce]: "use_dpop_nonce").
var (
	ErrDPoPProofCount = errors.New("middleware: not exactly one DPoP proof")
	ErrDPoPMalformed  = errors.New("middleware: malformed DPoP proof")
	ErrDPoPType       = errors.New("middleware: DPoP proof typ is not dpop+jwt")
	ErrDPoPAlgorithm  = errors.New("middleware: DPoP proof algorithm not allowed")
	ErrDPoPKey        = errors.New("middleware: DPoP proof key missing, private or unusable")
	ErrDPoPSignature  = errors.New("middleware: DPoP proof signature verification failed")
	ErrDPoPMethod     = errors.New("middleware: DPoP proof htm does not match the request method")
	ErrDPoPURI        = errors.New("middleware: DPoP proof htu does not match the request URI")
	ErrDPoPTime       = errors.New("middleware: DPoP proof iat outside the accepted window")
	ErrDPoPReplayed   = errors.New("middleware: DPoP proof already used")
	ErrDPoPTokenHash  = errors.New("middleware: DPoP proof ath does not match the access token")
	ErrDPoPKeyBinding = errors.New("middleware: DPoP proof key is not the token's")
	ErrUseDPoPNonce   = errors.New("middleware: DPoP proof lacks the current server nonce")
	// ErrReplayUnavailable: the replay store could not answer (category
	// ErrUnavailable, 503).
	ErrReplayUnavailable = errors.New("middleware: DPoP replay store unavailable")
)

// proofCode returns the RFC 9449 error code of a proof reason, else "".
func proofCode(reason error) string {
	switch reason {
	case ErrUseDPoPNonce:
		return CodeUseDPoPNonce
	case ErrDPoPProofCount, ErrDPoPMalformed, ErrDPoPType, ErrDPoPAlgorithm, ErrDPoPKey,
		ErrDPoPSignature, ErrDPoPMethod, ErrDPoPURI, ErrDPoPTime, ErrDPoPReplayed,
		ErrDPoPTokenHash:
		return CodeInvalidDPoPProof
	}
	return ""
}

// dpopVerifier is the validator's DPoP configuration, resolved.
type dpopVerifier struct {
	algs     jose.Set
	algList  string // for the algs challenge attribute
	window   time.Duration
	skew     time.Duration
	nonce    *NonceKey
	store    ReplayStore
	failOpen bool
	now      func() time.Time
	keys     *proofKeyCache
}

func newDPoPVerifier(cfg *DPoPConfig, skew time.Duration, now func() time.Time) (*dpopVerifier, error) {
	d := &dpopVerifier{
		window: cfg.ProofWindow, skew: skew, nonce: cfg.Nonce,
		store: cfg.ReplayStore, failOpen: cfg.AllowReplayStoreFailure, now: now, keys: newProofKeyCache(),
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = DefaultDPoPAlgorithms()
	}
	for _, a := range algs {
		known, ok := jose.Lookup(a)
		if !ok || known.Family == jose.HMAC {
			return nil, fmt.Errorf("middleware: DPoP algorithm %q is not an asymmetric algorithm rsguard verifies", a)
		}
		d.algs = d.algs.With(known)
	}
	d.algList = strings.Join(algs, " ")
	if d.window < 0 {
		return nil, errors.New("middleware: negative DPoP ProofWindow")
	}
	if d.window == 0 {
		d.window = DefaultDPoPProofWindow
	}
	if d.store == nil {
		d.store = NewMemoryReplayStore(&MemoryReplayConfig{Now: now}) // the validator's clock
	}
	return d, nil
}

// DPoPAlgorithms returns the proof algorithms the validator accepts, for the
// "algs" attribute of a DPoP challenge (RFC 9449 §7.1).
func (v *Validator) DPoPAlgorithms() []string {
	return strings.Fields(v.dpop.algList)
}

// DPoPNonce returns the server nonce a DPoP client must put in its next
// proofs (RFC 9449 §9), for the DPoP-Nonce header; "" when nonces are off.
func (v *Validator) DPoPNonce() string {
	if v.dpop.nonce == nil {
		return ""
	}
	return v.dpop.nonce.current(v.dpop.now())
}

// acceptsSchemes reports which schemes the validator accepts for a request with
// the route mode m (DPoPInherit: the issuers'), for challenges.
func (v *Validator) acceptsSchemes(m DPoPMode) (bearer, dpop bool) {
	if v == nil {
		return true, false // the guard of requests that passed none
	}
	if m != DPoPInherit {
		return m != DPoPRequired, m > DPoPOff
	}
	for _, is := range v.issuers {
		bearer = bearer || is.dpop != DPoPRequired
		dpop = dpop || is.dpop > DPoPOff
	}
	return bearer, dpop
}
