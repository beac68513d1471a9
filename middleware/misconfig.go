package middleware

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Misconfiguration is the cause (in [Error.Err]) of a refusal that the
// configuration more likely causes than the token: a "typ" the issuer's
// provider always sends, an issuer URL that differs from the token's "iss"
// by a trailing slash, an audience the provider puts in every token, a key
// published for another issuer, the authorization server refusing our own
// introspection credentials. It carries what the configuration expects, what
// the token (or the server) presented, and what to change. The one place
// that computes it is the validator (and the introspection client); the log
// ([Hooks.Misconfigured]) and the rsguard CLI's --explain read it, with
// [MisconfigurationOf].
//
// Received is quoted and truncated: it comes from the token, which an
// attacker may have written. None of the fields ever holds a token or a
// secret. The client never sees a Misconfiguration: [Error.Description]
// stays generic.
type Misconfiguration struct {
	Rule     Rule   // the check that refused the token
	Issuer   string // the configured issuer concerned, if any
	Expected string // what the configuration accepts
	Received string // what was presented, quoted and truncated
	Hint     string // what to change
}

// Error returns the rule and the hint. It leaves out Expected and Received,
// which may hold token content (an error's text never does): the log
// ([Hooks.Misconfigured]) and the CLI show them from the fields.
func (m *Misconfiguration) Error() string {
	return "middleware: the " + string(m.Rule) + " check refused the token as configured: " + m.Hint
}

// MisconfigurationOf returns the [Misconfiguration] in err's chain, or nil.
func MisconfigurationOf(err error) *Misconfiguration {
	var m *Misconfiguration
	if errors.As(err, &m) {
		return m
	}
	return nil
}

// maxQuoted is the longest received value shown, in bytes before quoting.
const maxQuoted = 64

// Quote returns s as a Go string literal, cut to 64 bytes (at a rune
// boundary) with "…" after the closing quote when it was longer: the form in
// which a [Misconfiguration] shows a value an attacker may have chosen.
func Quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// quoteList quotes each value (at most 4 of them) for a Misconfiguration.
func quoteList(vs []string) string {
	if len(vs) == 0 {
		return "none"
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vs {
		if i == 4 {
			b.WriteString(" …")
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Quote(v))
	}
	b.WriteByte(']')
	return b.String()
}

// misconfigured returns the refusal e with m as its cause.
func misconfigured(e *Error, m *Misconfiguration) *Error {
	cp := *e
	cp.Err = m
	return &cp
}

// maxMisconfigurations bounds the distinct causes [Hooks.Misconfigured]
// hears of: an attacker who varies the received values cannot flood the log.
const maxMisconfigurations = 64

// misconfigLog reports each distinct misconfiguration once.
type misconfigLog struct {
	mu   sync.Mutex
	seen map[Misconfiguration]struct{}
}

// report passes m to the hook the first time it is seen, up to
// maxMisconfigurations distinct causes.
func (l *misconfigLog) report(ctx context.Context, h *Hooks, m *Misconfiguration) {
	if h == nil || h.Misconfigured == nil {
		return
	}
	l.mu.Lock()
	if l.seen == nil {
		l.seen = make(map[Misconfiguration]struct{})
	}
	_, dup := l.seen[*m]
	full := len(l.seen) >= maxMisconfigurations
	if !dup && !full {
		l.seen[*m] = struct{}{}
	}
	l.mu.Unlock()
	if !dup && !full {
		h.Misconfigured(ctx, *m)
	}
}
