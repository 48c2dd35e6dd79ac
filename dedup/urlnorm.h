/* dedup/urlnorm.h — URL normalisation for URL deduplication.
 *
 * Two URLs that name the same page normalise to the same string:
 *   - surrounding whitespace is trimmed; scheme and host are lowercased, a trailing dot on the
 *     host is dropped; http and https are one scheme (written https);
 *   - default ports (:80, :443) and an empty port are dropped;
 *   - the fragment (#...) is dropped;
 *   - percent-encoding: escapes of unreserved characters (A-Z a-z 0-9 - . _ ~) are decoded, other
 *     escapes get uppercase hex, bytes that must be escaped (space, controls, non-ASCII, ...)
 *     are escaped;
 *   - the path: empty becomes "/", "." and ".." segments are resolved, a trailing slash is
 *     dropped except on the root;
 *   - the query: tracking parameters (utm_*, fbclid, gclid, dclid, gbraid, wbraid, msclkid,
 *     mc_cid, mc_eid, yclid, igshid, _ga, _gl, _hsenc, _hsmi, mkt_tok, ref_src, spm) are
 *     dropped, the rest are sorted by name (stable), and an empty query is dropped.
 * Userinfo is kept.  A URL without "scheme://" is lowercased and trimmed only.
 * The result is appended to `out` (the caller owns it). */
#ifndef MM_DEDUP_URLNORM_H
#define MM_DEDUP_URLNORM_H

#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

MM_API mm_err mm_urlnorm(const char *url, size_t n, mm_buf *out);

#endif
