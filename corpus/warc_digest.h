/* corpus/warc_digest.h — internal: WARC digest checks (not installed). */
#ifndef MM_WARC_DIGEST_H
#define MM_WARC_DIGEST_H

#include <stddef.h>

/* Check a WARC-Block-Digest / WARC-Payload-Digest value ("sha1:" + base32, hex, base64 or
 * base64url) against data[0..n).  1 match, 0 mismatch (or a sha1 value that is not valid in
 * any of those encodings), -1 not checked (absent or another algorithm). */
int mm_warc_digest_check(const char *value, const unsigned char *data, size_t n);
/* Length of the HTTP header of a block (through the blank line), or n when there is none. */
size_t mm_warc_http_header_len(const unsigned char *block, size_t n);

#endif
