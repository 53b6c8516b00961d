#include "textflag.h"

// The AVX2 resonator bank: see goertzel in goertzel.go for the design, runGo
// for the arithmetic this reproduces bit for bit and plan for the schedule
// it follows.
//
// A call converts the plan's samples to float64 in its frame, then runs
// the plan's stretches. Registers while steps run (a lane is one block in
// progress):
//
//	Y0–Y3    lane 0: s[n−1] rows, s[n−1] columns, s[n−2] rows, s[n−2] columns
//	Y4–Y7    lane 1, the same
//	Y8–Y11   lane 2, the same
//	Y12 Y13  row and column coefficients 2·cos ω
//	Y14      the sample x, broadcast; Y15 the product c·s[n−1]
//	R15      pcm; AX, BX, CX lane 0, 1, 2's sample index into it
//	R8–R10   lane 0, 1, 2's Σ x²; R11–R13 their Σ x
//	DI, DX   steps done and to do in the stretch; R14, SI scratch
//
// The step loop is unrolled so that the two state pairs of a lane swap
// roles (s[n−2] registers ← s[n]) instead of being copied.
//
// Frame: the plan's samples as float64 at 0 (maxSamples of them), then
// the plan cursor at FRAME, the stretches left at FRAME+8, lane k's state
// pointer at FRAME+16+8k (0 while the lane is idle) and the one it takes
// next at FRAME+40+8k.
#define FRAME 7680

// STEP advances one lane by one sample, the one at index I+i2/2. As int16
// it adds to the lane's Σ x (S) and Σ x² (E), exactly; as float64
// (converted beforehand, at f8(SP)(I*8)) broadcast in Y14 it gives every
// resonator its next state
//
//	B ← (x − B) + c·A    (rows RB from RA, columns CB from CA)
//
// with runGo's rounded operations in runGo's order: a subtraction, a
// product, a sum, never fused.
#define STEP(i2, f8, I, RA, CA, RB, CB, E, S) \
	MOVWQSX      i2(R15)(I*2), R14; \
	ADDQ         R14, S; \
	IMULQ        R14, R14; \
	ADDQ         R14, E; \
	VBROADCASTSD f8(SP)(I*8), Y14; \
	VSUBPD       RB, Y14, RB; \
	VSUBPD       CB, Y14, CB; \
	VMULPD       RA, Y12, Y15; \
	VADDPD       Y15, RB, RB; \
	VMULPD       CA, Y13, Y15; \
	VADDPD       Y15, CB, CB

// ADVANCE moves every lane's sample index and the step count on by n.
#define ADVANCE(n) \
	ADDQ $n, AX; \
	ADDQ $n, BX; \
	ADDQ $n, CX; \
	ADDQ $n, DI

// LOAD and STORE move a lane's state (type state: a at 0, b at 64, pow at
// 128, e at 192, sum at 200) between memory at PTR and its registers; ZERO
// clears them for a block starting or an idle lane (never stored). STORE
// also writes every resonator's power |Z|² = (a·a + b·b) − (c·a)·b,
// rounded operation by operation in that order, like power; Y14 and Y15
// are scratch.
#define LOAD(PTR, RA, CA, RB, CB, E, S) \
	VMOVUPD 0(PTR), RA; \
	VMOVUPD 32(PTR), CA; \
	VMOVUPD 64(PTR), RB; \
	VMOVUPD 96(PTR), CB; \
	MOVQ    192(PTR), E; \
	MOVQ    200(PTR), S

#define POWER(C, A, B, off, PTR) \
	VMULPD  A, A, Y14; \
	VMULPD  B, B, Y15; \
	VADDPD  Y15, Y14, Y14; \
	VMULPD  A, C, Y15; \
	VMULPD  B, Y15, Y15; \
	VSUBPD  Y15, Y14, Y14; \
	VMOVUPD Y14, off(PTR)

#define STORE(PTR, RA, CA, RB, CB, E, S) \
	VMOVUPD RA, 0(PTR); \
	VMOVUPD CA, 32(PTR); \
	VMOVUPD RB, 64(PTR); \
	VMOVUPD CB, 96(PTR); \
	POWER(Y12, RA, RB, 128, PTR); \
	POWER(Y13, CA, CB, 160, PTR); \
	MOVQ    E, 192(PTR); \
	MOVQ    S, 200(PTR)

#define ZERO(RA, CA, RB, CB, E, S) \
	VXORPD RA, RA, RA; \
	VXORPD CA, CA, CA; \
	VXORPD RB, RB, RB; \
	VXORPD CB, CB, CB; \
	XORQ   E, E; \
	XORQ   S, S

// SWAP exchanges a lane's two state pairs (after an odd step count).
#define SWAP(RA, CA, RB, CB) \
	VMOVAPD RA, Y15; \
	VMOVAPD RB, RA; \
	VMOVAPD Y15, RB; \
	VMOVAPD CA, Y15; \
	VMOVAPD CB, CA; \
	VMOVAPD Y15, CB

