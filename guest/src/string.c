/* String instructions: movs stos lods scas cmps, 8/16/32 bits, with and
 * without rep/repe/repne, DF clear and set, zero counts, overlapping
 * copies, early termination, and prefix oddities. */
#include "rt.h"

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

u8 S[64], D[64];

T(movsb1, "movsb")
T(movsw1, "movsw")
T(movsd1, "movsl")
T(rmovsb, "rep movsb")
T(rmovsw, "rep movsw")
T(rmovsd, "rep movsl")
T(f2movsb, "repne movsb") /* f2 on movs acts as rep */
T(esmovsb, ".byte 0x26; movsb") /* es: source override */
T(stosb1, "stosb")
T(stosw1, "stosw")
T(stosd1, "stosl")
T(rstosb, "rep stosb")
T(rstosw, "rep stosw")
T(rstosd, "rep stosl")
T(lodsb1, "lodsb")
T(lodsw1, "lodsw")
T(lodsd1, "lodsl")
T(rlodsb, "rep lodsb")
T(rlodsd, "rep lodsl")
T(scasb1, "scasb")
T(scasw1, "scasw")
T(scasd1, "scasl")
T(rnescasb, "repne scasb")
T(rescasb, "repe scasb")
T(rnescasw, "repne scasw")
T(rescasd, "repe scasl")
T(cmpsb1, "cmpsb")
T(cmpsw1, "cmpsw")
T(cmpsd1, "cmpsl")
T(recmpsb, "repe cmpsb")
T(rnecmpsb, "repne cmpsb")
T(recmpsw, "repe cmpsw")
T(recmpsd, "repe cmpsl")
T(rnecmpsd, "repne cmpsl")
T(f3cmps_rep, "rep cmpsb") /* f3 on cmps is repe */

enum { DS_D, DS_S, DS_ND };
enum { ST_PLAIN, ST_CMPEQ, ST_CMPDIFF, ST_SCAN };

struct st {
	const char *nm;
	tfn f;
	u32 ecx;
	int df, soff, doff; /* doff < 0: destination inside S at -doff-1 */
	u32 eax;
	int setup, dump, flags;
};

static void reset(int setup)
{
	for (int i = 0; i < 64; i++) {
		S[i] = 0x30 + i;
		D[i] = 0xe0 + (i & 15);
	}
	if (setup == ST_CMPEQ || setup == ST_CMPDIFF)
		for (int i = 0; i < 64; i++)
			D[i] = S[i];
	if (setup == ST_CMPDIFF) {
		D[5] = 0x00;  /* first difference at 5 (below) */
		D[9] = 0xff;  /* then at 9 (above) */
		D[20] = 0x80; /* around byte 20 for the DF=1 runs */
	}
}

static void run(const struct st *t)
{
	reset(t->setup);
	R.esi = (u32)S + t->soff;
	R.edi = t->doff < 0 ? (u32)S + (-t->doff - 1) : (u32)D + t->doff;
	R.ecx = t->ecx;
	R.eax = t->eax;
	R.ebx = 0;
	R.edx = 0;
	R.fl = (t->df ? DF : 0) | 0x0d7;
	t->f();
	ps(t->nm);
	ps(" ecx=");
	pu(t->ecx);
	ps(t->df ? " std" : " cld");
	ps(" -> ecx=");
	px(R.ecx, 8);
	ps(" esi=S");
	pd(R.esi - (u32)S);
	ps(" edi=");
	if (t->doff < 0) {
		pc('S');
		pd(R.edi - (u32)S);
	} else {
		pc('D');
		pd(R.edi - (u32)D);
	}
	ps(" eax=");
	px(R.eax, 8);
	if (t->dump == DS_D) {
		ps(" D=");
		pmem(D, 24);
	} else if (t->dump == DS_S) {
		ps(" S=");
		pmem(S, 24);
	}
	pfl(R.fl);
	pop();
}

