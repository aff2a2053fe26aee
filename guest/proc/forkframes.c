/* A fork, for the --frames test: the child writes and exits. */
#include "common.h"

int main(void)
{
    pid_t c = fork();
    if (c == 0) {
        write(1, "child\n", 6);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    write(1, "parent\n", 7);
    return 0;
}
