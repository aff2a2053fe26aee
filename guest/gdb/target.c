/* The program tests/gdb.rs debugs with Debian's gdb, natively and under
 * `emu --gdb`: a local to print, a loop that writes a watched global, a
 * function to step into, x87 and SSE values in registers, a signal with a
 * handler, and a second thread. Built with -g -O0, so that gdb's line
 * steps are the same everywhere. With an argument it spins first, for
 * gdb to interrupt, or (`r`) reads its stdin, for gdb to interrupt that. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

volatile int counter;
volatile double fsum;

static int square(int x)
{
	return x * x;
}

static void on_usr1(int s)
{
	counter += 100 + s;
}

static void *worker(void *arg)
{
	int *p = arg;
	*p = square(*p);
	return NULL;
}

/* Leaves 2.5 in st0 and 0x11223344 in xmm1 between its two lines. */
static double fpu_sse(double x)
{
	double r;
	__asm__ volatile("fldl %1\n\tfstl %0\n\tmovl $0x11223344, %%eax\n\tmovd %%eax, %%xmm1"
			 : "=m"(r) : "m"(x) : "eax", "xmm1");
	__asm__ volatile("fstp %st(0)");
	return r;
}

int main(int argc, char **argv)
{
	int local = argc + 41;
	if (argc > 1 && argv[1][0] == 'r') {
		char b[16];
		long n = read(0, b, sizeof b);
		printf("read %ld\n", n);
		return 0;
	}
	while (argc > 1)
		counter++;
	signal(SIGUSR1, on_usr1);
	for (int i = 0; i < 3; i++)
		counter += square(i + 1);
	fsum = fpu_sse(2.5) * local;
	raise(SIGUSR1);
	pthread_t t;
	int v = 7;
	pthread_create(&t, NULL, worker, &v);
	pthread_join(t, NULL);
	printf("local=%d counter=%d v=%d fsum=%g\n", local, counter, v, fsum);
	return counter & 0x7f;
}
