/* Shifts and rotates: shl shr sar rol ror rcl rcr (and the sal /6 alias),
 * shld shrd; 8/16/32 bits; every count 0..33 as an immediate and in CL;
 * register and memory forms; CF in and out.
 * um= marks what Intel leaves undefined beyond what the opcode says:
 * CF of shl/shr when count >= operand size, OF of rcl/rcr when the masked
 * count is not 1, and everything (result too) for 16-bit shld/shrd when
 * count > 16. */
#include "rt.h"

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

#define X34(X, a, b, c)                                                        \
	X(a, b, c, 0) X(a, b, c, 1) X(a, b, c, 2) X(a, b, c, 3) X(a, b, c, 4)  \
	X(a, b, c, 5) X(a, b, c, 6) X(a, b, c, 7) X(a, b, c, 8) X(a, b, c, 9)  \
	X(a, b, c, 10) X(a, b, c, 11) X(a, b, c, 12) X(a, b, c, 13)           \
	X(a, b, c, 14) X(a, b, c, 15) X(a, b, c, 16) X(a, b, c, 17)           \
	X(a, b, c, 18) X(a, b, c, 19) X(a, b, c, 20) X(a, b, c, 21)           \
	X(a, b, c, 22) X(a, b, c, 23) X(a, b, c, 24) X(a, b, c, 25)           \
	X(a, b, c, 26) X(a, b, c, 27) X(a, b, c, 28) X(a, b, c, 29)           \
	X(a, b, c, 30) X(a, b, c, 31) X(a, b, c, 32) X(a, b, c, 33)
#define NM(a, b, c, n) a##_##b##_##n,

