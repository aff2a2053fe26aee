/* x87 transcendentals: fsin fcos fsincos fptan (incl. |x| >= 2^63: C2),
 * fpatan, f2xm1, fyl2x, fyl2xp1; special operands (zeros, infinities,
 * NaNs, denormals, unsupported) and many finite arguments, every rounding
 * mode. */
#include "fpu.h"

#define U1(name, insn) FT(name, "fldt A\n\t" insn "\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
U1(fsin_, "fsin")
U1(fcos_, "fcos")
U1(f2xm1_, "f2xm1")
#define U2(name, insn) FT(name, "fldt A\n\t" insn "\n\tfnstsw SW\n\tfnclex\n\tfstpt R0\n\tfstpt R1")
U2(fsincos_, "fsincos")
U2(fptan_, "fptan")
/* st1 = B, st0 = A; result in st0 after the pop */
#define B2(name, insn) FT(name, "fldt B\n\tfldt A\n\t" insn "\n\tfnstsw SW\n\tfnclex\n\tfstpt R0")
B2(fyl2x_, "fyl2x")
B2(fyl2xp1_, "fyl2xp1")
B2(fpatan_, "fpatan")

#define V(se, hi, lo) {lo, hi, se}
static const f80 TV[] = {
	V(0x3ffe, 0x80000000, 0x00000000), /* 0.5 */
	V(0x3fff, 0x80000000, 0x00000000), /* 1 */
	V(0x4000, 0x80000000, 0x00000000), /* 2 */
	V(0x4000, 0xc0000000, 0x00000000), /* 3 */
	V(0xbffe, 0xb3333333, 0x33333333), /* -0.7 */
	V(0x3ffe, 0xc90fdaa2, 0x2168abe5), /* pi/4- */
	V(0x3ffe, 0xc90fdaa2, 0x2168f3f4), /* pi/4+ */
	V(0x3fff, 0xc90fdaa2, 0x2168c183), /* pi/2 */
	V(0x4005, 0xc8000000, 0x00000000), /* 100 */
	V(0x400f, 0xc3500000, 0x00000000), /* 1e5 */
	V(0x4020, 0x9502f900, 0x00000000), /* 1e10 */
	V(0x403a, 0xde0b6b3a, 0x76400000), /* 1e18 */
	V(0x403d, 0x80000000, 0x00000000), /* 2^62 */
	V(0x403e, 0x80000000, 0x00000000), /* 2^63 */
	V(0xc03d, 0xfffffe00, 0x00000000), /* -(2^63-2^40) */
	V(0x3fdd, 0xdbe6fece, 0xbdedd5bf), /* 1e-10 */
	V(0x3f9b, 0xa2425ff7, 0x5e14fc32), /* 1e-30 */
	V(0xbc1a, 0xab70fe17, 0xc79ac6ca), /* -1e-300 */
	V(0x4001, 0xc90fdaa2, 0x2168bde9), /* 2pi */
	V(0x4007, 0xb1800000, 0x00000000), /* 355 */
	V(0x3ffb, 0xcccccccc, 0xcccccccd), /* 0.1 */
	V(0x3fb9, 0x80000000, 0x00000000), /* 2^-70 */
	V(0xbffe, 0xffbe76c8, 0xb4395810), /* -0.999 */
	V(0x3ffe, 0xffbe76c8, 0xb4395810), /* 0.999 */
	V(0xbfff, 0x80000000, 0x00000000), /* -1 */
	V(0x3fee, 0xa7c5ac47, 0x1b478423), /* 1e-5 */
	V(0xbffd, 0x80000000, 0x00000000), /* -0.25 */
	V(0x3ffd, 0x947ae147, 0xae147ae1), /* 0.29 */
	V(0x43e3, 0xbf21e440, 0x03acdd2d), /* 1e300 */
	V(0x0c17, 0x9c3d7386, 0x4f3805c0), /* 1e-4000 */
	V(0x3fff, 0x800000d6, 0xbf94d5e5), /* 1.0000001 */
	V(0x3ffe, 0xfffffe52, 0x80d65435), /* 0.9999999 */
};
static const char *const TN[] = {"0.5", "1", "2", "3", "-0.7", "pi/4-", "pi/4+", "pi/2", "100", "1e5",
				 "1e10", "1e18", "2^62", "2^63", "-(2^63-2^40)", "1e-10", "1e-30",
				 "-1e-300", "2pi", "355", "0.1", "2^-70", "-0.999", "0.999", "-1",
				 "1e-5", "-0.25", "0.29", "1e300", "1e-4000", "1.0000001", "0.9999999"};

