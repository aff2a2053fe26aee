/* SSE2 128-bit integer instructions and SSSE3 on xmm: every pair of a set
 * of vectors with edge-value lanes, register and memory forms; shifts by
 * xmm counts (all 64 bits of the count matter) and by immediates,
 * byte shifts, shuffles with several immediates, palignr with counts up to
 * and past 32. */
#include "simd.h"

static const u32 V[8][4] = {
    {0, 0, 0, 0},
    {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
    {0x80000001, 0x00017ffe, 0x7fff8000, 0x807f01ff},
    {0x0d0e0f10, 0x090a0b0c, 0x05060708, 0x81020384},
    {0x7fffffff, 0x7fffffff, 0x80000000, 0x80000000},
    {0x89abcdef, 0x01234567, 0x76543210, 0xfedcba98},
    {0xff00ff00, 0xff00ff00, 0x00ff00ff, 0x00ff00ff},
    {0xfefefefe, 0x01010101, 0x80808080, 0x7f807f80},
};

#define OP(op) I(op##_r, #op " %xmm1, %xmm0") I(op##_m, #op " XB, %xmm0")
OP(paddb) OP(paddw) OP(paddd) OP(paddq) OP(psubb) OP(psubw) OP(psubd)
OP(psubq) OP(paddsb) OP(paddsw) OP(paddusb) OP(paddusw) OP(psubsb)
OP(psubsw) OP(psubusb) OP(psubusw) OP(pmullw) OP(pmulhw) OP(pmulhuw)
OP(pmuludq) OP(pmaddwd) OP(pavgb) OP(pavgw) OP(pminub) OP(pmaxub)
OP(pminsw) OP(pmaxsw) OP(psadbw) OP(pand) OP(pandn) OP(por) OP(pxor)
OP(pcmpeqb) OP(pcmpeqw) OP(pcmpeqd) OP(pcmpgtb) OP(pcmpgtw) OP(pcmpgtd)
OP(packsswb) OP(packssdw) OP(packuswb) OP(punpcklbw) OP(punpcklwd)
OP(punpckldq) OP(punpcklqdq) OP(punpckhbw) OP(punpckhwd) OP(punpckhdq)
OP(punpckhqdq) OP(pshufb) OP(pabsb) OP(pabsw) OP(pabsd) OP(phaddw)
OP(phaddd) OP(phaddsw) OP(phsubw) OP(phsubd) OP(phsubsw) OP(pmaddubsw)
OP(pmulhrsw) OP(psignb) OP(psignw) OP(psignd)
OP(andps) OP(andnps) OP(orps) OP(xorps) OP(andpd) OP(andnpd) OP(orpd)
OP(xorpd) OP(unpcklps) OP(unpckhps) OP(unpcklpd) OP(unpckhpd)
OP(psllw) OP(pslld) OP(psllq) OP(psrlw) OP(psrld) OP(psrlq) OP(psraw)
OP(psrad)

struct op {
	const char *name;
	tfn r, m;
};
#define E(op) {#op, op##_r, op##_m}
static const struct op OPS[] = {
    E(paddb),     E(paddw),     E(paddd),      E(paddq),      E(psubb),
    E(psubw),     E(psubd),     E(psubq),      E(paddsb),     E(paddsw),
    E(paddusb),   E(paddusw),   E(psubsb),     E(psubsw),     E(psubusb),
    E(psubusw),   E(pmullw),    E(pmulhw),     E(pmulhuw),    E(pmuludq),
    E(pmaddwd),   E(pavgb),     E(pavgw),      E(pminub),     E(pmaxub),
    E(pminsw),    E(pmaxsw),    E(psadbw),     E(pand),       E(pandn),
    E(por),       E(pxor),      E(pcmpeqb),    E(pcmpeqw),    E(pcmpeqd),
    E(pcmpgtb),   E(pcmpgtw),   E(pcmpgtd),    E(packsswb),   E(packssdw),
    E(packuswb),  E(punpcklbw), E(punpcklwd),  E(punpckldq),  E(punpcklqdq),
    E(punpckhbw), E(punpckhwd), E(punpckhdq),  E(punpckhqdq), E(pshufb),
    E(pabsb),     E(pabsw),     E(pabsd),      E(phaddw),     E(phaddd),
    E(phaddsw),   E(phsubw),    E(phsubd),     E(phsubsw),    E(pmaddubsw),
    E(pmulhrsw),  E(psignb),    E(psignw),     E(psignd),     E(andps),
    E(andnps),    E(orps),      E(xorps),      E(andpd),      E(andnpd),
    E(orpd),      E(xorpd),     E(unpcklps),   E(unpckhps),   E(unpcklpd),
    E(unpckhpd),
};

static void setv(v128 *x, int i)
{
	set4(x, V[i][0], V[i][1], V[i][2], V[i][3]);
}

static void pairs(const struct op *o)
{
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 8; j++) {
			setv(&XA, i);
			setv(&XB, j);
			o->r();
			ps(o->name);
			sp();
			pu(i);
			pc('.');
			pu(j);
			ps(" r=");
			p128(&XR);
			nl();
		}
	setv(&XA, 5);
	setv(&XB, 2);
	o->m();
	ps(o->name);
	ps("(m) r=");
	p128(&XR);
	nl();
}

