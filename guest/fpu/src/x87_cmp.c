/* x87 comparisons and classification: fcom fcomp fcompp fucom fucomp
 * fucompp (registers and m32/m64), ficom ficomp (m16/m32), fcomi fcomip
 * fucomi fucomip (EFLAGS), ftst, fxam (incl. empty registers), fcmovcc for
 * every condition and flag state; every pair of interesting operands. */
#include "fpu.h"

#define C2(name, insn) FT(name, "fldt B\n\tfldt A\n\t" insn "\n\tfnstsw SW\n\tfnclex\n\tfnstsw CW2")
C2(fcom_, "fcom %st(1)")
C2(fcomp_, "fcomp %st(1)")
C2(fcompp_, "fcompp")
C2(fucom_, "fucom %st(1)")
C2(fucomp_, "fucomp %st(1)")
C2(fucompp_, "fucompp")
/* fcomi: EFLAGS captured */
#define CI(name, insn) FT(name, "fldt B\n\tfldt A\n\tpushl $0x8d5\n\tpopfl\n\t" insn "\n\tpushfl\n\tpopl EFL\n\tfnstsw SW\n\tfnclex")
CI(fcomi_, "fcomi %st(1), %st")
CI(fcomip_, "fcomip %st(1), %st")
CI(fucomi_, "fucomi %st(1), %st")
CI(fucomip_, "fucomip %st(1), %st")
FT(fcoms_, "fldt A\n\tfcoms M\n\tfnstsw SW\n\tfnclex")
FT(fcompl_, "fldt A\n\tfcompl M\n\tfnstsw SW\n\tfnclex")
FT(ficoms_, "fldt A\n\tficoms M\n\tfnstsw SW\n\tfnclex")
FT(ficompl_, "fldt A\n\tficompl M\n\tfnstsw SW\n\tfnclex")
FT(ftst_, "fldt A\n\tftst\n\tfnstsw SW\n\tfnclex")
FT(fxam_, "fldt A\n\tfxam\n\tfnstsw SW\n\tfnclex")
FT(fxam_empty, "fldt A\n\tffree %st(0)\n\tfxam\n\tfnstsw SW\n\tfnclex")
FT(fxam_empty2, "fldt A\n\tfstp %st(0)\n\tfxam\n\tfnstsw SW\n\tfnclex")
FT(fcom_empty, "fldt A\n\tfcom %st(2)\n\tfnstsw SW\n\tfnclex")
FT(fcomi_empty, "fldt A\n\tfcomi %st(2), %st\n\tpushfl\n\tpopl EFL\n\tfnstsw SW\n\tfnclex")
/* fcmovcc: EFLAGS from R.fl; st0 = A, st1 = B */
#define CM(name, insn) FT(name, "fldt B\n\tfldt A\n\tpushl EFL\n\tpopfl\n\t" insn "\n\tfnstsw SW\n\tfstpt R0")
CM(fcmovb_, "fcmovb %st(1), %st")
CM(fcmove_, "fcmove %st(1), %st")
CM(fcmovbe_, "fcmovbe %st(1), %st")
CM(fcmovu_, "fcmovu %st(1), %st")
CM(fcmovnb_, "fcmovnb %st(1), %st")
CM(fcmovne_, "fcmovne %st(1), %st")
CM(fcmovnbe_, "fcmovnbe %st(1), %st")
CM(fcmovnu_, "fcmovnu %st(1), %st")

static const u32 F32[] = {0x3f800000, 0xbfc00000, 0x00000001, 0x7f800000,
			  0x7fc00000, 0x7f800001, 0x00000000, 0x80000000};
static const u32 F64[][2] = {{0x00000000, 0x3ff00000}, {0x00000001, 0x00000000},
			     {0x00000000, 0x7ff80000}, {0x00000001, 0x7ff00000},
			     {0x00000000, 0xfff00000}, {0x54442d18, 0x400921fb}};
static const u32 I16V[] = {0, 1, 0xffff, 0x7fff, 0x8000};
static const u32 I32VS[] = {0, 1, 0xffffffff, 0x7fffffff, 0x80000000};

