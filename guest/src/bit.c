/* Bit tests and scans: bt bts btr btc (register, immediate, and memory
 * operands with register bit offsets far beyond the addressed word, negative
 * ones too), bsf, bsr. */
#include "rt.h"

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

/* M[512] (byte offset 2048) is the base of the memory bit string. */
#define BASE "M+2048"

#define BTR(op)                                                                \
	T(op##_rr32, #op "l %ecx, %eax")                                       \
	T(op##_rr16, #op "w %cx, %ax")                                         \
	T(op##_mr32, #op "l %ecx, " BASE)                                      \
	T(op##_mr16, #op "w %cx, " BASE)                                       \
	T(op##_mr32b, #op "l %ecx, 4(%ebx,%esi,4)")                            \
	T(op##_ri32_0, #op "l $0, %eax")                                       \
	T(op##_ri32_1, #op "l $1, %eax")                                       \
	T(op##_ri32_31, #op "l $31, %eax")                                     \
	T(op##_ri32_32, #op "l $32, %eax")                                     \
	T(op##_ri32_33, #op "l $33, %eax")                                     \
	T(op##_ri32_255, #op "l $255, %eax")                                   \
	T(op##_ri16_15, #op "w $15, %ax")                                      \
	T(op##_ri16_17, #op "w $17, %ax")                                      \
	T(op##_mi32_7, #op "l $7, " BASE)                                      \
	T(op##_mi32_33, #op "l $33, " BASE)                                    \
	T(op##_mi32_255, #op "l $255, " BASE)                                  \
	T(op##_mi16_17, #op "w $17, " BASE)                                    \
	T(op##_mi16_31, #op "w $31, " BASE)

BTR(bt) BTR(bts) BTR(btr) BTR(btc)

struct bop {
	const char *nm;
	tfn rr32, rr16, mr32, mr16, mr32b;
	tfn ri[8];
	tfn mi[5];
};
#define BOP(op)                                                                \
	{#op,                                                                  \
	 op##_rr32,                                                            \
	 op##_rr16,                                                            \
	 op##_mr32,                                                            \
	 op##_mr16,                                                            \
	 op##_mr32b,                                                           \
	 {op##_ri32_0, op##_ri32_1, op##_ri32_31, op##_ri32_32, op##_ri32_33,  \
	  op##_ri32_255, op##_ri16_15, op##_ri16_17},                          \
	 {op##_mi32_7, op##_mi32_33, op##_mi32_255, op##_mi16_17, op##_mi16_31}}
static const struct bop bops[] = {BOP(bt), BOP(bts), BOP(btr), BOP(btc)};
static const char *const rinm[8] = {"32 $0",  "32 $1",   "32 $31", "32 $32",
				    "32 $33", "32 $255", "16 $15", "16 $17"};
static const char *const minm[5] = {"32 $7", "32 $33", "32 $255", "16 $17",
				    "16 $31"};

static void fill(void)
{
	u32 p = 0x12345678;
	for (int i = 0; i < 1024; i++) {
		M[i] = p;
		p += 0x9e3779b9;
	}
}

/* Print the dwords of M that differ from the pattern, as index-from-base:value,
 * and restore them. */
static void changes(void)
{
	u32 p = 0x12345678;
	int any = 0;
	for (int i = 0; i < 1024; i++) {
		if (M[i] != p) {
			ps(" m[");
			pd(i - 512);
			ps("]=");
			px(M[i], 8);
			M[i] = p;
			any = 1;
		}
		p += 0x9e3779b9;
	}
	if (!any)
		ps(" m=same");
}

static void flagpair(tfn f, u32 eax, u32 ecx, int mem)
{
	for (int k = 0; k < 2; k++) {
		R.eax = eax;
		R.ecx = ecx;
		R.ebx = (u32)&M[512];
		R.esi = 0xfffffffe; /* 4(%ebx,%esi,4) == base - 4 */
		R.fl = k ? FL1 : FL0;
		f();
		if (mem)
			changes();
		else {
			ps(" eax=");
			px(R.eax, 8);
		}
		pfl(R.fl);
	}
	pop();
}

/* bsf/bsr */
T(bsf32, "bsfl %ebx, %eax")
T(bsr32, "bsrl %ebx, %eax")
T(bsf16, "bsfw %bx, %ax")
T(bsr16, "bsrw %bx, %ax")
T(bsf32m, "bsfl M, %eax")
T(bsr32m, "bsrl M, %eax")
T(bsf16m, "bsfw M, %ax")
T(bsr16m, "bsrw M, %ax")

int main(void)
{
	static const u32 regoff[] = {0, 1, 7, 15, 16, 17, 31, 32, 33, 63, 0xffffffff,
				     0x80000000, 0x7fffffff};
	static const i32 memoff[] = {0,   1,    31,    32,    33,   63,   64,
				     100, 1000, 16000, -1,    -15,  -16,  -17,
				     -31, -32,  -33,   -64,   -100, -1000, -16000};
	static const u32 rvals[] = {0x5a5a5a5a, 0x80000001};
	fill();
	for (int i = 0; i < N(bops); i++) {
		const struct bop *b = &bops[i];
		/* register, register: offset taken modulo the operand size */
		for (int v = 0; v < N(rvals); v++)
			for (int j = 0; j < N(regoff); j++) {
				ps(b->nm);
				ps("32 r,r ");
				px(rvals[v], 8);
				sp();
				px(regoff[j], 8);
				flagpair(b->rr32, rvals[v], regoff[j], 0);
				ps(b->nm);
				ps("16 r,r ");
				px(rvals[v], 8);
				sp();
				px(regoff[j], 8);
				flagpair(b->rr16, rvals[v], regoff[j], 0);
			}
		for (int j = 0; j < 8; j++) {
			ps(b->nm);
			ps(rinm[j]);
			ps(" r 5a5a5a5a");
			flagpair(b->ri[j], 0x5a5a5a5a, 0, 0);
		}
		/* memory, register: the offset selects a word anywhere */
		for (int j = 0; j < N(memoff); j++) {
			ps(b->nm);
			ps("32 m,r ");
			pd(memoff[j]);
			flagpair(b->mr32, memoff[j], memoff[j], 1);
			ps(b->nm);
			ps("16 m,r ");
			pd(memoff[j]);
			/* upper half of ecx is ignored for a 16-bit offset */
			flagpair(b->mr16, 0, ((u32)memoff[j] & 0xffff) | 0x7ffe0000,
				 1);
		}
		ps(b->nm);
		ps("32 m(sib),r -40");
		flagpair(b->mr32b, 0, -40, 1);
		for (int j = 0; j < 5; j++) {
			ps(b->nm);
			ps(minm[j]);
			ps(" m");
			flagpair(b->mi[j], 0, 0, 1);
		}
	}

	static const u32 sv[] = {0,          1,          2,          0x80000000,
				 0x80000001, 0x00010000, 0xffffffff, 0x00f00f00,
				 0x8000,     0x0100,     0x7fff0000, 0x00000006};
	static const struct {
		const char *nm;
		tfn f;
		int size, mem;
	} scans[] = {{"bsf32", bsf32, 32, 0},   {"bsr32", bsr32, 32, 0},
		     {"bsf16", bsf16, 16, 0},   {"bsr16", bsr16, 16, 0},
		     {"bsf32 m", bsf32m, 32, 1}, {"bsr32 m", bsr32m, 32, 1},
		     {"bsf16 m", bsf16m, 16, 1}, {"bsr16 m", bsr16m, 16, 1}};
	for (int i = 0; i < N(scans); i++)
		for (int j = 0; j < N(sv); j++) {
			ps(scans[i].nm);
			sp();
			px(sv[j], 8);
			ps(" ->");
			for (int k = 0; k < 2; k++) {
				R.eax = 0xdeadbeef;
				R.ebx = sv[j];
				M[0] = sv[j];
				R.fl = k ? FL1 : FL0;
				scans[i].f();
				/* the destination is undefined for a zero source */
				if ((sv[j] & mask(scans[i].size)) == 0)
					ps(" undef");
				else {
					sp();
					px(R.eax, 8);
				}
				pfl(R.fl);
			}
			pop();
		}
	return 0;
}
