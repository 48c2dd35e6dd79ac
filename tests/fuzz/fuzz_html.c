/* tests/fuzz/fuzz_html.c — libFuzzer target for the HTML → text path: charset detection and
 * decoding, the libxml2 parse, the math pass, pruning, content selection and the text writer,
 * in both modes.  Properties: no crash, no leak, and the text is always valid UTF-8. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/json.h"
#include "corpus/extract.h"
#include "corpus/langid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static mm_extract *x, *keep;
    if (!x) {
        mm_extract_opts o = {0}, k = {.keep_boilerplate = true};
        x = mm_extract_create(&o);
        keep = mm_extract_create(&k);
        if (!x || !keep) abort();
    }
    /* the first byte picks the HTTP charset the page claims, to exercise lying headers */
    static const char *const cs[] = {NULL,     "utf-8",  "iso-8859-1", "shift_jis",
                                     "gb2312", "utf-16", "x-unknown",  "koi8-r"};
    const char *claimed = size ? cs[data[0] & 7] : NULL;
    mm_extract *ctxs[2] = {x, keep};
    for (int i = 0; i < 2; i++) {
        mm_extract_result r;
        if (mm_extract_html(ctxs[i], data, size, claimed, &r) != MM_OK) {
            fprintf(stderr, "extract failed: %s\n", mm_error_detail());
            abort();
        }
        if (!mm_utf8_valid(r.text, r.text_len)) abort();
        char lang[16];
        mm_lang_detect(r.text, r.text_len, lang, sizeof lang);
    }
    (void)mm_extract_is_html("text/html", data, size);
    (void)mm_extract_is_html("", data, size);
    return 0;
}
