/* corpus/url.h — the host and the registered domain of a URL (public suffix list via libpsl).
 * URL normalisation for dedup lives in dedup/, not here.  Thread-safe. */
#ifndef MM_URL_H
#define MM_URL_H

#include <stddef.h>

#include "common/error.h"

/* The host of `url` ("http://User@WWW.Example.co.uk:8080/x" → "www.example.co.uk"), lower-cased,
 * without userinfo, port or a trailing dot; IPv6 literals keep their brackets.  "" when the URL
 * has no authority.  Always NUL-terminates `out` (truncating to cap-1). */
MM_API void mm_url_host(const char *url, char *out, size_t cap);

/* The registered domain of `host` ("www.example.co.uk" → "example.co.uk", "a.b.github.io" →
 * "b.github.io"), from the public suffix list (the system's latest list when installed, else
 * libpsl's built-in one).  IP addresses, "localhost" and hosts that are themselves a public suffix
 * are returned unchanged. */
MM_API void mm_url_domain(const char *host, char *out, size_t cap);

#endif
