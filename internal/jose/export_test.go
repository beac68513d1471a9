package jose

// SetAVX2 turns DecodeInto's AVX2 code on or off (on only where the
// processor has it) and returns a function restoring the setting. It writes
// a package variable unguarded: no test that calls it may run in parallel
// with one that decodes.
func SetAVX2(on bool) (restore func()) {
	was := useAVX2
	useAVX2 = on && avx2
	return func() { useAVX2 = was }
}

// HasAVX2 reports whether DecodeInto can use AVX2 here.
func HasAVX2() bool { return avx2 }

// DecodeBlocks is decodeBlocks: the characters the AVX2 code decodes.
var DecodeBlocks = decodeBlocks
