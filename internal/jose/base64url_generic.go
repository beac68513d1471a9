//go:build !amd64 || purego

package jose

// There is no vector code for this architecture (or with purego).
var avx2, useAVX2 = false, false

// decodeBlocks decodes nothing: DecodeInto's scalar code does all of src.
func decodeBlocks([]byte, string) int { return 0 }
