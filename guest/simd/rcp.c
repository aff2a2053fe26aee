/* Exact rcpps/rcpss/rsqrtps/rsqrtss results of the host CPU over mantissa
 * and exponent sweeps, as hashes of 1024 results each, plus some values in
 * full.  They are vendor-specific (Intel documents only a relative error
 * bound, checked in fp), so there is one snapshot per vendor; under emu
 * they match on x86 hosts, where the host's own instruction computes
 * them. */
#include "simd.h"

I(rcpps, "rcpps %xmm1, %xmm0")
I(rsqrtps, "rsqrtps %xmm1, %xmm0")
I(rcpss, "rcpss %xmm1, %xmm0")
I(rsqrtss, "rsqrtss %xmm1, %xmm0")

static void sweep(const char *name, tfn f, int scalar)
{
	/* mantissa sweep at exponents 127 and 128 */
	for (u32 blk = 0; blk < 32; blk++) {
		hinit();
		for (u32 k = 0; k < 1024; k += 4) {
			u32 m = (blk * 1024 + k) << 6;
			u32 e = (blk & 1) ? 0x3f800000 : 0x40000000;
			set4(&XB, e | m, e | (m + 64), e | (m + 128), e | (m + 192));
			set4(&XA, 1, 2, 3, 4);
			MXI = 0x1f80;
			f();
			for (int l = 0; l < 4; l++)
				hword(XR.w[l]);
			hword(MXO);
			if (k == 0) {
				ps(name);
				ps(" b=");
				p128(&XB);
				ps(" r=");
				p128(&XR);
				nl();
			}
		}
		ps(name);
		ps(" blk ");
		pu(blk);
		ps(" hash=");
		px(hget(), 8);
		nl();
	}
	/* every exponent, a few mantissas, both signs */
	hinit();
	for (u32 e = 0; e < 256; e++)
		for (u32 k = 0; k < 4; k++) {
			u32 v = (e << 23) | (k * 0x1a2b3c);
			set4(&XB, v, v | 0x80000000, v ^ 0x7fff, v | 0x80000001);
			for (int m = 0; m < 2; m++) {
				MXI = m ? 0x9fc0 : 0x1f80;
				f();
				for (int l = 0; l < 4; l++)
					hword(XR.w[l]);
				hword(MXO);
			}
		}
	ps(name);
	ps(" exponents hash=");
	px(hget(), 8);
	nl();
	(void)scalar;
}

int main(void)
{
	sweep("rcpps", rcpps, 0);
	sweep("rsqrtps", rsqrtps, 0);
	sweep("rcpss", rcpss, 1);
	sweep("rsqrtss", rsqrtss, 1);
	flush();
	return 0;
}
