/* Scratch files for the harnesses: the readers take paths, so each input goes through a file. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *lf_fuzz_file(int slot, const char *tag, const void *data, size_t size)
{
    static char paths[4][256];
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    char *path = paths[slot & 3];
    snprintf(path, sizeof paths[0], "%s/lf_fuzz_%ld_%s", dir, (long)getpid(), tag);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
    return path;
}

void lf_fuzz_fail(const char *what)
{
    fprintf(stderr, "lf_fuzz: property broken: %s\n", what);
    abort();
}