/* op $n, reg */
#define SHI(op, s, r, n) T(op##_##s##_##n, #op #s " $" #n ", %" #r)
#define SHOP(op)                                                               \
	X34(SHI, op, b, al) X34(SHI, op, w, ax) X34(SHI, op, l, eax)           \
	T(op##_bc, #op "b %cl, %al")                                           \
	T(op##_wc, #op "w %cl, %ax")                                           \
	T(op##_lc, #op "l %cl, %eax")                                          \
	T(op##_bm, #op "b %cl, M")                                             \
	T(op##_wm, #op "w %cl, M")                                             \
	T(op##_lm, #op "l %cl, M")                                             \
	T(op##_b1m, #op "b M")                                                 \
	T(op##_l1m, #op "l M")                                                 \
	static const tfn op##_b[34] = {X34(NM, op, b, 0)};                    \
	static const tfn op##_w[34] = {X34(NM, op, w, 0)};                    \
	static const tfn op##_l[34] = {X34(NM, op, l, 0)};

SHOP(shl) SHOP(shr) SHOP(sar) SHOP(rol) SHOP(ror) SHOP(rcl) SHOP(rcr)

/* shld/shrd $n, %bx/%ebx, %ax/%eax */
#define SHDW(op, s, r, n) T(op##_##s##_##n, #op "w $" #n ", %bx, %ax")
#define SHDL(op, s, r, n) T(op##_##s##_##n, #op "l $" #n ", %ebx, %eax")
#define SHD(op)                                                                \
	X34(SHDW, op, w, 0) X34(SHDL, op, l, 0)                                \
	T(op##_wc, #op "w %cl, %bx, %ax")                                      \
	T(op##_lc, #op "l %cl, %ebx, %eax")                                    \
	T(op##_wm, #op "w %cl, %bx, M")                                        \
	T(op##_lm, #op "l %cl, %ebx, M")                                       \
	T(op##_lmi, #op "l $5, %ebx, M")                                       \
	static const tfn op##_w[34] = {X34(NM, op, w, 0)};                    \
	static const tfn op##_l[34] = {X34(NM, op, l, 0)};
SHD(shld) SHD(shrd)

/* explicit encodings: c1 /r ib with count 1, and the sal (/6) alias */
T(enc_c1shl, ".byte 0xc1, 0xe0, 0x01")
T(enc_c1sar, ".byte 0xc1, 0xf8, 0x01")
T(enc_c1rcl, ".byte 0xc1, 0xd0, 0x01")
T(enc_c0ror, ".byte 0xc0, 0xc8, 0x01")
T(enc_sal1, ".byte 0xd1, 0xf0")
T(enc_salc, ".byte 0xd3, 0xf0")
T(enc_sali, ".byte 0xc1, 0xf0, 0x05")
T(enc_shl_ah, "shlb $3, %ah")
T(enc_rol_bh, "rolb %cl, %bh")

struct in {
	u32 v, fl;
};
static const struct in in8[4] = {
    {0x81, FL0}, {0x7f, FL1}, {0x80, 0x003}, {0x5a, 0x8d6}};
static const struct in in16[4] = {
    {0x8001, FL0}, {0x7fff, FL1}, {0x8000, 0x003}, {0x5a5a, 0x8d6}};
static const struct in in32[4] = {{0x80000001, FL0},
				  {0x7fffffff, FL1},
				  {0x80000000, 0x003},
				  {0x5a5a5a5a, 0x8d6}};

static const struct in *ins(int size)
{
	if (size == 8)
		return in8;
	if (size == 16)
		return in16;
	return in32;
}

enum { REG, MEM };

/* What Intel leaves undefined beyond what the opcode tells:
 * - shl/shr (and sal): CF when count >= size (8/16 bit);
 * - rcl/rcr: OF whenever the masked count (count & 31) is not 1, even if the
 *   rotate count modulo 9 or 17 is 0 or 1 (iced goes by the latter). */
static u32 extra_undef(const char *nm, int size, u32 count)
{
	u32 c = count & 31;
	if (size < 32 && (int)c >= size && nm[0] == 's' && nm[1] == 'h')
		return CF;
	if (nm[0] == 'r' && nm[1] == 'c' && c > 1)
		return OF;
	return 0;
}

static void run(const char *nm, int size, tfn f, int cl, u32 count, int where)
{
	const struct in *in = ins(size);
	u32 um = extra_undef(nm, size, count);
	ps(nm);
	pu(size);
	if (where == MEM)
		ps(" mem");
	ps(cl ? " cl=" : " imm=");
	pu(count);
	ps(" ->");
	for (int k = 0; k < 4; k++) {
		u32 g = garb(in[k].v, size);
		R.eax = g;
		M[0] = g;
		R.ecx = 0x12345600 | count;
		R.fl = in[k].fl;
		f();
		u32 r = where == MEM ? M[0] : R.eax;
		sp();
		pxs(r, size);
		if ((r ^ g) & ~mask(size))
			ps("!upper");
		pfl(R.fl);
	}
	if (um)
		pum(um);
	pop();
}

/* shld/shrd: dest eax (or M), src ebx */
static const u32 dbl[4][3] = {{0x80000001, 0x12345678, FL0},
			      {0x7fff0000, 0xfedcba98, FL1},
			      {0x0000ffff, 0x80000000, 0x003},
			      {0xa5a5a5a5, 0x5a5a5a5a, 0x8d6}};

static void rund(const char *nm, int size, tfn f, int cl, u32 count, int where)
{
	u32 c = count & 31;
	int undef = size == 16 && c > 16;
	ps(nm);
	pu(size);
	if (where == MEM)
		ps(" mem");
	ps(cl ? " cl=" : " imm=");
	pu(count);
	ps(" ->");
	for (int k = 0; k < 4; k++) {
		u32 g = garb(dbl[k][0], size);
		R.eax = g;
		M[0] = g;
		R.ebx = dbl[k][1];
		R.ecx = 0x12345600 | count;
		R.fl = dbl[k][2];
		f();
		u32 r = where == MEM ? M[0] : R.eax;
		sp();
		if (undef)
			ps("????");
		else
			pxs(r, size);
		if ((r ^ g) & ~mask(size))
			ps("!upper");
		pfl(R.fl);
	}
	if (undef)
		pum(ARITH);
	pop();
}

struct sh {
	const char *nm;
	const tfn *b, *w, *l;
	tfn bc, wc, lc, bm, wm, lm, b1m, l1m;
};
#define SH(op)                                                                 \
	{#op,     op##_b,  op##_w,  op##_l,  op##_bc,  op##_wc, op##_lc,       \
	 op##_bm, op##_wm, op##_lm, op##_b1m, op##_l1m}
static const struct sh shs[] = {SH(shl), SH(shr), SH(sar), SH(rol),
				SH(ror), SH(rcl), SH(rcr)};

int main(void)
{
	static const u32 memc[] = {0, 1, 5, 8, 9, 16, 17, 31, 32, 33};
	ps("inputs (value/flags in):");
	for (int k = 0; k < 4; k++) {
		sp();
		px(in8[k].v, 2);
		pc('/');
		px(in16[k].v, 4);
		pc('/');
		px(in32[k].v, 8);
		pc('/');
		px(in32[k].fl, 4);
	}
	nl();
	for (int i = 0; i < N(shs); i++) {
		const struct sh *s = &shs[i];
		for (int c = 0; c < 34; c++) {
			run(s->nm, 8, s->b[c], 0, c, REG);
			run(s->nm, 16, s->w[c], 0, c, REG);
			run(s->nm, 32, s->l[c], 0, c, REG);
		}
		for (int c = 0; c < 34; c++) {
			run(s->nm, 8, s->bc, 1, c, REG);
			run(s->nm, 16, s->wc, 1, c, REG);
			run(s->nm, 32, s->lc, 1, c, REG);
		}
		for (int j = 0; j < N(memc); j++) {
			run(s->nm, 8, s->bm, 1, memc[j], MEM);
			run(s->nm, 16, s->wm, 1, memc[j], MEM);
			run(s->nm, 32, s->lm, 1, memc[j], MEM);
		}
		run(s->nm, 8, s->b1m, 0, 1, MEM);
		run(s->nm, 32, s->l1m, 0, 1, MEM);
	}
	run("shl(c1)", 32, enc_c1shl, 0, 1, REG);
	run("sar(c1)", 32, enc_c1sar, 0, 1, REG);
	run("rcl(c1)", 32, enc_c1rcl, 0, 1, REG);
	run("ror(c0)", 8, enc_c0ror, 0, 1, REG);
	run("sal(d1/6)", 32, enc_sal1, 0, 1, REG);
	run("sal(d3/6)", 32, enc_salc, 1, 7, REG);
	run("sal(d3/6)", 32, enc_salc, 1, 0, REG);
	run("sal(c1/6)", 32, enc_sali, 0, 5, REG);
	for (int k = 0; k < 2; k++) {
		R.eax = 0x12345678;
		R.ebx = 0x9abcdef0;
		R.ecx = 3 + k * 6;
		R.fl = k ? FL1 : FL0;
		enc_shl_ah();
		ps("shl ah,3 eax=");
		px(R.eax, 8);
		pfl(R.fl);
		pop();
		/* AF and OF are undefined after shl by 3, and rol keeps AF:
		 * clear them so the rol input is fully defined. */
		R.fl &= ~(AF | OF);
		enc_rol_bh();
		ps("rol bh,cl ebx=");
		px(R.ebx, 8);
		pfl(R.fl);
		pop();
	}

	static const struct {
		const char *nm;
		const tfn *w, *l;
		tfn wc, lc, wm, lm, lmi;
	} shds[] = {
	    {"shld", shld_w, shld_l, shld_wc, shld_lc, shld_wm, shld_lm, shld_lmi},
	    {"shrd", shrd_w, shrd_l, shrd_wc, shrd_lc, shrd_wm, shrd_lm, shrd_lmi},
	};
	ps("shld/shrd inputs (dest/src/flags in):");
	for (int k = 0; k < 4; k++) {
		sp();
		px(dbl[k][0], 8);
		pc('/');
		px(dbl[k][1], 8);
		pc('/');
		px(dbl[k][2], 4);
	}
	nl();
	for (int i = 0; i < N(shds); i++) {
		for (int c = 0; c < 34; c++) {
			rund(shds[i].nm, 16, shds[i].w[c], 0, c, REG);
			rund(shds[i].nm, 32, shds[i].l[c], 0, c, REG);
		}
		for (int c = 0; c < 34; c++) {
			rund(shds[i].nm, 16, shds[i].wc, 1, c, REG);
			rund(shds[i].nm, 32, shds[i].lc, 1, c, REG);
		}
		for (int j = 0; j < N(memc); j++) {
			rund(shds[i].nm, 16, shds[i].wm, 1, memc[j], MEM);
			rund(shds[i].nm, 32, shds[i].lm, 1, memc[j], MEM);
		}
		rund(shds[i].nm, 32, shds[i].lmi, 0, 5, MEM);
	}
	return 0;
}
