/* libm (x87 code paths of i386 glibc) under every rounding mode, printed
 * exactly (%a). */
#include <fenv.h>
#include <math.h>
#include <stdio.h>

static const int modes[4] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
static const char *const mname[4] = {"rn", "rd", "ru", "rz"};

int main(void)
{
	volatile double x[] = {0.5, 1.0, 2.0, 0.1, 10.0, -3.7, 100.25, 1e-8, 0.75, 1e10};
	for (int m = 0; m < 4; m++) {
		fesetround(modes[m]);
		for (unsigned i = 0; i < sizeof x / sizeof x[0]; i++) {
			double v = x[i];
			printf("%s %a sqrt=%a fabs=%a floor=%a ceil=%a trunc=%a rint=%a lrint=%ld "
			       "fmod=%a remainder=%a ldexp=%a frexp=%a logb=%a\n",
			       mname[m], v, sqrt(fabs(v)), fabs(v), floor(v), ceil(v), trunc(v),
			       rint(v), lrint(v), fmod(v, 0.3), remainder(v, 0.3), ldexp(v, 7),
			       frexp(v, &(int){0}), logb(v));
			printf("%s %a sin=%a cos=%a tan=%a atan=%a atan2=%a\n", mname[m], v, sin(v),
			       cos(v), tan(v), atan(v), atan2(v, 0.7));
			printf("%s %a exp=%a exp2=%a log=%a log2=%a log10=%a log1p=%a expm1=%a pow=%a\n",
			       mname[m], v, exp(v), exp2(v), log(fabs(v)), log2(fabs(v)),
			       log10(fabs(v)), log1p(fabs(v)), expm1(v), pow(fabs(v), 1.37));
			long double lv = v;
			printf("%s %La sinl=%La expl=%La logl=%La atan2l=%La sqrtl=%La\n", mname[m], lv,
			       sinl(lv), expl(lv), logl(fabsl(lv)), atan2l(lv, 0.7L), sqrtl(fabsl(lv)));
		}
	}
	return 0;
}
