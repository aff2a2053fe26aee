/* printf/scanf of float, double and long double under every rounding
 * mode (glibc's formatting uses the x87 for long double and conversions). */
#include <fenv.h>
#include <stdio.h>
#include <stdlib.h>

static const int modes[4] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
static const char *const mname[4] = {"rn", "rd", "ru", "rz"};

int main(void)
{
	volatile double d[] = {0.0, -0.0, 1.0, 0.1, 1.0 / 3, 2.0 / 3, 1e300, 1e-300,
			       4.9e-324, 1.7976931348623157e308, 123456789.125, -2.5,
			       3.141592653589793, 6.02214076e23};
	volatile long double l[] = {1.0L / 3, 2.0L / 3, 0.1L, 1e4000L, 1e-4000L,
				    3.36210314311209350626e-4932L, 1.18973149535723176502e4932L,
				    -123456789.987654321L, 3.14159265358979323846L};
	volatile float f[] = {0.1f, 1.0f / 3, 3.4028235e38f, 1.4e-45f, -7.25f};
	for (int m = 0; m < 4; m++) {
		fesetround(modes[m]);
		for (unsigned i = 0; i < sizeof d / sizeof d[0]; i++)
			printf("%s d %.17g %.3e %f %a %.30g\n", mname[m], d[i], d[i], d[i], d[i], d[i]);
		for (unsigned i = 0; i < sizeof l / sizeof l[0]; i++)
			printf("%s l %.21Lg %.5Le %La %.40Lg\n", mname[m], l[i], l[i], l[i], l[i]);
		for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++)
			printf("%s f %.9g %a\n", mname[m], f[i], f[i]);
		static const char *const s[] = {"0.1", "1e-310", "2.5e308", "0x1.8p3", "3.14159265358979323846264338",
						"1e-4950", "123456789012345678901234567890"};
		for (unsigned i = 0; i < sizeof s / sizeof s[0]; i++)
			printf("%s strto %a %a %La\n", mname[m], strtod(s[i], 0), strtof(s[i], 0),
			       strtold(s[i], 0));
		volatile double a = 1.0, b = 3.0;
		volatile long double la = 1.0L, lb = 3.0L;
		printf("%s arith %a %a %a %La %La\n", mname[m], a / b, a / b * b, (a / b) * 1e308 * 10,
		       la / lb, la / lb * lb);
	}
	return 0;
}
