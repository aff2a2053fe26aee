/* The auxiliary vector entries the loader computes for a dynamically
 * linked program (AT_PHDR, AT_PHNUM, AT_BASE, AT_ENTRY, AT_FLAGS,
 * AT_SYSINFO_EHDR, AT_EXECFN), where main and a libc function are, and
 * /proc/self/maps: with ASLR off every address is native's. */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

int main(int argc, char **argv)
{
    static const struct { unsigned long t; const char *n; } keys[] = {
        {AT_PHDR, "AT_PHDR"},   {AT_PHENT, "AT_PHENT"}, {AT_PHNUM, "AT_PHNUM"},
        {AT_BASE, "AT_BASE"},   {AT_FLAGS, "AT_FLAGS"}, {AT_ENTRY, "AT_ENTRY"},
        {AT_SYSINFO_EHDR, "AT_SYSINFO_EHDR"}, {AT_PAGESZ, "AT_PAGESZ"},
        {AT_SECURE, "AT_SECURE"},
    };
    for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++)
        printf("%s %#lx\n", keys[i].n, getauxval(keys[i].t));
    printf("AT_EXECFN %s\n", (char *)getauxval(AT_EXECFN));
    printf("AT_PLATFORM %s\n", (char *)getauxval(AT_PLATFORM));
    printf("argc %d argv[0] %s\n", argc, argv[0]);
    printf("main %p printf %p\n", (void *)main, (void *)printf);
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) {
        perror("maps");
        return 1;
    }
    char line[512];
    while (fgets(line, sizeof line, f))
        fputs(line, stdout);
    fclose(f);
    return 0;
}
