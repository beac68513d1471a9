package introspection

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/rsguard/rsguard/middleware"
)

// DefaultMaxConcurrentRequests bounds the introspection requests in flight
// at once when [Config.MaxConcurrentRequests] is zero.
const DefaultMaxConcurrentRequests = 64

// ErrTooManyRequests is the cause of the [middleware.ErrUnavailable] error
// returned to a caller whose token would need a new introspection request
// while [Config.MaxConcurrentRequests] are in flight. The token is neither
// accepted nor refused: the client may retry (RFC 6750 §3 gives no error code
// for this; the guard answers 503 with Retry-After).
var ErrTooManyRequests = errors.New("introspection: too many requests in flight")

// flights coalesces concurrent lookups of one token into one request, which
// ends when its last waiting caller gives up: a request belongs to its
// callers, and nobody else waits for its answer. The number of requests in
// flight is bounded. Safe for concurrent use.
type flights struct {
	mu    sync.Mutex
	calls map[cacheKey]*flight
	slots chan struct{} // one token per request in flight
}

// flight is one request and the callers waiting for it.
type flight struct {
	waiters int // guarded by flights.mu
	cancel  context.CancelFunc
	done    chan struct{}
	c       *middleware.Claims
	err     error
}

func newFlights(limit int) *flights {
	return &flights{calls: make(map[cacheKey]*flight), slots: make(chan struct{}, limit)}
}

var errTooMany = middleware.Unavailable(middleware.ErrIntrospectionError, ErrTooManyRequests)

// join returns the flight for key, starting do in a new one when there is
// none, or errTooMany when a new one would exceed the limit. The caller must
// call wait (or leave) exactly once.
func (fs *flights) join(ctx context.Context, key cacheKey, do func(context.Context) (*middleware.Claims, error)) (*flight, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.calls[key]; ok {
		f.waiters++
		return f, nil
	}
	select {
	case fs.slots <- struct{}{}:
	default:
		return nil, errTooMany
	}
	// The request keeps the first caller's values (trace IDs), not its
	// deadline: it ends when every caller has left, or by the HTTP timeout.
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f := &flight{waiters: 1, cancel: cancel, done: make(chan struct{})}
	fs.calls[key] = f
	go func() {
		f.c, f.err = do(rctx)
		cancel()
		fs.mu.Lock()
		if fs.calls[key] == f {
			delete(fs.calls, key)
		}
		fs.mu.Unlock()
		<-fs.slots
		close(f.done)
	}()
	return f, nil
}

// wait waits for f's result or for ctx to end; in the latter case the caller
// leaves f, cancelling its request if no one else waits.
func (fs *flights) wait(ctx context.Context, key cacheKey, f *flight) (*middleware.Claims, error) {
	select {
	case <-f.done:
		return f.c, f.err
	case <-ctx.Done():
	}
	fs.mu.Lock()
	f.waiters--
	if f.waiters == 0 {
		// Abandoned: end the request now, and let the next caller of key
		// start a new one rather than join a cancelled one.
		f.cancel()
		if fs.calls[key] == f {
			delete(fs.calls, key)
		}
	}
	fs.mu.Unlock()
	return nil, middleware.Unavailable(middleware.ErrIntrospectionError, fmt.Errorf("introspection: %w", ctx.Err()))
}
