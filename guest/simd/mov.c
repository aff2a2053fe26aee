/* SSE/SSE2/SSE3 data movement: every move form (register, load, store,
 * the reg-reg "store" encodings), what each leaves in the untouched lanes
 * and bytes, unaligned and page-crossing operands of the unaligned forms,
 * movmsk*, pextrw/pinsrw, maskmovdqu, the non-temporal stores,
 * ldmxcsr/stmxcsr, fences, clflush, prefetch, pause. */
#include "simd.h"

static u8 PG[8192] __attribute__((aligned(4096)));

static void fillm(void)
{
	for (int k = 0; k < 64; k++)
		XM[k] = 0xa0 + k;
}

static void ab(void)
{
	set4(&XA, 0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c);
	set4(&XB, 0x83828180, 0x87868584, 0x8b8a8988, 0x8f8e8d8c);
	GA = 0x5a5a5a5a;
	GB = 0xc3c3c3c3;
	fillm();
}

static void show(const char *name)
{
	ps(name);
	ps(" r=");
	p128(&XR);
	ps(" gr=");
	px(GR, 8);
	ps(" m=");
	pmem(XM, 32);
	nl();
}

#undef T
#define T(name, body) I(name, body)
/* loads */
T(movaps_rr, "movaps %xmm1, %xmm0")
T(movaps_rm, "movaps XM, %xmm0")
T(movaps_s, "movaps.s %xmm1, %xmm0")
T(movaps_st, "movaps %xmm1, XM+16")
T(movapd_rm, "movapd XM, %xmm0")
T(movapd_st, "movapd %xmm1, XM+16")
T(movapd_s, "movapd.s %xmm1, %xmm0")
T(movdqa_rm, "movdqa XM+16, %xmm0")
T(movdqa_st, "movdqa %xmm1, XM")
T(movdqa_s, "movdqa.s %xmm1, %xmm0")
T(movups_rm, "movups XM+1, %xmm0")
T(movups_st, "movups %xmm1, XM+3")
T(movups_s, "movups.s %xmm1, %xmm0")
T(movupd_rm, "movupd XM+5, %xmm0")
T(movupd_st, "movupd %xmm1, XM+7")
T(movdqu_rm, "movdqu XM+9, %xmm0")
T(movdqu_st, "movdqu %xmm1, XM+15")
T(movdqu_s, "movdqu.s %xmm1, %xmm0")
T(lddqu_rm, "lddqu XM+11, %xmm0")
T(movss_rr, "movss %xmm1, %xmm0")
T(movss_s, "movss.s %xmm1, %xmm0")
T(movss_rm, "movss XM+1, %xmm0")
T(movss_st, "movss %xmm1, XM+2")
T(movsd_rr, "movsd %xmm1, %xmm0")
T(movsd_s, "movsd.s %xmm1, %xmm0")
T(movsd_rm, "movsd XM+3, %xmm0")
T(movsd_st, "movsd %xmm1, XM+4")
T(movlps_rm, "movlps XM+1, %xmm0")
T(movlps_st, "movlps %xmm1, XM+2")
T(movhps_rm, "movhps XM+3, %xmm0")
T(movhps_st, "movhps %xmm1, XM+4")
T(movlpd_rm, "movlpd XM+5, %xmm0")
T(movlpd_st, "movlpd %xmm1, XM+6")
T(movhpd_rm, "movhpd XM+7, %xmm0")
T(movhpd_st, "movhpd %xmm1, XM+8")
T(movhlps_rr, "movhlps %xmm1, %xmm0")
T(movlhps_rr, "movlhps %xmm1, %xmm0")
T(movq_rr, "movq %xmm1, %xmm0")
T(movq_s, "movq.s %xmm1, %xmm0")
T(movq_rm, "movq XM+1, %xmm0")
T(movq_st, "movq %xmm1, XM+9")
T(movd_xr, "movd %ecx, %xmm0")
T(movd_xm, "movd XM+2, %xmm0")
T(movd_rx, "movd %xmm1, %eax")
T(movd_mx, "movd %xmm1, XM+5")
T(movddup_rr, "movddup %xmm1, %xmm0")
T(movddup_rm, "movddup XM+3, %xmm0")
T(movshdup_rr, "movshdup %xmm1, %xmm0")
T(movshdup_rm, "movshdup XM+16, %xmm0")
T(movsldup_rr, "movsldup %xmm1, %xmm0")
T(movsldup_rm, "movsldup XM+32, %xmm0")
T(movntps_st, "movntps %xmm1, XM+16")
T(movntpd_st, "movntpd %xmm1, XM")
T(movntdq_st, "movntdq %xmm1, XM+32")
T(movnti_st, "movnti %ecx, XM+3")
T(fences, "sfence\n\tlfence\n\tmfence\n\tclflush XM+5\n\t"
	  "prefetchnta XM\n\tprefetcht0 XM+1\n\tprefetcht1 XM+2\n\t"
	  "prefetcht2 XM+3\n\tpause")

