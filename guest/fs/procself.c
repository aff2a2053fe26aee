/* /proc of the process itself (issue 12 items 1 and 2): every spelling of
 * the own /proc directory reaches the guest's files, never the emulator's;
 * the emulated files (maps, smaps, smaps_rollup, numa_maps, auxv, statm,
 * stat, status, syscall, personality, environ, cmdline) print what native
 * Linux prints, page counts aside (smaps Rss and the like are shown only
 * as "present"); /proc/self/mem reads and writes guest addresses, with EIO
 * on unmapped ones and FOLL_FORCE writes into read-only and code pages.
 *
 * Lines starting with "other " describe /proc/<child> of a forked child.
 * Natively the files open ("ok"); under emu the child is another emu
 * process, whose emulator-describing files are refused with EACCES.
 * Lines starting with "refused " open the own pagemap and map_files,
 * which emu refuses (EACCES) as they would show the host's frames and
 * address ranges. The test (syscalls_fs.rs, procself) checks exactly
 * these differences and compares every other line. */
#include "t.h"
#include <elf.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

extern char **environ;

static char ref[1 << 16], got[1 << 16];
static const char rodata[] = "readonly";
static const char *volatile rop = rodata;

/* Read a whole file through raw calls (no allocation between reads, so
 * the map stays the same); -errno on failure. */
static long slurp_fd(int fd, char *buf, long size)
{
	long n = 0, r = 0;
	while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	if (r < 0) return -errno;
	buf[n] = 0;
	return n;
}

static long slurp(const char *path, char *buf, long size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) return -errno;
	long n = slurp_fd(fd, buf, size);
	close(fd);
	return n;
}

static long slurp_at(int dfd, const char *path, char *buf, long size)
{
	int fd = openat(dfd, path, O_RDONLY);
	if (fd < 0) return -errno;
	long n = slurp_fd(fd, buf, size);
	close(fd);
	return n;
}

/* Print the result of reading a spelling of maps: same as the reference
 * read of /proc/self/maps, or why not. */
static void maps_is(const char *how, long n)
{
	if (n < 0) { V("maps %s: %s", how, en(-n)); return; }
	char first[18] = {0};
	memcpy(first, got, 17);
	V("maps %s: same %d first %s", how, n > 0 && strcmp(got, ref) == 0, first);
}

/* The fields of a /proc file line split by spaces. */
static int fields(char *s, char **f, int max)
{
	int n = 0;
	for (char *t = strtok(s, " \n"); t && n < max; t = strtok(NULL, " \n"))
		f[n++] = t;
	return n;
}

/* A line of status, as printed (key: value), or "missing". */
static void status_line(const char *buf, const char *key)
{
	const char *l = buf;
	size_t k = strlen(key);
	while (l && *l) {
		if (!strncmp(l, key, k) && l[k] == ':') {
			const char *e = strchr(l, '\n');
			V("status %.*s", (int)(e ? e - l : (long)strlen(l)), l);
			return;
		}
		l = strchr(l, '\n');
		if (l) l++;
	}
	V("status %s missing", key);
}

static void smaps_check(const char *path)
{
	static char buf[1 << 17];
	long n = slurp(path, buf, sizeof buf);
	if (n < 0) { V("smaps %s: %s", path, en(-n)); return; }
	long m = slurp("/proc/self/maps", ref, sizeof ref);
	/* Headers are the maps lines; each VMA has Size = its length and a
	 * VmFlags line; Rss-like counts are approximations under emu. */
	int vmas = 0, headers_same = 1, sizes_ok = 1;
	char *mline = ref;
	char names[2048] = "";
	int first = 1;
	for (char *l = buf; l && *l;) {
		char *e = strchr(l, '\n');
		if (e) *e = 0;
		unsigned long lo, hi;
		if (sscanf(l, "%lx-%lx ", &lo, &hi) == 2 && strchr(l, ':') != l + 8) {
			char *me = strchr(mline, '\n');
			if (!me || strncmp(l, mline, me - mline)) headers_same = 0;
			if (me) mline = me + 1;
			vmas++;
			if (vmas > 1) first = 0;
			if (e && strncmp(e + 1, "Size:", 5)) sizes_ok = 0;
			else if (e) {
				unsigned long kb = 0;
				sscanf(e + 1, "Size: %lu", &kb);
				if (kb != (hi - lo) / 1024) sizes_ok = 0;
			}
		} else if (!strncmp(l, "VmFlags:", 8)) {
			V("smaps vma %d %s", vmas, l);
		} else if (first) {
			char *c = strchr(l, ':');
			if (c) { strncat(names, l, c - l); strcat(names, " "); }
		}
		l = e ? e + 1 : NULL;
	}
	(void)m;
	V("smaps %s: vmas %d headers same %d sizes %d", path, vmas, headers_same, sizes_ok);
	V("smaps fields: %s", names);
}

