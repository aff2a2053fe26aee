/* Floating point compiled for SSE2 (-msse2 -mfpmath=sse -O3): arithmetic,
 * conversions, sqrt, vectorised loops, fenv rounding modes and exception
 * flags (glibc keeps MXCSR and the x87 in step), printf/strtod round trips,
 * and libm, whose i386 multiarch builds pick their SSE2 variants when CPUID
 * reports SSE2. Everything is printed exactly (%a) or as hashes. */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t h = 2166136261u;
static void hb(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x01000193;
	}
}

static const double DV[] = {
    0.0,   -0.0, 1.0,     -1.5,    1.0 / 3,   0.1,      1e300,      -1e-300,
    DBL_MAX, DBL_MIN, 4.9e-324, 2.5, -2.5, 0x1p52 + 1, 1e20,      -1e10,
    3.141592653589793, 2.718281828459045, 1e-5, 123456.789,
};
#define ND (sizeof DV / sizeof DV[0])

static const float FV[] = {0.0f, -0.0f, 1.0f, -1.5f, 1.0f / 3, 0.1f, 3e38f,
			   1e-38f, FLT_MAX, FLT_MIN, 1e-45f, 2.5f, -2.5f,
			   16777217.0f, 1e20f, -1e10f};
#define NF (sizeof FV / sizeof FV[0])

static volatile double vd[ND];
static volatile float vf[NF];

static const int MODES[4] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
static const char *MN[4] = {"nearest", "down", "up", "zero"};

static void arith(void)
{
	for (int m = 0; m < 4; m++) {
		fesetround(MODES[m]);
		h = 2166136261u;
		for (unsigned i = 0; i < ND; i++)
			for (unsigned j = 0; j < ND; j++) {
				double a = vd[i], b = vd[j];
				double r[6] = {a + b, a - b, a * b, a / b, sqrt(fabs(a)),
					       fmin(a, b)};
				hb(r, sizeof r);
				int ir = (fabs(a) < 2e9) ? (int)a : 0;
				long lr = lrint(b / 3);
				float fr = (float)(a * b);
				hb(&ir, 4);
				hb(&lr, 4);
				hb(&fr, 4);
			}
		for (unsigned i = 0; i < NF; i++)
			for (unsigned j = 0; j < NF; j++) {
				float a = vf[i], b = vf[j];
				float r[5] = {a + b, a - b, a * b, a / b, sqrtf(fabsf(a))};
				double d = (double)a * b;
				hb(r, sizeof r);
				hb(&d, 8);
			}
		printf("arith %s hash=%08x\n", MN[m], h);
		printf("  1/3=%a 2/3f=%a sqrt2=%a 1e300*1e10=%a 1/DBL_MAX=%a\n",
		       vd[2] / 3, (float)(vf[2] * 2 / 3), sqrt(vd[2] * 2),
		       vd[6] * 1e10, vd[4] / DBL_MAX);
		printf("  (int)-2.5=%d rint(2.5)=%a nearbyint(-2.5)=%a llrint(1e15+0.5)=%lld\n",
		       (int)vd[12], rint(vd[11]), nearbyint(vd[12]),
		       llrint(1e15 + 0.5));
	}
	fesetround(FE_TONEAREST);
}

static void flags(void)
{
	static const struct {
		const char *name;
		int what;
	} ops[] = {{"1/0", 0}, {"0/0", 1}, {"max*2", 2}, {"min/3", 3},
		   {"1/3", 4}, {"sqrt(-1)", 5}, {"(int)1e10", 6}, {"exact", 7}};
	for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++) {
		feclearexcept(FE_ALL_EXCEPT);
		volatile double r = 0;
		volatile int ir = 0;
		switch (ops[k].what) {
		case 0: r = vd[2] / vd[0]; break;
		case 1: r = vd[0] / vd[0]; break;
		case 2: r = vd[8] * 2; break;
		case 3: r = vd[9] / 3; break;
		case 4: r = vd[2] / 3; break;
		case 5: r = sqrt(-vd[2]); break;
		case 6: ir = (int)(vd[14] / 1e10 * 1e10); break;
		case 7: r = vd[2] + vd[2]; break;
		}
		int e = fetestexcept(FE_ALL_EXCEPT);
		printf("flags %-10s r=%a ir=%d:%s%s%s%s%s\n", ops[k].name, r, ir,
		       e & FE_INVALID ? " invalid" : "",
		       e & FE_DIVBYZERO ? " divbyzero" : "",
		       e & FE_OVERFLOW ? " overflow" : "",
		       e & FE_UNDERFLOW ? " underflow" : "",
		       e & FE_INEXACT ? " inexact" : "");
	}
}

