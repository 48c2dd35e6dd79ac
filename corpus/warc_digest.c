/* corpus/warc_digest.c — sha1 block and payload digests as written in WARC headers. */
#include "corpus/warc_digest.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

enum { SHA1_LEN = 20 };

/* Decode `n` characters of a base-2^bits alphabet (base32: 5 bits, base64: 6 bits) into out;
 * '=' padding ends the input.  Returns the bytes written or -1 on a character not in `alpha`. */
static int decode_bits(const char *s, size_t n, const char *alpha, int bits, unsigned char *out,
                       size_t cap) {
    uint32_t acc = 0;
    int have = 0;
    size_t o = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        const char *p = strchr(alpha, s[i]);
        if (!p || !s[i]) return -1;
        acc = (acc << bits) | (uint32_t)(p - alpha);
        have += bits;
        if (have >= 8) {
            if (o == cap) return -1;
            out[o++] = (unsigned char)(acc >> (have - 8));
            have -= 8;
        }
    }
    return (int)o;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The 20 digest bytes written in `s` (n chars), in whichever encoding its length says. */
static int decode_sha1(const char *s, size_t n, unsigned char out[SHA1_LEN]) {
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    if (n == 40) {
        for (int i = 0; i < SHA1_LEN; i++) {
            int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
            if (h < 0 || l < 0) return -1;
            out[i] = (unsigned char)(h << 4 | l);
        }
        return 0;
    }
    if (n == 32) {
        char up[32];
        for (int i = 0; i < 32; i++)
            up[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
        return decode_bits(up, 32, b32, 5, out, SHA1_LEN) == SHA1_LEN ? 0 : -1;
    }
    if (n == 27 || n == 28) {
        if (decode_bits(s, n, b64, 6, out, SHA1_LEN) == SHA1_LEN) return 0;
        return decode_bits(s, n, b64u, 6, out, SHA1_LEN) == SHA1_LEN ? 0 : -1;
    }
    return -1;
}

int mm_warc_digest_check(const char *value, const unsigned char *data, size_t n) {
    if (!value || strncasecmp(value, "sha1:", 5)) return -1;
    const char *s = value + 5;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    unsigned char want[SHA1_LEN], got[EVP_MAX_MD_SIZE];
    unsigned int glen = 0;
    if (decode_sha1(s, len, want) < 0) return 0; /* a sha1 digest that cannot be read fails */
    if (!EVP_Digest(data, n, got, &glen, EVP_sha1(), NULL) || glen != SHA1_LEN) return -1;
    return memcmp(want, got, SHA1_LEN) == 0;
}

size_t mm_warc_http_header_len(const unsigned char *block, size_t n) {
    const unsigned char *p = block, *e = block + n;
    while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        if (p + 1 < e && p[1] == '\n') return (size_t)(p + 2 - block);
        if (p + 2 < e && p[1] == '\r' && p[2] == '\n') return (size_t)(p + 3 - block);
        p++;
    }
    return n;
}
