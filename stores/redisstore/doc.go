// Package redisstore shares, between the replicas of a resource server, the
// state that no single replica can judge alone, on Redis (or any server
// speaking its protocol, such as Valkey): the DPoP proof replay check
// (RFC 9449 §11.1) and the introspection result cache (RFC 7662 §4).
//
// It takes the application's [redis.UniversalClient] (a single node,
// Sentinel or Cluster client), which must have ContextTimeoutEnabled set so
// that [Config.Timeout] bounds every call:
//
//   - [ReplayStore] is a [middleware.ReplayStore]: one SET key mark NX GET PX
//     per proof, atomic across replicas.
//   - [IntrospectionCache] is an [introspection.SharedCache] and
//     [introspection.SharedLocker]: GETRANGE, SET PX, SET NX PX and a
//     compare-and-delete script.
//
// Every key is [Config.Prefix], a kind ("dpop:", "intro:", "lock:") and the
// unpadded base64url SHA-256 of the name it is given (43 characters), so its
// length is bounded whatever it is given. What is stored:
//
//   - dpop: a 16-byte mark (this store's random identity and a counter, so
//     that a retried SET is told apart from a replay), expiring when the
//     proof stops being acceptable (the validator's proof window plus skew).
//   - intro: the record the introspection package builds (HMAC-keyed,
//     authenticated, optionally sealed; see [introspection.SharedConfig]),
//     expiring with it; never a token.
//   - lock: a random owner string, for [introspection.SharedConfig.Wait].
//
// Requires Redis 7.0 or later (SET with both NX and GET), or Valkey.
package redisstore
