/* Fuzz the response header lines the URL reader interprets (corpus/fetch.c: the status line,
 * Retry-After in seconds or as an HTTP date, Content-Range): no crash, and every value it sets
 * is one the retry logic can use (a status 0..999, a wait -1 or >= 0, a range start -1 or >= 0). */
#include <math.h>
#include <stdlib.h>

#include "corpus/fetch.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    int status = 7;
    double wait = -2;
    int64_t start = -2;
    mm_fetch_header((const char *)data, size, &status, &wait, &start);
    if (status < 0 || status > 999) abort();
    if (wait != -2 && !(wait == -1 || wait >= 0)) abort(); /* NaN fails both */
    if (start != -2 && start < -1) abort();
    return 0;
}
