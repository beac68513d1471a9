//go:build !purego

#include "textflag.h"

// A 32-byte vector of one repeated quadword.
#define VEC32(name, q) \
	DATA name<>+0(SB)/8, q; \
	DATA name<>+8(SB)/8, q; \
	DATA name<>+16(SB)/8, q; \
	DATA name<>+24(SB)/8, q; \
	GLOBL name<>(SB), RODATA|NOPTR, $32

// One past each end of the alphabet's ranges, and its two single
// characters. The compares are signed: a byte of 0x80 or more is negative
// and falls outside every range.
VEC32(b64_A_1, $0x4040404040404040)   // 'A' - 1
VEC32(b64_Z_1, $0x5b5b5b5b5b5b5b5b)   // 'Z' + 1
VEC32(b64_a_1, $0x6060606060606060)   // 'a' - 1
VEC32(b64_z_1, $0x7b7b7b7b7b7b7b7b)   // 'z' + 1
VEC32(b64_0_1, $0x2f2f2f2f2f2f2f2f)   // '0' - 1
VEC32(b64_9_1, $0x3a3a3a3a3a3a3a3a)   // '9' + 1
VEC32(b64_dash, $0x2d2d2d2d2d2d2d2d)  // '-'
VEC32(b64_under, $0x5f5f5f5f5f5f5f5f) // '_'

// What each range adds to its characters to make their six bits. None is
// zero, so a zero sum marks a byte outside the alphabet.
VEC32(b64_add_upper, $0xbfbfbfbfbfbfbfbf) // -65: 'A'..'Z' to 0..25
VEC32(b64_add_lower, $0xb9b9b9b9b9b9b9b9) // -71: 'a'..'z' to 26..51
VEC32(b64_add_digit, $0x0404040404040404) // +4: '0'..'9' to 52..61
VEC32(b64_add_dash, $0x1111111111111111)  // +17: '-' to 62
VEC32(b64_add_under, $0xe0e0e0e0e0e0e0e0) // -32: '_' to 63

// Packing four six-bit values a, b, c, d (one per byte, first character
// lowest) into three bytes: multiply-add byte pairs by 64 and 1 (a*64+b in
// 16 bits), then word pairs by 4096 and 1 (24 bits in each 32-bit lane).
VEC32(b64_pack6, $0x0140014001400140)
VEC32(b64_pack12, $0x0001100000011000)

// In each 128-bit lane, the three low bytes of each 32-bit lane, high byte
// first (bytes 2, 1, 0, 6, 5, 4, …); the last four bytes are zeroed.
DATA b64_order<>+0(SB)/8, $0x090a040506000102
DATA b64_order<>+8(SB)/8, $0x808080800c0d0e08
DATA b64_order<>+16(SB)/8, $0x090a040506000102
DATA b64_order<>+24(SB)/8, $0x808080800c0d0e08
GLOBL b64_order<>(SB), RODATA|NOPTR, $32

// The 32-bit lanes holding the 24 decoded bytes, 0, 1, 2 and 4, 5, 6, to
// the front.
DATA b64_join<>+0(SB)/8, $0x0000000100000000
DATA b64_join<>+8(SB)/8, $0x0000000400000002
DATA b64_join<>+16(SB)/8, $0x0000000600000005
DATA b64_join<>+24(SB)/8, $0x0000000700000003
GLOBL b64_join<>(SB), RODATA|NOPTR, $32

// func decodeAVX2(dst []byte, src string) int
//
// Requires AVX2. Decodes 32 characters into 24 bytes at a time, while src
// has 32 left, dst has room for 24 and the block is all base64url, and
// returns the characters decoded. It writes only dst[:24*blocks].
TEXT ·decodeAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), DX
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	XORQ AX, AX
	VMOVDQU b64_A_1<>(SB), Y8
	VMOVDQU b64_Z_1<>(SB), Y9
	VMOVDQU b64_a_1<>(SB), Y10
	VMOVDQU b64_z_1<>(SB), Y11
	VMOVDQU b64_0_1<>(SB), Y12
	VMOVDQU b64_9_1<>(SB), Y13
	VMOVDQU b64_dash<>(SB), Y14
	VMOVDQU b64_under<>(SB), Y15
	VMOVDQU b64_join<>(SB), Y5
	VPXOR   Y4, Y4, Y4

loop:
	CMPQ CX, $32
	JB   done
	CMPQ DX, $24
	JB   done
	VMOVDQU (SI), Y0

	// Y1: what to add to each byte, zero for a byte outside the alphabet.
	VPCMPGTB Y8, Y0, Y1  // x > 'A'-1
	VPCMPGTB Y0, Y9, Y2  // 'Z'+1 > x
	VPAND    Y2, Y1, Y1
	VPAND    b64_add_upper<>(SB), Y1, Y1
	VPCMPGTB Y10, Y0, Y2
	VPCMPGTB Y0, Y11, Y3
	VPAND    Y3, Y2, Y2
	VPAND    b64_add_lower<>(SB), Y2, Y2
	VPOR     Y2, Y1, Y1
	VPCMPGTB Y12, Y0, Y2
	VPCMPGTB Y0, Y13, Y3
	VPAND    Y3, Y2, Y2
	VPAND    b64_add_digit<>(SB), Y2, Y2
	VPOR     Y2, Y1, Y1
	VPCMPEQB Y14, Y0, Y2
	VPAND    b64_add_dash<>(SB), Y2, Y2
	VPOR     Y2, Y1, Y1
	VPCMPEQB Y15, Y0, Y2
	VPAND    b64_add_under<>(SB), Y2, Y2
	VPOR     Y2, Y1, Y1
	VPCMPEQB  Y4, Y1, Y2
	VPMOVMSKB Y2, BX
	TESTL     BX, BX
	JNZ       done // the scalar code finds the byte and refuses it

	VPADDB       Y1, Y0, Y0
	VPMADDUBSW   b64_pack6<>(SB), Y0, Y0
	VPMADDWD     b64_pack12<>(SB), Y0, Y0
	VPSHUFB      b64_order<>(SB), Y0, Y0
	VPERMD       Y0, Y5, Y0
	VMOVDQU      X0, (DI)
	VEXTRACTI128 $1, Y0, X1
	VMOVQ        X1, 16(DI)

	ADDQ $32, SI
	SUBQ $32, CX
	ADDQ $24, DI
	SUBQ $24, DX
	ADDQ $32, AX
	JMP  loop

done:
	VZEROUPPER
	MOVQ AX, ret+40(FP)
	RET

// func cpuid(leaf, sub uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

// func xgetbv0() uint32
TEXT ·xgetbv0(SB), NOSPLIT, $0-4
	MOVL   $0, CX
	XGETBV
	MOVL   AX, ret+0(FP)
	RET
