/* mul, imul (one, two and three operand forms), div, idiv; 8/16/32 bits;
 * register and memory operands.  Divisions that would fault are not run
 * here (see the fault_* programs); they print "skip". */
#include "rt.h"

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

T(mul8, "mulb %bl")
T(mul16, "mulw %bx")
T(mul32, "mull %ebx")
T(mul8m, "mulb M")
T(mul16m, "mulw M")
T(mul32m, "mull M")
T(mul8h, "mulb %ah")
T(imul8, "imulb %bl")
T(imul16, "imulw %bx")
T(imul32, "imull %ebx")
T(imul8m, "imulb M")
T(imul16m, "imulw M")
T(imul32m, "imull M")
T(imul8h, "imulb %bh")
/* two operand */
T(imul2_16, "imulw %bx, %ax")
T(imul2_32, "imull %ebx, %eax")
T(imul2_16m, "imulw M, %ax")
T(imul2_32m, "imull M, %eax")
T(imul2_self, "imull %eax, %eax")
/* three operand */
T(imul3_32a, "imull $-1, %ebx, %eax")
T(imul3_32b, "imull $0x7f, %ebx, %eax")
T(imul3_32c, "imull $-128, %ebx, %eax")
T(imul3_32d, "imull $0x12345678, %ebx, %eax")
T(imul3_32e, "imull $0x80000000, %ebx, %eax")
T(imul3_32m, "imull $3, M, %eax")
T(imul3_16a, "imulw $-1, %bx, %ax")
T(imul3_16b, "imulw $0x7fff, %bx, %ax")
T(imul3_16c, "imulw $0x8000, %bx, %ax")
T(imul3_16m, "imulw $0x100, M, %ax")
T(imul3_same, "imull $5, %eax, %eax")
/* division */
T(div8, "divb %bl")
T(div16, "divw %bx")
T(div32, "divl %ebx")
T(idiv8, "idivb %bl")
T(idiv16, "idivw %bx")
T(idiv32, "idivl %ebx")
T(div8m, "divb M")
T(div32m, "divl M")
T(idiv16m, "idivw M")
T(idiv32m, "idivl M")

struct op {
	const char *nm;
	tfn f;
	int size, kind;
};
enum { ONE, ONE_M, ONE_H, TWO, TWO_M, SELF, THREE, THREE_M };

static void one(const struct op *o, u32 a, u32 b)
{
	ps(o->nm);
	sp();
	pxs(a, o->size);
	sp();
	pxs(b, o->size);
	ps(" ->");
	for (int k = 0; k < 2; k++) {
		R.eax = garb(a, o->size);
		R.ebx = garb(b, o->size);
		R.edx = 0x5a5a5a5a;
		M[0] = R.ebx;
		R.fl = k ? FL1 : FL0;
		if (o->kind == ONE_H) { /* operand in ah (mul) or bh (imul) */
			R.eax = 0x5a5a0000 | (a & 0xff);
			setb1(&R.eax, b);
			R.ebx = 0x0;
			setb1(&R.ebx, b);
		}
		o->f();
		if (o->kind == TWO || o->kind == TWO_M || o->kind == SELF ||
		    o->kind == THREE || o->kind == THREE_M) {
			sp();
			px(R.eax, 8);
		} else if (o->size == 8) {
			sp();
			px(R.eax, 8);
		} else {
			ps(" edx:eax=");
			px(R.edx, 8);
			pc(':');
			px(R.eax, 8);
		}
		pfl(R.fl);
	}
	pop();
}

