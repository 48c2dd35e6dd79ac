/* Fuzz the run report (common/report.h): the input is written as a stats file, a training log
 * and an iterate report.json in a scratch run folder, and the page is built from it.  The
 * first byte picks which of them get the input.  Properties: no crash, no leak, and the page
 * is closed whatever the input (no half-written HTML). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/report.h"

static void put(const char *dir, const char *name, const unsigned char *data, size_t n) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f) return;
    fwrite(data, 1, n, f);
    fclose(f);
}

static char dir[256];

static void remove_dir(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) return;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size < 1) return 0;
    if (!*dir) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_report.%d", (int)getpid());
        atexit(remove_dir);
        mkdir(dir, 0755);
        char sub[300];
        snprintf(sub, sizeof sub, "%s/_run", dir), mkdir(sub, 0755);
        snprintf(sub, sizeof sub, "%s/_run/stage", dir), mkdir(sub, 0755);
        snprintf(sub, sizeof sub, "%s/it", dir), mkdir(sub, 0755);
    }
    static const char *const names[] = {"stats.json", "log.jsonl", "it/report.json",
                                        "_run/stage/task-00000-of-00001.json"};
    for (int k = 0; k < 4; k++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, names[k]);
        unlink(p);
        if (data[0] & (1 << k)) put(dir, names[k], data + 1, size - 1);
    }
    mm_buf b = {0};
    mm_report_info in;
    if (mm_report_html(dir, NULL, &b, &in) == MM_OK) {
        if (b.len < 15 || strcmp(b.data + b.len - 15, "</body></html>\n")) abort();
    }
    mm_buf_free(&b);
    return 0;
}