int main(void)
{
	static const struct {
		const char *nm;
		tfn f;
	} C[] = {{"fcom", fcom_},     {"fcomp", fcomp_},   {"fcompp", fcompp_},
		 {"fucom", fucom_},   {"fucomp", fucomp_}, {"fucompp", fucompp_}},
	  CIS[] = {{"fcomi", fcomi_},
		   {"fcomip", fcomip_},
		   {"fucomi", fucomi_},
		   {"fucomip", fucomip_}};
	CW = 0x37f;
	for (int i = 0; i < NVALS; i++)
		for (int j = 0; j < NVALS; j++) {
			A = VALS[i];
			B = VALS[j];
			ps(VNAMES[i]);
			sp();
			ps(VNAMES[j]);
			for (int k = 0; k < N(C); k++) {
				C[k].f();
				sp();
				ps(C[k].nm);
				pc('=');
				px(SW, 4);
			}
			for (int k = 0; k < N(CIS); k++) {
				CIS[k].f();
				sp();
				ps(CIS[k].nm);
				pc('=');
				px(SW, 4);
				pc('/');
				px(EFL, 4);
			}
			nl();
		}
	static const int av[] = {0, 2, 3, 10, 13, 15, 16, 18};
	for (int k = 0; k < N(av); k++) {
		A = VALS[av[k]];
		ps(VNAMES[av[k]]);
		for (int j = 0; j < N(F32); j++) {
			M[0] = F32[j];
			fcoms_();
			ps(" s");
			px(F32[j], 8);
			pc('=');
			px(SW, 4);
		}
		nl();
		ps(VNAMES[av[k]]);
		for (int j = 0; j < N(F64); j++) {
			M[0] = F64[j][0];
			M[1] = F64[j][1];
			fcompl_();
			ps(" l");
			px(F64[j][1], 8);
			px(F64[j][0], 8);
			pc('=');
			px(SW, 4);
		}
		nl();
		ps(VNAMES[av[k]]);
		for (int j = 0; j < N(I16V); j++) {
			M[0] = I16V[j];
			ficoms_();
			ps(" is");
			px(I16V[j], 4);
			pc('=');
			px(SW, 4);
		}
		for (int j = 0; j < N(I32VS); j++) {
			M[0] = I32VS[j];
			ficompl_();
			ps(" il");
			px(I32VS[j], 8);
			pc('=');
			px(SW, 4);
		}
		nl();
	}
	for (int i = 0; i < NVALS; i++) {
		A = VALS[i];
		ftst_();
		ps("ftst ");
		ps(VNAMES[i]);
		psw();
		fxam_();
		ps(" fxam");
		psw();
		nl();
	}
	A = VALS[3];
	fxam_empty();
	ps("fxam empty(-1.5 freed)");
	psw();
	nl();
	fxam_empty2();
	ps("fxam empty(popped)");
	psw();
	nl();
	static const u16 cws[] = {0x37f, 0x37e};
	for (int k = 0; k < 2; k++) {
		CW = cws[k];
		fcom_empty();
		ps("fcom empty cw=");
		px(CW, 4);
		psw();
		nl();
		fcomi_empty();
		ps("fcomi empty cw=");
		px(CW, 4);
		psw();
		ps(" efl=");
		px(EFL & 0x8d5, 4);
		nl();
	}
	CW = 0x37f;
	static const struct {
		const char *nm;
		tfn f;
	} CM[] = {{"fcmovb", fcmovb_},     {"fcmove", fcmove_},
		  {"fcmovbe", fcmovbe_},   {"fcmovu", fcmovu_},
		  {"fcmovnb", fcmovnb_},   {"fcmovne", fcmovne_},
		  {"fcmovnbe", fcmovnbe_}, {"fcmovnu", fcmovnu_}};
	A = VALS[2];
	B = VALS[4];
	static const u32 fls[] = {0x002, 0x003, 0x042, 0x006, 0x047, 0x8d7};
	for (int f = 0; f < N(fls); f++) {
		ps("efl=");
		px(fls[f], 4);
		for (int k = 0; k < N(CM); k++) {
			EFL = fls[f];
			CM[k].f();
			sp();
			ps(CM[k].nm);
			pc('=');
			px(R0.se, 4);
			pc('/');
			px(SW, 4);
		}
		nl();
	}
	return 0;
}
