package vad

// cpuid executes CPUID with EAX = leaf and ECX = sub.
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// xgetbv returns the low half of XCR0, the state components the OS saves.
func xgetbv() (eax uint32)

// detectAVX2 reports whether the CPU and the OS support AVX2, checked as
// the Intel SDM prescribes: CPUID.1:ECX OSXSAVE and AVX, XCR0 saving XMM
// and YMM state, CPUID.7.0:EBX AVX2 (what golang.org/x/sys/cpu checks; vad
// imports only the standard library). NewModel calls it; nothing caches
// the answer but the Model. Under a hypervisor each CPUID traps, which is
// why a Model is worth keeping (see README.md).
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