static void one(const char *nm, tfn f, const f80 *a, const char *an, int two)
{
	for (int rc = 0; rc < 4; rc++) {
		CW = mkcw(rc, 3);
		A = *a;
		memset(&R1, 0, sizeof R1);
		f();
		ps(nm);
		sp();
		ps(an);
		sp();
		ps(rcname(rc));
		ps(" -> ");
		pf80(&R0);
		if (two) {
			sp();
			pf80(&R1);
		}
		psw();
		nl();
	}
}

static void bin(const char *nm, tfn f, const f80 *a, const char *an, const f80 *b, const char *bn)
{
	for (int rc = 0; rc < 4; rc++) {
		CW = mkcw(rc, 3);
		A = *a;
		B = *b;
		f();
		ps(nm);
		sp();
		ps(an);
		sp();
		ps(bn);
		sp();
		ps(rcname(rc));
		ps(" -> ");
		pf80(&R0);
		psw();
		nl();
	}
}

int main(void)
{
	static const struct {
		const char *nm;
		tfn f;
		int two;
	} U[] = {{"fsin", fsin_, 0}, {"fcos", fcos_, 0}, {"fsincos", fsincos_, 1},
		 {"fptan", fptan_, 1}, {"f2xm1", f2xm1_, 0}};
	for (int k = 0; k < N(U); k++) {
		for (int i = 0; i < NVALS; i++)
			one(U[k].nm, U[k].f, &VALS[i], VNAMES[i], U[k].two);
		for (int i = 0; i < N(TV); i++)
			one(U[k].nm, U[k].f, &TV[i], TN[i], U[k].two);
	}
	/* fyl2x: x = st0, y = st1 */
	static const int yl[] = {2, 3, 0, 13, 15, 10};
	static const int xl2[] = {0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 13, 14, 15, 16, 18, 22, 23};
	static const int xt[] = {0, 1, 2, 3, 8, 10, 15, 17, 20, 24, 28, 29, 30, 31};
	for (int j = 0; j < N(yl); j++) {
		for (int i = 0; i < N(xl2); i++)
			bin("fyl2x", fyl2x_, &VALS[xl2[i]], VNAMES[xl2[i]], &VALS[yl[j]], VNAMES[yl[j]]);
		for (int i = 0; i < N(xt); i++)
			bin("fyl2x", fyl2x_, &TV[xt[i]], TN[xt[i]], &VALS[yl[j]], VNAMES[yl[j]]);
	}
	static const int xp[] = {0, 1, 4, 10, 11, 13, 15, 16, 18};
	static const int xpt[] = {0, 15, 16, 17, 20, 21, 25, 26, 27, 29};
	for (int j = 0; j < N(yl); j++) {
		for (int i = 0; i < N(xp); i++)
			bin("fyl2xp1", fyl2xp1_, &VALS[xp[i]], VNAMES[xp[i]], &VALS[yl[j]], VNAMES[yl[j]]);
		for (int i = 0; i < N(xpt); i++)
			bin("fyl2xp1", fyl2xp1_, &TV[xpt[i]], TN[xpt[i]], &VALS[yl[j]], VNAMES[yl[j]]);
	}
	/* fpatan: atan2(y = st1, x = st0) */
	static const int at[] = {0, 1, 2, 3, 4, 5, 8, 9, 10, 13, 14, 15, 16, 18, 22};
	for (int i = 0; i < N(at); i++)
		for (int j = 0; j < N(at); j++)
			bin("fpatan", fpatan_, &VALS[at[i]], VNAMES[at[i]], &VALS[at[j]], VNAMES[at[j]]);
	static const int att[] = {0, 4, 10, 15, 16, 21, 28, 29};
	for (int i = 0; i < N(att); i++)
		for (int j = 0; j < N(att); j++)
			bin("fpatan", fpatan_, &TV[att[i]], TN[att[i]], &TV[att[j]], TN[att[j]]);
	return 0;
}