static int code_page(void) __attribute__((noinline, aligned(4096)));
static int code_page(void) { return 1; }

static void mem_checks(const char *path)
{
	int fd = open(path, O_RDWR);
	V("mem open %s: %s", path, fd >= 0 ? "ok" : en(errno));
	if (fd < 0) return;
	unsigned char h[EI_NIDENT];
	T(pread64(fd, h, sizeof h, 0x08048000));
	V("mem elf header: %d class %d", !memcmp(h, ELFMAG, SELFMAG), h[EI_CLASS]);
	T(pread64(fd, h, 4, 0x1000));
	T(pread64(fd, h, 4, 0x100000000LL));
	T(pread64(fd, h, 4, 0xfffffffcLL));
	T(pread64(fd, h, 4, -4096LL));
	T(lseek64(fd, 0x100000000LL, SEEK_SET) == 0x100000000LL);
	T(read(fd, h, 4));
	T(lseek64(fd, 0, SEEK_END));
	T(lseek64(fd, 0, 3));
	T(lseek64(fd, 0x08048001, SEEK_SET));
	T(lseek64(fd, 3, SEEK_CUR));
	T(read(fd, h, 4));
	V("mem at 0x08048004: %02x %02x %02x %02x", h[0], h[1], h[2], h[3]);
	T(lseek64(fd, 0, SEEK_CUR));
	/* The guest's own data, through the file. */
	static char data[32] = "guest data";
	char b[32] = {0};
	T(pread64(fd, b, 10, (unsigned long)data));
	V("mem reads data: %s", b);
	T(pwrite64(fd, "GUEST", 5, (unsigned long)data));
	V("mem wrote data: %s", data);
	/* FOLL_FORCE: a read-only page of the program. */
	T(pwrite64(fd, "RO", 2, (unsigned long)rodata));
	V("mem forced write to rodata: %s", rop);
	/* PROT_NONE and a read-only shared mapping. */
	char *none = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T(pwrite64(fd, "NN", 2, (unsigned long)none));
	T(pread64(fd, b, 2, (unsigned long)none));
	V("mem PROT_NONE reads back: %.2s", b);
	T(munmap(none + 4096, 4096));
	T(pread64(fd, got, 8192, (unsigned long)none));
	T(pread64(fd, got, 4, (unsigned long)none + 4096));
	char *sh = mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	T(pwrite64(fd, "SS", 2, (unsigned long)sh));
	T(pread64(fd, b, 2, (unsigned long)sh));
	/* Bad user buffers. */
	char *volatile bad = (char *)8;
	T(pread64(fd, bad, 4, 0x08048000));
	T(pwrite64(fd, bad, 4, (unsigned long)data));
	/* The stack's last bytes, then past 4 GiB: a short read. */
	T(pread64(fd, b, 4, 0xffffdffeLL));
	/* readv across two buffers. */
	char v1[2], v2[3];
	struct iovec iov[2] = {{v1, 2}, {v2, 3}};
	T(preadv(fd, iov, 2, 0x08048000));
	V("mem preadv: %02x %c%c%c%c", (unsigned char)v1[0], v1[1], v2[0], v2[1], v2[2]);
	/* Code rewritten through the file runs as rewritten. */
	int (*volatile fp)(void) = code_page;
	V("code before: %d", fp());
	static const unsigned char two[] = {0xb8, 2, 0, 0, 0, 0xc3}; /* mov $2,%eax; ret */
	T(pwrite64(fd, two, sizeof two, (unsigned long)code_page));
	V("code after: %d", fp());
	T(sendfile(1, fd, NULL, 4));
	close(fd);
}

