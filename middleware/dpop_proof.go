package middleware

import (
	"context"
	"crypto/sha256"
	"errors"
	"math"
	"time"
	"unsafe"

	"github.com/rsguard/rsguard/internal/jose"
	"github.com/rsguard/rsguard/internal/jsonscan"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// proofClaims are the claims of a DPoP proof (RFC 9449 §4.2).
type proofClaims struct {
	jti, htm, htu, ath, nonce string
	iat                       float64
	hasIat                    bool
}

// Preallocated proof refusals.
var (
	errProofCount     = invalid(ErrDPoPProofCount)
	errProofMalformed = invalid(ErrDPoPMalformed)
	errProofType      = invalid(ErrDPoPType)
	errProofAlg       = invalid(ErrDPoPAlgorithm)
	errProofKey       = invalid(ErrDPoPKey)
	errProofSignature = invalid(ErrDPoPSignature)
	errProofMethod    = invalid(ErrDPoPMethod)
	errProofURI       = invalid(ErrDPoPURI)
	errProofTime      = invalid(ErrDPoPTime)
	errProofReplayed  = invalid(ErrDPoPReplayed)
	errProofAth       = invalid(ErrDPoPTokenHash)
	errProofJKT       = invalid(ErrDPoPKeyBinding)
	errUseNonce       = invalid(ErrUseDPoPNonce)
	errNoRequestURI   = newError(ErrInvalidToken, ErrSenderConstrained, errors.New("no request method and URI to check a DPoP proof against"))
)

// maxJTI bounds the "jti" of a proof, in bytes: RFC 9449 §4.2 asks for 96
// bits of randomness; 256 characters leave room for any encoding of it.
const maxJTI = 256

// checkProof verifies the single DPoP proof of cred for token, whose
// "cnf.jkt" is jkt: every check of RFC 9449 §4.3, then the nonce (§9) and
// the replay store (§11.1). The cheap checks come first; the proof is
// recorded as used only once everything else holds, so that nobody can use
// up a client's quota in the replay store without its private key.
func (d *dpopVerifier) checkProof(ctx context.Context, jkt, token, knownAth string, cred *Credentials) error {
	switch {
	case cred == nil || cred.Method == "" || cred.URI == "":
		return errNoRequestURI // a front door without HTTP semantics (gRPC)
	case len(cred.DPoP) != 1:
		return errProofCount
	case len(cred.DPoP[0]) > MaxDPoPProofSize:
		return errProofMalformed
	}
	var j jws
	key, err := d.proofHeader(cred.DPoP[0], &j, jkt)
	if err != nil {
		return err
	}
	pc, err := j.proofClaims()
	if err != nil {
		return err
	}
	now := d.now()
	if err := d.checkProofClaims(&pc, token, knownAth, cred, now); err != nil {
		return err
	}
	if !j.verify(key) {
		return errProofSignature
	}
	return d.use(ctx, jkt, pc.jti, pc.iat)
}

// typeIs compares a "typ" value with want, case-insensitively and with the
// "application/" prefix optional (RFC 7515 §4.1.9).
func typeIs(typ, want string) bool {
	typ = normalizeType(typ)
	if len(typ) != len(want) {
		return false
	}
	for i := 0; i < len(typ); i++ {
		c := typ[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}

// proofHeader splits the proof into j and checks its header: typ, alg, and
// the embedded public key ("jwk", RFC 9449 §4.2), which must fit alg and
// have the thumbprint jkt. A header that passed before is not decoded again.
func (d *dpopVerifier) proofHeader(proof string, j *jws, jkt string) (*jwks.Key, error) {
	h, err := cutJWS(proof, j)
	if err != nil {
		return nil, errProofMalformed
	}
	pk := d.keys.get(proof[:h])
	if pk != nil {
		j.alg, j.a = pk.alg.Name, pk.alg
		j.scratch = make([]byte, jose.DecodedLen(len(j.signature)))
		if j.finishSplit() != nil {
			return nil, errProofMalformed
		}
	} else if pk, err = d.parseProofHeader(proof, j); err != nil {
		return nil, err
	} else {
		d.keys.put(proof[:h], pk)
	}
	if !equalConstantTime(pk.jkt, jkt) {
		return nil, errProofJKT
	}
	return pk.key, nil
}

// parseProofHeader splits and checks a proof whose header is not cached.
func (d *dpopVerifier) parseProofHeader(proof string, j *jws) (*proofKey, error) {
	if err := splitJWS(proof, j); err != nil {
		if AsError(err).Reason == ErrDisallowedAlg {
			return nil, errProofAlg
		}
		return nil, errProofMalformed
	}
	if !d.algs.Has(j.a) {
		return nil, errProofAlg
	}
	if !j.hasTyp || !typeIs(j.typ, "dpop+jwt") {
		return nil, errProofType
	}
	if j.jwk.End == 0 {
		return nil, errProofKey
	}
	pk, err := parseProofJWK(j.scratch[j.jwk.Start:j.jwk.End])
	if err != nil {
		return nil, err
	}
	if !pk.key.Accepts(j.alg) {
		return nil, errProofKey
	}
	pk.alg = j.a
	return pk, nil
}

// proofClaims decodes and parses the proof's payload.
func (j *jws) proofClaims() (proofClaims, error) {
	var pc proofClaims
	buf := make([]byte, jose.DecodedLen(len(j.payload)))
	n, err := jose.DecodeInto(buf, j.payload)
	if err != nil {
		return pc, errProofMalformed
	}
	if err := parseProofClaims(buf[:n], &pc); err != nil {
		return pc, errProofMalformed
	}
	return pc, nil
}

// parseProofClaims parses a proof's claims set: duplicate or mistyped
// members, and a missing "jti", "htm", "htu" or "iat", are errors.
func parseProofClaims(b []byte, pc *proofClaims) error {
	var seen int
	s := jsonscan.Scanner{B: b}
	err := s.Object(true, func(name string) error {
		var dst *string
		bit := 0
		switch name {
		case "jti":
			dst, bit = &pc.jti, 1
		case "htm":
			dst, bit = &pc.htm, 2
		case "htu":
			dst, bit = &pc.htu, 4
		case "ath":
			dst, bit = &pc.ath, 8
		case "nonce":
			dst, bit = &pc.nonce, 16
		case "iat":
			if err := scanOnce(&s, &seen, 32); err != nil {
				return err
			}
			f, err := s.Number()
			pc.iat, pc.hasIat = f, err == nil
			return err
		default:
			return s.Skip(1)
		}
		return s.StrOnce(&seen, bit, dst)
	})
	switch {
	case err != nil:
		return err
	case pc.jti == "" || len(pc.jti) > maxJTI || pc.htm == "" || pc.htu == "" || !pc.hasIat:
		return jsonscan.ErrSyntax
	case math.IsNaN(pc.iat) || math.IsInf(pc.iat, 0) || pc.iat < 0 || pc.iat > maxNumericDate:
		return jsonscan.ErrSyntax
	}
	return nil
}

// checkProofClaims checks htm, htu, iat, ath and the nonce.
func (d *dpopVerifier) checkProofClaims(pc *proofClaims, token, knownAth string, cred *Credentials, now time.Time) error {
	if pc.htm != cred.Method {
		return errProofMethod // methods are case-sensitive (RFC 9110 §9.1)
	}
	if !SameHTU(pc.htu, cred.URI) {
		return errProofURI
	}
	iat := unixFloat(pc.iat)
	if iat.Before(now.Add(-d.window-d.skew)) || iat.After(now.Add(d.skew)) {
		return errProofTime
	}
	if !checkAth(pc.ath, token, knownAth) {
		return errProofAth
	}
	if d.nonce != nil && !d.nonce.valid(pc.nonce, now) {
		return errUseNonce
	}
	return nil
}

// bindToken records, on the claims of a DPoP-bound JWT, the "ath" of its
// token, so that the proofs presented with the cached token need no hash of
// it. These claims are only ever returned for this token: the token cache
// hands them out on an exact match only.
func (c *Claims) bindToken(token string) {
	if c.dpopBound() {
		sum := sha256.Sum256(bytesOf(token))
		c.ath = b64.EncodeToString(sum[:])
	}
}

// checkAth checks "ath" = base64url(SHA-256(token)) (RFC 9449 §4.2), in
// constant time; known is the token's when already computed.
func checkAth(ath, token, known string) bool {
	if known != "" {
		return equalConstantTime(ath, known)
	}
	sum := sha256.Sum256(bytesOf(token))
	var enc [43]byte
	b64.Encode(enc[:], sum[:])
	return equalConstantTime(ath, unsafe.String(&enc[0], len(enc)))
}

// use records the proof in the replay store until it can no longer be
// accepted: iat + window + skew is the last instant checkProofClaims
// accepts, and a store forgets an entry at its until, so a second more.
func (d *dpopVerifier) use(ctx context.Context, jkt, jti string, iat float64) error {
	until := unixFloat(iat).Add(d.window + d.skew + time.Second)
	var key [replayKeyLen]byte
	replayed, err := d.store.Use(ctx, replayKey(&key, jkt, jti), until)
	switch {
	case err != nil && d.failOpen:
		return nil
	case err != nil:
		return Unavailable(ErrReplayUnavailable, err)
	case replayed:
		return errProofReplayed
	}
	return nil
}

// replayKeyLen is the length of a replay-store key: the 43-character key
// thumbprint, ':', and 20 characters of base64url(SHA-256(jti)) (120 bits).
const replayKeyLen = 43 + 1 + 20

// replayKey writes into buf the replay-store key of a proof: "jkt:h", where
// h is a digest of the jti, so that the in-memory store can give each proof
// key its quota ([MemoryReplayStore]) and keys stay within 64 bytes.
func replayKey(buf *[replayKeyLen]byte, jkt, jti string) string {
	n := copy(buf[:43], jkt)
	for ; n < 43; n++ {
		buf[n] = '_' // a thumbprint is always 43 characters; keep the layout anyway
	}
	buf[43] = ':'
	sum := sha256.Sum256(bytesOf(jti))
	b64.Encode(buf[44:], sum[:15])
	return string(buf[:])
}

// unixFloat is a NumericDate (0 to maxNumericDate) as a time.
func unixFloat(f float64) time.Time {
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9))
}
