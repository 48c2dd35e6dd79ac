/* corpus/langid.h — language identification with cld2 (a small C++ wrapper exposing C).
 * Thread-safe (cld2 keeps no mutable global state); no context needed. */
#ifndef MM_LANGID_H
#define MM_LANGID_H

#include <stddef.h>

#include "common/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Detect the language of UTF-8 plain text `text[0..n)`.  Writes its code ("en", "zh",
 * "zh-Hant", "ja", …; "un" when unknown) into lang (cap >= 16) and returns a score in [0, 1]:
 * the share of the text in that language, halved when cld2 calls the result unreliable.
 * Invalid UTF-8 is tolerated (scored only up to the first bad byte). */
MM_API double mm_lang_detect(const char *text, size_t n, char *lang, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
