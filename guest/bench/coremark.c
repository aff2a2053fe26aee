/* A CoreMark-like mixed integer workload (written for emu; not CoreMark).
 *
 * Each iteration runs four kernels and folds their results into a CRC16:
 *   - list:   a 64-node singly linked list of (value, tag) pairs: find by
 *             value, reverse, merge sort by value, merge sort back by tag
 *             (pointer chasing, unpredictable branches);
 *   - matrix: 12x12 int16 matrices: add a constant, multiply by a
 *             constant, matrix times vector, matrix times matrix, with
 *             shifts and masks on the products;
 *   - state:  a byte-driven state machine (switch statements) classifying
 *             the tokens of a text buffer as integers, hex numbers, floats,
 *             exponents or junk;
 *   - crc:    CRC16 (poly 0x8408, reflected) over every result.
 * Every kernel's input is perturbed by the previous CRC, so no iteration
 * can be hoisted or folded. The run is deterministic: it prints one
 * checksum line and nothing else. argv[1] overrides the iteration count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITERATIONS 24000

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef short i16;
typedef int i32;

/* ---- CRC16 ------------------------------------------------------------ */

static u16 crc8(u8 b, u16 crc)
{
    for (int i = 0; i < 8; i++) {
        int x = (b ^ crc) & 1;
        b >>= 1;
        crc >>= 1;
        if (x)
            crc ^= 0x8408;
    }
    return crc;
}

static u16 crc16(u16 v, u16 crc)
{
    crc = crc8((u8)v, crc);
    return crc8((u8)(v >> 8), crc);
}

static u16 crc32w(u32 v, u16 crc)
{
    crc = crc16((u16)v, crc);
    return crc16((u16)(v >> 16), crc);
}

/* ---- list ------------------------------------------------------------- */

#define NODES 64

struct node {
    struct node *next;
    i16 value;
    i16 tag;
};

static struct node pool[NODES];

/* Builds the list in a scrambled pool order so that following `next`
 * jumps around memory. */
static struct node *list_build(u16 seed)
{
    struct node *head = 0;
    for (int i = 0; i < NODES; i++) {
        struct node *n = &pool[(i * 37 + seed) % NODES];
        n->tag = (i16)i;
        n->value = (i16)(((i * 2654435761u + seed) >> 7) & 0x3fff);
        n->next = head;
        head = n;
    }
    return head;
}

static struct node *list_find(struct node *l, i16 value, i16 tag)
{
    for (; l; l = l->next)
        if ((value >= 0 && l->value == value) || (tag >= 0 && l->tag == tag))
            return l;
    return 0;
}

static struct node *list_reverse(struct node *l)
{
    struct node *r = 0;
    while (l) {
        struct node *n = l->next;
        l->next = r;
        r = l;
        l = n;
    }
    return r;
}

static int by_value(const struct node *a, const struct node *b)
{
    return a->value - b->value;
}

static int by_tag(const struct node *a, const struct node *b)
{
    return a->tag - b->tag;
}

/* Bottom-up merge sort of a singly linked list, stable. */
static struct node *list_sort(struct node *l,
                              int (*cmp)(const struct node *, const struct node *))
{
    for (int width = 1;; width *= 2) {
        struct node *p = l, *tail = 0;
        int merges = 0;
        l = 0;
        while (p) {
            struct node *q = p;
            int psize = 0, qsize = width;
            merges++;
            while (q && psize < width) {
                psize++;
                q = q->next;
            }
            while (psize > 0 || (qsize > 0 && q)) {
                struct node *e;
                if (psize == 0) {
                    e = q; q = q->next; qsize--;
                } else if (qsize == 0 || !q || cmp(p, q) <= 0) {
                    e = p; p = p->next; psize--;
                } else {
                    e = q; q = q->next; qsize--;
                }
                if (tail)
                    tail->next = e;
                else
                    l = e;
                tail = e;
            }
            p = q;
        }
        tail->next = 0;
        if (merges <= 1)
            return l;
    }
}

