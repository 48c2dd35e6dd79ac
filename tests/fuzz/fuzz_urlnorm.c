/* Fuzz URL normalisation: no crash, and normalising is idempotent (norm(norm(u)) == norm(u)). */
#include <stdlib.h>
#include <string.h>

#include "dedup/urlnorm.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    mm_buf a = {0}, b = {0};
    if (mm_urlnorm((const char *)data, size, &a) == MM_OK &&
        mm_urlnorm(a.data ? a.data : "", a.len, &b) == MM_OK) {
        if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len))) abort();
    }
    mm_buf_free(&a);
    mm_buf_free(&b);
    return 0;
}