static void syscall_check(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) { V("syscall %s: %s", path, en(errno)); return; }
	static char b[512];
	long n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0) { V("syscall %s: read %ld", path, n); return; }
	b[n] = 0;
	char *f[16];
	int k = fields(b, f, 16);
	unsigned long a1 = strtoul(f[1], 0, 16), a2 = strtoul(f[2], 0, 16), a3 = strtoul(f[3], 0, 16);
	unsigned long sp = strtoul(f[7], 0, 16), pc = strtoul(f[8], 0, 16);
	V("syscall %s: fields %d nr %s fd %d buf %d count %lu sp-on-stack %d pc-high %d", path, k,
	  f[0], a1 == (unsigned long)fd, a2 == (unsigned long)b, a3, sp > 0xff000000UL,
	  pc > 0xf0000000UL);
}

static void auxv_check(const char *path)
{
	static unsigned int a[256];
	long n = slurp(path, (char *)a, sizeof a);
	if (n < 0) { V("auxv %s: %s", path, en(-n)); return; }
	char types[512] = "", differ[512] = "";
	for (long i = 0; i < n / 8; i++) {
		char t[16];
		snprintf(t, sizeof t, "%u ", a[2 * i]);
		strcat(types, t);
		if (a[2 * i] != AT_NULL && getauxval(a[2 * i]) != a[2 * i + 1]) strcat(differ, t);
	}
	V("auxv %s: %ld bytes types %s", path, n, types);
	V("auxv values unlike getauxval's: %s", differ);
}

static void handler(int s) { (void)s; }

/* The ELF class (1: 32-bit, 2: 64-bit) of the file open on efd, which
 * is closed. */
static int elf_class(int efd)
{
	unsigned char eh[EI_NIDENT] = {0};
	T(read(efd, eh, sizeof eh));
	close(efd);
	return eh[EI_CLASS];
}