static const struct op muls[] = {
    {"mul8", mul8, 8, ONE},          {"mul16", mul16, 16, ONE},
    {"mul32", mul32, 32, ONE},       {"imul8", imul8, 8, ONE},
    {"imul16", imul16, 16, ONE},     {"imul32", imul32, 32, ONE},
    {"imul16 r,r", imul2_16, 16, TWO}, {"imul32 r,r", imul2_32, 32, TWO},
};
static const struct op mulm[] = {
    {"mul8 m", mul8m, 8, ONE_M},       {"mul16 m", mul16m, 16, ONE_M},
    {"mul32 m", mul32m, 32, ONE_M},    {"imul8 m", imul8m, 8, ONE_M},
    {"imul16 m", imul16m, 16, ONE_M},  {"imul32 m", imul32m, 32, ONE_M},
    {"imul16 r,m", imul2_16m, 16, TWO_M}, {"imul32 r,m", imul2_32m, 32, TWO_M},
    {"mul8 ah", mul8h, 8, ONE_H},      {"imul8 bh", imul8h, 8, ONE_H},
    {"imul32 eax,eax", imul2_self, 32, SELF},
};
static const struct op mul3[] = {
    {"imul32 r,r,-1", imul3_32a, 32, THREE},
    {"imul32 r,r,7f", imul3_32b, 32, THREE},
    {"imul32 r,r,-128", imul3_32c, 32, THREE},
    {"imul32 r,r,12345678", imul3_32d, 32, THREE},
    {"imul32 r,r,80000000", imul3_32e, 32, THREE},
    {"imul32 r,m,3", imul3_32m, 32, THREE_M},
    {"imul16 r,r,-1", imul3_16a, 16, THREE},
    {"imul16 r,r,7fff", imul3_16b, 16, THREE},
    {"imul16 r,r,8000", imul3_16c, 16, THREE},
    {"imul16 r,m,100", imul3_16m, 16, THREE_M},
    {"imul32 eax,eax,5", imul3_same, 32, THREE},
};

/* Would the division fault?  n is the dividend (hi:lo), d the divisor, lim
 * 2^(size-1).  No C division (it would need libgcc). */
static int div_faults(u64 n, u32 d, int sign, u64 lim, u32 dmask)
{
	d &= dmask;
	if (d == 0)
		return 1;
	if (!sign)
		return n >= lim * 2 * d;
	/* sign-extend the divisor */
	i64 sd = (d & (u32)lim) ? (i64)d - (i64)(lim * 2) : (i64)d;
	i64 sn = (i64)n;
	if (lim < 0x80000000ull) /* dividend is 2*size bits: sign-extend */
		sn = (n & (lim * lim * 2)) ? (i64)n - (i64)(lim * lim * 4) : (i64)n;
	u64 an = sn < 0 ? -(u64)sn : (u64)sn;
	u64 ad = sd < 0 ? -(u64)sd : (u64)sd;
	if ((sn < 0) == (sd < 0))
		return an >= lim * ad;
	return an >= (lim + 1) * ad;
}

struct dv {
	const char *nm;
	tfn f;
	int size, sign, mem;
};
static const struct dv divs[] = {
    {"div8", div8, 8, 0, 0},       {"div16", div16, 16, 0, 0},
    {"div32", div32, 32, 0, 0},    {"idiv8", idiv8, 8, 1, 0},
    {"idiv16", idiv16, 16, 1, 0},  {"idiv32", idiv32, 32, 1, 0},
    {"div8 m", div8m, 8, 0, 1},    {"div32 m", div32m, 32, 0, 1},
    {"idiv16 m", idiv16m, 16, 1, 1}, {"idiv32 m", idiv32m, 32, 1, 1},
};

static const u32 dend32[][2] = {
    {0, 0},          {0, 1},          {0, 0x7fffffff}, {0, 0x80000000},
    {0, 0xffffffff}, {1, 0},          {0x12345678, 0x9abcdef0},
    {0x3fffffff, 0xffffffff}, {0x7fffffff, 0xffffffff},
    {0x80000000, 0}, {0xffffffff, 0x80000000}, {0xffffffff, 0xffffffff},
    {0xffffffff, 0x00000001}, {0xc0000000, 0x00000000}};
static const u32 dsor32[] = {1,          2,          3,          7,
			     0x10,       0x12345,    0x7fffffff, 0x80000000,
			     0xfffffffe, 0xffffffff, 0x40000000, 0xfffffff9};
/* 8/16 bit: dividend ax or dx:ax as one number */
static const u32 dend16[] = {0,          1,          0x7f,       0x80,
			     0xff,       0x100,      0x7fff,     0x8000,
			     0xffff,     0x12345678, 0x7fffffff, 0x80000000,
			     0xffffffff, 0xffff8000, 0x00007fff, 0x3fff8000};
static const u32 dsor16[] = {1,      2,      3,      7,      0x10,  0x7f,
			     0x80,   0xff,   0x7fff, 0x8000, 0xffff, 0xfff9};
