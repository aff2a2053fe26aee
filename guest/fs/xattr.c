/* Extended attributes through every form (path, l-, f-): set with CREATE
 * and REPLACE, get with a zero size (the length), a short buffer (ERANGE)
 * and a buffer larger than XATTR_SIZE_MAX (clamped), list, remove, and the
 * errors: a missing attribute, bad flags, an empty or too long name, a
 * value past XATTR_SIZE_MAX, a missing file, user.* on a symlink. */
#include "t.h"
#include <sys/xattr.h>

static void show_list(const char *label, long n, const char *buf)
{
	printf("%s: %ld:", label, n);
	for (long i = 0; i < n; i += strlen(buf + i) + 1)
		printf(" %s", buf + i);
	printf("\n");
}

int main(void)
{
	setup();
	mkfile("f", "data");
	symlink("f", "l");
	char buf[256];
	static char big[70000];
	long n = setxattr("f", "user.one", "1", 1, 0);
	if (n < 0 && (errno == EOPNOTSUPP || errno == ENOTSUP)) {
		/* No user xattrs on this file system: still the same natively. */
		printf("user xattrs not supported here\n");
		T(getxattr("f", "user.one", buf, sizeof buf));
		return 0;
	}
	printf("setxattr user.one = %ld\n", n);
	T(setxattr("f", "user.one", "11", 2, XATTR_CREATE));
	T(setxattr("f", "user.two", "22", 2, XATTR_REPLACE));
	T(setxattr("f", "user.two", "two", 3, XATTR_CREATE));
	T(setxattr("f", "user.one", "one", 3, XATTR_REPLACE));
	T(setxattr("f", "user.x", "x", 1, 4));
	T(setxattr("f", "", "x", 1, 0));
	memset(big, 'n', 300);
	big[300] = 0;
	T(setxattr("f", big, "x", 1, 0));
	T(setxattr("f", "user.big", big, 65537, 0));
	T(setxattr("missing", "user.one", "1", 1, 0));
	T(lsetxattr("l", "user.one", "1", 1, 0));
	T(getxattr("f", "user.one", 0, 0));
	T(getxattr("f", "user.one", buf, 2));
	memset(buf, 0, sizeof buf);
	T(getxattr("f", "user.one", buf, sizeof buf));
	V("value %s", buf);
	T(getxattr("f", "user.two", big, 100000));
	T(getxattr("l", "user.two", buf, sizeof buf));
	T(lgetxattr("l", "user.two", buf, sizeof buf));
	T(getxattr("f", "user.none", buf, sizeof buf));
	T(getxattr("f", "user.one", (void *)1, sizeof buf));
	int fd = open("f", O_RDWR);
	T(fsetxattr(fd, "user.three", "333", 3, 0));
	memset(buf, 0, sizeof buf);
	T(fgetxattr(fd, "user.three", buf, sizeof buf));
	V("fvalue %s", buf);
	T(fgetxattr(99, "user.three", buf, sizeof buf));
	n = listxattr("f", 0, 0);
	V("list size %ld", n);
	n = listxattr("f", buf, sizeof buf);
	show_list("listxattr", n, buf);
	n = flistxattr(fd, buf, sizeof buf);
	show_list("flistxattr", n, buf);
	T(listxattr("f", buf, 3));
	n = llistxattr("l", buf, sizeof buf);
	show_list("llistxattr l", n, buf);
	T(removexattr("f", "user.one"));
	T(removexattr("f", "user.one"));
	T(lremovexattr("l", "user.two"));
	T(fremovexattr(fd, "user.three"));
	n = listxattr("f", buf, sizeof buf);
	show_list("after remove", n, buf);
	T(lgetxattr("l", "security.selinux", buf, sizeof buf));
	T(getxattr(".", "system.posix_acl_access", buf, sizeof buf));
	close(fd);
	return 0;
}