struct op {
	const char *name;
	tfn f;
};
#define E(x) {#x, x}
static const struct op MOVS[] = {
    E(movaps_rr),   E(movaps_rm),   E(movaps_s),    E(movaps_st),
    E(movapd_rm),   E(movapd_st),   E(movapd_s),    E(movdqa_rm),
    E(movdqa_st),   E(movdqa_s),    E(movups_rm),   E(movups_st),
    E(movups_s),    E(movupd_rm),   E(movupd_st),   E(movdqu_rm),
    E(movdqu_st),   E(movdqu_s),    E(lddqu_rm),    E(movss_rr),
    E(movss_s),     E(movss_rm),    E(movss_st),    E(movsd_rr),
    E(movsd_s),     E(movsd_rm),    E(movsd_st),    E(movlps_rm),
    E(movlps_st),   E(movhps_rm),   E(movhps_st),   E(movlpd_rm),
    E(movlpd_st),   E(movhpd_rm),   E(movhpd_st),   E(movhlps_rr),
    E(movlhps_rr),  E(movq_rr),     E(movq_s),      E(movq_rm),
    E(movq_st),     E(movd_xr),     E(movd_xm),     E(movd_rx),
    E(movd_mx),     E(movddup_rr),  E(movddup_rm),  E(movshdup_rr),
    E(movshdup_rm), E(movsldup_rr), E(movsldup_rm), E(movntps_st),
    E(movntpd_st),  E(movntdq_st),  E(movnti_st),   E(fences),
};

/* movmsk */
T(movmskps, "movmskps %xmm1, %eax")
T(movmskpd, "movmskpd %xmm1, %eax")
T(pmovmskb, "pmovmskb %xmm1, %eax")

