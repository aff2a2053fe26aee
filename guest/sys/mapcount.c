/* vm.max_map_count and many mappings (issue 12 item 5).
 *  anon: one-page anonymous mappings with alternating protections (no
 *        merging) until mmap fails: the count where ENOMEM starts, then
 *        munmap splitting and mprotect splitting at the limit.
 *  file: 40,000 one-page file mappings (alternating protections), all
 *        read back; then more until mmap fails with ENOMEM; then a fresh
 *        anonymous page reads zeros and is private, and the file is
 *        unchanged. (The exact count of file mappings is not printed:
 *        emu needs a host mapping for each, and the host's own
 *        vm.max_map_count is the same limit, see the test.)
 *  none: one-page anonymous mappings alternating PROT_NONE and
 *        read-write (written) until mmap fails: the count, every
 *        written page still holds its byte, and the program goes on
 *        (malloc of 1 MiB). Under emu the host protection of each page
 *        follows the guest's, so the host runs out of mappings first.
 * argv[1]: a scratch directory; argv[2]: anon, file or none. */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>

#define PG 4096

static int vmas(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    int n = 0, c;
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void anon(void)
{
    int before = vmas();
    long n = 0;
    char *last = 0;
    for (;;) {
        int prot = n & 1 ? PROT_READ : PROT_READ | PROT_WRITE;
        char *p = mmap(0, PG, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            printf("anon mmap %ld failed: %s\n", n, ename(errno));
            break;
        }
        last = p;
        n++;
    }
    printf("vmas before %d, mapped %ld, total %d\n", before, n, vmas());
    /* A 3-page mapping split in the middle needs a new VMA. */
    char *big = last; /* the lowest page: unmap it to make room for one */
    munmap(big, PG);
    char *t = mmap(0, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    R("3-page mmap at the limit", t != MAP_FAILED);
    R("munmap middle", munmap(t + PG, PG));
    R("mprotect middle", mprotect(t + PG, PG, PROT_READ));
    R("mprotect edge", mprotect(t, PG, PROT_READ));
    R("munmap edge", munmap(t, PG));
    R("mmap again", mmap(0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED);
    R("mmap over", mmap(0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED);
}

static void file(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/mapcount-%d", dir, getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    char page[PG];
    for (int i = 0; i < PG; i++)
        page[i] = 'A' + i % 26;
    write(fd, page, PG);
    static char *maps[70000];
    long n = 0;
    int err = 0;
    for (;;) {
        int prot = n & 1 ? PROT_READ : PROT_READ | PROT_WRITE;
        char *p = mmap(0, PG, prot, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            err = errno;
            break;
        }
        maps[n++] = p;
        if (n == 40000) {
            long bad = 0;
            for (long i = 0; i < n; i++)
                bad += memcmp(maps[i], page, PG) != 0;
            printf("40000 file mappings, %ld read wrong\n", bad);
        }
    }
    printf("file mappings >= 40000: %d, then %s\n", n >= 40000, ename(err));
    /* Everything still works: a fresh anonymous page reads zeros, and a
     * write to it is its own. */
    munmap(maps[n - 1], PG);
    munmap(maps[n - 2], PG);
    char *a = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int zero = 1;
    for (int i = 0; i < PG; i++)
        zero &= a[i] == 0;
    printf("fresh anon: %s, zeros %d\n", a == MAP_FAILED ? "failed" : "ok", zero);
    memset(a, 'z', PG);
    long bad = 0;
    for (long i = 0; i < n - 2; i++)
        bad += memcmp(maps[i], page, PG) != 0;
    char back[PG];
    pread(fd, back, PG, 0);
    printf("after: %ld mappings read wrong, file unchanged %d\n", bad, !memcmp(back, page, PG));
    /* Unmap them all: the address space is whole again. */
    for (long i = 0; i < n - 2; i++)
        munmap(maps[i], PG);
    char *b = mmap(0, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    zero = 1;
    for (int i = 0; i < 64 * PG; i++)
        zero &= b[i] == 0;
    printf("after unmapping: zeros %d\n", zero);
    close(fd);
    unlink(path);
}

static void none(void)
{
    long n = 0, bad = 0;
    static char *rw[40000];
    for (;;) {
        char *p = mmap(0, PG, n & 1 ? PROT_NONE : PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            printf("none mmap %ld failed: %s\n", n, ename(errno));
            break;
        }
        if (!(n & 1)) {
            *p = (char)(n / 2);
            if (n / 2 < 40000)
                rw[n / 2] = p;
        }
        n++;
    }
    for (long k = 0; k < 40000 && 2 * k < n; k++)
        bad += *rw[k] != (char)k;
    printf("mapped %ld, bytes wrong %ld\n", n, bad);
    /* Room for the program again. */
    for (long k = 0; k < 1000 && 2 * k < n; k++)
        munmap(rw[k], PG);
    char *q = malloc(1 << 20);
    if (q)
        memset(q, 1, 1 << 20);
    printf("malloc %s\n", q ? "ok" : "failed");
}

int main(int argc, char **argv)
{
    unbuffered();
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    const char *w = argc > 2 ? argv[2] : "anon";
    if (!strcmp(w, "anon"))
        anon();
    else if (!strcmp(w, "none"))
        none();
    else
        file(dir);
    return 0;
}
