/* SSE/SSE2/SSE3 floating point: add sub mul div min max (ps ss pd sd),
 * sqrt, rcp/rsqrt (bounds and special values; exact values in rcp.c),
 * cmpps/ss/pd/sd (8 predicates), comiss/ucomiss/comisd/ucomisd,
 * addsub/hadd/hsub, every operand pair of a table of special values
 * (zeros, denormals, normals, max, infinities, QNaN/SNaN with payloads),
 * in all 16 MXCSR modes (rounding x DAZ x FTZ): the default mode is
 * printed in full, the other 15 as a hash of all results and MXCSR. */
#include "simd.h"

static const u32 F[16] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x3eaaaaab, 0x7f7fffff,
    0x00800000, 0x807fffff, 0x00000001, 0x7f800000, 0xff800000, 0x7fc00000,
    0xffc12345, 0x7fa00001, 0x4b800001, 0x00c00000,
};

/* lo, hi */
static const u32 D[16][2] = {
    {0, 0},          {0, 0x80000000}, {0, 0x3ff00000},
    {0, 0xbff80000}, {0x55555555, 0x3fd55555}, {0xffffffff, 0x7fefffff},
    {0, 0x00100000}, {0xffffffff, 0x800fffff}, {1, 0},
    {0, 0x7ff00000}, {0, 0xfff00000}, {0, 0x7ff80000},
    {0x12345678, 0xfff80000}, {1, 0x7ff00000}, {1, 0x43400000},
    {0, 0x00180000},
};

enum { PS, SS, PD, SD };

