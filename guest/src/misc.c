/* Miscellaneous: nop forms (incl. the multi-byte and lea/prefix padding
 * that compilers emit, and hint nops that must not touch memory), flag
 * instructions, xlat, bound and into that do not trap, cpuid (only what
 * must agree with any CPU: raw values differ from the host by design), and
 * rdtsc monotonicity. */
#include "rt.h"

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

T(n_90, "nop")
T(n_6690, "xchgw %ax, %ax")
T(n_f390, "pause")
T(n_0f1f00, ".byte 0x0f, 0x1f, 0x00")
T(n_0f1f40, ".byte 0x0f, 0x1f, 0x40, 0x00")
T(n_0f1f44, ".byte 0x0f, 0x1f, 0x44, 0x00, 0x00")
T(n_660f1f44, ".byte 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00")
T(n_0f1f80, ".byte 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00")
T(n_0f1f84, ".byte 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00")
T(n_660f1f84, ".byte 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00")
T(n_cs, ".byte 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00")
T(n_cs2, ".byte 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00")
T(n_unmapped, ".byte 0x0f, 0x1f, 0x05, 0x10, 0x00, 0x00, 0x00") /* nopl 0x10 */
T(n_regform, ".byte 0x0f, 0x1f, 0xc0")                           /* nopl %eax */
T(n_0f19, ".byte 0x0f, 0x19, 0x00")                              /* hint nop */
T(n_lea3, ".byte 0x8d, 0x76, 0x00")                /* lea 0(%esi),%esi */
T(n_lea4, ".byte 0x8d, 0x74, 0x26, 0x00")          /* lea 0(%esi,%eiz),%esi */
T(n_lea7, ".byte 0x8d, 0xb4, 0x26, 0x00, 0x00, 0x00, 0x00")
T(n_lea6, ".byte 0x8d, 0xb6, 0x00, 0x00, 0x00, 0x00")
T(n_movedi, ".byte 0x89, 0xf6; .byte 0x8d, 0xbc, 0x27, 0x00, 0x00, 0x00, 0x00")
T(n_prefetch, "prefetcht0 M; prefetchnta M+64")
T(n_prefetchbad, "prefetcht0 0x10")

static const struct {
	const char *nm;
	tfn f;
} nops[] = {
    {"nop", n_90},
    {"66 nop", n_6690},
    {"pause", n_f390},
    {"nopl (eax)", n_0f1f00},
    {"nopl 0(eax)", n_0f1f40},
    {"nopl 0(eax,eax)", n_0f1f44},
    {"nopw 0(eax,eax)", n_660f1f44},
    {"nopl 0L(eax)", n_0f1f80},
    {"nopl 0L(eax,eax)", n_0f1f84},
    {"nopw 0L(eax,eax)", n_660f1f84},
    {"nopw cs:0L(eax,eax)", n_cs},
    {"data16 nopw cs:0L(eax,eax)", n_cs2},
    {"nopl unmapped", n_unmapped},
    {"nopl eax", n_regform},
    {"hint nop 0f 19", n_0f19},
    {"lea 0(esi),esi", n_lea3},
    {"lea 0(esi,eiz),esi", n_lea4},
    {"lea 0L(esi,eiz),esi", n_lea7},
    {"lea 0L(esi),esi", n_lea6},
    {"mov esi,esi; lea 0L(edi,eiz),edi", n_movedi},
    {"prefetch", n_prefetch},
    {"prefetch unmapped", n_prefetchbad},
};

static void preset(u32 fl)
{
	R.eax = 0x11223344;
	R.ecx = 0x55667788;
	R.edx = 0x99aabbcc;
	R.ebx = 0xddeeff00;
	R.ebp = 0x13579bdf;
	R.esi = 0x2468ace0;
	R.edi = 0xfedcba98;
	R.fl = fl;
}

static int same(u32 fl)
{
	return R.eax == 0x11223344 && R.ecx == 0x55667788 &&
	       R.edx == 0x99aabbcc && R.ebx == 0xddeeff00 &&
	       R.ebp == 0x13579bdf && R.esi == 0x2468ace0 &&
	       R.edi == 0xfedcba98 && R.esp == rt_esp0 &&
	       ((R.fl ^ fl) & (ARITH | DF)) == 0;
}

/* flag instructions */
T(f_clc, "clc")
T(f_stc, "stc")
T(f_cmc, "cmc")
T(f_cld, "cld")
T(f_std, "std")
T(f_xlat, "xlatb")
T(f_xlat2, "xlat %es:(%ebx)")
T(f_bound, "bound %eax, M")
T(f_boundw, "boundw %ax, M+8")
T(f_into, "into")
T(f_cpuid, "cpuid")
T(f_rdtsc, "rdtsc")

