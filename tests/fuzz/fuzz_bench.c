/* Fuzz the benchmark-file loaders (JSONL, JSON array, CSV, XML) and the index built from them.
 * The first input byte picks the format and FIELDS; the rest is the file.  Properties: no crash,
 * no leak, and every text the index uses is found again by a scan of itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dedup/decontam.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size < 1) return 0;
    static const char *const ext[] = {".jsonl", ".json", ".csv", ".xml"};
    static const char *const fields[] = {"question,answer?", "Body+Question,x.0.y?", "0,1+2",
                                         "Problem/Body+Question,Answer?"};
    int k = data[0] & 3;
    char path[256], spec[400];
    snprintf(path, sizeof path, "/tmp/fuzz_bench.%d%s", (int)getpid(), ext[k]);
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    snprintf(spec, sizeof spec, "f=%s@%s", path, fields[(data[0] >> 2) & 3]);
    mm_decontam *d;
    if (mm_decontam_create(3 + (data[0] >> 4) % 10, &d) == MM_OK) {
        if (mm_decontam_add_spec(d, spec) == MM_OK && mm_decontam_build(d) == MM_OK) {
            mm_decontam_match m[4];
            for (uint32_t t = 0; t < mm_decontam_ntexts(d) && t < 64; t++) {
                mm_decontam_text_info ti;
                mm_decontam_text(d, t, &ti);
                if (ti.used && !mm_decontam_scan(d, ti.text, ti.len, m, 4)) abort();
            }
        }
        mm_decontam_free(d);
    }
    unlink(path);
    return 0;
}
