package oauthtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// writeRaw writes a JSON body. cacheControl, when not empty, is set unless a
// fault already set one.
func writeRaw(w http.ResponseWriter, status int, body []byte, cacheControl string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if cacheControl != "" && h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", cacheControl)
	}
	w.WriteHeader(status)
	w.Write(body)
}

// writeJSON encodes v and writes it with writeRaw.
func writeJSON(w http.ResponseWriter, status int, v any, cacheControl string) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "oauthtest: cannot encode response", http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, body, cacheControl)
}

// oauthError is an RFC 6749 §5.2 error response.
type oauthError struct {
	status    int
	code      string
	desc      string
	challenge string // WWW-Authenticate, for a 401
}

func invalidRequest(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_request", desc: desc}
}

func invalidGrant(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_grant", desc: desc}
}

func invalidScope(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_scope", desc: desc}
}

// invalidClient is a failed client authentication (RFC 6749 §5.2): 401, with a
// challenge for the scheme of the Authorization header the client used.
func invalidClient(scheme, desc string) *oauthError {
	e := &oauthError{status: http.StatusUnauthorized, code: "invalid_client", desc: desc}
	switch scheme {
	case schemeBasic:
		e.challenge = `Basic realm="oauthtest"`
	case schemeBearer:
		e.challenge = `Bearer realm="oauthtest", error="invalid_token"`
	}
	return e
}

func (e *oauthError) write(w http.ResponseWriter) {
	if e.challenge != "" {
		w.Header().Set("WWW-Authenticate", e.challenge)
	}
	w.Header().Set("Pragma", "no-cache")
	body := map[string]string{"error": e.code}
	if e.desc != "" {
		body["error_description"] = e.desc
	}
	writeJSON(w, e.status, body, "no-store")
}

// maxFormSize bounds a request body.
const maxFormSize = 64 << 10

// parseForm reads an application/x-www-form-urlencoded body (RFC 6749 §3.2).
// Parameters sent more than once are refused (RFC 6749 §3.1); the URL query
// is ignored.
func parseForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	if ct := r.Header.Get("Content-Type"); !isFormType(ct) {
		return nil, invalidRequest("Content-Type must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseForm(); err != nil {
		return nil, invalidRequest("malformed form body")
	}
	for name, vs := range r.PostForm {
		if len(vs) > 1 && name != resourceParam {
			return nil, invalidRequest("parameter " + name + " repeated")
		}
	}
	return r.PostForm, nil
}

func isFormType(ct string) bool {
	const form = "application/x-www-form-urlencoded"
	return len(ct) >= len(form) && ct[:len(form)] == form && (len(ct) == len(form) || ct[len(form)] == ';')
}