static u16 list_kernel(u16 seed, u16 crc)
{
    struct node *l = list_build(seed);
    u32 found = 0, missed = 0;
    for (int i = 0; i < 16; i++) {
        i16 want = (i16)(((seed + i * 977) >> 2) & 0x3fff);
        struct node *n = list_find(l, want, -1);
        if (!n)
            n = list_find(l, -1, (i16)((seed + i) % NODES));
        if (n) {
            found += (u32)n->value * (i + 1);
            n->value ^= (i16)(i << 3);
        } else {
            missed++;
        }
        if (i & 1)
            l = list_reverse(l);
    }
    l = list_sort(l, by_value);
    for (struct node *n = l; n; n = n->next)
        crc = crc16((u16)n->value, crc);
    l = list_sort(l, by_tag);
    int pos = 0;
    for (struct node *n = l; n; n = n->next, pos++)
        if (n->tag != pos)
            missed += 1000; /* sorting broke the list */
    crc = crc32w(found, crc);
    return crc16((u16)missed, crc);
}

/* ---- matrix ----------------------------------------------------------- */

#define M 12

static i16 ma[M][M], mb[M][M];
static i32 mc[M][M], mv[M];

static u16 matrix_sum(i32 *m, int n, i32 clip)
{
    /* Folds the matrix into a 16-bit summary with data-dependent branches,
     * as CoreMark's does, so that the result depends on every element. */
    i32 tmp = 0, prev = 0;
    u16 ret = 0;
    for (int i = 0; i < n; i++) {
        i32 cur = m[i];
        tmp += cur;
        if (tmp > clip) {
            ret += 10;
            tmp = 0;
        } else {
            ret += (cur > prev) ? 1 : 0;
        }
        prev = cur;
    }
    return ret;
}

static u16 matrix_kernel(u16 seed, u16 crc)
{
    u32 s = seed | 1;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            s = s * 1103515245u + 12345u;
            ma[i][j] = (i16)((s >> 16) & 0xff) - 128;
            s = s * 1103515245u + 12345u;
            mb[i][j] = (i16)((s >> 16) & 0xff) - 64;
        }
    i16 k = (i16)(seed & 0x1f) + 3;

    /* A += k */
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++)
            ma[i][j] += k;
    /* C = A * k */
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++)
            mc[i][j] = (i32)ma[i][j] * k;
    crc = crc16(matrix_sum(&mc[0][0], M * M, 2000), crc);
    /* v = A * B[col 0] */
    for (int i = 0; i < M; i++) {
        i32 acc = 0;
        for (int j = 0; j < M; j++)
            acc += (i32)ma[i][j] * mb[j][0];
        mv[i] = acc;
    }
    crc = crc16(matrix_sum(mv, M, 4000), crc);
    /* C = A * B */
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            i32 acc = 0;
            for (int x = 0; x < M; x++)
                acc += (i32)ma[i][x] * mb[x][j];
            mc[i][j] = acc;
        }
    crc = crc16(matrix_sum(&mc[0][0], M * M, 8000), crc);
    /* C = ((A * B) >> 3 & 0x7f) * ((A * B) >> 9 & 0x3f), bit fields */
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            i32 acc = 0;
            for (int x = 0; x < M; x++) {
                i32 p = (i32)ma[i][x] * mb[x][j];
                acc += ((p >> 3) & 0x7f) * ((p >> 9) & 0x3f);
            }
            mc[i][j] = acc;
        }
    crc = crc16(matrix_sum(&mc[0][0], M * M, 16000), crc);
    /* A -= k undoes the add; checked through the CRC */
    i32 back = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            ma[i][j] -= k;
            back += ma[i][j] ^ (i << 4 | j);
        }
    return crc32w((u32)back, crc);
}

/* ---- state machine ---------------------------------------------------- */

enum state { START, INT, SIGN, HEX0, HEX, FLOAT, EXP, EXPSIGN, EXPNUM, JUNK,
             NSTATES };

#define TEXT 512
static char text[TEXT];

