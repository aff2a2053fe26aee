/* BCD adjust: daa das aaa aas over every AL value and every CF/AF input;
 * aam and aad with base 10 and other immediate bases. */
#include "rt.h"

T(t_daa, "daa")
T(t_das, "das")
T(t_aaa, "aaa")
T(t_aas, "aas")
T(t_aam10, "aam")
T(t_aam16, "aam $16")
T(t_aam7, "aam $7")
T(t_aam1, "aam $1")
T(t_aam255, "aam $255")
T(t_aad10, "aad")
T(t_aad16, "aad $16")
T(t_aad7, "aad $7")
T(t_aad0, "aad $0")
T(t_aad255, "aad $255")

static void run(const char *nm, tfn f, u32 ax, int nfl)
{
	static const u32 fin[4] = {0x002, 0x003, 0x012, 0x8d7};
	static const u32 fin2[2] = {FL0, FL1};
	ps(nm);
	sp();
	px(ax, 4);
	ps(" ->");
	for (int k = 0; k < nfl; k++) {
		u32 in = 0xa5c30000 | ax;
		R.eax = in;
		R.fl = nfl == 4 ? fin[k] : fin2[k];
		f();
		sp();
		px(R.eax, 4);
		if ((R.eax ^ in) & 0xffff0000)
			ps("!upper");
		pfl(R.fl);
	}
	pop();
}

int main(void)
{
	/* flags in: none, CF, AF, everything */
	static const struct {
		const char *nm;
		tfn f;
	} adj[] = {{"daa", t_daa}, {"das", t_das}, {"aaa", t_aaa}, {"aas", t_aas}};
	for (int i = 0; i < 4; i++)
		for (u32 al = 0; al < 256; al++)
			run(adj[i].nm, adj[i].f, 0x1200 | al, 4);
	for (u32 al = 0; al < 256; al++)
		run("aam10", t_aam10, 0x3400 | al, 2);
	static const struct {
		const char *nm;
		tfn f;
	} aams[] = {{"aam16", t_aam16},
		    {"aam7", t_aam7},
		    {"aam1", t_aam1},
		    {"aam255", t_aam255}};
	for (int i = 0; i < 4; i++)
		for (u32 al = 0; al < 256; al += 17)
			run(aams[i].nm, aams[i].f, 0x3400 | al, 2);
	static const struct {
		const char *nm;
		tfn f;
	} aads[] = {{"aad10", t_aad10}, {"aad16", t_aad16}, {"aad7", t_aad7},
		    {"aad0", t_aad0},   {"aad255", t_aad255}};
	static const u32 ahs[] = {0, 1, 9, 0x10, 0x7f, 0x80, 0xff};
	static const u32 als[] = {0, 1, 9, 0x0f, 0x7f, 0x80, 0xff};
	for (int i = 0; i < 5; i++)
		for (int a = 0; a < 7; a++)
			for (int b = 0; b < 7; b++) {
				u32 ax = als[b];
				setb1(&ax, ahs[a]);
				run(aads[i].nm, aads[i].f, ax, 2);
			}
	return 0;
}
