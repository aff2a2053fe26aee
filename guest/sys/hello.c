/* The smallest static glibc program: its startup exercises brk,
 * set_thread_area, set_tid_address, set_robust_list, rseq, ugetrlimit,
 * readlink, getrandom, mprotect, statx, ioctl, write and exit_group. */
#include <stdio.h>

int main(void)
{
    printf("hello world\n");
    return 0;
}
