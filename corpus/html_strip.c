/* corpus/html_strip.c — drop what can never be text before the HTML parser sees it.
 *
 * On the web ~60% of an HTML page's bytes are <script>, <style>, comments and inline <svg>
 * (measured on the article-extraction benchmark), and libxml2's parser spends time per byte on
 * them only for the extractor to throw them away.  This pass copies the page while skipping those
 * elements with memchr-driven scanning, so the parser gets a page a third the size.
 *
 * <meta> and <link> tags go too (void; the charset is decided on the raw bytes before this).
 * What is kept: <script type="math/tex…"> (MathJax v2 formulas live there) and everything else.
 * The rules follow how browsers tokenise these raw-text elements: a <script> or <style> ends at
 * the first "</script" / "</style" (case-insensitive), a comment at the first "-->", whatever is
 * in between; an element or comment that never closes runs to the end of the page.  An <svg>
 * ends at the first "</svg" (nested SVG is rare, and all of it is dropped anyway).
 * A math/tex script's own content is copied untouched (its start tag is filtered like any). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "corpus/html.h"

/* The first case-insensitive occurrence of `needle` (which starts with '<' or '-') at or after
 * s, or NULL. */
static const char *find_ci(const char *s, const char *end, const char *needle) {
    size_t k = strlen(needle);
    while (s < end) {
        const char *p = memchr(s, needle[0], (size_t)(end - s));
        if (!p || (size_t)(end - p) < k) return NULL;
        if (!strncasecmp(p, needle, k)) return p;
        s = p + 1;
    }
    return NULL;
}

/* Does the tag at s (just after '<') start with `name` (lowercase) followed by a delimiter? */
static bool tag_is(const char *s, const char *end, const char *name) {
    size_t k = strlen(name);
    if ((size_t)(end - s) <= k || (*s | 0x20) != name[0] || strncasecmp(s, name, k)) return false;
    char c = s[k];
    return c == '>' || c == '/' || isspace((unsigned char)c);
}

/* Where the raw-text element or comment starting at lt ('<') ends (one past its last byte), or
 * NULL when it must be kept (*tex set for a math/tex script). */
static const char *skip_end(const char *lt, const char *end, bool *tex) {
    const char *s = lt + 1;
    if (end - s >= 3 && !memcmp(s, "!--", 3)) {
        const char *c = find_ci(s + 3, end, "-->");
        return c ? c + 3 : end;
    }
    const char *close;
    if (tag_is(s, end, "script")) {
        const char *gt = memchr(s, '>', (size_t)(end - s));
        if (!gt) return end;
        const char *type = find_ci(s, gt, "math/");
        if (type) { /* a MathJax formula */
            *tex |= end - type >= 8 && !strncasecmp(type, "math/tex", 8);
            return NULL;
        }
        close = "</script";
    } else if (tag_is(s, end, "style")) {
        close = "</style";
    } else if (tag_is(s, end, "svg")) {
        close = "</svg";
    } else if (tag_is(s, end, "meta") || tag_is(s, end, "link")) {
        /* void elements no pass reads (the charset was decided on the raw bytes) */
        const char *gt = memchr(s, '>', (size_t)(end - s));
        return gt ? gt + 1 : end;
    } else {
        return NULL;
    }
    const char *c = find_ci(s, end, close);
    if (!c) return end;
    const char *gt = memchr(c, '>', (size_t)(end - c));
    return gt ? gt + 1 : end;
}

/* ---- attribute filtering ----
 * libxml2 makes two allocations per attribute (the attribute and its text), and pages carry
 * many we never read (href, data-*, srcset, onclick, …).  Start tags are rewritten keeping only
 * the attributes some pass looks at; everything else is copied byte for byte. */

#define ATTR(s) {s, sizeof s - 1}
static const struct {
    const char *name;
    size_t len;
} kept_attrs[] = {ATTR("class"), ATTR("id"), ATTR("role"), ATTR("style"), ATTR("hidden"),
    ATTR("aria-hidden"), ATTR("type"), ATTR("display"), ATTR("alttext"), ATTR("encoding"),
    ATTR("src"), ATTR("alt"), ATTR("mode"), ATTR("open"), ATTR("close"), ATTR("separators")};
#undef ATTR

/* Called for every attribute of the page: compares only names of the same length and first
 * letter. */
