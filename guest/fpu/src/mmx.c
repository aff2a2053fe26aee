/* MMX (and the SSE/SSE2/SSSE3 integer instructions on MMX registers):
 * every operation on a few operand pairs, register and memory forms,
 * shifts by register/memory/immediate counts, movd/movq in every
 * direction, pinsrw/pextrw/pmovmskb/maskmovq, emms, and the x87 state
 * effects (TOP = 0, tags valid, exponent all ones; emms empties). */
#include "fpu.h"

u32 MA[2], MB[2], MR[2];
/* op mm0, mm1 with mm0 = MA, mm1 = MB; result MR */
#define MM(name, insn) void name(void); __asm__(".text\n" #name ":\n\tmovq MA, %mm0\n\tmovq MB, %mm1\n\t" insn "\n\tmovq %mm0, MR\n\temms\n\tret\n");
/* op mm0, m64 */
#define MMM(name, insn) void name(void); __asm__(".text\n" #name ":\n\tmovq MA, %mm0\n\t" insn " MB, %mm0\n\tmovq %mm0, MR\n\temms\n\tret\n");
#define OPS(X) \
	X(paddb) X(paddw) X(paddd) X(paddq) X(psubb) X(psubw) X(psubd) X(psubq) \
	X(paddsb) X(paddsw) X(paddusb) X(paddusw) X(psubsb) X(psubsw) X(psubusb) \
	X(psubusw) X(pmullw) X(pmulhw) X(pmulhuw) X(pmuludq) X(pmaddwd) X(pand) \
	X(pandn) X(por) X(pxor) X(pcmpeqb) X(pcmpeqw) X(pcmpeqd) X(pcmpgtb) \
	X(pcmpgtw) X(pcmpgtd) X(packsswb) X(packssdw) X(packuswb) X(punpckhbw) \
	X(punpckhwd) X(punpckhdq) X(punpcklbw) X(punpcklwd) X(punpckldq) \
	X(psllw) X(pslld) X(psllq) X(psrlw) X(psrld) X(psrlq) X(psraw) X(psrad) \
	X(pavgb) X(pavgw) X(pmaxsw) X(pmaxub) X(pminsw) X(pminub) X(psadbw) \
	X(pshufb) X(phaddw) X(phaddd) X(phaddsw) X(phsubw) X(phsubd) X(phsubsw) \
	X(pmaddubsw) X(pmulhrsw) X(psignb) X(psignw) X(psignd) X(pabsb) X(pabsw) \
	X(pabsd)
#define DEFR(op) MM(r_##op, #op " %mm1, %mm0")
#define DEFM(op) MMM(m_##op, #op)
OPS(DEFR)
OPS(DEFM)
#define ENT(op) {#op, r_##op, m_##op},
static const struct {
	const char *nm;
	tfn r, m;
} OPT[] = {OPS(ENT)};

/* immediate forms */
#define IMM(name, insn) MM(name, insn)
IMM(psllw3, "psllw $3, %mm0") IMM(psllw16, "psllw $16, %mm0")
IMM(pslld7, "pslld $7, %mm0") IMM(psllq33, "psllq $33, %mm0")
IMM(psrlw1, "psrlw $1, %mm0") IMM(psrld31, "psrld $31, %mm0")
IMM(psrlq8, "psrlq $8, %mm0") IMM(psraw4, "psraw $4, %mm0")
IMM(psraw99, "psraw $99, %mm0") IMM(psrad17, "psrad $17, %mm0")
IMM(psrad32, "psrad $32, %mm0") IMM(pshufw1b, "pshufw $0x1b, %mm1, %mm0")
IMM(pshufwe4, "pshufw $0xe4, %mm1, %mm0") IMM(palignr3, "palignr $3, %mm1, %mm0")
IMM(palignr9, "palignr $9, %mm1, %mm0") IMM(palignr17, "palignr $17, %mm1, %mm0")
IMM(pinsrw2, "movl $0x12345678, %eax\n\tpinsrw $2, %eax, %mm0")
IMM(pinsrwm, "pinsrw $7, MB, %mm0")
IMM(movd_r, "movl $0xdeadbeef, %eax\n\tmovd %eax, %mm0")
IMM(movd_m, "movd MB, %mm0")
IMM(movq_rr, "movq %mm1, %mm0")
static const struct {
	const char *nm;
	tfn f;
} IMT[] = {{"psllw$3", psllw3},    {"psllw$16", psllw16}, {"pslld$7", pslld7},
	   {"psllq$33", psllq33},  {"psrlw$1", psrlw1},   {"psrld$31", psrld31},
	   {"psrlq$8", psrlq8},    {"psraw$4", psraw4},   {"psraw$99", psraw99},
	   {"psrad$17", psrad17},  {"psrad$32", psrad32}, {"pshufw$1b", pshufw1b},
	   {"pshufw$e4", pshufwe4}, {"palignr$3", palignr3}, {"palignr$9", palignr9},
	   {"palignr$17", palignr17}, {"pinsrw$2", pinsrw2}, {"pinsrw$7m", pinsrwm},
	   {"movd-r", movd_r},    {"movd-m", movd_m},    {"movq-rr", movq_rr}};