// func planAVX2(c *[8]float64, out *state, pcm *int16, p *plan)
TEXT ·planAVX2(SB), 0, $7744-32
	// Convert the plan's samples to float64 first, sixteen, then four,
	// then one at a time (R15: pcm, DI: index, DX: plan.samples; X13
	// zero, the merge source of VCVTSI2SDQ): then no step waits for a
	// conversion.
	MOVQ   pcm+16(FP), R15
	MOVQ   p+24(FP), R14
	MOVQ   8(R14), DX
	XORQ   DI, DI
	VXORPD X13, X13, X13
	JMP    convert16

converting16:
	VPMOVSXWD (R15)(DI*2), X0
	VPMOVSXWD 8(R15)(DI*2), X1
	VPMOVSXWD 16(R15)(DI*2), X2
	VPMOVSXWD 24(R15)(DI*2), X3
	VCVTDQ2PD X0, Y0
	VCVTDQ2PD X1, Y1
	VCVTDQ2PD X2, Y2
	VCVTDQ2PD X3, Y3
	VMOVUPD   Y0, (SP)(DI*8)
	VMOVUPD   Y1, 32(SP)(DI*8)
	VMOVUPD   Y2, 64(SP)(DI*8)
	VMOVUPD   Y3, 96(SP)(DI*8)
	ADDQ      $16, DI

convert16:
	LEAQ 16(DI), R14
	CMPQ R14, DX
	JLE  converting16
	JMP  convert4

converting4:
	VPMOVSXWD (R15)(DI*2), X14
	VCVTDQ2PD X14, Y14
	VMOVUPD   Y14, (SP)(DI*8)
	ADDQ      $4, DI

convert4:
	LEAQ 4(DI), R14
	CMPQ R14, DX
	JLE  converting4
	JMP  convert1

converting1:
	MOVWQSX    (R15)(DI*2), R14
	VCVTSI2SDQ R14, X13, X14
	VMOVSD     X14, (SP)(DI*8)
	INCQ       DI

convert1:
	CMPQ DI, DX
	JLT  converting1

	// Coefficients; every lane idle, its registers clear; the plan's
	// first stretch.
	MOVQ    c+0(FP), SI
	VMOVUPD 0(SI), Y12
	VMOVUPD 32(SI), Y13
	MOVQ    $0, FRAME+16(SP)
	MOVQ    $0, FRAME+24(SP)
	MOVQ    $0, FRAME+32(SP)
	ZERO(Y0, Y1, Y2, Y3, R8, R11)
	ZERO(Y4, Y5, Y6, Y7, R9, R12)
	ZERO(Y8, Y9, Y10, Y11, R10, R13)
	MOVQ    p+24(FP), R14
	MOVQ    0(R14), DX
	MOVQ    DX, FRAME+8(SP)
	ADDQ    $16, R14
	MOVQ    R14, FRAME(SP)

stretch:
	// Lanes change blocks (R14: the stretch): first every lane leaving a
	// block stores it (the block may move to another lane), then every
	// lane changing block loads its new one, or clears its registers for
	// a block starting or for idling.
	MOVQ FRAME(SP), R14
	MOVQ 32(R14), DX        // stretch.st[0]: byte offset into out, or −1
	TESTQ DX, DX
	JS   idle0
	ADDQ out+8(FP), DX
	JMP  new0

idle0:
	XORQ DX, DX

new0:
	MOVQ DX, FRAME+40(SP)
	MOVQ FRAME+16(SP), SI
	CMPQ DX, SI
	JEQ  kept0
	TESTQ SI, SI
	JZ   kept0
	STORE(SI, Y0, Y1, Y2, Y3, R8, R11)

kept0:
	MOVQ 40(R14), DX        // stretch.st[1]: byte offset into out, or −1
	TESTQ DX, DX
	JS   idle1
	ADDQ out+8(FP), DX
	JMP  new1

idle1:
	XORQ DX, DX

new1:
	MOVQ DX, FRAME+48(SP)
	MOVQ FRAME+24(SP), SI
	CMPQ DX, SI
	JEQ  kept1
	TESTQ SI, SI
	JZ   kept1
	STORE(SI, Y4, Y5, Y6, Y7, R9, R12)

kept1:
	MOVQ 48(R14), DX        // stretch.st[2]: byte offset into out, or −1
	TESTQ DX, DX
	JS   idle2
	ADDQ out+8(FP), DX
	JMP  new2

idle2:
	XORQ DX, DX

new2:
	MOVQ DX, FRAME+56(SP)
	MOVQ FRAME+32(SP), SI
	CMPQ DX, SI
	JEQ  kept2
	TESTQ SI, SI
	JZ   kept2
	STORE(SI, Y8, Y9, Y10, Y11, R10, R13)

