/* modify_ldt: write entries (new and old mode), read them back, load a
 * TI=1 selector into %fs and read memory through its base. */
#include "common.h"
#include <asm/ldt.h>

static int fs_read(unsigned sel, int off)
{
    int v;
    __asm__ volatile("mov %1, %%fs\n\tmovl %%fs:(%2), %0\n\tmov %3, %%fs"
                     : "=&r"(v) : "r"(sel), "r"(off), "r"(0) : "memory");
    return v;
}

int main(void)
{
    unbuffered();
    static int data[4] = {11, 22, 33, 44};
    unsigned char buf[256];
    R("read empty", syscall(SYS_modify_ldt, 0, buf, sizeof buf));
    memset(buf, 0xaa, sizeof buf);
    R("read default", syscall(SYS_modify_ldt, 2, buf, 200));
    printf("  %d %d %d\n", buf[0], buf[127], buf[128]);
    R("bad func", syscall(SYS_modify_ldt, 3, buf, 16));
    struct user_desc d = {0};
    d.entry_number = 2;
    d.base_addr = (unsigned long)data;
    d.limit = 0xfffff;
    d.seg_32bit = 1;
    d.limit_in_pages = 1;
    d.useable = 1;
    R("write bad size", syscall(SYS_modify_ldt, 0x11, &d, 15));
    R("write efault", syscall(SYS_modify_ldt, 0x11, 0x10, 16));
    R("write", syscall(SYS_modify_ldt, 0x11, &d, sizeof d));
    d.entry_number = 8192;
    R("write entry 8192", syscall(SYS_modify_ldt, 0x11, &d, sizeof d));
    d.entry_number = 5;
    d.contents = 3;
    R("write code not-present-less", syscall(SYS_modify_ldt, 0x11, &d, sizeof d));
    R("write code, old mode", syscall(SYS_modify_ldt, 1, &d, sizeof d));
    d.contents = 0;
    R("write old mode", syscall(SYS_modify_ldt, 1, &d, sizeof d));
    memset(buf, 0xaa, sizeof buf);
    R("read", syscall(SYS_modify_ldt, 0, buf, 64));
    for (int i = 0; i < 48; i += 8)
        printf("  %02x%02x%02x%02x%02x%02x%02x%02x\n", buf[i + 7], buf[i + 6], buf[i + 5], buf[i + 4], buf[i + 3], buf[i + 2], buf[i + 1], buf[i]);
    R("read short", syscall(SYS_modify_ldt, 0, buf, 4));
    R("read efault", syscall(SYS_modify_ldt, 0, 0x10, 16));
    /* Selector 2 << 3 | TI | RPL 3 = 0x17. */
    printf("through fs: %d %d\n", fs_read(0x17, 0), fs_read(0x17, 8));
    /* Clear entry 2 with the empty descriptor. */
    memset(&d, 0, sizeof d);
    d.entry_number = 2;
    d.read_exec_only = 1;
    d.seg_not_present = 1;
    R("clear", syscall(SYS_modify_ldt, 0x11, &d, sizeof d));
    R("read", syscall(SYS_modify_ldt, 0, buf, 24));
    printf("  entry 2 cleared: %d\n", buf[16] | buf[17] | buf[20] | buf[23]);
    return 0;
}
