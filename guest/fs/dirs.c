/* Directory listings: readdir (sorted), telldir/seekdir, raw getdents and
 * getdents64 record layouts, small buffers, EINVAL for a buffer too small
 * for one record, and ENOTDIR. */
#include "t.h"
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>

struct d32 { uint32_t ino; uint32_t off; uint16_t reclen; char name[]; };
struct d64 { uint64_t ino; int64_t off; uint16_t reclen; uint8_t type; char name[]; };

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *names[512];
static int nnames;

static void add(const char *n, int extra)
{
	char *s = malloc(strlen(n) + 16);
	sprintf(s, "%s:%d", n, extra);
	names[nnames++] = s;
}

static void dump(const char *title)
{
	qsort(names, nnames, sizeof names[0], cmp);
	printf("%s (%d):", title, nnames);
	for (int k = 0; k < nnames; k++) {
		printf(" %s", names[k]);
		free(names[k]);
	}
	printf("\n");
	nnames = 0;
}

/* List with raw getdents in buffers of `size` bytes. */
static void raw32(const char *dir, int size)
{
	char buf[8192];
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	long n;
	uint32_t sum = 0;
	while ((n = syscall(SYS_getdents, fd, buf, size)) > 0) {
		for (long k = 0; k < n;) {
			struct d32 *d = (struct d32 *)(buf + k);
			sum = sum * 31 + d->off;
			/* reclen and the type byte at the end of the record */
			add(d->name, d->reclen * 100 + buf[k + d->reclen - 1]);
			k += d->reclen;
		}
	}
	if (n < 0) printf("getdents(%d): %s\n", size, en(errno));
	close(fd);
	char t[64];
	sprintf(t, "getdents size %d offsum %08x", size, sum);
	dump(t);
}

static void raw64(const char *dir, int size)
{
	char buf[8192];
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	long n;
	uint64_t sum = 0;
	while ((n = syscall(SYS_getdents64, fd, buf, size)) > 0) {
		for (long k = 0; k < n;) {
			struct d64 *d = (struct d64 *)(buf + k);
			sum = sum * 31 + (uint64_t)d->off;
			add(d->name, d->reclen * 100 + d->type);
			k += d->reclen;
		}
	}
	if (n < 0) printf("getdents64(%d): %s\n", size, en(errno));
	close(fd);
	char t[64];
	sprintf(t, "getdents64 size %d offsum %016llx", size, (unsigned long long)sum);
	dump(t);
}

int main(void)
{
	char p[64];
	setup();
	T(mkdir("dir", 0755));
	for (int k = 0; k < 40; k++) {
		sprintf(p, "dir/file%02d%.*s", k, k % 7, "xxxxxxx");
		mkfile(p, "x");
	}
	T(mkdir("dir/sub", 0755));
	T(symlink("file00", "dir/link"));
	T(mkfifo("dir/fifo", 0644));

	DIR *d = opendir("dir");
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		add(e->d_name, e->d_type);
	dump("readdir");

	/* telldir/seekdir: remember every position, then revisit some. */
	rewinddir(d);
	long pos[64];
	char *at[64];
	int n = 0;
	for (;;) {
		pos[n] = telldir(d);
		e = readdir(d);
		if (!e) break;
		at[n++] = strdup(e->d_name);
	}
	int ok = 1;
	for (int k = n - 1; k >= 0; k -= 3) {
		seekdir(d, pos[k]);
		e = readdir(d);
		if (!e || strcmp(e->d_name, at[k]) != 0) ok = 0;
	}
	seekdir(d, pos[n]);
	V("seekdir revisits ok=%d end=%d", ok, readdir(d) == NULL);
	unsigned long psum = 0;
	for (int k = 0; k <= n; k++)
		psum = psum * 31 + pos[k];
	V("telldir sum %08lx", psum);
	closedir(d);

	raw32("dir", 8192);
	raw32("dir", 40);
	raw32("dir", 24);
	raw64("dir", 8192);
	raw64("dir", 48);
	raw64("dir", 40);

	char buf[64];
	int fd = open("dir", O_RDONLY | O_DIRECTORY);
	T(syscall(SYS_getdents64, fd, buf, 10));
	T(syscall(SYS_getdents, fd, buf, 10));
	T(syscall(SYS_getdents, fd, buf, 0));
	T(syscall(SYS_getdents64, fd, (void *)8, 4096));
	/* After the errors the listing is still complete. */
	long total = 0, r;
	char big[8192];
	while ((r = syscall(SYS_getdents64, fd, big, sizeof big)) > 0) {
		for (long k = 0; k < r;) {
			struct d64 *x = (struct d64 *)(big + k);
			total++;
			k += x->reclen;
		}
	}
	V("entries after errors: %ld", total);
	T(syscall(SYS_getdents64, fd, big, sizeof big));
	T(lseek(fd, 0, SEEK_SET));
	T(syscall(SYS_getdents64, fd, big, sizeof big) > 0);
	T(close(fd));
	fd = open("dir/file00", O_RDONLY);
	T(syscall(SYS_getdents64, fd, big, sizeof big));
	T(syscall(SYS_getdents64, 99, big, sizeof big));
	T(close(fd));

	/* old_readdir: one entry per call */
	fd = open("dir", O_RDONLY | O_DIRECTORY);
	struct { unsigned long ino, off; unsigned short len; char name[256]; } od;
	long rr;
	int cnt = 0;
	while ((rr = syscall(SYS_readdir, fd, &od, 1)) == 1) {
		if (od.len != strlen(od.name)) printf("bad namlen\n");
		add(od.name, 0);
		cnt++;
	}
	printf("readdir syscall end %ld count %d\n", rr, cnt);
	dump("old readdir");
	T(close(fd));

	/* an empty directory */
	T(mkdir("empty", 0700));
	raw64("empty", 8192);
	raw32("empty", 8192);
	d = opendir("empty");
	while ((e = readdir(d)) != NULL)
		add(e->d_name, e->d_type);
	closedir(d);
	dump("readdir empty");
	T(opendir("nope") == NULL);
	T(opendir("dir/file00") == NULL);

	/* scandir-style: directories after removing entries */
	for (int k = 0; k < 40; k += 2) {
		sprintf(p, "dir/file%02d%.*s", k, k % 7, "xxxxxxx");
		unlink(p);
	}
	raw64("dir", 8192);
	return 0;
}
