/* SSE2/SSE3/SSSE3 through compiler intrinsics and auto-vectorised integer
 * loops (-O3 -mssse3): every SSSE3 operation on xmm and mm, the SSE3
 * horizontal/addsub/dup/lddqu operations, integer saturation, shuffles and
 * unaligned loads over a buffer; printed as hex. */
#include <pmmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tmmintrin.h>

static uint8_t buf[256 + 64] __attribute__((aligned(16)));

static void px(const char *name, __m128i v)
{
	uint8_t b[16];
	_mm_storeu_si128((__m128i *)b, v);
	printf("%-10s", name);
	for (int i = 15; i >= 0; i--)
		printf("%02x", b[i]);
	printf("\n");
}

static void pm(const char *name, __m64 v)
{
	uint64_t x;
	memcpy(&x, &v, 8);
	printf("%-10s%016llx\n", name, (unsigned long long)x);
}

static void pf(const char *name, __m128 v)
{
	float f[4];
	_mm_storeu_ps(f, v);
	printf("%-10s%a %a %a %a\n", name, f[0], f[1], f[2], f[3]);
}

static void pd(const char *name, __m128d v)
{
	double d[2];
	_mm_storeu_pd(d, v);
	printf("%-10s%a %a\n", name, d[0], d[1]);
}

int main(void)
{
	for (int i = 0; i < (int)sizeof buf; i++)
		buf[i] = (uint8_t)(i * 37 + (i >> 3) * 101);
	for (int off = 0; off < 32; off += 7) {
		__m128i a = _mm_lddqu_si128((const __m128i *)(buf + off));
		__m128i b = _mm_loadu_si128((const __m128i *)(buf + off + 19));
		__m128i c = _mm_loadu_si128((const __m128i *)(buf + off + 40));
		printf("off %d\n", off);
		px("a", a);
		px("b", b);
		px("pshufb", _mm_shuffle_epi8(a, b));
		px("alignr3", _mm_alignr_epi8(a, b, 3));
		px("alignr13", _mm_alignr_epi8(a, b, 13));
		px("alignr20", _mm_alignr_epi8(a, b, 20));
		px("abs8", _mm_abs_epi8(a));
		px("abs16", _mm_abs_epi16(b));
		px("abs32", _mm_abs_epi32(c));
		px("hadd16", _mm_hadd_epi16(a, b));
		px("hadd32", _mm_hadd_epi32(a, b));
		px("hadds16", _mm_hadds_epi16(a, c));
		px("hsub16", _mm_hsub_epi16(a, b));
		px("hsub32", _mm_hsub_epi32(b, c));
		px("hsubs16", _mm_hsubs_epi16(c, a));
		px("maddubs", _mm_maddubs_epi16(a, b));
		px("mulhrs", _mm_mulhrs_epi16(b, c));
		px("sign8", _mm_sign_epi8(a, b));
		px("sign16", _mm_sign_epi16(a, c));
		px("sign32", _mm_sign_epi32(b, c));
		px("sad", _mm_sad_epu8(a, b));
		px("packs", _mm_packs_epi16(a, b));
		px("packus", _mm_packus_epi16(b, c));
		px("mulhi", _mm_mulhi_epu16(a, c));
		px("madd", _mm_madd_epi16(b, c));
		px("shufhi", _mm_shufflehi_epi16(a, 0x4e));
		px("srli", _mm_srli_si128(a, 5));
		__m64 ma = _mm_movepi64_pi64(a), mb = _mm_movepi64_pi64(b);
		pm("m.pshufb", _mm_shuffle_pi8(ma, mb));
		pm("m.alignr", _mm_alignr_pi8(ma, mb, 5));
		pm("m.abs8", _mm_abs_pi8(ma));
		pm("m.hadd16", _mm_hadd_pi16(ma, mb));
		pm("m.hsubs16", _mm_hsubs_pi16(ma, mb));
		pm("m.maddubs", _mm_maddubs_pi16(ma, mb));
		pm("m.mulhrs", _mm_mulhrs_pi16(ma, mb));
		pm("m.sign16", _mm_sign_pi16(ma, mb));
		_mm_empty();
		__m128 fa = _mm_cvtepi32_ps(_mm_srai_epi32(a, 8));
		__m128 fb = _mm_cvtepi32_ps(_mm_srai_epi32(b, 12));
		pf("haddps", _mm_hadd_ps(fa, fb));
		pf("hsubps", _mm_hsub_ps(fa, fb));
		pf("addsubps", _mm_addsub_ps(fa, fb));
		pf("movehdup", _mm_movehdup_ps(fa));
		pf("moveldup", _mm_moveldup_ps(fb));
		__m128d da = _mm_cvtepi32_pd(a), db = _mm_cvtepi32_pd(b);
		pd("haddpd", _mm_hadd_pd(da, db));
		pd("hsubpd", _mm_hsub_pd(da, db));
		pd("addsubpd", _mm_addsub_pd(da, db));
		pd("movedup", _mm_movedup_pd(db));
		pd("loaddup", _mm_loaddup_pd((const double *)(buf + off + 3)));
	}
	/* auto-vectorised loops */
	static int16_t s[512], t[512];
	static uint8_t u[512], v[512];
	static int32_t w[512];
	for (int i = 0; i < 512; i++) {
		s[i] = (int16_t)(i * 977);
		t[i] = (int16_t)(i * -313 + 7);
		u[i] = (uint8_t)(i * 13);
	}
	for (int i = 0; i < 512; i++) {
		int x = s[i] + t[i];
		s[i] = x > 32767 ? 32767 : x < -32768 ? -32768 : x;
	}
	for (int i = 0; i < 512; i++)
		v[i] = u[511 - i];
	for (int i = 0; i < 512; i++)
		u[i] = (uint8_t)((u[i] + v[i] + 1) >> 1);
	for (int i = 0; i < 512; i++)
		w[i] = s[i] * t[i] + (u[i] > v[i] ? u[i] - v[i] : v[i] - u[i]);
	uint32_t hsh = 2166136261u;
	for (int i = 0; i < 512; i++) {
		hsh = (hsh ^ (uint16_t)s[i]) * 0x01000193;
		hsh = (hsh ^ u[i]) * 0x01000193;
		hsh = (hsh ^ (uint32_t)w[i]) * 0x01000193;
	}
	printf("loops hash=%08x\n", hsh);
	return 0;
}