static const char *tokens[] = {
    "42", "-17", "+8", "0x1f", "0XBEEF", "3.1415", "-0.5", "6.02e23",
    "1e-9", "7E+3", "abc", "12a", "0x", "--3", ".5", "9.9.9", "0", "x12",
    "65535", "2.5e", "-", "ff", "1,000", "0x7G",
};

static void text_build(u16 seed)
{
    int pos = 0, t = seed % (sizeof tokens / sizeof *tokens);
    while (1) {
        const char *s = tokens[t];
        int n = (int)strlen(s);
        if (pos + n + 1 >= TEXT)
            break;
        memcpy(text + pos, s, n);
        pos += n;
        text[pos++] = ((seed >> (t & 7)) & 1) ? ',' : ' ';
        t = (t * 7 + 5 + (seed & 3)) % (sizeof tokens / sizeof *tokens);
    }
    text[pos] = 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static enum state step(enum state s, char c, u32 *transitions)
{
    enum state n = s;
    switch (s) {
    case START:
        if (is_digit(c))
            n = c == '0' ? HEX0 : INT;
        else if (c == '+' || c == '-')
            n = SIGN;
        else if (c == '.')
            n = FLOAT;
        else
            n = JUNK;
        break;
    case SIGN:
        if (is_digit(c))
            n = INT;
        else if (c == '.')
            n = FLOAT;
        else
            n = JUNK;
        break;
    case HEX0:
        if (c == 'x' || c == 'X')
            n = HEX;
        else if (is_digit(c))
            n = INT;
        else if (c == '.')
            n = FLOAT;
        else
            n = JUNK;
        break;
    case INT:
        if (c == '.')
            n = FLOAT;
        else if (c == 'e' || c == 'E')
            n = EXP;
        else if (!is_digit(c))
            n = JUNK;
        break;
    case HEX:
        if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            n = JUNK;
        break;
    case FLOAT:
        if (c == 'e' || c == 'E')
            n = EXP;
        else if (!is_digit(c))
            n = JUNK;
        break;
    case EXP:
        if (c == '+' || c == '-')
            n = EXPSIGN;
        else if (is_digit(c))
            n = EXPNUM;
        else
            n = JUNK;
        break;
    case EXPSIGN:
        n = is_digit(c) ? EXPNUM : JUNK;
        break;
    case EXPNUM:
        if (!is_digit(c))
            n = JUNK;
        break;
    default:
        break;
    }
    if (n != s)
        transitions[s]++;
    return n;
}

static u16 state_kernel(u16 seed, u16 crc)
{
    u32 final[NSTATES] = {0}, transitions[NSTATES] = {0};
    text_build(seed);
    /* Scan twice: as built, then with a few bytes corrupted. */
    for (int pass = 0; pass < 2; pass++) {
        const char *p = text;
        while (*p) {
            enum state s = START;
            while (*p && *p != ' ' && *p != ',')
                s = step(s, *p++, transitions);
            final[s]++;
            while (*p == ' ' || *p == ',')
                p++;
        }
        for (int i = seed & 15; i < TEXT && text[i]; i += 29 + (seed & 7)) {
            char c = text[i];
            if (c != ' ' && c != ',')
                text[i] = (char)((c ^ 0x05) | 0x20);
        }
    }
    for (int i = 0; i < NSTATES; i++) {
        crc = crc32w(final[i], crc);
        crc = crc32w(transitions[i], crc);
    }
    return crc;
}

/* ---- main ------------------------------------------------------------- */

static volatile u16 seed0 = 0x3415; /* volatile: not folded at build time */

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : ITERATIONS;
    u16 crc = 0, seed = seed0;
    for (long it = 0; it < iterations; it++) {
        u16 c = 0;
        c = list_kernel(seed ^ crc, c);
        c = matrix_kernel(seed + crc, c);
        c = state_kernel(seed ^ (u16)(crc << 1), c);
        crc = crc16(c, crc);
        seed = (u16)(seed * 31 + it);
    }
    printf("coremark-like: %ld iterations, checksum 0x%04x\n", iterations, crc);
    return 0;
}