int main(int argc, char **argv)
{
	char path[128];
	if (argc > 1 && !strcmp(argv[1], "again"))
		return 42;
	setup();
	V("pid-based paths below use the process's own pid (%d)", getpid() > 0);
	/* Signal dispositions and mask for stat/status. */
	signal(SIGUSR1, handler);
	signal(SIGUSR2, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	mkfile("plain", "x");

	long rn = slurp("/proc/self/maps", ref, sizeof ref);
	V("maps reference: %d", rn > 0);
	int pid = getpid(), tid = syscall(SYS_gettid);
	const char *spell[] = {
		"/proc/self/maps", "/proc//self/maps", "/proc/./self/maps", "/proc/self/../self/maps",
		"/proc/self/root/proc/self/maps", "/proc/thread-self/maps", "/proc/self/./maps",
		"/proc/self//maps", "//proc/self/maps", "/proc/self/cwd/../../proc/self/maps",
		"/proc/self/task/../maps",
	};
	for (unsigned i = 0; i < sizeof spell / sizeof *spell; i++)
		maps_is(spell[i], slurp(spell[i], got, sizeof got));
	sprintf(path, "/proc/%d/maps", pid);
	maps_is("/proc/<pid>/maps", slurp(path, got, sizeof got));
	sprintf(path, "/proc/%d/task/%d/maps", pid, tid);
	maps_is("/proc/<pid>/task/<tid>/maps", slurp(path, got, sizeof got));
	sprintf(path, "/proc/self/task/%d/maps", tid);
	maps_is("/proc/self/task/<tid>/maps", slurp(path, got, sizeof got));
	maps_is("maps/ (trailing slash)", slurp("/proc/self/maps/", got, sizeof got));
	maps_is("maps/.", slurp("/proc/self/maps/.", got, sizeof got));
	maps_is("exe/.", slurp("/proc/self/exe/.", got, sizeof got));
	maps_is("/proc/self/./", slurp("/proc/self/./", got, sizeof got));
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY);
	int selffd = open("/proc/self", O_RDONLY | O_DIRECTORY);
	int pathfd = open("/proc/self", O_PATH);
	maps_is("openat(/proc, self/maps)", slurp_at(procfd, "self/maps", got, sizeof got));
	maps_is("openat(/proc/self, maps)", slurp_at(selffd, "maps", got, sizeof got));
	maps_is("openat(O_PATH /proc/self, maps)", slurp_at(pathfd, "maps", got, sizeof got));
	maps_is("openat(/proc/self, ./task/../maps)", slurp_at(selffd, "./task/../maps", got, sizeof got));
	sprintf(path, "/proc/self/fd/%d/maps", selffd);
	maps_is("/proc/self/fd/<selffd>/maps", slurp(path, got, sizeof got));
	T(symlink("/proc/self/maps", "maps-link"));
	maps_is("a symlink to /proc/self/maps", slurp("maps-link", got, sizeof got));
	T(symlink("/proc/self", "self-link"));
	maps_is("self-link/maps", slurp("self-link/maps", got, sizeof got));
	char cwd[512];
	T(getcwd(cwd, sizeof cwd) != NULL);
	T(chdir("/proc/self"));
	maps_is("chdir /proc/self, maps", slurp("maps", got, sizeof got));
	T(chdir("task/.."));
	maps_is("chdir task/.., maps", slurp("maps", got, sizeof got));
	T(chdir("/proc"));
	maps_is("chdir /proc, self/maps", slurp("self/maps", got, sizeof got));
	T(chdir(cwd));
	T(fchdir(selffd));
	maps_is("fchdir /proc/self, ./maps", slurp("./maps", got, sizeof got));
	T(chdir(cwd));

	/* The program through the links. */
	char real[512], lnk[512];
	T(realpath(argv[0], real) != NULL);
	const char *exes[] = {"/proc//self/exe", "/proc/./self/exe", "/proc/thread-self/exe",
			      "/proc/self/root/proc/self/exe", "/proc/self/../self/exe"};
	for (unsigned i = 0; i < sizeof exes / sizeof *exes; i++) {
		memset(lnk, 0, sizeof lnk);
		long n = readlink(exes[i], lnk, sizeof lnk - 1);
		struct stat a, b;
		int same = stat(exes[i], &a) == 0 && stat(real, &b) == 0 && a.st_ino == b.st_ino;
		V("exe %s: readlink is program %d stat is program %d", exes[i], n > 0 && !strcmp(lnk, real), same);
	}
	memset(lnk, 0, sizeof lnk);
	readlinkat(selffd, "exe", lnk, sizeof lnk - 1);
	V("readlinkat(/proc/self, exe) is program %d", !strcmp(lnk, real));
	V("openat(/proc/self, exe): ELF class %d", elf_class(openat(selffd, "exe", O_RDONLY)));
	/* Symlinks outside /proc to its magic links: the program, and the
	 * guest's own fd. */
	T(symlink("/proc/self/exe", "exe-link"));
	V("a symlink to /proc/self/exe: ELF class %d", elf_class(open("exe-link", O_RDONLY)));
	T(symlink("/proc/self", "self-link2"));
	V("self-link2/exe: ELF class %d", elf_class(open("self-link2/exe", O_RDONLY)));
	/* stat, readlink, access and exec through those links. */
	{
		struct stat a, b;
		T(stat(real, &b) == 0);
		V("stat exe-link is program %d", stat("exe-link", &a) == 0 && a.st_ino == b.st_ino && a.st_size == b.st_size);
		V("stat self-link2/exe is program %d", stat("self-link2/exe", &a) == 0 && a.st_ino == b.st_ino);
		memset(lnk, 0, sizeof lnk);
		readlink("self-link2/exe", lnk, sizeof lnk - 1);
		V("readlink self-link2/exe is program %d", !strcmp(lnk, real));
		V("lstat self-link2/exe is a link %d", lstat("self-link2/exe", &a) == 0 && S_ISLNK(a.st_mode));
		V("access exe-link X_OK %d", access("exe-link", X_OK));
		V("stat maps-link: regular %d size %lld", stat("maps-link", &a) == 0 && S_ISREG(a.st_mode), (long long)a.st_size);
	}
	int tfd = open("fd-target", O_RDWR | O_CREAT | O_TRUNC, 0600);
	T(write(tfd, "guest's own", 11));
	sprintf(path, "/proc/self/fd/%d", tfd);
	T(symlink(path, "fd-link"));
	{
		/* stat through it: the guest's own fd, and a number the guest
		 * has not open (ENOENT natively; emu's own descriptors are
		 * not the guest's). */
		struct stat a, b;
		T(fstat(tfd, &b) == 0);
		V("stat fd-link is fd-target %d", stat("fd-link", &a) == 0 && a.st_ino == b.st_ino);
		for (int n = tfd + 1; n < tfd + 8; n++) {
			char lp[64], ln[32];
			sprintf(lp, "/proc/self/fd/%d", n);
			sprintf(ln, "fd-link-%d", n);
			T(symlink(lp, ln));
			int r = stat(ln, &a);
			V("stat %s: %s", lp + 11, r == 0 ? "exists" : en(errno));
		}
	}
	int rfd = open("fd-link", O_RDONLY);
	char fb[32] = {0};
	T(read(rfd, fb, sizeof fb - 1) >= 0);
	V("a symlink to /proc/self/fd/N: %s", fb);
	close(rfd);
	close(tfd);
	int pfd = open("plain", O_RDONLY);
	sprintf(path, "/proc/thread-self/fd/%d", pfd);
	memset(lnk, 0, sizeof lnk);
	readlink(path, lnk, sizeof lnk - 1);
	V("thread-self/fd/<plain> names plain: %d", strstr(lnk, "/plain") != NULL);
	/* fd and fdinfo list the guest's descriptors, and fdinfo/N is fd N's. */
	{
		int d1 = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
		int d2 = open("/proc/thread-self/fdinfo", O_RDONLY | O_DIRECTORY);
		static char l1[4096], l2[4096];
		int n1 = 0, n2 = 0;
		for (int k = 0; k < 2; k++) {
			char *out = k ? l2 : l1;
			int *cnt = k ? &n2 : &n1;
			char db[4096];
			long r;
			while ((r = syscall(SYS_getdents64, k ? d2 : d1, db, sizeof db)) > 0)
				for (long o = 0; o < r;) {
					unsigned short rl = *(unsigned short *)(db + o + 16);
					const char *nm = db + o + 19;
					if (nm[0] != '.') { strcat(out, nm); strcat(out, " "); (*cnt)++; }
					o += rl;
				}
		}
		V("fd and fdinfo list the same %d (%d entries)", !strcmp(l1, l2), n1);
		close(d1);
		close(d2);
		sprintf(path, "/proc//self/fdinfo/%d", pfd);
		long k = slurp(path, got, sizeof got);
		V("fdinfo/<plain>: %.6s", k > 0 ? got : en(-k));
	}
	T(access("/proc//self/maps", R_OK));
	T(access("/proc/self/root/proc/self/environ", R_OK));

	/* Each emulated file through unusual spellings. */
	static char buf[1 << 16];
	long n;
	n = slurp("/proc/./self/personality", buf, sizeof buf);
	V("personality: %s", n > 0 ? buf : en(-n));
	n = slurp_at(selffd, "personality", buf, sizeof buf);
	V("personality at: %s", n > 0 ? buf : en(-n));
	auxv_check("/proc//self/auxv");
	auxv_check("/proc/thread-self/auxv");
	n = slurp("/proc/self/root/proc/self/cmdline", buf, sizeof buf);
	int same = n > 0;
	for (int i = 0, at = 0; i < argc && same; at += strlen(argv[i]) + 1, i++)
		same = !strcmp(buf + at, argv[i]);
	V("cmdline: same %d", same);
	n = slurp_at(procfd, "self/environ", buf, sizeof buf);
	same = n >= 0;
	long at = 0;
	for (char **e = environ; *e && same; at += strlen(*e) + 1, e++)
		same = !strcmp(buf + at, *e);
	V("environ: same %d length matches %d", same, at == n);

	n = slurp("/proc/thread-self/statm", buf, sizeof buf);
	if (n > 0) {
		char *f[8];
		fields(buf, f, 8);
		V("statm: size %s text %s lib %s data %s dt %s", f[0], f[3], f[4], f[5], f[6]);
	} else V("statm: %s", en(-n));

	n = slurp("/proc/self/../self/stat", buf, sizeof buf);
	if (n > 0) {
		char *f[64];
		char *rp = strrchr(buf, ')');
		int k = fields(rp + 2, f + 2, 60) + 2;
		/* f[n] is field n + 1 (f[2] is the state). */
		unsigned long stk = strtoul(f[27], 0, 10), as = strtoul(f[47], 0, 10);
		V("stat: fields %d pid ok %d vsize %s startcode %s endcode %s", k,
		  atoi(buf) == pid, f[22], f[25], f[26]);
		V("stat: signal %s blocked %s ignored %s caught %s", f[30], f[31], f[32], f[33]);
		V("stat: start_data %s end_data %s start_brk %s", f[44], f[45], f[46]);
		V("stat: stack above args %d args %d env %d", stk < as,
		  strtoul(f[48], 0, 10) == strtoul(f[49], 0, 10), strtoul(f[50], 0, 10) > as);
	} else V("stat: %s", en(-n));

	sprintf(path, "/proc/%d/task/%d/status", pid, tid);
	n = slurp(path, buf, sizeof buf);
	if (n > 0) {
		const char *keys[] = {"Name", "State", "FDSize", "VmSize", "VmLck", "VmPin", "VmData",
				      "VmStk", "VmExe", "VmLib", "VmSwap", "SigPnd", "ShdPnd", "SigBlk",
				      "SigIgn", "SigCgt", "VmRSS"};
		for (unsigned i = 0; i < sizeof keys / sizeof *keys - 1; i++)
			status_line(buf, keys[i]);
		V("status VmRSS present %d", strstr(buf, "\nVmRSS:") != NULL);
	} else V("status: %s", en(-n));

	syscall_check("/proc/thread-self/syscall");
	syscall_check("/proc/self/syscall");

	smaps_check("/proc/self/root/proc/self/smaps");
	n = slurp("/proc//self/smaps_rollup", buf, sizeof buf);
	if (n > 0) {
		char *e = strchr(buf, '\n');
		V("smaps_rollup header: %.*s", (int)(e - buf), buf);
		char names[1024] = "";
		for (char *l = e + 1; l && *l;) {
			char *c = strchr(l, ':');
			if (!c) break;
			strncat(names, l, c - l);
			strcat(names, " ");
			l = strchr(l, '\n');
			if (l) l++;
		}
		V("smaps_rollup fields: %s", names);
	} else V("smaps_rollup: %s", en(-n));
	n = slurp("/proc/./self/numa_maps", buf, sizeof buf);
	if (n > 0) {
		for (char *l = buf; l && *l;) {
			char *e = strchr(l, '\n');
			if (e) *e = 0;
			/* The address, policy and name; the counts are approximate. */
			char out[512] = "";
			char *f[16];
			int k = fields(l, f, 16);
			for (int i = 0; i < k; i++) {
				if (strchr(f[i], '=') && strncmp(f[i], "file=", 5)) break;
				strcat(out, f[i]);
				strcat(out, " ");
			}
			V("numa_maps: %s", out);
			l = e ? e + 1 : NULL;
		}
	} else V("numa_maps: %s", en(-n));

	{
		int mf = open("/proc/self/./maps", O_RDONLY);
		char want[64], have[64] = {0};
		sprintf(path, "/proc/self/fd/%d", mf);
		sprintf(want, "/proc/%d/maps", pid);
		T(readlink(path, have, sizeof have - 1) > 0);
		V("fd link of an open maps names it: %d", !strcmp(have, want));
		close(mf);
	}
	mem_checks("/proc//self/mem");
	mem_checks("/proc/thread-self/mem");
	int mfd = openat(selffd, "mem", O_RDONLY);
	unsigned char mh[4] = {0};
	T(pread64(mfd, mh, 4, 0x08048000));
	V("openat(/proc/self, mem) reads the program: %d", mh[1] == 'E');
	T(write(mfd, "x", 1));
	int wfd = open("/proc/self/mem", O_WRONLY);
	T(read(wfd, mh, 1));
	T(pwrite64(wfd, "GU", 2, (unsigned long)rodata));
	V("write-only mem wrote: %s", rop);
	close(wfd);
	struct stat ms;
	T(fstat(mfd, &ms));
	V("mem fstat: mode %o size %ld", ms.st_mode, (long)ms.st_size);
	close(mfd);
	T(open("/proc/self/mem", O_RDONLY | O_DIRECTORY));
	/* A vfork child shares the memory: its writes through mem are the
	 * parent's. */
	static char vf[16] = "parent";
	pid_t v = vfork();
	if (v == 0) {
		int f = open("/proc/self/mem", O_RDWR);
		pwrite64(f, "child!", 6, (unsigned long)vf);
		_exit(0);
	}
	T(waitpid(v, NULL, 0) == v);
	V("vfork child wrote through mem: %s", vf);
	/* A fork child's inherited descriptor is the parent's memory: it
	 * reads what the parent wrote after the fork and writes into it. */
	{
		static char pv[16] = "before", cw[16] = "parent's";
		int f = open("/proc/self/mem", O_RDWR);
		int go[2], done[2];
		T(pipe(go) == 0 && pipe(done) == 0);
		pid_t k = fork();
		if (k == 0) {
			char c, b[16] = {0};
			read(go[0], &c, 1);
			pread64(f, b, 15, (unsigned long)pv);
			printf("fork child reads the parent's: %s\n", b);
			long w = pwrite64(f, "child's", 8, (unsigned long)cw);
			printf("fork child wrote into the parent: %ld (own copy %s)\n", w, cw);
			fflush(stdout);
			write(done[1], "x", 1);
			_exit(0);
		}
		strcpy(pv, "after");
		/* Printed once the child is done: its lines come first. */
		long woke = write(go[1], "x", 1);
		char c;
		long heard = read(done[0], &c, 1);
		T(woke == 1);
		T(heard == 1);
		T(waitpid(k, NULL, 0) == k);
		V("parent after the child's write: %s", cw);
		close(f);
	}
	/* Refused under emu (host frames, host ranges): "refused" lines. */
	struct stat rst;
	T(lstat("/proc/self/map_files", &rst));
	T(lstat("/proc/self/pagemap", &rst));
	const char *refused[] = {"/proc/self/pagemap", "/proc/thread-self/pagemap", "/proc/self/map_files"};
	for (unsigned i = 0; i < sizeof refused / sizeof *refused; i++) {
		int fd = open(refused[i], O_RDONLY);
		V("refused %s: %s", refused[i], fd >= 0 ? "ok" : en(errno));
		if (fd >= 0) close(fd);
	}
	T(open("/proc/self/maps", O_RDONLY | O_DIRECTORY));

	/* Another process: a child running the same program. */
	int pp[2];
	T(pipe(pp));
	pid_t c = fork();
	if (c == 0) {
		char x;
		close(pp[1]);
		read(pp[0], &x, 1);
		_exit(0);
	}
	const char *others[] = {"maps", "mem", "auxv", "environ", "cmdline", "stat", "status", "smaps"};
	for (unsigned i = 0; i < sizeof others / sizeof *others; i++) {
		sprintf(path, "/proc/%d/%s", c, others[i]);
		int fd = open(path, O_RDONLY);
		V("other %s: %s", others[i], fd >= 0 ? "ok" : en(errno));
		if (fd >= 0) close(fd);
	}
	sprintf(path, "/proc/%d/exe", c);
	n = readlink(path, lnk, sizeof lnk);
	V("other exe: %s", n > 0 ? "ok" : en(errno));
	/* What is not refused: metadata, and files that describe no emulator. */
	struct stat cst;
	sprintf(path, "/proc/%d/maps", c);
	T(lstat(path, &cst));
	sprintf(path, "/proc/%d/comm", c);
	n = slurp(path, got, sizeof got);
	V("child comm: %s", n > 0 ? got : en(-n));
	close(pp[1]);
	int st;
	T(waitpid(c, &st, 0) == c);
	/* exec through a symlink to /proc/self/exe runs the program again. */
	pid_t e = fork();
	if (e == 0) {
		execl("exe-link", "again", "again", (char *)0);
		_exit(127);
	}
	T(waitpid(e, &st, 0) == e);
	V("exec exe-link: status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