/* ---- shifts by an xmm count ---- */
static const u32 CNT[16][2] = {
    {0, 0},  {1, 0},  {7, 0},  {8, 0},         {15, 0},         {16, 0},
    {17, 0}, {31, 0}, {32, 0}, {33, 0},        {63, 0},         {64, 0},
    {65, 0}, {0, 1},  {0xffffffff, 0xffffffff}, {0, 0x80000000},
};

static const struct op SH[] = {
    E(psllw), E(pslld), E(psllq), E(psrlw),
    E(psrld), E(psrlq), E(psraw), E(psrad),
};

static void shifts(const struct op *o)
{
	for (int v = 2; v <= 5; v += 3)
		for (int k = 0; k < 16; k++) {
			setv(&XA, v);
			/* the high quadword of the count is ignored */
			set4(&XB, CNT[k][0], CNT[k][1], 0x1, 0x80000000);
			o->r();
			ps(o->name);
			sp();
			pu(v);
			ps(" n=");
			p64(CNT[k][0], CNT[k][1]);
			ps(" r=");
			p128(&XR);
			nl();
		}
	setv(&XA, 5);
	set4(&XB, 3, 0, 0, 0);
	o->m();
	ps(o->name);
	ps("(m) r=");
	p128(&XR);
	nl();
}

/* ---- immediate forms ---- */
#define SI(op, n) I(op##_##n, #op " $" #n ", %xmm0")
#define SI13(op)                                                               \
	SI(op, 0) SI(op, 1) SI(op, 7) SI(op, 8) SI(op, 15) SI(op, 16)         \
	    SI(op, 17) SI(op, 31) SI(op, 32) SI(op, 33) SI(op, 63) SI(op, 64) \
		SI(op, 255)
SI13(psllw)
SI13(pslld)
SI13(psllq)
SI13(psrlw)
SI13(psrld)
SI13(psrlq)
SI13(psraw)
SI13(psrad)
SI13(pslldq)
SI13(psrldq)

struct iop {
	const char *name;
	tfn f[13];
};
#define IE(op)                                                                 \
	{                                                                      \
		#op, {                                                         \
			op##_0, op##_1, op##_7, op##_8, op##_15, op##_16,      \
			    op##_17, op##_31, op##_32, op##_33, op##_63,       \
			    op##_64, op##_255                                  \
		}                                                              \
	}
static const struct iop SHI[] = {
    IE(psllw), IE(pslld), IE(psllq), IE(psrlw),  IE(psrld),
    IE(psrlq), IE(psraw), IE(psrad), IE(pslldq), IE(psrldq),
};
static const u32 IMMS[13] = {0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 255};

