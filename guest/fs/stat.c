/* The stat family with the i386 layouts: stat64 (96 bytes), struct stat
 * (64 bytes) with its EOVERFLOW rules, __old_kernel_stat, fstatat64 flags,
 * statx, statfs/statfs64. Only stable fields are printed. */
#include "t.h"
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

struct k_stat64 {
	unsigned long long st_dev;
	unsigned char __pad0[4];
	unsigned long __st_ino;
	unsigned int st_mode;
	unsigned int st_nlink;
	unsigned long st_uid;
	unsigned long st_gid;
	unsigned long long st_rdev;
	unsigned char __pad3[4];
	long long st_size;
	unsigned long st_blksize;
	unsigned long long st_blocks;
	unsigned long st_atime_, st_atime_nsec, st_mtime_, st_mtime_nsec, st_ctime_, st_ctime_nsec;
	unsigned long long st_ino;
} __attribute__((packed));

struct k_stat {
	unsigned long st_dev, st_ino;
	unsigned short st_mode, st_nlink, st_uid, st_gid;
	unsigned long st_rdev, st_size, st_blksize, st_blocks;
	unsigned long st_atime_, st_atime_nsec, st_mtime_, st_mtime_nsec, st_ctime_, st_ctime_nsec;
	unsigned long u4, u5;
};

struct k_statfs64 {
	uint32_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	uint32_t f_namelen, f_frsize, f_flags, f_spare[4];
} __attribute__((packed));

static void show64(const char *w, struct k_stat64 *s)
{
	printf("%s: mode=%o nlink=%u size=%lld uid_ok=%d blksize=%lu ino_ok=%d dev_ok=%d mtime=%lu.%lu pad=%02x%02x\n",
	       w, s->st_mode, s->st_nlink, s->st_size, s->st_uid == getuid(), s->st_blksize,
	       s->__st_ino == (unsigned long)s->st_ino, s->st_dev != 0, s->st_mtime_, s->st_mtime_nsec,
	       s->__pad0[0], s->__pad3[3]);
}

