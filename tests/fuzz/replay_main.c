/*
 * tests/fuzz/replay_main.c: main() for a fuzz harness built without
 * libFuzzer: feeds every file named on the command line, and every regular
 * file inside every directory named, to LLVMFuzzerTestOneInput once, so
 * the corpora replay under CTest with any compiler (and under qemu).
 * Exits 1 if an argument or a directory entry cannot be read; a harness that finds a bug aborts.
 */
/* 32-bit readdir fails with EOVERFLOW on 64-bit directory offsets (qemu-arm) */
#define _FILE_OFFSET_BITS 64

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    /* an exactly-sized copy, so ASan sees any read past the input */
    uint8_t *exact = malloc(n ? n : 1);
    if (exact) {
        memcpy(exact, buf, n);
        LLVMFuzzerTestOneInput(exact, n);
    }
    free(exact);
    free(buf);
    return exact ? 0 : -1;
}

int main(int argc, char **argv)
{
    size_t files = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            rc = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            rc |= run_file(argv[i]) != 0;
            files++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) {
            perror(argv[i]);
            rc = 1;
            continue;
        }
        struct dirent *e;
        for (;;) {
            errno = 0;
            if (!(e = readdir(d))) {
                if (errno) {
                    perror(argv[i]);
                    rc = 1;
                }
                break;
            }
            char path[4096];
            int w = snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            if (w < 0 || (size_t)w >= sizeof path || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            rc |= run_file(path) != 0;
            files++;
        }
        closedir(d);
    }
    printf("%s: replayed %zu inputs\n", argv[0], files);
    return rc;
}