static int printable(u32 w)
{
	for (int i = 0; i < 4; i++) {
		u8 c = ((u8 *)&w)[i];
		if (c < 0x20 || c > 0x7e)
			return 0;
	}
	return 1;
}

int main(void)
{
	for (int i = 0; i < N(nops); i++) {
		for (int k = 0; k < 2; k++) {
			u32 fl = k ? FL1 : FL0;
			preset(fl);
			nops[i].f();
			ps(nops[i].nm);
			ps(same(fl) ? ": nothing changed" : ": CHANGED");
			pop();
		}
	}

	static const struct {
		const char *nm;
		tfn f;
	} fls[] = {{"clc", f_clc}, {"stc", f_stc}, {"cmc", f_cmc},
		   {"cld", f_cld}, {"std", f_std}};
	for (int i = 0; i < N(fls); i++) {
		ps(fls[i].nm);
		for (int k = 0; k < 2; k++) {
			preset(k ? FL1 | DF : FL0);
			fls[i].f();
			pfl(R.fl);
		}
		pop();
	}

	/* xlat: table of reversed bytes in M */
	for (int i = 0; i < 256; i++)
		((u8 *)M)[i] = 255 - i;
	static const u32 xl[] = {0, 1, 0x7f, 0x80, 0xff, 0x12345600};
	for (int i = 0; i < N(xl); i++) {
		preset(FL0);
		R.eax = xl[i] | 0xabcd0000;
		R.ebx = (u32)M;
		f_xlat();
		ps("xlat al=");
		px(xl[i] & 0xff, 2);
		ps(" -> eax=");
		px(R.eax, 8);
		pop();
	}
	preset(FL0);
	R.eax = 0x10;
	R.ebx = (u32)M;
	f_xlat2();
	ps("es: xlat -> eax=");
	px(R.eax, 8);
	pop();

	/* bound within range and into with OF clear: no trap */
	M[0] = -5;
	M[1] = 10;
	M[2] = 0x0010fffb; /* 16-bit bounds: -5 .. 16 */
	static const u32 bv[] = {-5, 0, 10};
	for (int i = 0; i < N(bv); i++) {
		preset(FL0);
		R.eax = bv[i];
		f_bound();
		ps("bound ");
		pd(bv[i]);
		ps(" in range: no trap");
		pop();
		preset(FL0);
		R.eax = 0x7fff0000 | (bv[i] & 0xffff);
		f_boundw();
		ps("boundw ");
		pd(bv[i]);
		ps(" in range: no trap");
		pop();
	}
	preset(FL1 & ~OF);
	f_into();
	ps("into of=0: no trap");
	pop();

	/* cpuid: only properties every CPU (and emu) must share */
	preset(FL0);
	R.eax = 0;
	R.ecx = 0;
	f_cpuid();
	u32 maxleaf = R.eax;
	int vend = printable(R.ebx) && printable(R.edx) && printable(R.ecx);
	ps("cpuid 0: max leaf >= 1: ");
	pu(maxleaf >= 1);
	ps(", vendor is 12 printable chars: ");
	pu(vend);
	ps(", ebp/esi/edi kept: ");
	pu(R.ebp == 0x13579bdf && R.esi == 0x2468ace0 && R.edi == 0xfedcba98);
	nl();
	preset(FL0);
	R.eax = 1;
	R.ecx = 0;
	f_cpuid();
	ps("cpuid 1: tsc=");
	pu((R.edx & 0x10) != 0);
	ps(" cx8=");
	pu((R.edx & 0x100) != 0);
	ps(" cmov=");
	pu((R.edx & 0x8000) != 0);
	nl();
	/* the same leaf twice gives the same answer */
	u32 a = R.eax, b = R.ebx & 0x00ffffff, c = R.ecx, d = R.edx;
	preset(FL0);
	R.eax = 1;
	R.ecx = 0;
	f_cpuid();
	ps("cpuid 1 stable: ");
	pu(a == R.eax && b == (R.ebx & 0x00ffffff) && c == R.ecx && d == R.edx);
	nl();

	/* rdtsc never goes backwards */
	int mono = 1;
	u32 lo0 = 0, hi0 = 0;
	for (int i = 0; i < 200; i++) {
		preset(FL0);
		f_rdtsc();
		if (i && (R.edx < hi0 || (R.edx == hi0 && R.eax < lo0)))
			mono = 0;
		lo0 = R.eax;
		hi0 = R.edx;
	}
	ps("rdtsc monotonic: ");
	pu(mono);
	ps(", nonzero: ");
	pu(lo0 != 0 || hi0 != 0);
	nl();
	return 0;
}
