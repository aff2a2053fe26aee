/* Files: open flags and errors, read/write and the positional and vector
 * forms, lseek/_llseek, dup numbering, fcntl, truncate, sendfile, memfd,
 * close_range, umask, permissions, timestamps, links and renames. */
#include "t.h"
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/sendfile.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/time.h>

static void show_stat(const char *what, const char *p)
{
	struct stat st;
	if (stat(p, &st) < 0) { printf("stat %s: %s\n", what, en(errno)); return; }
	printf("stat %s: mode=%o nlink=%d size=%lld\n", what, (int)st.st_mode,
	       (int)st.st_nlink, (long long)st.st_size);
}

int main(void)
{
	char buf[256];
	setup();
	umask(022);

	/* open and its errors */
	T(open("nope", O_RDONLY));
	T(open("f1", O_WRONLY | O_CREAT | O_EXCL, 0666));
	T(open("f1", O_WRONLY | O_CREAT | O_EXCL, 0666));
	T(open(".", O_WRONLY));
	T(open("f1/x", O_RDONLY));
	T(open("f1", O_RDONLY | O_DIRECTORY));
	T(open("", O_RDONLY));
	T(syscall(SYS_open, "f1", O_RDONLY));
	T(syscall(SYS_creat, "f2", 0600));
	show_stat("f1", "f1");
	show_stat("f2", "f2");
	T(fcntl(3, F_GETFL) & ~O_LARGEFILE);
	T(fcntl(4, F_GETFL));
	T(syscall(SYS_fcntl64, 5, F_GETFL));
	T(close(3));
	T(close(4));
	T(close(5));
	T(close(6));
	T(close(-1));

	/* read, write, lseek */
	int fd = open("f1", O_RDWR | O_TRUNC);
	T(fd);
	T(write(fd, "hello world\n", 12));
	T(lseek(fd, 0, SEEK_CUR));
	T(lseek(fd, 0, SEEK_SET));
	memset(buf, 0, sizeof buf);
	T(read(fd, buf, sizeof buf));
	V("read: %s", buf);
	T(read(fd, buf, sizeof buf));
	T(lseek(fd, -3, SEEK_END));
	T(lseek(fd, -100, SEEK_SET));
	T(lseek(fd, 0, 7));
	T(lseek(fd, 100, SEEK_SET));
	T(write(fd, "X", 1));
	show_stat("sparse", "f1");
	loff_t res = -1;
	T(syscall(SYS__llseek, fd, 1, 5, &res, SEEK_SET));
	V("llseek result %lld", (long long)res);
	T(syscall(SYS__llseek, fd, 0, 6, &res, SEEK_SET));
	V("llseek result %lld", (long long)res);
	T(syscall(SYS__llseek, fd, 0, 6, (void *)8, SEEK_SET));
	T(read(fd, buf, 5));
	V("after llseek: %.5s", buf);
	T(read(fd, (void *)8, 5));
	T(write(fd, (void *)8, 5));
	T(read(99, buf, 1));
	T(write(99, buf, 1));

	/* pread/pwrite and vectors */
	T(pwrite(fd, "ABC", 3, 2));
	memset(buf, 0, sizeof buf);
	T(pread(fd, buf, 8, 0));
	V("pread: %.8s", buf);
	T(pread(fd, buf, 8, -1));
	T(syscall(SYS_pread64, fd, buf, 4, 1, 0));
	V("pread64 raw: %.4s", buf);
	struct iovec iov[3];
	char a[4], b[6];
	iov[0].iov_base = "one "; iov[0].iov_len = 4;
	iov[1].iov_base = "two "; iov[1].iov_len = 4;
	iov[2].iov_base = "three\n"; iov[2].iov_len = 6;
	T(lseek(fd, 0, SEEK_SET));
	T(writev(fd, iov, 3));
	T(lseek(fd, 0, SEEK_SET));
	iov[0].iov_base = a; iov[0].iov_len = 4;
	iov[1].iov_base = b; iov[1].iov_len = 6;
	T(readv(fd, iov, 2));
	V("readv: %.4s|%.6s", a, b);
	T(preadv(fd, iov, 2, 4));
	V("preadv: %.4s|%.6s", a, b);
	iov[0].iov_base = "PV"; iov[0].iov_len = 2;
	T(pwritev(fd, iov, 1, 0));
	T(preadv2(fd, iov + 1, 1, 0, 0));
	V("preadv2: %.6s", b);
	T(readv(fd, iov, -1));
	T(readv(fd, iov, 2000));
	T(ftruncate(fd, 5));
	show_stat("ftruncate", "f1");
	T(ftruncate(fd, -1));
	T(truncate("f1", 3));
	show_stat("truncate", "f1");
	T(truncate("nope", 3));
	T(syscall(SYS_ftruncate64, fd, 7, 0));
	show_stat("ftruncate64", "f1");
	T(fsync(fd));
	T(fdatasync(fd));
	T(syncfs(fd));

	/* O_APPEND */
	int ap = open("f1", O_WRONLY | O_APPEND);
	T(ap);
	T(write(ap, "END", 3));
	T(lseek(ap, 0, SEEK_CUR));
	T(fcntl(ap, F_GETFL) & (O_APPEND | O_ACCMODE));
	T(fcntl(ap, F_SETFL, 0));
	T(fcntl(ap, F_GETFL) & (O_APPEND | O_ACCMODE));
	T(fcntl(ap, F_SETFL, O_NONBLOCK));
	T(fcntl(ap, F_GETFL) & (O_NONBLOCK | O_ACCMODE));
	T(close(ap));

	/* dup numbering and close-on-exec */
	T(dup(fd));
	T(dup(fd));
	T(close(4));
	T(dup(fd));
	T(dup2(fd, 10));
	T(dup2(fd, fd));
	T(dup2(99, 11));
	T(dup3(fd, fd, 0));
	T(dup3(fd, 12, O_CLOEXEC));
	T(dup3(fd, 13, 1));
	T(fcntl(12, F_GETFD));
	T(fcntl(10, F_GETFD));
	T(fcntl(10, F_SETFD, FD_CLOEXEC));
	T(fcntl(10, F_GETFD));
	T(fcntl(fd, F_DUPFD, 20));
	T(fcntl(fd, F_DUPFD, 20));
	T(fcntl(fd, F_DUPFD_CLOEXEC, 0));
	T(fcntl(7, F_GETFD));
	T(fcntl(fd, F_DUPFD, -1));
	T(fcntl(fd, 9999));
	T(fcntl(99, F_GETFD));
	T(ioctl(fd, FIOCLEX));
	T(fcntl(fd, F_GETFD));
	T(ioctl(fd, FIONCLEX));
	T(fcntl(fd, F_GETFD));
	T(syscall(SYS_close_range, 20, 21, 0));
	T(fcntl(20, F_GETFD));
	T(syscall(SYS_close_range, 10, 12, 4));
	T(fcntl(11, F_GETFD));
	T(fcntl(12, F_GETFD));
	T(syscall(SYS_close_range, 5, 3, 0));
	T(syscall(SYS_close_range, 4, ~0U, 0));
	T(fcntl(4, F_GETFD));
	T(fcntl(10, F_GETFD));
	T(open("f1", O_RDONLY));

	/* sendfile */
	int out = open("f3", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	T(out);
	T(lseek(fd, 0, SEEK_SET));
	T(sendfile(out, fd, NULL, 4));
	off_t off = 1;
	T(sendfile(out, fd, &off, 100));
	V("sendfile off %ld", (long)off);
	T(syscall(SYS_sendfile64, out, fd, NULL, 2));
	T(sendfile(out, 99, NULL, 2));
	show_stat("f3", "f3");
	T(close(out));

	/* memfd */
	int m = memfd_create("t", MFD_CLOEXEC);
	T(m);
	T(fcntl(m, F_GETFD));
	T(write(m, "memfd", 5));
	T(pread(m, buf, 5, 0));
	V("memfd: %.5s", buf);
	T(memfd_create("t", 0x1000));
	T(close(m));

	/* flock on two descriptions */
	int l1 = open("f1", O_RDONLY), l2 = open("f1", O_RDONLY);
	T(flock(l1, LOCK_EX | LOCK_NB));
	T(flock(l2, LOCK_SH | LOCK_NB));
	T(flock(l1, LOCK_UN));
	T(flock(l2, LOCK_SH | LOCK_NB));
	T(flock(l2, 77));
	T(close(l1));
	T(close(l2));

	/* permissions, umask, access */
	T(umask(077));
	T(umask(022));
	T(chmod("f1", 0600));
	show_stat("chmod", "f1");
	T(fchmod(fd, 0640));
	show_stat("fchmod", "f1");
	T(fchmodat(AT_FDCWD, "f1", 0604, 0));
	show_stat("fchmodat", "f1");
	T(chmod("nope", 0600));
	T(access("f1", R_OK));
	T(access("f1", X_OK) == 0 || getuid() == 0);
	T(access("nope", F_OK));
	T(access("f1", 8));
	T(faccessat(AT_FDCWD, "f1", W_OK, 0));
	T(syscall(SYS_faccessat2, AT_FDCWD, "f1", R_OK, AT_EACCESS));
	T(syscall(SYS_faccessat2, AT_FDCWD, "f1", R_OK, 0x8000));
	T(chown("f1", -1, -1));
	T(lchown("f1", -1, -1));
	T(fchown(fd, getuid(), -1));
	T(syscall(SYS_chown, "f1", 0xffff, 0xffff));
	T(syscall(SYS_lchown, "f1", 0xffff, 0xffff));
	T(syscall(SYS_fchown, fd, 0xffff, 0xffff));

	/* timestamps */
	struct timespec ts[2] = {{1000000000, 5}, {1200000000, 123456789}};
	T(utimensat(AT_FDCWD, "f1", ts, 0));
	struct stat st;
	T(stat("f1", &st));
	V("mtime %ld.%09ld atime %ld.%09ld", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	  (long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
	ts[1].tv_nsec = UTIME_OMIT;
	ts[0].tv_nsec = 1000000000;
	T(utimensat(AT_FDCWD, "f1", ts, 0));
	ts[0].tv_nsec = 7;
	T(futimens(fd, ts));
	T(stat("f1", &st));
	V("mtime %ld.%09ld atime %ld.%09ld", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	  (long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
	struct timeval tv[2] = {{1300000000, 1}, {1400000000, 2}};
	T(utimes("f1", tv));
	T(stat("f1", &st));
	V("utimes mtime %ld.%09ld", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	tv[0].tv_usec = 1000000;
	T(utimes("f1", tv));
	T(syscall(SYS_utime, "f1", NULL));
	T(syscall(SYS_futimesat, AT_FDCWD, "nope", NULL));

	/* links, symlinks, renames */
	T(link("f1", "h1"));
	show_stat("link", "f1");
	T(link("f1", "h1"));
	T(symlink("f1", "s1"));
	T(symlink("dangling", "s2"));
	memset(buf, 0, sizeof buf);
	T(readlink("s1", buf, sizeof buf));
	V("readlink: %s", buf);
	T(readlink("s1", buf, 1));
	T(readlink("s1", buf, 0));
	T(readlink("f1", buf, sizeof buf));
	T(readlinkat(AT_FDCWD, "s2", buf, sizeof buf));
	T(lstat("s1", &st));
	V("lstat s1 mode %o size %lld", (int)st.st_mode, (long long)st.st_size);
	T(stat("s2", &st));
	T(lstat("s2", &st));
	T(rename("h1", "h2"));
	T(rename("h1", "h2"));
	T(renameat2(AT_FDCWD, "h2", AT_FDCWD, "f1", RENAME_NOREPLACE));
	T(renameat2(AT_FDCWD, "h2", AT_FDCWD, "s1", RENAME_EXCHANGE));
	T(readlink("h2", buf, sizeof buf));
	T(unlink("h2"));
	T(unlink("s1"));
	T(unlink("s1"));
	T(unlink("."));
	T(linkat(AT_FDCWD, "s2", AT_FDCWD, "s3", 0));
	T(linkat(AT_FDCWD, "s2", AT_FDCWD, "s4", AT_SYMLINK_FOLLOW));
	T(lstat("s3", &st));
	V("s3 nlink %d", (int)st.st_nlink);

	/* directories */
	T(mkdir("d", 0755));
	T(mkdir("d", 0755));
	T(mkdir("d/e/f", 0755));
	T(mkdirat(AT_FDCWD, "d/e", 0700));
	show_stat("d", "d");
	show_stat("d/e", "d/e");
	T(rmdir("d"));
	T(rmdir("f1"));
	T(unlinkat(AT_FDCWD, "d/e", 0));
	T(unlinkat(AT_FDCWD, "d/e", AT_REMOVEDIR));
	T(unlinkat(AT_FDCWD, "d", 0x1));
	T(mknod("fifo", S_IFIFO | 0644, 0));
	show_stat("fifo", "fifo");
	T(mknodat(AT_FDCWD, "reg", S_IFREG | 0600, 0));
	show_stat("reg", "reg");
	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	T(dfd);
	T(openat(dfd, "inner", O_CREAT | O_WRONLY, 0600));
	T(faccessat(dfd, "inner", F_OK, 0));
	T(faccessat(dfd, "/", F_OK, 0));
	T(faccessat(99, "inner", F_OK, 0));
	T(faccessat(99, "/", F_OK, 0));
	T(renameat(dfd, "inner", AT_FDCWD, "outer"));
	T(access("outer", F_OK));
	T(symlinkat("outer", dfd, "sl"));
	T(readlinkat(dfd, "sl", buf, sizeof buf));

	/* cwd */
	char cwd[4096], cwd2[4096];
	T(getcwd(cwd, sizeof cwd) != NULL);
	T(chdir("d"));
	T(getcwd(cwd2, sizeof cwd2) != NULL);
	V("cwd ends with /d: %d", strcmp(cwd2 + strlen(cwd2) - 2, "/d") == 0);
	T(access("sl", F_OK) == 0);
	T(chdir("nope"));
	T(chdir("../f1"));
	T(open("..", O_RDONLY | O_DIRECTORY) >= 0);
	T(fchdir(dfd));
	T(syscall(SYS_getcwd, cwd2, 2));
	T(syscall(SYS_getcwd, cwd2, sizeof cwd2) == (long)strlen(cwd) + 3);
	T(chdir(cwd));
	T(getcwd(cwd2, sizeof cwd2) != NULL && strcmp(cwd, cwd2) == 0);
	T(fchdir(fd));
	T(fchdir(99));
	return 0;
}