/* pextrw / pinsrw */
#define PX(n) T(pextrw_##n, "pextrw $" #n ", %xmm1, %eax")
PX(0) PX(1) PX(2) PX(3) PX(4) PX(5) PX(6) PX(7) PX(8) PX(15) PX(255)
#define PI(n)                                                                  \
	T(pinsrw_##n, "pinsrw $" #n ", %ecx, %xmm0")                           \
	T(pinsrwm_##n, "pinsrw $" #n ", XM+1, %xmm0")
PI(0) PI(1) PI(2) PI(3) PI(4) PI(5) PI(6) PI(7) PI(9) PI(255)
static const tfn PEX[11] = {pextrw_0, pextrw_1, pextrw_2, pextrw_3,
			    pextrw_4, pextrw_5, pextrw_6, pextrw_7,
			    pextrw_8, pextrw_15, pextrw_255};
static const tfn PIN[20] = {pinsrw_0, pinsrwm_0, pinsrw_1, pinsrwm_1,
			    pinsrw_2, pinsrwm_2, pinsrw_3, pinsrwm_3,
			    pinsrw_4, pinsrwm_4, pinsrw_5, pinsrwm_5,
			    pinsrw_6, pinsrwm_6, pinsrw_7, pinsrwm_7,
			    pinsrw_9, pinsrwm_9, pinsrw_255, pinsrwm_255};

/* maskmovdqu writes to ds:[edi] */
T(maskmovdqu, "pushl %edi\n\tleal XM+8, %edi\n\tmaskmovdqu %xmm1, %xmm0\n\t"
	      "popl %edi")
T(maskmovdqu_es, "pushl %edi\n\tleal XM+8, %edi\n\tes maskmovdqu %xmm1, %xmm0\n\t"
		 "popl %edi")

/* ldmxcsr / stmxcsr round trips */
T(mxcsr_rt, "ldmxcsr GB\n\tstmxcsr GR\n\tmovl GR, %eax\n\tldmxcsr MXI")

/* page crossing */
T(cross_ld, "movups PG+4088, %xmm0")
T(cross_st, "movups %xmm1, PG+4084")
T(cross_sd, "movsd PG+4092, %xmm0")
T(cross_ss_st, "movss %xmm1, PG+4094")

static const u32 MSK[6][4] = {
    {0, 0, 0, 0},
    {0x80000000, 0, 0x80000000, 0},
    {0x7fffffff, 0xffffffff, 0x00000080, 0x80000000},
    {0x00800080, 0x80008000, 0x01020304, 0xfffefdfc},
    {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
    {0x807f807f, 0x7f807f80, 0x00000000, 0x80000000},
};

int main(void)
{
	for (u32 k = 0; k < sizeof MOVS / sizeof MOVS[0]; k++) {
		ab();
		MOVS[k].f();
		show(MOVS[k].name);
	}
	for (int k = 0; k < 6; k++) {
		set4(&XB, MSK[k][0], MSK[k][1], MSK[k][2], MSK[k][3]);
		ps("msk b=");
		p128(&XB);
		movmskps();
		ps(" ps=");
		px(GR, 8);
		movmskpd();
		ps(" pd=");
		px(GR, 8);
		pmovmskb();
		ps(" b=");
		px(GR, 8);
		nl();
	}
	for (int k = 0; k < 11; k++) {
		ab();
		PEX[k]();
		ps("pextrw #");
		pu(k);
		ps(" gr=");
		px(GR, 8);
		nl();
	}
	for (int k = 0; k < 20; k++) {
		ab();
		PIN[k]();
		ps("pinsrw #");
		pu(k);
		ps(" r=");
		p128(&XR);
		nl();
	}
	for (int k = 0; k < 6; k++) {
		ab();
		set4(&XB, MSK[k][0], MSK[k][1], MSK[k][2], MSK[k][3]);
		maskmovdqu();
		ps("maskmovdqu ");
		pu(k);
		ps(" m=");
		pmem(XM, 32);
		nl();
	}
	ab();
	set4(&XB, MSK[3][0], MSK[3][1], MSK[3][2], MSK[3][3]);
	maskmovdqu_es();
	ps("maskmovdqu es m=");
	pmem(XM, 32);
	nl();
	/* bits both vendors accept (bits 0..15; AMD's MM bit 17 is #GP on
	 * Intel, and reserved bits fault everywhere: see fault_ldmxcsr) */
	static const u32 MX[8] = {0x1f80, 0,      0xffff, 0x3f80,
				  0x1f80 | 0x3f, 0x6000, 0x8040, 0xffc0};
	for (int k = 0; k < 8; k++) {
		GB = MX[k];
		MXI = 0x1f80;
		mxcsr_rt();
		ps("ldmxcsr ");
		px(MX[k], 8);
		ps(" -> ");
		px(GR, 8);
		nl();
	}
	for (int k = 0; k < 8192; k++)
		PG[k] = k * 7;
	ab();
	cross_ld();
	ps("cross r=");
	p128(&XR);
	cross_st();
	ps(" m=");
	pmem(PG + 4080, 32);
	nl();
	cross_sd();
	ps("cross sd r=");
	p128(&XR);
	cross_ss_st();
	ps(" m=");
	pmem(PG + 4080, 32);
	nl();
	flush();
	return 0;
}
