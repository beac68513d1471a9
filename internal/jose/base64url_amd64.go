//go:build amd64 && !purego

package jose

var (
	// avx2 is whether the processor has AVX2.
	avx2 = hasAVX2()
	// useAVX2 is whether DecodeInto decodes whole blocks with it (tests
	// turn it off to check the scalar code on its own).
	useAVX2 = avx2
)

// decodeBlocks decodes the longest prefix of src that is whole 32-character
// blocks of base64url into dst, as far as dst has room, and returns its
// length in characters (a multiple of 32; 0 without AVX2).
func decodeBlocks(dst []byte, src string) int {
	if !useAVX2 {
		return 0
	}
	return decodeAVX2(dst, src)
}

// hasAVX2 reports whether the processor has AVX2 and the operating system
// saves its registers (CPUID leaves 1 and 7, XCR0), as the Intel and AMD
// manuals prescribe. Twenty lines of our own, rather than golang.org/x/sys/cpu
// as a new direct requirement of every module that imports rsguard.
func hasAVX2() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	const osxsave, avx = 1 << 27, 1 << 28
	if _, _, c, _ := cpuid(1, 0); c&osxsave == 0 || c&avx == 0 {
		return false
	}
	const xmmYmmState = 1<<1 | 1<<2
	if xgetbv0()&xmmYmmState != xmmYmmState {
		return false
	}
	const avx2 = 1 << 5
	_, b, _, _ := cpuid(7, 0)
	return b&avx2 != 0
}

//go:noescape
func decodeAVX2(dst []byte, src string) int

func cpuid(leaf, sub uint32) (a, b, c, d uint32)

func xgetbv0() uint32
