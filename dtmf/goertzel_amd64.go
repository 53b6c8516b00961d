package dtmf

// planAVX2 follows plan p (see plan and newPlan): three lanes side by
// side run the eight resonators with coefficients c, each over a state in
// out and samples of pcm, which holds at least p.samples of them. See
// goertzel_amd64.s.
//
//go:noescape
func planAVX2(c *[8]float64, out *state, pcm *int16, p *plan)

// cpuid executes CPUID with EAX = leaf and ECX = sub.
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// xgetbv returns the low half of XCR0, the state components the OS saves.
func xgetbv() (eax uint32)

// detectAVX2 reports whether the CPU and the OS support AVX2 (YMM state
// enabled by the OS). NewBank asks once per Bank (a few CPUID
// instructions) and keeps the answer. It checks as the Intel SDM
// prescribes (CPUID.1:ECX OSXSAVE and AVX, XCR0 saving XMM and YMM state,
// CPUID.7.0:EBX AVX2), which is what golang.org/x/sys/cpu does; dtmf
// imports only the standard library.
func detectAVX2() bool {
	if maxLeaf, _, _, _ := cpuid(0, 0); maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if ecx1&osxsave == 0 || ecx1&avx == 0 || xgetbv()&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}
