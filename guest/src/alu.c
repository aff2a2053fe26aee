/* Integer ALU: add adc sub sbb cmp and or xor test inc dec neg not,
 * register/memory/immediate forms, 8/16/32 bits, two input flag states. */
#include "rt.h"

enum { K_RR, K_RL, K_RM, K_MR, K_IA, K_IC, K_IM, K_SAME, K_HH };

/* reg,reg */
#define RR(op)                                                                 \
	T(rr_##op##8, #op "b %bl, %al")                                        \
	T(rr_##op##16, #op "w %bx, %ax")                                       \
	T(rr_##op##32, #op "l %ebx, %eax")                                     \
	T(rl_##op##32, "{load} " #op "l %ebx, %eax")                            \
	T(rm_##op##8, #op "b M+4, %al")                                        \
	T(rm_##op##16, #op "w M+4, %ax")                                       \
	T(rm_##op##32, #op "l M+4, %eax")                                      \
	T(mr_##op##8, #op "b %bl, M")                                          \
	T(mr_##op##16, #op "w %bx, M")                                         \
	T(mr_##op##32, #op "l %ebx, M")                                        \
	T(ia_##op##8, #op "b $0x80, %al")                                      \
	T(ia_##op##16, #op "w $0x8000, %ax")                                   \
	T(ia_##op##32, #op "l $0x80000000, %eax")                              \
	T(ib_##op##32, #op "l $1, %eax")                                       \
	T(ic_##op##8, #op "b $1, %cl")                                         \
	T(ic_##op##16a, #op "w $-1, %cx")                                      \
	T(ic_##op##16b, #op "w $0x1234, %cx")                                  \
	T(ic_##op##32a, #op "l $1, %ecx")                                      \
	T(ic_##op##32b, #op "l $-1, %ecx")                                     \
	T(ic_##op##32c, #op "l $0x80, %ecx")                                   \
	T(im_##op##8, #op "b $0xff, M")                                        \
	T(im_##op##16, #op "w $0x8000, M")                                     \
	T(im_##op##32a, #op "l $0x7f, M")                                      \
	T(im_##op##32b, #op "l $0x12345678, M")                                \
	T(sa_##op##32, #op "l %eax, %eax")                                     \
	T(sa_##op##8, #op "b %al, %al")                                        \
	T(hh_##op##a, #op "b %bh, %ah")                                        \
	T(hh_##op##b, #op "b %ah, %bl")

/* test has no sign-extended imm8 form and no {load} form */
#define RT(op)                                                                 \
	T(rr_##op##8, #op "b %bl, %al")                                        \
	T(rr_##op##16, #op "w %bx, %ax")                                       \
	T(rr_##op##32, #op "l %ebx, %eax")                                     \
	T(rl_##op##32, #op "l %eax, %ebx")                                     \
	T(rm_##op##8, #op "b M+4, %al")                                        \
	T(rm_##op##16, #op "w M+4, %ax")                                       \
	T(rm_##op##32, #op "l M+4, %eax")                                      \
	T(mr_##op##8, #op "b %bl, M")                                          \
	T(mr_##op##16, #op "w %bx, M")                                         \
	T(mr_##op##32, #op "l %ebx, M")                                        \
	T(ia_##op##8, #op "b $0x80, %al")                                      \
	T(ia_##op##16, #op "w $0x8000, %ax")                                   \
	T(ia_##op##32, #op "l $0x80000000, %eax")                              \
	T(ib_##op##32, #op "l $1, %eax")                                       \
	T(ic_##op##8, #op "b $1, %cl")                                         \
	T(ic_##op##16a, #op "w $-1, %cx")                                      \
	T(ic_##op##16b, #op "w $0x1234, %cx")                                  \
	T(ic_##op##32a, #op "l $1, %ecx")                                      \
	T(ic_##op##32b, #op "l $-1, %ecx")                                     \
	T(ic_##op##32c, #op "l $0x80, %ecx")                                   \
	T(im_##op##8, #op "b $0xff, M")                                        \
	T(im_##op##16, #op "w $0x8000, M")                                     \
	T(im_##op##32a, #op "l $0x7f, M")                                      \
	T(im_##op##32b, #op "l $0x12345678, M")                                \
	T(sa_##op##32, #op "l %eax, %eax")                                     \
	T(sa_##op##8, #op "b %al, %al")                                        \
	T(hh_##op##a, #op "b %bh, %ah")                                        \
	T(hh_##op##b, #op "b %ah, %bl")

RR(add) RR(adc) RR(sub) RR(sbb) RR(cmp) RR(and) RR(or) RR(xor) RT(test)

struct form {
	const char *nm;
	int size, kind;
	tfn f;
};

#define FORMS(op)                                                              \
	{#op "8 rr", 8, K_RR, rr_##op##8}, {#op "16 rr", 16, K_RR, rr_##op##16}, \
	    {#op "32 rr", 32, K_RR, rr_##op##32},                                \
	    {#op "32 rl", 32, K_RL, rl_##op##32},                                \
	    {#op "8 rm", 8, K_RM, rm_##op##8},                                   \
	    {#op "16 rm", 16, K_RM, rm_##op##16},                                \
	    {#op "32 rm", 32, K_RM, rm_##op##32},                                \
	    {#op "8 mr", 8, K_MR, mr_##op##8},                                   \
	    {#op "16 mr", 16, K_MR, mr_##op##16},                                \
	    {#op "32 mr", 32, K_MR, mr_##op##32},                                \
	    {#op "8 al,80", 8, K_IA, ia_##op##8},                                \
	    {#op "16 ax,8000", 16, K_IA, ia_##op##16},                           \
	    {#op "32 eax,80000000", 32, K_IA, ia_##op##32},                      \
	    {#op "32 eax,1", 32, K_IA, ib_##op##32},                             \
	    {#op "8 cl,1", 8, K_IC, ic_##op##8},                                 \
	    {#op "16 cx,-1", 16, K_IC, ic_##op##16a},                            \
	    {#op "16 cx,1234", 16, K_IC, ic_##op##16b},                          \
	    {#op "32 ecx,1", 32, K_IC, ic_##op##32a},                            \
	    {#op "32 ecx,-1", 32, K_IC, ic_##op##32b},                           \
	    {#op "32 ecx,80", 32, K_IC, ic_##op##32c},                           \
	    {#op "8 m,ff", 8, K_IM, im_##op##8},                                 \
	    {#op "16 m,8000", 16, K_IM, im_##op##16},                            \
	    {#op "32 m,7f", 32, K_IM, im_##op##32a},                             \
	    {#op "32 m,12345678", 32, K_IM, im_##op##32b},                       \
	    {#op "32 eax,eax", 32, K_SAME, sa_##op##32},                         \
	    {#op "8 al,al", 8, K_SAME, sa_##op##8},                              \
	    {#op "8 ah,bh", 8, K_HH, hh_##op##a},                                \
	    {#op "8 bl,ah", 8, K_HH, hh_##op##b},

static const struct form forms[] = {FORMS(add) FORMS(adc) FORMS(sub)
					FORMS(sbb) FORMS(cmp) FORMS(and)
					    FORMS(or) FORMS(xor) FORMS(test)};

/* 0x82 is an alias of 0x80 in 32-bit mode: op cl, 0x85 */
#define B82(n, r) T(x82_##n, ".byte 0x82, " r ", 0x85")
B82(0, "0xc1") B82(1, "0xc9") B82(2, "0xd1") B82(3, "0xd9") B82(4, "0xe1")
B82(5, "0xe9") B82(6, "0xf1") B82(7, "0xf9")
static const tfn x82[8] = {x82_0, x82_1, x82_2, x82_3,
			   x82_4, x82_5, x82_6, x82_7};

static u32 result(int kind)
{
	if (kind == K_MR || kind == K_IM)
		return M[0];
	if (kind == K_IC)
		return R.ecx;
	return R.eax;
}

static void load(int kind, int size, u32 a, u32 b)
{
	R.eax = 0x11111111;
	R.ebx = 0x22222222;
	R.ecx = 0x33333333;
	M[0] = 0x44444444;
	M[1] = 0x55555555;
	switch (kind) {
	case K_RR:
	case K_RL:
	case K_SAME:
		R.eax = garb(a, size);
		R.ebx = garb(b, size);
		break;
	case K_RM:
		R.eax = garb(a, size);
		M[1] = garb(b, size);
		break;
	case K_MR:
		M[0] = garb(a, size);
		R.ebx = garb(b, size);
		break;
	case K_IA:
		R.eax = garb(a, size);
		break;
	case K_IC:
		R.ecx = garb(a, size);
		break;
	case K_IM:
		M[0] = garb(a, size);
		break;
	case K_HH:
		R.eax = 0xa5c3e1d2;
		R.ebx = 0x96877869;
		setb1(&R.eax, a);
		setb1(&R.ebx, b);
		break;
	}
}

static void run(const struct form *fm, u32 a, u32 b, int has_b)
{
	ps(fm->nm);
	sp();
	pxs(a, fm->size);
	if (has_b) {
		sp();
		pxs(b, fm->size);
	}
	ps(" ->");
	for (int k = 0; k < 2; k++) {
		load(fm->kind, fm->size, a, b);
		R.fl = k ? FL1 : FL0;
		fm->f();
		sp();
		px(result(fm->kind), 8);
		if (fm->kind == K_HH) {
			sp();
			px(R.ebx, 8);
		}
		pfl(R.fl);
	}
	pop();
}

/* Unary ops */
#define UN(op)                                                                 \
	T(u_##op##8, #op "b %al")                                              \
	T(u_##op##16, #op "w %ax")                                             \
	T(u_##op##32, #op "l %eax")                                            \
	T(um_##op##8, #op "b M")                                               \
	T(um_##op##16, #op "w M")                                              \
	T(um_##op##32, #op "l M")                                              \
	T(uh_##op##8, #op "b %ah")
UN(inc) UN(dec) UN(neg) UN(not)
/* inc/dec eax through the ff /0, ff /1 encodings (not 40+r/48+r) */
T(u_incff, ".byte 0xff, 0xc0")
T(u_decff, ".byte 0xff, 0xc8")
T(u_incw, "incw %cx")
T(u_decw, "decw %cx")

#define UFORMS(op)                                                             \
	{#op "8 al", 8, K_IA, u_##op##8}, {#op "16 ax", 16, K_IA, u_##op##16},  \
	    {#op "32 eax", 32, K_IA, u_##op##32},                                \
	    {#op "8 m", 8, K_IM, um_##op##8},                                    \
	    {#op "16 m", 16, K_IM, um_##op##16},                                 \
	    {#op "32 m", 32, K_IM, um_##op##32},                                 \
	    {#op "8 ah", 8, K_HH, uh_##op##8},

static const struct form uforms[] = {
    UFORMS(inc) UFORMS(dec) UFORMS(neg) UFORMS(not)
    {"inc32 eax (ff)", 32, K_IA, u_incff},
    {"dec32 eax (ff)", 32, K_IA, u_decff},
    {"inc16 cx", 16, K_IC, u_incw},
    {"dec16 cx", 16, K_IC, u_decw},
};

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

int main(void)
{
	static const int few[3][2] = {{5, 1}, {6, 8}, {0, 0}};
	static const int five[5] = {0, 1, 5, 6, 8};
	for (int f = 0; f < N(forms); f++) {
		const struct form *fm = &forms[f];
		const u32 *v = vals(fm->size);
		switch (fm->kind) {
		case K_RR:
			/* every pair of interesting values */
			for (int i = 0; i < 9; i++)
				for (int j = 0; j < 9; j++)
					run(fm, v[i], v[j], 1);
			break;
		case K_RL:
			for (int i = 0; i < 9; i++)
				run(fm, v[i], v[8 - i], 1);
			break;
		case K_RM:
		case K_MR:
		case K_HH:
			for (int i = 0; i < 3; i++)
				run(fm, v[few[i][0]], v[few[i][1]], 1);
			break;
		default:
			for (int i = 0; i < 5; i++)
				run(fm, v[five[i]], 0, 0);
		}
	}
	for (int f = 0; f < N(uforms); f++) {
		const struct form *fm = &uforms[f];
		const u32 *v = vals(fm->size);
		if (fm->kind == K_IA)
			for (int i = 0; i < 9; i++)
				run(fm, v[i], 0, 0);
		else
			for (int i = 0; i < 3; i++)
				run(fm, v[five[i + 1]], 0, 0);
	}
	for (int r = 0; r < 8; r++) {
		struct form fm = {"op82 cl,85", 8, K_IC, x82[r]};
		run(&fm, 0x7f, 0, 0);
	}
	return 0;
}