kept2:
	MOVQ FRAME+40(SP), DX
	CMPQ DX, FRAME+16(SP)
	JEQ  run0
	MOVQ DX, FRAME+16(SP)
	TESTQ DX, DX
	JZ   zero0
	CMPQ 56(R14), $0       // stretch.fresh[0]
	JNE  zero0
	LOAD(DX, Y0, Y1, Y2, Y3, R8, R11)
	JMP  run0

zero0:
	ZERO(Y0, Y1, Y2, Y3, R8, R11)

run0:
	MOVQ 8(R14), AX        // stretch.x[0]

	MOVQ FRAME+48(SP), DX
	CMPQ DX, FRAME+24(SP)
	JEQ  run1
	MOVQ DX, FRAME+24(SP)
	TESTQ DX, DX
	JZ   zero1
	CMPQ 64(R14), $0       // stretch.fresh[1]
	JNE  zero1
	LOAD(DX, Y4, Y5, Y6, Y7, R9, R12)
	JMP  run1

zero1:
	ZERO(Y4, Y5, Y6, Y7, R9, R12)

run1:
	MOVQ 16(R14), BX        // stretch.x[1]

	MOVQ FRAME+56(SP), DX
	CMPQ DX, FRAME+32(SP)
	JEQ  run2
	MOVQ DX, FRAME+32(SP)
	TESTQ DX, DX
	JZ   zero2
	CMPQ 72(R14), $0       // stretch.fresh[2]
	JNE  zero2
	LOAD(DX, Y8, Y9, Y10, Y11, R10, R13)
	JMP  run2

zero2:
	ZERO(Y8, Y9, Y10, Y11, R10, R13)

run2:
	MOVQ 24(R14), CX        // stretch.x[2]

	// The stretch's steps: four at a time, then two, then one.
	MOVQ 0(R14), DX         // stretch.n
	XORQ DI, DI

fours:
	LEAQ 4(DI), R14
	CMPQ R14, DX
	JGT  two
	STEP(0, 0, AX, Y0, Y1, Y2, Y3, R8, R11)
	STEP(0, 0, BX, Y4, Y5, Y6, Y7, R9, R12)
	STEP(0, 0, CX, Y8, Y9, Y10, Y11, R10, R13)
	STEP(2, 8, AX, Y2, Y3, Y0, Y1, R8, R11)
	STEP(2, 8, BX, Y6, Y7, Y4, Y5, R9, R12)
	STEP(2, 8, CX, Y10, Y11, Y8, Y9, R10, R13)
	STEP(4, 16, AX, Y0, Y1, Y2, Y3, R8, R11)
	STEP(4, 16, BX, Y4, Y5, Y6, Y7, R9, R12)
	STEP(4, 16, CX, Y8, Y9, Y10, Y11, R10, R13)
	STEP(6, 24, AX, Y2, Y3, Y0, Y1, R8, R11)
	STEP(6, 24, BX, Y6, Y7, Y4, Y5, R9, R12)
	STEP(6, 24, CX, Y10, Y11, Y8, Y9, R10, R13)
	ADVANCE(4)
	JMP  fours

two:
	LEAQ 2(DI), R14
	CMPQ R14, DX
	JGT  one
	STEP(0, 0, AX, Y0, Y1, Y2, Y3, R8, R11)
	STEP(0, 0, BX, Y4, Y5, Y6, Y7, R9, R12)
	STEP(0, 0, CX, Y8, Y9, Y10, Y11, R10, R13)
	STEP(2, 8, AX, Y2, Y3, Y0, Y1, R8, R11)
	STEP(2, 8, BX, Y6, Y7, Y4, Y5, R9, R12)
	STEP(2, 8, CX, Y10, Y11, Y8, Y9, R10, R13)
	ADVANCE(2)

one:
	CMPQ DI, DX
	JEQ  next
	// The new states land in the s[n−2] registers: swap the pairs back.
	STEP(0, 0, AX, Y0, Y1, Y2, Y3, R8, R11)
	STEP(0, 0, BX, Y4, Y5, Y6, Y7, R9, R12)
	STEP(0, 0, CX, Y8, Y9, Y10, Y11, R10, R13)
	SWAP(Y0, Y1, Y2, Y3)
	SWAP(Y4, Y5, Y6, Y7)
	SWAP(Y8, Y9, Y10, Y11)

next:
	ADDQ $80, FRAME(SP)     // sizeof(stretch)
	DECQ FRAME+8(SP)
	JNZ  stretch

	// Store every lane that is not idle (lane 0 never is).
	MOVQ FRAME+16(SP), SI
	STORE(SI, Y0, Y1, Y2, Y3, R8, R11)
	MOVQ FRAME+24(SP), SI
	TESTQ SI, SI
	JZ   stored1
	STORE(SI, Y4, Y5, Y6, Y7, R9, R12)

stored1:
	MOVQ FRAME+32(SP), SI
	TESTQ SI, SI
	JZ   stored2
	STORE(SI, Y8, Y9, Y10, Y11, R10, R13)

stored2:
	VZEROUPPER
	RET

// func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-4
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	RET
