/* execve and execveat: i386 programs, #! scripts (nested, with an
 * argument, too deep), a host program, the errors a failed execve
 * returns with the caller intact, close-on-exec, the environment,
 * /proc/self/exe of the new program, vfork + exec (and the child's stores,
 * which the parent sees), and posix_spawn's errors. Runs in an empty
 * scratch directory, with the helper `child` beside this program. */
#include "common.h"
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>

static void run(const char *label, const char *path, char *const argv[], char *const envp[])
{
    pid_t c = fork();
    if (c == 0) {
        execve(path, argv, envp);
        printf("%s: execve -%s\n", label, ename(errno));
        _exit(120);
    }
    int st;
    waitpid(c, &st, 0);
    printf("%s: %s\n", label, wstr(st));
}

/* execve in this process, which must survive a failure intact. */
static void fail(const char *label, const char *path, char *const argv[], char *const envp[])
{
    int canary = 12345;
    errno = 0;
    int r = execve(path, argv, envp);
    printf("%s: %d %s, canary %d\n", label, r, ename(errno), canary);
}

static void write_file(const char *name, const char *text, int mode)
{
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode);
    write(fd, text, strlen(text));
    close(fd);
    chmod(name, mode);
}

/* A copy of `src` whose PT_INTERP string "/lib/ld-linux.so.2" is replaced
 * by `interp` (the same 18 characters; its NUL is copied too), as `dst`,
 * mode 0755. 0 when `src` has no such string (a static build). */
static int with_interp(const char *src, const char *dst, const char *interp)
{
    static char b[4 << 20];
    int fd = open(src, O_RDONLY);
    long n = read(fd, b, sizeof b);
    close(fd);
    const char *want = "/lib/ld-linux.so.2";
    for (long i = 0; i + 19 <= n; i++)
        if (memcmp(b + i, want, 19) == 0) {
            memcpy(b + i, interp, 19);
            fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
            write(fd, b, n);
            close(fd);
            chmod(dst, 0755);
            return 1;
        }
    return 0;
}

static volatile int chld;
static void on_chld(int sig)
{
    (void)sig;
    chld++;
}