int main(void)
{
	setup();
	V("sizes %d %d %d", (int)sizeof(struct k_stat64), (int)sizeof(struct k_stat), (int)sizeof(struct k_statfs64));
	mkfile("f", "0123456789");
	struct timespec ts[2] = {{1500000000, 0}, {1600000000, 42}};
	utimensat(AT_FDCWD, "f", ts, 0);
	symlink("f", "l");
	mkdir("d", 0751);
	utimensat(AT_FDCWD, "l", ts, AT_SYMLINK_NOFOLLOW);
	utimensat(AT_FDCWD, "d", ts, 0);
	struct k_stat64 s;
	memset(&s, 0xab, sizeof s);
	T(syscall(SYS_stat64, "f", &s));
	show64("stat64 f", &s);
	memset(&s, 0xab, sizeof s);
	T(syscall(SYS_lstat64, "l", &s));
	show64("lstat64 l", &s);
	T(syscall(SYS_stat64, "l", &s));
	show64("stat64 l", &s);
	int fd = open("f", O_RDONLY);
	T(syscall(SYS_fstat64, fd, &s));
	show64("fstat64", &s);
	T(syscall(SYS_fstatat64, AT_FDCWD, "d", &s, 0));
	show64("fstatat64 d", &s);
	T(syscall(SYS_fstatat64, AT_FDCWD, "l", &s, AT_SYMLINK_NOFOLLOW));
	show64("fstatat64 l nofollow", &s);
	T(syscall(SYS_fstatat64, fd, "", &s, AT_EMPTY_PATH));
	show64("fstatat64 empty", &s);
	T(syscall(SYS_fstatat64, fd, "", &s, 0));
	T(syscall(SYS_fstatat64, AT_FDCWD, "f", &s, 0x8000));
	T(syscall(SYS_stat64, "nope", &s));
	T(syscall(SYS_stat64, "f", (void *)8));
	T(syscall(SYS_stat64, (void *)8, &s));
	T(syscall(SYS_fstat64, 99, &s));
	T(syscall(SYS_stat64, "f/x", &s));
	memset(&s, 0, sizeof s);
	T(syscall(SYS_stat64, "/dev/null", &s));
	V("/dev/null mode %o rdev %u:%u", s.st_mode, major(s.st_rdev), minor(s.st_rdev));

	/* struct stat: inodes on ext4 usually fit 32 bits */
	struct k_stat k;
	memset(&k, 0xab, sizeof k);
	long r = syscall(SYS_stat, "f", &k);
	printf("stat: r=%ld mode=%o nlink=%u size=%lu u4=%lu\n", r, k.st_mode, k.st_nlink, k.st_size, k.u4);
	T(syscall(SYS_lstat, "l", &k));
	V("lstat l mode %o", k.st_mode);
	T(syscall(SYS_fstat, fd, &k));
	T(syscall(SYS_fstat, 99, &k));
	/* a file too big for struct stat */
	int big = open("big", O_CREAT | O_RDWR, 0600);
	T(ftruncate64(big, 0x80000000LL));
	T(pwrite(big, "ab", 2, 0x7ffffffe));
	T(pwrite(big, "ab", 2, 0x7fffffff));
	T(lseek(big, 0x7ffffffd, SEEK_SET));
	T(write(big, "abcd", 4));
	T(write(big, "abcd", 4));
	T(write(big, "", 0));
	T(close(big));
	big = open("big", O_CREAT | O_RDWR | O_LARGEFILE, 0600);
	T(ftruncate64(big, 0x80000000LL));
	T(syscall(SYS_fstat, big, &k));
	T(syscall(SYS_stat, "big", &k));
	T(syscall(SYS_fstat64, big, &s));
	V("big size %lld", s.st_size);
	T(open("big", O_RDONLY));
	T(syscall(SYS_open, "big", O_RDONLY));
	T(syscall(SYS_open, "big", O_RDONLY | O_LARGEFILE) >= 0);
	T(syscall(SYS_open, "big", O_RDONLY | O_PATH) >= 0);

	/* __old_kernel_stat: 16-bit inode numbers, so EOVERFLOW on most files */
	struct { unsigned short dev, ino, mode, nlink, uid, gid, rdev, pad; unsigned long size, at, mt, ct; } o;
	r = syscall(SYS_oldstat, "f", &o);
	printf("oldstat: r=%ld %s\n", r, r < 0 ? en(errno) : "ok");
	r = syscall(SYS_oldfstat, fd, &o);
	printf("oldfstat: r=%ld %s\n", r, r < 0 ? en(errno) : "ok");
	r = syscall(SYS_oldlstat, "/", &o);
	printf("oldlstat /: r=%ld %s mode %o\n", r, r < 0 ? en(errno) : "ok", r < 0 ? 0 : o.mode);
	T(syscall(SYS_oldstat, "nope", &o));
	char ub[20];
	struct k_stat64 rs;
	syscall(SYS_stat64, ".", &rs);
	r = syscall(SYS_ustat, (unsigned)rs.st_dev, ub);
	printf("ustat: r=%ld %s\n", r, r < 0 ? en(errno) : "ok");

	/* statx */
	struct statx sx;
	memset(&sx, 0, sizeof sx);
	T(statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx));
	V("statx mask_ok=%d mode=%o size=%llu nlink=%u mtime=%lld.%u", (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS,
	  sx.stx_mode, (unsigned long long)sx.stx_size, sx.stx_nlink, (long long)sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec);
	T(statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx));
	T(statx(AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx));
	V("statx link type %o", sx.stx_mode & S_IFMT);
	T(statx(AT_FDCWD, "f", 0x12345, STATX_BASIC_STATS, &sx));
	T(statx(AT_FDCWD, "f", 0, 0x80000000, &sx));
	T(statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, (void *)8));
	T(syscall(SYS_statx, 1, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx));
	T(syscall(SYS_statx, fd, NULL, AT_EMPTY_PATH, STATX_BASIC_STATS, &sx));

	/* statfs */
	struct statfs sf;
	T(statfs(".", &sf));
	struct k_statfs64 k64;
	T(syscall(SYS_statfs64, ".", sizeof k64, &k64));
	V("statfs64 type %#x bsize %u namelen %u same %d", k64.f_type, k64.f_bsize, k64.f_namelen,
	  k64.f_type == (uint32_t)sf.f_type && k64.f_fsid[0] == sf.f_fsid.__val[0]);
	T(syscall(SYS_fstatfs64, fd, sizeof k64, &k64));
	T(syscall(SYS_fstatfs64, fd, 88, &k64));
	T(syscall(SYS_statfs64, "nope", sizeof k64, &k64));
	uint32_t k32[16];
	r = syscall(SYS_statfs, ".", k32);
	printf("statfs32: r=%ld %s\n", r, r < 0 ? en(errno) : "ok");
	r = syscall(SYS_fstatfs, fd, k32);
	printf("fstatfs32: r=%ld %s\n", r, r < 0 ? en(errno) : "ok");
	T(syscall(SYS_statfs, "/proc", k32));
	V("proc type %#x", k32[0]);
	return 0;
}
