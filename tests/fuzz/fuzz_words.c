/* Fuzz the word iterator: on any bytes, the SSE2 fast path gives the same words (bounds and
 * hashes) as the byte-by-byte reference, its raw values mix to the same hashes, asking for no
 * bounds (NULL) gives the same values, and it never reads outside the text. */
#include <stdlib.h>
#include <string.h>

#include "dedup/words.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    /* an exact-size copy, so that ASan sees any read past the end */
    unsigned char *text = malloc(size ? size : 1);
    if (!text) return 0;
    memcpy(text, data, size);
    const uint8_t *q = text, *end = text + size, *ws, *we, *ws2, *we2;
    uint64_t h, h2;
    uint64_t raw, bare;
    mm_dedup_iter it, itr, itb; /* itr: the raw values, whose mix is the hash; itb: no bounds */
    mm_dedup_iter_init(&it, text, size);
    mm_dedup_iter_init(&itr, text, size);
    mm_dedup_iter_init(&itb, text, size);
    for (;;) {
        int a = mm_dedup_iter_next(&it, &h, &ws, &we);
        int b = mm_dedup_word_next_ref(&q, end, &h2, &ws2, &we2);
        if (a != b || (a && (h != h2 || ws != ws2 || we != we2))) abort();
        if (mm_dedup_iter_next_raw(&itr, &raw, &ws2, &we2) != a) abort();
        if (a && (mm_dedup_mix64(raw) != h || ws2 != ws || we2 != we)) abort();
        if (mm_dedup_iter_next_raw(&itb, &bare, NULL, NULL) != a || (a && bare != raw)) abort();
        if (!a) break;
    }
    free(text);
    return 0;
}
