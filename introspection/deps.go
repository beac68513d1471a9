package introspection

import _ "golang.org/x/sync/singleflight"
