/*
 * stackdump: dump the initial i386 process stack, from esp at entry up to
 * the top of the stack (0xffffe000), first as raw hex words and then as a
 * decoded view (argc, argv, envp, auxv and the strings they point to).
 *
 * Freestanding: no libc, only write(2) (int $0x80, eax=4) and exit_group
 * (eax=252). The code sticks to plain moves, adds, compares and branches
 * (hex digits come from a table, not shifts) so that it runs on a young
 * interpreter. Output format, one item per line:
 *
 *   esp XXXXXXXX
 *   --- words ---
 *   AAAAAAAA: WWWWWWWW WWWWWWWW WWWWWWWW WWWWWWWW   (4 words a line, from esp)
 *   --- decoded ---
 *   argc XXXXXXXX
 *   argv[i] PPPPPPPP "string"      ... argv[n] 00000000
 *   envp[i] PPPPPPPP "string"      ... envp[m] 00000000
 *   auxv NAME TTTTTTTT VVVVVVVV    ... up to AT_NULL
 *   random PPPPPPPP b0 b1 .. b15   (AT_RANDOM's 16 bytes)
 *   execfn PPPPPPPP "string"       (AT_EXECFN)
 *   platform PPPPPPPP "string"     (AT_PLATFORM)
 *   --- end ---
 *
 * Strings are printed with bytes outside 0x20..0x7e (and '"', '\\') as \xNN.
 */

#define TOP 0xffffe000u

typedef unsigned int u32;
typedef unsigned char u8;

static const char hex2[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

static char buf[4096];
static u32 len;

static void sys_write(const char *p, u32 n)
{
    while (n > 0) {
        int r;
        __asm__ volatile("int $0x80"
                         : "=a"(r)
                         : "0"(4), "b"(1), "c"(p), "d"(n)
                         : "memory");
        if (r <= 0)
            return;
        p += r;
        n -= (u32)r;
    }
}

static void flush(void)
{
    sys_write(buf, len);
    len = 0;
}

static void putc_(char c)
{
    if (len == sizeof buf)
        flush();
    buf[len] = c;
    len++;
}

static void puts_(const char *s)
{
    while (*s) {
        putc_(*s);
        s++;
    }
}

static void hexbyte(u8 b)
{
    const char *h = hex2 + b + b;
    putc_(h[0]);
    putc_(h[1]);
}

static void hex32(u32 v)
{
    /* Little-endian: byte 3 is the most significant. Read the bytes back
     * from memory so that the compiler does not turn this into shifts. */
    volatile u32 w = v;
    const volatile u8 *b = (const volatile u8 *)&w;
    hexbyte(b[3]);
    hexbyte(b[2]);
    hexbyte(b[1]);
    hexbyte(b[0]);
}

/* 1 for bytes printed as themselves (a table keeps setcc out of the code). */
static const u8 plain[256] = {
    [0x20 ... 0x21] = 1, /* '"' (0x22) is escaped */
    [0x23 ... 0x5b] = 1, /* '\\' (0x5c) is escaped */
    [0x5d ... 0x7e] = 1,
};

static void quoted(const char *s)
{
    putc_('"');
    while (*s) {
        u8 c = (u8)*s;
        if (plain[c] == 0) {
            putc_('\\');
            putc_('x');
            hexbyte(c);
        } else {
            putc_((char)c);
        }
        s++;
    }
    putc_('"');
}

static const char *const names[52] = {
    [0] = "AT_NULL",          [1] = "AT_IGNORE",
    [2] = "AT_EXECFD",        [3] = "AT_PHDR",
    [4] = "AT_PHENT",         [5] = "AT_PHNUM",
    [6] = "AT_PAGESZ",        [7] = "AT_BASE",
    [8] = "AT_FLAGS",         [9] = "AT_ENTRY",
    [10] = "AT_NOTELF",       [11] = "AT_UID",
    [12] = "AT_EUID",         [13] = "AT_GID",
    [14] = "AT_EGID",         [15] = "AT_PLATFORM",
    [16] = "AT_HWCAP",        [17] = "AT_CLKTCK",
    [23] = "AT_SECURE",       [24] = "AT_BASE_PLATFORM",
    [25] = "AT_RANDOM",       [26] = "AT_HWCAP2",
    [27] = "AT_RSEQ_FEATURE_SIZE", [28] = "AT_RSEQ_ALIGN",
    [29] = "AT_HWCAP3",       [30] = "AT_HWCAP4",
    [31] = "AT_EXECFN",       [32] = "AT_SYSINFO",
    [33] = "AT_SYSINFO_EHDR", [51] = "AT_MINSIGSTKSZ",
};

static void ptr_line(const char *what, u32 i, int indexed, u32 p)
{
    puts_(what);
    if (indexed) {
        putc_('[');
        hex32(i);
        putc_(']');
    }
    putc_(' ');
    hex32(p);
    if (p) {
        putc_(' ');
        quoted((const char *)p);
    }
    putc_('\n');
}

__attribute__((used, noreturn)) void cmain(u32 *sp)
{
    u32 *p;
    u32 i, n, random = 0, execfn = 0, platform = 0;

    puts_("esp ");
    hex32((u32)sp);
    puts_("\n--- words ---\n");
    i = 0;
    for (p = sp; (u32)p < TOP; p++) {
        if (i == 0) {
            hex32((u32)p);
            putc_(':');
        }
        putc_(' ');
        hex32(*p);
        i++;
        if (i == 4) {
            putc_('\n');
            i = 0;
        }
    }
    if (i != 0)
        putc_('\n');

    puts_("--- decoded ---\n");
    p = sp;
    n = *p++;
    puts_("argc ");
    hex32(n);
    putc_('\n');
    for (i = 0;; i++, p++) {
        ptr_line("argv", i, 1, *p);
        if (*p == 0)
            break;
    }
    p++;
    for (i = 0;; i++, p++) {
        ptr_line("envp", i, 1, *p);
        if (*p == 0)
            break;
    }
    p++;
    for (; (u32)p < TOP; p += 2) {
        u32 t = p[0], v = p[1];
        const char *name = t < 52 ? names[t] : 0;
        puts_("auxv ");
        puts_(name ? name : "AT_?");
        putc_(' ');
        hex32(t);
        putc_(' ');
        hex32(v);
        putc_('\n');
        if (t == 25)
            random = v;
        else if (t == 31)
            execfn = v;
        else if (t == 15)
            platform = v;
        if (t == 0)
            break;
    }
    if (random) {
        const u8 *r = (const u8 *)random;
        puts_("random ");
        hex32(random);
        for (i = 0; i < 16; i++) {
            putc_(' ');
            hexbyte(r[i]);
        }
        putc_('\n');
    }
    if (execfn)
        ptr_line("execfn", 0, 0, execfn);
    if (platform)
        ptr_line("platform", 0, 0, platform);
    puts_("--- end ---\n");
    flush();
    for (;;)
        __asm__ volatile("int $0x80" : : "a"(252), "b"(0));
}

__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "    movl %esp, %eax\n"
        "    pushl %eax\n" /* keeps the call frame 16-byte friendly enough */
        "    pushl %eax\n"
        "    call cmain\n"
        "    hlt\n");
