#include "textflag.h"

// Every accumulator lane receives x[p]·x[p−k] for one sample p after the
// other, in stream order, as in lagsOneGo and lagsPairGo: the product is
// rounded, then added (no FMA).

// func lagsOneAVX2(r *[dim]float64, x *float64, n int)
//
// Y0 = [r3 r2 r1 r0]: the four samples x[p−3 … p], loaded as they lie in
// memory and multiplied by x[p] broadcast, land on their sums; X1 = r4.
TEXT ·lagsOneAVX2(SB), NOSPLIT, $0-24
	MOVQ r+0(FP), DI
	MOVQ x+8(FP), AX
	MOVQ n+16(FP), CX
	ADDQ $64, AX             // &x[tailLen]
	VMOVUPD 0(DI), Y0
	VPERMPD $0x1b, Y0, Y0    // reverse the lanes
	VMOVSD  32(DI), X1

oneloop:
	VBROADCASTSD (AX), Y4
	VMULPD       -24(AX), Y4, Y5
	VADDPD       Y5, Y0, Y0
	VMULSD       -32(AX), X4, X6
	VADDSD       X6, X1, X1
	ADDQ         $8, AX
	DECQ         CX
	JNZ          oneloop

	VPERMPD $0x1b, Y0, Y0
	VMOVUPD Y0, 0(DI)
	VMOVSD  X1, 32(DI)
	VZEROUPPER
	RET

// func lagsPairAVX2(s *[2 * dim]float64, t *float64, n int)
//
// Rows of 16 bytes, [A[j] B[j]], from j = −4. With X = [A[j] B[j] A[j] B[j]],
// rows j−1…j give Y0 = [r1A r1B r0A r0B], rows j−3…j−2 give
// Y1 = [r3A r3B r2A r2B] and row j−4 gives X2 = [r4A r4B], all from 0.
TEXT ·lagsPairAVX2(SB), NOSPLIT, $0-24
	MOVQ s+0(FP), DI
	MOVQ t+8(FP), AX
	MOVQ n+16(FP), CX
	ADDQ $64, AX             // row 0
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2

pairloop:
	VBROADCASTF128 (AX), Y4
	VMULPD         -16(AX), Y4, Y5
	VADDPD         Y5, Y0, Y0
	VMULPD         -48(AX), Y4, Y6
	VADDPD         Y6, Y1, Y1
	VMULPD         -64(AX), X4, X7
	VADDPD         X7, X2, X2
	ADDQ           $16, AX
	DECQ           CX
	JNZ            pairloop

	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD X2, 64(DI)
	VZEROUPPER
	RET

// func widenAVX2(dst *float64, pcm *int16, n int)
TEXT ·widenAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ pcm+8(FP), SI
	MOVQ n+16(FP), CX

widenloop:
	VPMOVSXWD (SI), X0
	VCVTDQ2PD X0, Y0
	VPMOVSXWD 8(SI), X1
	VCVTDQ2PD X1, Y1
	VMOVUPD   Y0, (DI)
	VMOVUPD   Y1, 32(DI)
	ADDQ      $16, SI
	ADDQ      $64, DI
	SUBQ      $8, CX
	JNZ       widenloop
	VZEROUPPER
	RET

// func pairSumsAVX2(dst *float64, pcm *int16, n int)
TEXT ·pairSumsAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ pcm+8(FP), SI
	MOVQ n+16(FP), CX
	VPCMPEQW Y7, Y7, Y7
	VPSRLW   $15, Y7, Y7     // 1 in every int16 lane

pairsumsloop:
	VPMADDWD     (SI), Y7, Y0 // eight int32 sums of adjacent samples
	VCVTDQ2PD    X0, Y1
	VEXTRACTI128 $1, Y0, X2
	VCVTDQ2PD    X2, Y2
	VMOVUPD      Y1, (DI)
	VMOVUPD      Y2, 32(DI)
	ADDQ         $32, SI
	ADDQ         $64, DI
	SUBQ         $8, CX
	JNZ          pairsumsloop
	VZEROUPPER
	RET

// func widenPairAVX2(t *float64, a, b *int16, n int)
TEXT ·widenPairAVX2(SB), NOSPLIT, $0-32
	MOVQ t+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX

widenpairloop:
	VPMOVSXWD  (SI), X0
	VCVTDQ2PD  X0, Y0        // a0 a1 a2 a3
	VPMOVSXWD  (DX), X1
	VCVTDQ2PD  X1, Y1        // b0 b1 b2 b3
	VUNPCKLPD  Y1, Y0, Y2    // a0 b0 a2 b2
	VUNPCKHPD  Y1, Y0, Y3    // a1 b1 a3 b3
	VPERM2F128 $0x20, Y3, Y2, Y4
	VPERM2F128 $0x31, Y3, Y2, Y5
	VMOVUPD    Y4, (DI)
	VMOVUPD    Y5, 32(DI)
	ADDQ       $8, SI
	ADDQ       $8, DX
	ADDQ       $64, DI
	SUBQ       $4, CX
	JNZ        widenpairloop
	VZEROUPPER
	RET

// func pairSumsPairAVX2(t *float64, a, b *int16, n int)
TEXT ·pairSumsPairAVX2(SB), NOSPLIT, $0-32
	MOVQ t+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	VPCMPEQW X7, X7, X7
	VPSRLW   $15, X7, X7     // 1 in every int16 lane

pairsumspairloop:
	VPMADDWD   (SI), X7, X0
	VCVTDQ2PD  X0, Y0        // a0 a1 a2 a3
	VPMADDWD   (DX), X7, X1
	VCVTDQ2PD  X1, Y1        // b0 b1 b2 b3
	VUNPCKLPD  Y1, Y0, Y2
	VUNPCKHPD  Y1, Y0, Y3
	VPERM2F128 $0x20, Y3, Y2, Y4
	VPERM2F128 $0x31, Y3, Y2, Y5
	VMOVUPD    Y4, (DI)
	VMOVUPD    Y5, 32(DI)
	ADDQ       $16, SI
	ADDQ       $16, DX
	ADDQ       $64, DI
	SUBQ       $4, CX
	JNZ        pairsumspairloop
	VZEROUPPER
	RET
