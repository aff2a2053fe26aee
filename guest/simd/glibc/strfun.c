/* glibc's string functions under its ifunc selection (SSE2/SSSE3 variants
 * under emu, whatever the host CPU picks natively): memcpy memmove memset
 * strlen strchr strrchr strcmp strncmp memcmp memchr strcpy, every source
 * and destination alignment 0..15 and every length 0..300, checked against
 * naive implementations; prints one hash per function and alignment. */
#include <stdio.h>
#include <string.h>
#include <stdint.h>

#define N 300
#define PAD 64
static unsigned char A[N + 3 * PAD] __attribute__((aligned(64)));
static unsigned char B[N + 3 * PAD] __attribute__((aligned(64)));
static unsigned char C[N + 3 * PAD] __attribute__((aligned(64)));

static uint32_t h;
static void hu(uint32_t v)
{
	for (int i = 0; i < 4; i++) {
		h ^= v & 0xff;
		h *= 0x01000193;
		v >>= 8;
	}
}

static unsigned errors;
static void check(int ok, const char *what, int a, int b, int n)
{
	if (!ok && errors++ < 20)
		printf("MISMATCH %s al=%d/%d n=%d\n", what, a, b, n);
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = (seed >> 16) | 1; /* no NULs */
	}
}

static int sgn(int v)
{
	return (v > 0) - (v < 0);
}

int main(void)
{
	/* memcpy / memmove (incl. overlapping both ways) / memset */
	for (int sa = 0; sa < 16; sa++)
		for (int da = 0; da < 16; da++) {
			h = 2166136261u;
			fill(A + PAD - 16, N + 48, sa * 16 + da);
			for (int n = 0; n <= N; n++) {
				memset(B + PAD - 16, 0x5a, N + 48);
				void *r = memcpy(B + PAD + da, A + PAD + sa, n);
				int ok = r == B + PAD + da;
				for (int i = PAD + da - 16; i < PAD + da + n + 16; i++) {
					int in = i >= PAD + da && i < PAD + da + n;
					ok &= B[i] == (in ? A[i - da + sa] : 0x5a);
				}
				check(ok, "memcpy", sa, da, n);
				hu(B[PAD + da + n / 2]);
				/* memmove within A: dst = src + (da - sa) */
				memcpy(C + PAD - 16, A + PAD - 16, N + 2 * 16 + 16);
				r = memmove(A + PAD + da, A + PAD + sa, n);
				ok = r == A + PAD + da;
				for (int i = 0; i < n; i++)
					ok &= A[PAD + da + i] == C[PAD + sa + i];
				for (int i = PAD + da - 16; i < PAD + da + n + 16; i++)
					if (i < PAD + da || i >= PAD + da + n)
						ok &= A[i] == C[i];
				check(ok, "memmove", sa, da, n);
				memset(B + PAD - 16, 0x5a, N + 48);
				r = memset(B + PAD + da, sa * 17, n);
				ok = r == B + PAD + da;
				for (int i = PAD + da - 16; i < PAD + da + n + 16; i++) {
					int in = i >= PAD + da && i < PAD + da + n;
					ok &= B[i] == (in ? (unsigned char)(sa * 17) : 0x5a);
				}
				check(ok, "memset", sa, da, n);
			}
			if (da == sa || da == 0 || sa == 0)
				printf("mem al=%d/%d hash=%08x\n", sa, da, h);
		}
	/* strlen / strchr / strrchr / memchr / strcpy */
	for (int sa = 0; sa < 16; sa++) {
		h = 2166136261u;
		for (int n = 0; n <= N; n++) {
			fill(A, sizeof A, n);
			unsigned char *s = A + PAD + sa;
			s[n] = 0;
			size_t l = strlen((char *)s);
			check(l == (size_t)n, "strlen", sa, 0, n);
			hu(l);
			int c = n ? s[n / 3] : 'x';
			char *p = strchr((char *)s, c);
			unsigned char *q = 0;
			for (int i = 0; i < n; i++)
				if (s[i] == c) {
					q = s + i;
					break;
				}
			check((unsigned char *)p == q, "strchr", sa, 0, n);
			hu(p ? (uint32_t)(p - (char *)s) : 0xffffffff);
			check(strchr((char *)s, 0) == (char *)s + n, "strchr0", sa, 0, n);
			p = strrchr((char *)s, c);
			q = 0;
			for (int i = 0; i < n; i++)
				if (s[i] == c)
					q = s + i;
			check((unsigned char *)p == q, "strrchr", sa, 0, n);
			void *m = memchr(s, c, n);
			q = 0;
			for (int i = 0; i < n; i++)
				if (s[i] == c) {
					q = s + i;
					break;
				}
			check(m == q, "memchr", sa, 0, n);
			for (int da = 0; da < 16; da += 5) {
				memset(B, 0x5a, sizeof B);
				strcpy((char *)B + PAD + da, (char *)s);
				check(memcmp(B + PAD + da, s, n + 1) == 0 &&
					  B[PAD + da + n + 1] == 0x5a,
				      "strcpy", sa, da, n);
			}
		}
		printf("str al=%d hash=%08x\n", sa, h);
	}
	/* strcmp / strncmp / memcmp: equal strings, and one byte differing */
	for (int sa = 0; sa < 16; sa++)
		for (int da = 0; da < 16; da++) {
			h = 2166136261u;
			fill(A + PAD - 16, N + 48, sa * 7 + da);
			for (int n = 0; n <= N; n++) {
				unsigned char *s = A + PAD + sa, *t = B + PAD + da;
				unsigned char saved = s[n];
				s[n] = 0;
				memcpy(t, s, n + 1);
				int e1 = strcmp((char *)s, (char *)t);
				int e2 = memcmp(s, t, n);
				int e3 = strncmp((char *)s, (char *)t, n + 5);
				check(e1 == 0 && e2 == 0 && e3 == 0, "cmp-eq", sa, da, n);
				if (n) {
					int k = (n * 5) / 7;
					t[k] ^= (n & 1) ? 0x80 : 0x01;
					int want = sgn((int)s[k] - (int)t[k]);
					int r1 = sgn(strcmp((char *)s, (char *)t));
					int r2 = sgn(memcmp(s, t, n));
					int r3 = sgn(strncmp((char *)s, (char *)t, n));
					int r4 = strncmp((char *)s, (char *)t, k);
					int r5 = memcmp(s, t, k);
					check(r1 == want && r2 == want && r3 == want &&
						  r4 == 0 && r5 == 0,
					      "cmp-ne", sa, da, n);
					hu(r1 + 2 * r2 + 4 * r3);
					/* shorter string */
					t[k] = 0;
					int r6 = sgn(strcmp((char *)s, (char *)t));
					check(r6 == 1, "cmp-short", sa, da, n);
				}
				s[n] = saved;
			}
			if (da == sa || da == 0 || sa == 0 || da == 15 - sa)
				printf("cmp al=%d/%d hash=%08x\n", sa, da, h);
		}
	printf("errors=%u\n", errors);
	return 0;
}