static const struct st tests[] = {
    /* movs */
    {"movsb", movsb1, 5, 0, 2, 3, 0, ST_PLAIN, DS_D, 0},
    {"movsb", movsb1, 5, 1, 2, 3, 0, ST_PLAIN, DS_D, 0},
    {"movsw", movsw1, 5, 0, 2, 3, 0, ST_PLAIN, DS_D, 0},
    {"movsw", movsw1, 5, 1, 2, 3, 0, ST_PLAIN, DS_D, 0},
    {"movsd", movsd1, 5, 0, 2, 3, 0, ST_PLAIN, DS_D, 0},
    {"movsd", movsd1, 5, 1, 2, 3, 0, ST_PLAIN, DS_D, 0},
    {"rep movsb", rmovsb, 0, 0, 0, 0, 0, ST_PLAIN, DS_D, 0},
    {"rep movsb", rmovsb, 1, 0, 0, 0, 0, ST_PLAIN, DS_D, 0},
    {"rep movsb", rmovsb, 7, 0, 1, 2, 0, ST_PLAIN, DS_D, 0},
    {"rep movsb", rmovsb, 7, 1, 10, 12, 0, ST_PLAIN, DS_D, 0},
    {"rep movsw", rmovsw, 0, 0, 0, 0, 0, ST_PLAIN, DS_D, 0},
    {"rep movsw", rmovsw, 5, 0, 1, 2, 0, ST_PLAIN, DS_D, 0},
    {"rep movsw", rmovsw, 5, 1, 12, 14, 0, ST_PLAIN, DS_D, 0},
    {"rep movsd", rmovsd, 0, 0, 0, 0, 0, ST_PLAIN, DS_D, 0},
    {"rep movsd", rmovsd, 3, 0, 1, 2, 0, ST_PLAIN, DS_D, 0},
    {"rep movsd", rmovsd, 3, 1, 12, 16, 0, ST_PLAIN, DS_D, 0},
    {"rep movsd", rmovsd, 5, 0, 0, 1, 0, ST_PLAIN, DS_D, 0},
    /* overlapping copies: forward with dst just above src replicates */
    {"rep movsb overlap", rmovsb, 9, 0, 0, -2, 0, ST_PLAIN, DS_S, 0},
    {"rep movsb overlap", rmovsb, 9, 0, 0, -4, 0, ST_PLAIN, DS_S, 0},
    {"rep movsw overlap", rmovsw, 6, 0, 0, -2, 0, ST_PLAIN, DS_S, 0},
    {"rep movsd overlap", rmovsd, 4, 0, 0, -3, 0, ST_PLAIN, DS_S, 0},
    {"rep movsb overlap", rmovsb, 9, 1, 12, -12, 0, ST_PLAIN, DS_S, 0},
    {"rep movsb overlap", rmovsb, 9, 0, 4, -1, 0, ST_PLAIN, DS_S, 0},
    {"repne movsb", f2movsb, 4, 0, 0, 0, 0, ST_PLAIN, DS_D, 0},
    {"es movsb", esmovsb, 4, 0, 3, 0, 0, ST_PLAIN, DS_D, 0},
    /* stos */
    {"stosb", stosb1, 3, 0, 0, 2, 0x12345678, ST_PLAIN, DS_D, 0},
    {"stosw", stosw1, 3, 1, 0, 2, 0x12345678, ST_PLAIN, DS_D, 0},
    {"stosd", stosd1, 3, 0, 0, 2, 0x12345678, ST_PLAIN, DS_D, 0},
    {"rep stosb", rstosb, 0, 0, 0, 0, 0x12345678, ST_PLAIN, DS_D, 0},
    {"rep stosb", rstosb, 5, 0, 0, 1, 0x12345678, ST_PLAIN, DS_D, 0},
    {"rep stosb", rstosb, 5, 1, 0, 10, 0x12345678, ST_PLAIN, DS_D, 0},
    {"rep stosw", rstosw, 5, 0, 0, 1, 0x12345678, ST_PLAIN, DS_D, 0},
    {"rep stosw", rstosw, 5, 1, 0, 14, 0x12345678, ST_PLAIN, DS_D, 0},
    {"rep stosd", rstosd, 4, 0, 0, 3, 0x12345678, ST_PLAIN, DS_D, 0},
    {"rep stosd", rstosd, 4, 1, 0, 16, 0x12345678, ST_PLAIN, DS_D, 0},
    /* lods */
    {"lodsb", lodsb1, 3, 0, 4, 0, 0xaaaaaaaa, ST_PLAIN, DS_ND, 0},
    {"lodsw", lodsw1, 3, 1, 4, 0, 0xaaaaaaaa, ST_PLAIN, DS_ND, 0},
    {"lodsd", lodsd1, 3, 0, 4, 0, 0xaaaaaaaa, ST_PLAIN, DS_ND, 0},
    {"rep lodsb", rlodsb, 5, 0, 4, 0, 0xaaaaaaaa, ST_PLAIN, DS_ND, 0},
    {"rep lodsb", rlodsb, 0, 0, 4, 0, 0xaaaaaaaa, ST_PLAIN, DS_ND, 0},
    {"rep lodsd", rlodsd, 3, 1, 20, 0, 0xaaaaaaaa, ST_PLAIN, DS_ND, 0},
    /* scas: D holds 0xe0..0xef repeating */
    {"scasb", scasb1, 3, 0, 0, 2, 0xe2, ST_PLAIN, DS_ND, 1},
    {"scasb", scasb1, 3, 0, 0, 2, 0x01, ST_PLAIN, DS_ND, 1},
    {"scasw", scasw1, 3, 1, 0, 2, 0xe3e2, ST_PLAIN, DS_ND, 1},
    {"scasd", scasd1, 3, 0, 0, 2, 0x7fffffff, ST_PLAIN, DS_ND, 1},
    {"repne scasb found", rnescasb, 20, 0, 0, 0, 0xe7, ST_PLAIN, DS_ND, 1},
    {"repne scasb found last", rnescasb, 8, 0, 0, 0, 0xe7, ST_PLAIN, DS_ND, 1},
    {"repne scasb missing", rnescasb, 10, 0, 0, 0, 0x55, ST_PLAIN, DS_ND, 1},
    {"repne scasb", rnescasb, 0, 0, 0, 0, 0xe0, ST_PLAIN, DS_ND, 1},
    {"repne scasb std", rnescasb, 10, 1, 0, 12, 0xe3, ST_PLAIN, DS_ND, 1},
    {"repe scasb", rescasb, 10, 0, 0, 0, 0xe0, ST_PLAIN, DS_ND, 1},
    {"repe scasb", rescasb, 0, 0, 0, 0, 0xe0, ST_PLAIN, DS_ND, 1},
    {"repne scasw", rnescasw, 10, 0, 0, 0, 0xe9e8, ST_PLAIN, DS_ND, 1},
    {"repne scasw odd", rnescasw, 10, 0, 0, 1, 0xe9e8, ST_PLAIN, DS_ND, 1},
    {"repe scasd", rescasd, 10, 0, 0, 0, 0xe3e2e1e0, ST_PLAIN, DS_ND, 1},
    /* cmps */
    {"cmpsb", cmpsb1, 3, 0, 0, 0, 0, ST_CMPEQ, DS_ND, 1},
    {"cmpsb", cmpsb1, 3, 1, 5, 5, 0, ST_CMPDIFF, DS_ND, 1},
    {"cmpsw", cmpsw1, 3, 0, 8, 8, 0, ST_CMPDIFF, DS_ND, 1},
    {"cmpsd", cmpsd1, 3, 0, 0, 4, 0, ST_PLAIN, DS_ND, 1},
    {"repe cmpsb equal", recmpsb, 16, 0, 0, 0, 0, ST_CMPEQ, DS_ND, 1},
    {"repe cmpsb diff", recmpsb, 16, 0, 0, 0, 0, ST_CMPDIFF, DS_ND, 1},
    {"repe cmpsb diff", recmpsb, 16, 0, 6, 6, 0, ST_CMPDIFF, DS_ND, 1},
    {"repe cmpsb std", recmpsb, 16, 1, 30, 30, 0, ST_CMPDIFF, DS_ND, 1},
    {"repe cmpsb", recmpsb, 0, 0, 0, 0, 0, ST_CMPDIFF, DS_ND, 1},
    {"repne cmpsb", rnecmpsb, 16, 0, 0, 0, 0, ST_PLAIN, DS_ND, 1},
    {"repne cmpsb", rnecmpsb, 16, 0, 0, 0, 0, ST_CMPDIFF, DS_ND, 1},
    {"repe cmpsw", recmpsw, 8, 0, 0, 0, 0, ST_CMPDIFF, DS_ND, 1},
    {"repe cmpsd", recmpsd, 8, 0, 0, 0, 0, ST_CMPDIFF, DS_ND, 1},
    {"repe cmpsd equal", recmpsd, 8, 0, 0, 0, 0, ST_CMPEQ, DS_ND, 1},
    {"repne cmpsd", rnecmpsd, 8, 0, 0, 0, 0, ST_CMPDIFF, DS_ND, 1},
    {"rep(f3) cmpsb", f3cmps_rep, 16, 0, 0, 0, 0, ST_CMPDIFF, DS_ND, 1},
};

int main(void)
{
	for (int i = 0; i < N(tests); i++)
		run(&tests[i]);
	/* a long copy: every byte lands */
	for (int i = 0; i < 1024; i++)
		M[i] = 0;
	for (int i = 0; i < 64; i++)
		((u8 *)M)[i] = 0x40 + i;
	R.esi = (u32)M;
	R.edi = (u32)M + 1000;
	R.ecx = 700;
	R.fl = FL0;
	rmovsd();
	u32 sum = 0, nz = 0;
	for (int i = 250; i < 1024; i++) {
		sum += M[i] ^ (u32)i;
		nz += M[i] != 0;
	}
	ps("rep movsd 2800 bytes: ecx=");
	px(R.ecx, 8);
	ps(" esi=+");
	pu(R.esi - (u32)M);
	ps(" edi=+");
	pu(R.edi - (u32)M);
	ps(" sum=");
	px(sum, 8);
	ps(" nonzero=");
	pu(nz);
	nl();
	return 0;
}
