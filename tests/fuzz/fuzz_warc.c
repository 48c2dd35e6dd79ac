/* tests/fuzz/fuzz_warc.c — libFuzzer target for the WARC record parser and its input layer.
 * The input is served as a file (memfd), so the codec sniffing, gzip member handling and
 * resynchronisation all run.  The first byte picks options: a small max_record (oversized
 * path), digest checks, and streaming inflate for every gzip member (isa-l instead of
 * libdeflate).  Every block also goes through mm_http_parse.  Checked: a block is never longer
 * than its Content-Length, and one shorter is marked truncated (eof/gzip/stream). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "corpus/warc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int fd = memfd_create("fuzz_warc", 0);
    if (fd < 0) return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    setenv("MM_WARC_GZIP_STREAM", size && (data[0] & 4) ? "1" : "0", 1);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    mm_warc_opts o = {.max_record = size && (data[0] & 1) ? 64 : 0,
                      .verify_digests = size && (data[0] & 2)};
    mm_warc *w;
    if (mm_warc_open(path, &o, &w) == MM_OK) {
        mm_http *h = mm_http_create(1 << 16);
        mm_warc_record r;
        mm_err e;
        int rc, n = 0;
        while ((rc = mm_warc_next(w, &r, &e)) != 0 && n++ < 10000) {
            if (rc < 0) continue;
            /* a block is never longer than declared; one cut short says so */
            if (r.block && r.block_len > r.content_length) abort();
            if (r.block && r.block_len < r.content_length && r.truncated < MM_WARC_TRUNC_EOF)
                abort();
            if (!mm_warc_trunc_name(r.truncated)) abort();
            mm_http_response resp;
            if (r.block) mm_http_parse(h, r.block, r.block_len, &resp);
            (void)mm_warc_header_get(&r, "WARC-Type");
        }
        mm_http_free(h);
        mm_warc_close(w);
    }
    close(fd);
    return 0;
}