#define NV 1024
static float fa[NV], fb[NV], fc[NV];
static double da[NV], db[NV];
static int ia[NV];

static void vec(void)
{
	for (int i = 0; i < NV; i++) {
		fa[i] = (float)(i * 0.37 - 100);
		fb[i] = (float)((i % 17) * 1.25 + 0.5);
		da[i] = i * 1.0e-3 - 0.3;
		ia[i] = i * 2654435761u;
	}
	for (int i = 0; i < NV; i++)
		fc[i] = fa[i] * fb[i] + fa[i] / fb[i];
	h = 2166136261u;
	hb(fc, sizeof fc);
	printf("vec mul/add/div hash=%08x\n", h);
	for (int i = 0; i < NV; i++)
		fc[i] = (float)ia[i];
	for (int i = 0; i < NV; i++)
		db[i] = da[i] * da[i] - (double)fb[i];
	for (int i = 0; i < NV; i++)
		ia[i] = (int)(fa[i] * 1000.0f);
	h = 2166136261u;
	hb(fc, sizeof fc);
	hb(db, sizeof db);
	hb(ia, sizeof ia);
	printf("vec conversions hash=%08x\n", h);
	float mx = -INFINITY, mn = INFINITY;
	double s = 0;
	for (int i = 0; i < NV; i++) {
		mx = fa[i] > mx ? fa[i] : mx;
		mn = fb[i] < mn ? fb[i] : mn;
		s += da[i] * db[i];
	}
	printf("vec max=%a min=%a dot=%a\n", mx, mn, s);
}

static void text(void)
{
	static const char *in[] = {"0.1", "1e-320", "2.2250738585072011e-308",
				   "1.7976931348623157e308", "1e309", "-0",
				   "0x1.fffffffffffffp-1", "3.14159265358979323846264",
				   "nan", "-inf", "4.9406564584124654e-324",
				   "123456789012345678901234567890"};
	for (unsigned k = 0; k < sizeof in / sizeof in[0]; k++) {
		double d = strtod(in[k], 0);
		float f = strtof(in[k], 0);
		printf("strtod %s = %a %.17g | %a %.9g\n", in[k], d, d, f, f);
	}
	char buf[64];
	for (unsigned i = 0; i < ND; i++) {
		snprintf(buf, sizeof buf, "%.17g", vd[i]);
		double back = strtod(buf, 0);
		printf("print %s %s %e %g\n", buf, back == vd[i] ? "ok" : "BAD", vd[i],
		       vd[i]);
	}
}

static void libm(void)
{
	static const double x[] = {0.5, 1.0, 2.0, 10.0, -3.7, 1e-10, 100.25,
				   0.7853981633974483, 1e6, -0.001};
	for (unsigned i = 0; i < sizeof x / sizeof x[0]; i++) {
		double v = x[i];
		printf("libm %g: sin=%a cos=%a tan=%a exp=%a log=%a pow=%a atan=%a\n", v,
		       sin(v), cos(v), tan(v), exp(v), log(fabs(v)), pow(fabs(v), 1.7),
		       atan(v));
		float f = (float)v;
		printf("libmf %g: sinf=%a cosf=%a expf=%a logf=%a powf=%a\n", v, sinf(f),
		       cosf(f), expf(f), logf(fabsf(f)), powf(fabsf(f), 1.7f));
	}
}

int main(void)
{
	for (unsigned i = 0; i < ND; i++)
		vd[i] = DV[i];
	for (unsigned i = 0; i < NF; i++)
		vf[i] = FV[i];
	arith();
	flags();
	vec();
	text();
	libm();
	return 0;
}
