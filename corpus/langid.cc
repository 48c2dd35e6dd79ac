/* corpus/langid.cc — cld2 behind the C API of corpus/langid.h. */
#include "corpus/langid.h"

#include <cstdio>
#include <cstring>

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

namespace CLD2 {
const char *LanguageCode(Language lang); /* exported by libcld2 (internal/lang_script.h) */
}

/* cld2 only needs a few KB to be sure of a language; long pages are cut to keep it fast. */
static const size_t kMaxScan = 4 * 1024;

/* Bytes of `s` that are valid UTF-8 from the start (cld2 stops at the first bad byte anyway). */
static size_t valid_prefix(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!k || i + k > n) break;
        size_t j = 1;
        while (j < k && (s[i + j] & 0xC0) == 0x80)
            j++;
        if (j < k) break;
        i += k;
    }
    return i;
}

extern "C" MM_API double mm_lang_detect(const char *text, size_t n, char *lang, size_t cap) {
    if (n > kMaxScan) {
        n = kMaxScan;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--; /* cut on a boundary */
    }
    n = valid_prefix((const unsigned char *)text, n);
    CLD2::Language l3[3];
    int pct[3], text_bytes = 0;
    double norm[3];
    bool reliable = false;
    CLD2::Language l = CLD2::ExtDetectLanguageSummary(
        text, (int)n, true, "", CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE, l3, pct, norm,
        &text_bytes, &reliable);
    const char *code = l == CLD2::UNKNOWN_LANGUAGE ? "un" : CLD2::LanguageCode(l);
    snprintf(lang, cap, "%s", code && *code ? code : "un");
    if (l == CLD2::UNKNOWN_LANGUAGE) return 0.0;
    double score = (l == l3[0] ? pct[0] : 0) / 100.0;
    return reliable ? score : score / 2;
}