/* results in general registers / memory */
void gpr_ops(void);
__asm__(".text\ngpr_ops:\n\tmovq MA, %mm3\n\tmovd %mm3, %eax\n\tmovl %eax, M\n\t"
	"pextrw $3, %mm3, %eax\n\tmovl %eax, M+4\n\tpmovmskb %mm3, %eax\n\tmovl %eax, M+8\n\t"
	"movd %mm3, M+12\n\tmovq %mm3, M+16\n\tmovntq %mm3, M+24\n\t"
	"movq MB, %mm4\n\tpushl %edi\n\tleal M+32, %edi\n\tmaskmovq %mm4, %mm3\n\tpopl %edi\n\temms\n\tret\n");

/* x87 state after MMX instructions */
void state1(void);
__asm__(".text\nstate1:\n\tfninit\n\tfld1\n\tfld1\n\tfnstenv BUF\n\tmovq MA, %mm2\n\tfnstenv BUF+32\n\t"
	"fldenv BUF+32\n\tfnsave BUF+64\n\tfrstor BUF+64\n\temms\n\tfnstenv BUF+192\n\tfldenv BUF+192\n\tfninit\n\tret\n");
/* pending x87 exception, then an MMX instruction would raise #MF: not run
 * here (see fault_mf); fxsave of MMX state */
void state2(void);
__asm__(".text\nstate2:\n\tfninit\n\tmovq MA, %mm5\n\tpaddb MB, %mm5\n\tfxsave BUF+256\n\temms\n\tfninit\n\tret\n");

static const u32 PAIRS[][4] = {
	{0x7f80ff01, 0x00017fff, 0x01017f80, 0xffff8001},
	{0x12345678, 0x9abcdef0, 0x0fedcba9, 0x87654321},
	{0x00000003, 0x00000000, 0x00000011, 0x00000000},
	{0xffffffff, 0xffffffff, 0x80000000, 0x80000000},
	{0x00400080, 0x7fffff00, 0x0002fffe, 0x00010004},
};

static void pq(const u32 *v)
{
	px(v[1], 8);
	px(v[0], 8);
}

int main(void)
{
	for (int p = 0; p < N(PAIRS); p++) {
		MA[0] = PAIRS[p][0];
		MA[1] = PAIRS[p][1];
		MB[0] = PAIRS[p][2];
		MB[1] = PAIRS[p][3];
		ps("pair ");
		pq(MA);
		sp();
		pq(MB);
		nl();
		for (int k = 0; k < N(OPT); k++) {
			ps(OPT[k].nm);
			OPT[k].r();
			ps(" r=");
			pq(MR);
			OPT[k].m();
			ps(" m=");
			pq(MR);
			nl();
		}
		for (int k = 0; k < N(IMT); k++) {
			ps(IMT[k].nm);
			IMT[k].f();
			ps(" -> ");
			pq(MR);
			nl();
		}
		memset(M, 0xa5, 64);
		gpr_ops();
		ps("gpr");
		for (int i = 0; i < 10; i++) {
			sp();
			px(M[i], 8);
		}
		nl();
	}
	memset(BUF, 0xcc, 512);
	state1();
	for (int o = 0; o < 256; o += 32) {
		ps("state1 +");
		pu(o);
		pc(':');
		for (int i = 0; i < 28; i++)
			px(BUF[o + i], 2);
		nl();
	}
	for (int i = 0; i < 80; i++) {
		if (i % 10 == 0)
			ps(" reg:");
		px(BUF[64 + 28 + i], 2);
	}
	nl();
	state2();
	ps("fxsave:");
	for (int i = 0; i < 160; i++)
		px(BUF[256 + i], 2);
	nl();
	return 0;
}