int main(int argc, char **argv)
{
    unbuffered();
    find_bindir(argv[0]);
    (void)argc;
    char *env[] = {"A=1", "EMPTY=", "LONG=xyz", 0};
    const char *child = helper("child");

    /* An i386 program, its arguments, environment and /proc/self/exe. */
    run("args", child, (char *[]){"child", "args", "x", "", "y z", 0}, env);
    run("env", child, (char *[]){"child", "env", "LONG", 0}, env);
    run("env unset", child, (char *[]){"child", "env", "HOME", 0}, env);
    run("exe", child, (char *[]){"child", "exe", 0}, env);
    run("argv0 differs", child, (char *[]){"renamed", "args", 0}, env);
    run("exit 33", child, (char *[]){"child", "exit", "33", 0}, env);
    run("empty argv", child, (char *[]){0}, env);
    run("null envp", child, (char *[]){"child", "env", "A", 0}, 0);

    /* A symlink to it; a relative path. */
    symlink(child, "link-to-child");
    run("through a symlink", "link-to-child", (char *[]){"l", "exe", 0}, env);
    run("relative path", "./link-to-child", (char *[]){"l", "exit", "2", 0}, env);

    /* #! scripts. */
    char line[8192];
    snprintf(line, sizeof line, "#!%s args\nignored\n", child);
    write_file("s1", line, 0755);
    run("script", "./s1", (char *[]){"s1", "one", "two", 0}, env);
    snprintf(line, sizeof line, "#! \t%s   with  spaces \t\n", child);
    write_file("s2", line, 0755);
    run("script spaces", "./s2", (char *[]){"s2", "arg", 0}, env);
    snprintf(line, sizeof line, "#!%s\n", child);
    write_file("s3", line, 0755);
    run("script no arg", "./s3", (char *[]){"s3", "args", 0}, env);
    write_file("s4", "#!./s1\n", 0755);
    run("nested script", "./s4", (char *[]){"s4", "n", 0}, env);
    write_file("l1", "#!./l2\n", 0755);
    write_file("l2", "#!./l3\n", 0755);
    write_file("l3", "#!./l4\n", 0755);
    write_file("l4", "#!./l5\n", 0755);
    write_file("l5", "#!./s3\n", 0755);
    run("five levels", "./l2", (char *[]){"l2", "args", 0}, env);
    run("six levels", "./l1", (char *[]){"l1", "args", 0}, env);
    write_file("bad-interp", "#!/nonexistent/interp\n", 0755);
    run("missing interpreter", "./bad-interp", (char *[]){"b", 0}, env);
    write_file("empty-interp", "#!\n", 0755);
    run("empty #!", "./empty-interp", (char *[]){"e", 0}, env);
    write_file("host-script", "#!/bin/sh\necho host shell says $1\nexit 4\n", 0755);
    run("script for a host shell", "./host-script", (char *[]){"h", "hi", 0}, env);

    /* A host program. */
    run("host program", "/bin/echo", (char *[]){"echo", "from", "the", "host", 0}, env);
    run("host program status", "/bin/sh", (char *[]){"sh", "-c", "exit 9", 0}, env);

    /* Errors: the caller stays. */
    fail("ENOENT", "./nosuch", (char *[]){"x", 0}, env);
    fail("ENOENT dir", "/nonexistent/dir/prog", (char *[]){"x", 0}, env);
    write_file("plain", "just text\n", 0644);
    fail("EACCES not executable", "./plain", (char *[]){"x", 0}, env);
    fail("EACCES directory", ".", (char *[]){"x", 0}, env);
    fail("ENOTDIR", "./plain/x", (char *[]){"x", 0}, env);
    write_file("garbage", "just text, no #!\n", 0755);
    fail("ENOEXEC", "./garbage", (char *[]){"x", 0}, env);
    write_file("tiny", "\x7f" "EL", 0755);
    fail("ENOEXEC short", "./tiny", (char *[]){"x", 0}, env);
    symlink("loop-b", "loop-a");
    symlink("loop-a", "loop-b");
    fail("ELOOP", "./loop-a", (char *[]){"x", 0}, env);
    fail("EFAULT path", (char *)1, (char *[]){"x", 0}, env);
    fail("EFAULT argv", child, (char **)1, env);
    fail("EFAULT argv[1]", child, (char *[]){"x", (char *)1, 0}, env);
    fail("EFAULT envp", child, (char *[]){"x", 0}, (char **)1);
    static char big[200000];
    memset(big, 'a', sizeof big - 1);
    fail("E2BIG one string", child, (char *[]){"x", big, 0}, env);
    static char mid[100000];
    memset(mid, 'b', sizeof mid - 1);
    char *many[40];
    for (int i = 0; i < 39; i++)
        many[i] = mid;
    many[39] = 0;
    fail("E2BIG total", child, many, env);
    char longname[5000];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    fail("ENAMETOOLONG", longname, (char *[]){"x", 0}, env);
    R("syscall ENOENT", syscall(SYS_execve, "./nosuch", 0, 0));

    /* Close-on-exec. */
    int keep = open(".", O_RDONLY);
    int gone = open(".", O_RDONLY | O_CLOEXEC);
    int moved = dup2(keep, 20);
    int moved_cx = fcntl(keep, F_DUPFD_CLOEXEC, 30);
    char a[4][8];
    snprintf(a[0], 8, "%d", keep);
    snprintf(a[1], 8, "%d", gone);
    snprintf(a[2], 8, "%d", moved);
    snprintf(a[3], 8, "%d", moved_cx);
    run("close-on-exec", child, (char *[]){"child", "fds", a[0], a[1], a[2], a[3], 0}, env);
    fcntl(keep, F_SETFD, FD_CLOEXEC);
    fcntl(gone, F_SETFD, 0);
    run("close-on-exec flipped", child, (char *[]){"child", "fds", a[0], a[1], 0}, env);
    /* The same descriptors seen by a host program. */
    snprintf(line, sizeof line, "for f in %d %d %d %d; do if [ -e /proc/self/fd/$f ]; then echo $f open; else echo $f closed; fi; done",
             keep, gone, moved, moved_cx);
    run("close-on-exec, host program", "/bin/sh", (char *[]){"sh", "-c", line, 0}, env);

    /* execveat. */
    int dfd = open(bindir, O_RDONLY | O_DIRECTORY);
    pid_t c = fork();
    if (c == 0) {
        syscall(SYS_execveat, dfd, "child", (char *[]){"child", "exit", "21", 0}, env, 0);
        printf("execveat: -%s\n", ename(errno));
        _exit(120);
    }
    int st;
    waitpid(c, &st, 0);
    printf("execveat dirfd: %s\n", wstr(st));
    int pfd = open(child, O_RDONLY);
    c = fork();
    if (c == 0) {
        syscall(SYS_execveat, pfd, "", (char *[]){"child", "exit", "22", 0}, env, AT_EMPTY_PATH);
        printf("execveat: -%s\n", ename(errno));
        _exit(120);
    }
    waitpid(c, &st, 0);
    printf("execveat AT_EMPTY_PATH: %s\n", wstr(st));
    R("execveat bad flags", syscall(SYS_execveat, dfd, "child", (char *[]){"x", 0}, env, 0x4));
    R("execveat nofollow symlink", syscall(SYS_execveat, AT_FDCWD, "link-to-child", (char *[]){"x", 0}, env, AT_SYMLINK_NOFOLLOW));

    /* A dynamically linked program whose interpreter is missing (ENOENT),
     * not executable (EACCES), not ELF or a directory: execve fails and
     * the caller goes on. A relative PT_INTERP is relative to the cwd. */
    if (with_interp(child, "interp-missing", "/lib/ld-nonexist.2")) {
        fail("interpreter missing", "interp-missing", (char *[]){"x", 0}, env);
        with_interp(child, "interp-noexec", "./ld-noexec-file.s");
        write_file("ld-noexec-file.s", "\177ELF", 0644);
        fail("interpreter not executable", "interp-noexec", (char *[]){"x", 0}, env);
        with_interp(child, "interp-text", "./ld-text-file.so2");
        write_file("ld-text-file.so2", "#!/bin/sh\necho no\n", 0755);
        fail("interpreter shorter than an ELF header", "interp-text", (char *[]){"x", 0}, env);
        with_interp(child, "interp-long-text", "./ld-long-text.so2");
        write_file("ld-long-text.so2", "#!/bin/sh\n# long enough to hold an ELF header, but text\n", 0755);
        fail("interpreter not ELF", "interp-long-text", (char *[]){"x", 0}, env);
        with_interp(child, "interp-dir", "/lib//////////////");
        fail("interpreter a directory", "interp-dir", (char *[]){"x", 0}, env);
        /* A working one through a relative path: a copy of the host's. */
        with_interp(child, "interp-relative", "./ld-copy-here.so2");
        int s = open("/lib/ld-linux.so.2", O_RDONLY), d = open("ld-copy-here.so2", O_WRONLY | O_CREAT | O_TRUNC, 0755);
        static char buf[1 << 16];
        for (long k; (k = read(s, buf, sizeof buf)) > 0;)
            write(d, buf, k);
        close(s);
        close(d);
        run("interpreter by relative path", "interp-relative", (char *[]){"child", "exit", "9", 0}, env);
    } else {
        printf("static helper: no interpreter cases\n");
    }

    /* vfork: the parent waits until the child execs or exits. */
    volatile int order = 0;
    c = vfork();
    if (c == 0) {
        execve(child, (char *[]){"child", "exit", "6", 0}, env);
        _exit(120);
    }
    waitpid(c, &st, 0);
    printf("vfork + exec: %s\n", wstr(st));
    c = vfork();
    if (c == 0) {
        _exit(3);
    }
    waitpid(c, &st, 0);
    printf("vfork + _exit: %s %d\n", wstr(st), order);
    c = vfork();
    if (c == 0) {
        execve("./nosuch", (char *[]){"x", 0}, env);
        _exit(errno);
    }
    waitpid(c, &st, 0);
    printf("vfork + failed exec: %s\n", wstr(st));

    /* The vfork child shares the parent's memory: its stores are the
     * parent's (globals, the heap, the stack, a fresh mapping's page).
     * With a SIGCHLD handler, as shells have: the child's exit makes a
     * signal pending while the parent still waits for its stores. */
    signal(SIGCHLD, on_chld);
    static int global;
    int *heap = malloc(64 * 1024);
    /* 2 MiB the child fills: the parent is still taking pages in when
     * the child's exit signal arrives. */
    char *blob = malloc(2 << 20);
    memset(blob, 1, 2 << 20);
    char *anon = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    volatile int local = 1;
    heap[100] = 1;
    c = vfork();
    if (c == 0) {
        global = 42;
        heap[100] = 43;
        heap[16000] = 44;
        anon[5000] = 45;
        local = 46;
        order = 47;
        memset(blob, 2, 2 << 20);
        execve("./nosuch", (char *[]){"x", 0}, env);
        global += errno;
        _exit(0);
    }
    waitpid(c, &st, 0);
    printf("vfork child's stores: %s global %d heap %d %d anon %d local %d order %d blob %d %d, SIGCHLD %d\n",
           wstr(st), global, heap[100], heap[16000], anon[5000], local, order, blob[0], blob[(2 << 20) - 1],
           chld);
    signal(SIGCHLD, SIG_DFL);

    /* posix_spawn reports a failed exec through the shared memory. */
    pid_t sp;
    int r = posix_spawn(&sp, "./nosuch", 0, 0, (char *[]){"x", 0}, env);
    printf("posix_spawn ./nosuch: %s\n", r ? ename(r) : "0");
    r = posix_spawn(&sp, child, 0, 0, (char *[]){"child", "exit", "9", 0}, env);
    waitpid(sp, &st, 0);
    printf("posix_spawn child: %d %s\n", r, wstr(st));
    r = posix_spawnp(&sp, "nosuch-in-path", 0, 0, (char *[]){"x", 0}, env);
    printf("posix_spawnp nosuch-in-path: %s\n", r ? ename(r) : "0");
    return 0;
}
