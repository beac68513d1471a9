//go:build linux && amd64 && !purego

package jose_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/rsguard/rsguard/internal/jose"
)

// TestHasAVX2: DecodeInto's own CPUID check agrees with the kernel's, which
// lists avx2 among a processor's flags only when the processor has it and
// the kernel saves its registers; were the check always false, the vector
// code would never run and no other test would notice.
func TestHasAVX2(t *testing.T) {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Fatal(err)
	}
	flags := regexp.MustCompile(`(?m)^flags\s*:(.*)$`).FindSubmatch(info)
	if flags == nil {
		t.Fatal("/proc/cpuinfo has no flags line")
	}
	kernel := regexp.MustCompile(`\bavx2\b`).Match(flags[1])
	if got := jose.HasAVX2(); got != kernel {
		t.Errorf("HasAVX2() = %v; /proc/cpuinfo lists avx2: %v", got, kernel)
	}
}