#define BIN(op)                                                                \
	I(op##_r, #op " %xmm1, %xmm0")                                         \
	I(op##_m, #op " XB, %xmm0")
#define BIN4(op) BIN(op##ps) BIN(op##ss) BIN(op##pd) BIN(op##sd)
BIN4(add)
BIN4(sub)
BIN4(mul)
BIN4(div)
BIN4(min)
BIN4(max)
BIN4(sqrt)
BIN(addsubps)
BIN(addsubpd)
BIN(haddps)
BIN(haddpd)
BIN(hsubps)
BIN(hsubpd)
BIN(rcpps)
BIN(rcpss)
BIN(rsqrtps)
BIN(rsqrtss)

/* Load lane data for pair number p (0..255) into XA/XB for `kind`. */
static void load_pairs(int kind, int p, int unary)
{
	set4(&XA, 0x11111111, 0x22222222, 0x33333333, 0x44444444);
	set4(&XB, 0x7fa00000, 0x7f800001, 0x00000001, 0xffc00000);
	if (kind == PS || kind == SS) {
		int n = kind == PS ? 4 : 1;
		for (int k = 0; k < n; k++) {
			int q = p + k;
			XA.w[k] = F[(q >> 4) & 15];
			XB.w[k] = F[q & 15];
			if (unary)
				XB.w[k] = F[q & 15] ^ ((q & 16) ? 0x80000000 : 0);
		}
	} else {
		int n = kind == PD ? 2 : 1;
		for (int k = 0; k < n; k++) {
			int q = p + k;
			XA.w[2 * k] = D[(q >> 4) & 15][0];
			XA.w[2 * k + 1] = D[(q >> 4) & 15][1];
			XB.w[2 * k] = D[q & 15][0];
			XB.w[2 * k + 1] = D[q & 15][1] ^ ((unary && (q & 16)) ? 0x80000000 : 0);
		}
	}
}

static int lanes(int kind)
{
	return kind == PS ? 4 : kind == PD ? 2 : 1;
}

static void pline(const char *name)
{
	ps(name);
	ps(" a=");
	p128(&XA);
	ps(" b=");
	p128(&XB);
	ps(" r=");
	p128(&XR);
	pmx();
	nl();
}

/* Every pair in every mode; `detail` pairs per printed line in the default
 * mode (0 = hash only). */
static void bin(const char *name, tfn fr, tfn fm, int kind, int unary)
{
	int step = lanes(kind);
	int npairs = unary ? 32 : 256;
	for (int m = 0; m < NMODES; m++) {
		hinit();
		for (int p = 0; p < npairs; p += step) {
			load_pairs(kind, p, unary);
			MXI = MODES[m];
			fr();
			if (m == 0 && ((step > 1 && !(p & 4)) || unary || (p >> 4) == (p & 15) ||
				       (p >> 4) + (p & 15) == 15 || (p & 15) == 2))
				pline(name);
			for (int k = 0; k < 4; k++)
				hword(XR.w[k]);
			hword(MXO);
		}
		if (m) {
			ps(name);
			sp();
			pmode(MODES[m]);
			ps(" hash=");
			px(hget(), 8);
			nl();
		}
	}
	/* memory form, aligned, a few pairs */
	for (int p = 0; p < 4 * step; p += step) {
		load_pairs(kind, p * 17 + 3, unary);
		MXI = 0x1f80;
		fm();
		ps(name);
		ps("(m)");
		ps(" r=");
		p128(&XR);
		pmx();
		nl();
	}
}

#define RUN(op, kind) bin(#op, op##_r, op##_m, kind, 0)
#define RUNU(op, kind) bin(#op, op##_r, op##_m, kind, 1)
#define RUN4(op)                                                               \
	RUN(op##ps, PS);                                                       \
	RUN(op##ss, SS);                                                       \
	RUN(op##pd, PD);                                                       \
	RUN(op##sd, SD)

/* ---- compares ---- */
#define CMP(op, p)                                                             \
	I(op##_##p, #op " $" #p ", %xmm1, %xmm0")
#define CMP8(op)                                                               \
	CMP(op, 0) CMP(op, 1) CMP(op, 2) CMP(op, 3) CMP(op, 4) CMP(op, 5)     \
	    CMP(op, 6) CMP(op, 7) I(op##_m, #op " $1, XB, %xmm0")              \
		I(op##_x, #op " $0x0d, %xmm1, %xmm0")
CMP8(cmpps)
CMP8(cmpss)
CMP8(cmppd)
CMP8(cmpsd)

static void cmp(const char *name, const tfn *f, int kind)
{
	int step = lanes(kind);
	for (int p = 0; p < 256; p += step) {
		if ((kind == SS || kind == SD) && (p & 1))
			continue;
		load_pairs(kind, p, 0);
		ps(name);
		ps(" a=");
		p128(&XA);
		ps(" b=");
		p128(&XB);
		for (int k = 0; k < 8; k++) {
			MXI = 0x1f80;
			f[k]();
			sp();
			if (kind == SS || kind == SD) {
				/* lane 0 result, then whether the rest kept a */
				int n = kind == SS ? 1 : 2;
				int keep = 1;
				for (int l = n; l < 4; l++)
					keep &= XR.w[l] == XA.w[l];
				px(XR.w[0], 2);
				pc(keep ? 'k' : 'X');
			} else
				for (int l = 0; l < 4; l++)
					pc(XR.w[l] ? '1' : '0');
			pc('/');
			px(MXO & 0x3f, 2);
		}
		nl();
	}
	/* DAZ makes denormals compare as zero */
	for (int m = 1; m < NMODES; m++) {
		hinit();
		for (int p = 0; p < 256; p += step) {
			load_pairs(kind, p, 0);
			for (int k = 0; k < 8; k++) {
				MXI = MODES[m];
				f[k]();
				for (int l = 0; l < 4; l++)
					hword(XR.w[l]);
				hword(MXO);
			}
		}
		ps(name);
		sp();
		pmode(MODES[m]);
		ps(" hash=");
		px(hget(), 8);
		nl();
	}
	/* memory form; imm8 bits above 2 ignored */
	load_pairs(kind, 0x12, 0);
	MXI = 0x1f80;
	f[8]();
	ps(name);
	ps("(m) r=");
	p128(&XR);
	pmx();
	f[9]();
	ps(" imm0d r=");
	p128(&XR);
	pmx();
	nl();
}

#define CMPRUN(op, kind)                                                       \
	do {                                                                   \
		static const tfn t[10] = {op##_0, op##_1, op##_2, op##_3,      \
					  op##_4, op##_5, op##_6, op##_7,      \
					  op##_m, op##_x};                     \
		cmp(#op, t, kind);                                             \
	} while (0)

/* ---- comis ---- */
I(comiss_r, "comiss %xmm1, %xmm0")
I(ucomiss_r, "ucomiss %xmm1, %xmm0")
I(comisd_r, "comisd %xmm1, %xmm0")
I(ucomisd_r, "ucomisd %xmm1, %xmm0")
I(comiss_m, "comiss XB, %xmm0")
I(ucomisd_m, "ucomisd XB, %xmm0")

static void comi(const char *name, tfn f, int kind)
{
	for (int i = 0; i < 16; i++) {
		ps(name);
		ps(" a#");
		pu(i);
		pc(':');
		for (int j = 0; j < 16; j++) {
			load_pairs(kind, i * 16 + j, 0);
			for (int m = 0; m < 3; m++) {
				MXI = m == 2 ? 0x1fa0 : m ? 0x1fc0 : 0x1f80;
				FLI = m == 1 ? 0x202 : 0x8d7;
				f();
				pc(" /|"[m]);
				px(FLO & 0xfff, 4);
				pc('.');
				px(MXO & 0x3f, 2);
			}
		}
		nl();
	}
	FLI = 0x202;
}

/* ---- rcp/rsqrt: specials exactly, others against Intel's bound (the
 * exact values are vendor-specific: rcp.c) ---- */

/* |r*a - 1| <= 1.5*2^-12 (rcp) or |r*r*a - 1| <= 3.01*2^-12 (rsqrt), in
 * integer arithmetic (no x87, no 64-bit division). */
static int within(u32 a, u32 r, int rsq)
{
	u32 ea = (a >> 23) & 0xff, er = (r >> 23) & 0xff;
	if (ea == 0 || er == 0 || ea == 255 || er == 255)
		return 0;
	u64 ma = (a & 0x7fffff) | 0x800000, mr = (r & 0x7fffff) | 0x800000;
	u64 P;
	int t; /* value = P * 2^t */
	if (rsq) {
		P = ((mr * mr) >> 24) * ma;
		t = 2 * (int)er - 300 + 24 + (int)ea - 150;
	} else {
		P = ma * mr;
		t = (int)ea + (int)er - 300;
	}
	if (-t < 40 || -t > 50)
		return 0;
	u64 T = (u64)1 << -t;
	u64 d = P > T ? P - T : T - P;
	if (rsq)
		return (d << 12) <= 3 * T + (T >> 6);
	return (d << 13) <= 3 * T;
}

/* The result lanes of an approximation: specials (zero, denormal, inf,
 * NaN) exactly, finite normal ones only as "~ok"/"~bad" against the bound
 * (their exact bits differ between vendors; see rcp.c). */
static void papprox(int rsq)
{
	for (int l = 3; l >= 0; l--) {
		u32 r = XR.w[l], e = (r >> 23) & 0xff;
		if (e == 0 || e == 255)
			px(r, 8);
		else
			ps(within(XB.w[l] & 0x7fffffff, r & 0x7fffffff, rsq) &&
					   !((XB.w[l] ^ r) & 0x80000000) ?
				   "~ok" :
				   "~bad");
		if (l)
			pc('_');
	}
}

static void approx(const char *name, tfn f, int rsq)
{
	/* special inputs: exact */
	static const u32 sp_in[12] = {0x00000000, 0x80000000, 0x7f800000,
				      0xff800000, 0x7fc00000, 0x7fa00001,
				      0x00000001, 0x807fffff, 0x7f7fffff,
				      0xff000000, 0x00200000, 0xffc12345};
	for (int k = 0; k < 12; k += 4) {
		set4(&XA, 0, 0, 0, 0);
		set4(&XB, sp_in[k], sp_in[k + 1], sp_in[k + 2], sp_in[k + 3]);
		for (int m = 0; m < 2; m++) {
			MXI = m ? 0x9fc0 : 0x1f80;
			f();
			ps(name);
			ps(m ? " daz+ftz" : "");
			ps(" b=");
			p128(&XB);
			ps(" r=");
			papprox(rsq);
			pmx();
			nl();
		}
	}
	u32 bad = 0, n = 0;
	u32 x = 12345;
	for (int i = 0; i < 3000; i++) {
		x = x * 1664525 + 1013904223;
		/* exponents 2..251: results stay normal */
		u32 in = (x & 0x807fffff) | (((x >> 23) % 250 + 2) << 23);
		if (rsq)
			in &= 0x7fffffff;
		set4(&XB, in, in, in, in);
		MXI = 0x1f80;
		f();
		if (!within(in & 0x7fffffff, XR.w[0] & 0x7fffffff, rsq) ||
		    ((in ^ XR.w[0]) & 0x80000000) || MXO != 0x1f80)
			bad++;
		n++;
	}
	ps(name);
	ps(" bound-check n=");
	pu(n);
	ps(" bad=");
	pu(bad);
	nl();
}

int main(void)
{
	RUN4(add);
	RUN4(sub);
	RUN4(mul);
	RUN4(div);
	RUN4(min);
	RUN4(max);
	RUNU(sqrtps, PS);
	RUNU(sqrtss, SS);
	RUNU(sqrtpd, PD);
	RUNU(sqrtsd, SD);
	RUN(addsubps, PS);
	RUN(addsubpd, PD);
	RUN(haddps, PS);
	RUN(haddpd, PD);
	RUN(hsubps, PS);
	RUN(hsubpd, PD);
	CMPRUN(cmpps, PS);
	CMPRUN(cmpss, SS);
	CMPRUN(cmppd, PD);
	CMPRUN(cmpsd, SD);
	comi("comiss", comiss_r, SS);
	comi("ucomiss", ucomiss_r, SS);
	comi("comisd", comisd_r, SD);
	comi("ucomisd", ucomisd_r, SD);
	load_pairs(SS, 0x23, 0);
	comiss_m();
	ps("comiss(m) ");
	px(FLO & 0xfff, 4);
	nl();
	load_pairs(SD, 0x23, 0);
	ucomisd_m();
	ps("ucomisd(m) ");
	px(FLO & 0xfff, 4);
	nl();
	approx("rcpps", rcpps_r, 0);
	approx("rcpss", rcpss_r, 0);
	approx("rsqrtps", rsqrtps_r, 1);
	approx("rsqrtss", rsqrtss_r, 1);
	(void)rcpps_m;
	(void)rcpss_m;
	(void)rsqrtps_m;
	(void)rsqrtss_m;
	flush();
	return 0;
}