static void ishifts(const struct iop *o)
{
	for (int v = 2; v <= 5; v += 3)
		for (int k = 0; k < 13; k++) {
			setv(&XA, v);
			o->f[k]();
			ps(o->name);
			sp();
			pu(v);
			ps(" $");
			pu(IMMS[k]);
			ps(" r=");
			p128(&XR);
			nl();
		}
}

/* ---- shuffles with an immediate ---- */
#define SH8(op)                                                                \
	I(op##_00, #op " $0x00, %xmm1, %xmm0")                                 \
	I(op##_1b, #op " $0x1b, %xmm1, %xmm0")                                 \
	I(op##_e4, #op " $0xe4, %xmm1, %xmm0")                                 \
	I(op##_4e, #op " $0x4e, %xmm1, %xmm0")                                 \
	I(op##_b1, #op " $0xb1, %xmm1, %xmm0")                                 \
	I(op##_ff, #op " $0xff, %xmm1, %xmm0")                                 \
	I(op##_39, #op " $0x39, %xmm1, %xmm0")                                 \
	I(op##_93, #op " $0x93, %xmm1, %xmm0")                                 \
	I(op##_m, #op " $0x1b, XB, %xmm0")
SH8(pshufd)
SH8(pshuflw)
SH8(pshufhw)
SH8(shufps)
SH8(shufpd)

struct sop {
	const char *name;
	tfn f[9];
};
#define SE(op)                                                                 \
	{                                                                      \
		#op, {                                                         \
			op##_00, op##_1b, op##_e4, op##_4e, op##_b1, op##_ff,  \
			    op##_39, op##_93, op##_m                           \
		}                                                              \
	}
static const struct sop SHUF[] = {
    SE(pshufd), SE(pshuflw), SE(pshufhw), SE(shufps), SE(shufpd),
};

static void shuf(const struct sop *o)
{
	static const char *imm[9] = {"00", "1b", "e4", "4e", "b1",
				     "ff", "39", "93", "1b(m)"};
	for (int k = 0; k < 9; k++) {
		setv(&XA, 3);
		setv(&XB, 5);
		o->f[k]();
		ps(o->name);
		ps(" $");
		ps(imm[k]);
		ps(" r=");
		p128(&XR);
		nl();
	}
}

#define PA(n) I(palignr_##n, "palignr $" #n ", %xmm1, %xmm0")
PA(0) PA(1) PA(4) PA(8) PA(15) PA(16) PA(17) PA(24) PA(31) PA(32) PA(33)
PA(255)
I(palignr_m, "palignr $5, XB, %xmm0")
static const tfn PAL[13] = {palignr_0,  palignr_1,  palignr_4,   palignr_8,
			    palignr_15, palignr_16, palignr_17,  palignr_24,
			    palignr_31, palignr_32, palignr_33, palignr_255,
			    palignr_m};
static const char *PALN[13] = {"0",  "1",  "4",  "8",  "15",  "16", "17",
			       "24", "31", "32", "33", "255", "5(m)"};

int main(void)
{
	for (u32 k = 0; k < sizeof OPS / sizeof OPS[0]; k++)
		pairs(&OPS[k]);
	for (u32 k = 0; k < sizeof SH / sizeof SH[0]; k++)
		shifts(&SH[k]);
	for (u32 k = 0; k < sizeof SHI / sizeof SHI[0]; k++)
		ishifts(&SHI[k]);
	for (u32 k = 0; k < sizeof SHUF / sizeof SHUF[0]; k++)
		shuf(&SHUF[k]);
	for (int k = 0; k < 13; k++) {
		setv(&XA, 3);
		setv(&XB, 5);
		PAL[k]();
		ps("palignr $");
		ps(PALN[k]);
		ps(" r=");
		p128(&XR);
		nl();
	}
	flush();
	return 0;
}
