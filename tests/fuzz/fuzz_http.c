/* tests/fuzz/fuzz_http.c — libFuzzer target for the HTTP response decoder (status line,
 * headers, chunked transfer coding, gzip/deflate/br content coding). */
#include <stdint.h>
#include <string.h>

#include "corpus/warc.h"

volatile unsigned fuzz_http_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static mm_http *h;
    if (!h) h = mm_http_create(1 << 20);
    mm_http_response r;
    if (mm_http_parse(h, data, size, &r) == MM_OK) {
        unsigned sum = 0;
        for (size_t i = 0; i < r.body_len; i += 64)
            sum += r.body[i];
        for (size_t i = 0; i < r.nheaders; i++)
            sum += (unsigned)strlen(r.headers[i].value);
        (void)mm_http_header_get(&r, "content-type");
        fuzz_http_sink = sum;
    }
    return 0;
}
