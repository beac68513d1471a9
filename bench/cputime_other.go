//go:build !unix

package bench

import "time"

// CPUTime returns the CPU time the process has used so far; on this platform
// it is not available.
func CPUTime() (time.Duration, bool) { return 0, false }