static bool kept(const char *name, size_t k) {
    char c = (char)(name[0] | 0x20);
    for (size_t i = 0; i < sizeof kept_attrs / sizeof *kept_attrs; i++)
        if (kept_attrs[i].len == k && kept_attrs[i].name[0] == c &&
            !strncasecmp(name, kept_attrs[i].name, k))
            return true;
    return false;
}

/* Does s..end contain one of the words (case-insensitive)? */
static bool has_word(const char *s, const char *end, const char *const *words, size_t k) {
    for (; s < end; s++)
        for (size_t i = 0; i < k; i++) {
            size_t n = strlen(words[i]);
            if ((*s | 0x20) == words[i][0] && (size_t)(end - s) >= n && !strncasecmp(s, words[i], n))
                return true;
        }
    return false;
}

/* Some kept attributes matter only for a few values; the attribute text (from after its name to
 * its end) decides.  A style is only read for display:none and visibility:hidden; an image's src
 * only when it is a TeX image (latex.php, mimetex, mathtex, codecogs, Google chart cht=tx). */
static bool value_matters(const char *name, size_t nlen, const char *s, const char *end) {
    static const char *const hides[] = {"none", "hidden"};
    static const char *const tex_src[] = {"tex", "codecogs", "cht=tx"};
    if (nlen == 5 && (name[0] | 0x20) == 's') return has_word(s, end, hides, 2);
    if (nlen == 3 && (name[0] | 0x20) == 's') return has_word(s, end, tex_src, 3);
    return true;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

/* Copy the start tag at lt ('<' + letter) with only kept attributes; returns one past its '>'
 * (or `end` for a tag cut off by the end of the page, copied as it is). */
static mm_err copy_start_tag(const char *lt, const char *end, mm_buf *out, const char **next) {
    const char *p = lt + 1;
    while (p < end && !is_space(*p) && *p != '>' && *p != '/') p++;
    MM_TRY(mm_buf_append(out, lt, (size_t)(p - lt)));
    for (;;) {
        while (p < end && (is_space(*p) || *p == '/')) p++;
        if (p >= end) return *next = end, MM_OK;
        if (*p == '>') break;
        const char *name = p;
        while (p < end && !is_space(*p) && *p != '>' && *p != '=' && *p != '/') p++;
        size_t nlen = (size_t)(p - name);
        const char *q = p;
        while (q < end && is_space(*q)) q++;
        if (q < end && *q == '=') {
            q++;
            while (q < end && is_space(*q)) q++;
            if (q < end && (*q == '"' || *q == '\'')) {
                const char *close = memchr(q + 1, *q, (size_t)(end - q - 1));
                q = close ? close + 1 : end;
            } else {
                while (q < end && !is_space(*q) && *q != '>') q++;
            }
            p = q;
        }
        if (nlen == 0) p++;
        else if (kept(name, nlen) && value_matters(name, nlen, name + nlen, p)) {
            MM_TRY(mm_buf_putc(out, ' '));
            MM_TRY(mm_buf_append(out, name, (size_t)(p - name)));
        }
    }
    if (p[-1] == '/') MM_TRY(mm_buf_putc(out, '/')); /* keep "<mspace/>" self-closed */
    MM_TRY(mm_buf_putc(out, '>'));
    *next = p + 1;
    return MM_OK;
}

mm_err mm_html_strip(const char *s, size_t n, mm_buf *out, bool *tex_scripts) {
    *tex_scripts = false;
    mm_buf_clear(out);
    MM_TRY(mm_buf_reserve(out, n + 1));
    const char *end = s + n, *copied = s, *p = s;
    while (p < end && (p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        const char *skip = skip_end(p, end, tex_scripts);
        bool start_tag = !skip && p + 1 < end && isalpha((unsigned char)p[1]);
        if (!skip && !start_tag) {
            p++;
            continue;
        }
        MM_TRY(mm_buf_append(out, copied, (size_t)(p - copied))); /* "a<!-- -->b" renders "ab" */
        if (skip) {
            copied = p = skip;
            continue;
        }
        bool script = tag_is(p + 1, end, "script"); /* a kept one: math/tex */
        MM_TRY(copy_start_tag(p, end, out, &p));
        copied = p;
        if (script) { /* its TeX is raw text up to </script, '<' and all, copied as it is */
            const char *c = find_ci(p, end, "</script");
            const char *stop = c ? c : end;
            MM_TRY(mm_buf_append(out, p, (size_t)(stop - p)));
            copied = p = stop;
        }
    }
    return mm_buf_append(out, copied, (size_t)(end - copied));
}