static const u32 dend8[] = {0,      1,      0x7f,   0x80,   0xff,   0x100,
			    0x7fff, 0x8000, 0xffff, 0x3f80, 0xc080, 0x1234,
			    0xff80, 0x007f, 0xfe01, 0x4000};
static const u32 dsor8[] = {1, 2, 3, 7, 0x10, 0x7f, 0x80, 0xff, 0xf9, 0xfe};
static int skipped;

static void dodiv(const struct dv *o, u32 hi, u32 lo, u32 d)
{
	u64 n;
	u64 lim;
	u32 dm;
	if (o->size == 32) {
		n = ((u64)hi << 32) | lo;
		lim = 0x80000000u;
		dm = 0xffffffff;
	} else if (o->size == 16) {
		n = lo;
		lim = 0x8000;
		dm = 0xffff;
	} else {
		n = lo & 0xffff;
		lim = 0x80;
		dm = 0xff;
	}
	if (div_faults(n, d, o->sign, lim, dm)) {
		skipped++;
		return;
	}
	ps(o->nm);
	sp();
	if (o->size == 32) {
		px(hi, 8);
		pc(':');
		px(lo, 8);
	} else
		px(n, o->size == 16 ? 8 : 4);
	ps(" / ");
	pxs(d, o->size);
	R.ebx = garb(d, o->size);
	M[0] = R.ebx;
	if (o->size == 32) {
		R.edx = hi;
		R.eax = lo;
	} else if (o->size == 16) {
		R.edx = 0xa5a50000 | (lo >> 16);
		R.eax = 0x5a5a0000 | (lo & 0xffff);
	} else {
		R.edx = 0x11111111;
		R.eax = 0x5a5a0000 | (lo & 0xffff);
	}
	R.fl = FL0;
	o->f();
	ps(" -> edx=");
	px(R.edx, 8);
	ps(" eax=");
	px(R.eax, 8);
	pfl(R.fl);
	pop();
}

int main(void)
{
	for (int i = 0; i < N(muls); i++) {
		const u32 *v = vals(muls[i].size);
		for (int a = 0; a < 9; a++)
			for (int b = 0; b < 9; b++)
				one(&muls[i], v[a], v[b]);
	}
	for (int i = 0; i < N(mulm); i++) {
		const u32 *v = vals(mulm[i].size);
		static const int p[4][2] = {{1, 8}, {5, 6}, {8, 8}, {6, 5}};
		for (int j = 0; j < 4; j++)
			one(&mulm[i], v[p[j][0]], v[p[j][1]]);
	}
	for (int i = 0; i < N(mul3); i++) {
		const u32 *v = vals(mul3[i].size);
		for (int a = 0; a < 9; a++) {
			ps(mul3[i].nm);
			sp();
			pxs(v[a], mul3[i].size);
			ps(" ->");
			for (int k = 0; k < 2; k++) {
				R.eax = 0x12345678;
				if (mul3[i].f == imul3_same)
					R.eax = v[a];
				R.ebx = garb(v[a], mul3[i].size);
				M[0] = R.ebx;
				R.fl = k ? FL1 : FL0;
				mul3[i].f();
				sp();
				px(R.eax, 8);
				pfl(R.fl);
			}
			pop();
		}
	}
	for (int i = 0; i < N(divs); i++) {
		const struct dv *o = &divs[i];
		skipped = 0;
		if (o->size == 8) {
			for (int a = 0; a < N(dend8); a++)
				for (int b = 0; b < N(dsor8); b++)
					if (!o->mem || b % 3 == 0)
						dodiv(o, 0, dend8[a], dsor8[b]);
		} else if (o->size == 32) {
			for (int a = 0; a < N(dend32); a++)
				for (int b = 0; b < N(dsor32); b++)
					if (!o->mem || b % 3 == 0)
						dodiv(o, dend32[a][0], dend32[a][1],
						      dsor32[b]);
		} else {
			for (int a = 0; a < N(dend16); a++)
				for (int b = 0; b < N(dsor16); b++)
					if (!o->mem || b % 3 == 0)
						dodiv(o, 0, dend16[a], dsor16[b]);
		}
		ps(o->nm);
		ps(": not run (would fault): ");
		pu(skipped);
		nl();
	}
	return 0;
}
