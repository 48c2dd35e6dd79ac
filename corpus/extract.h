/* corpus/extract.h — the `extract` stage: HTML → main text with the mathematics kept as LaTeX,
 * and WARC → document shard.
 *
 *   mm_extract *x = mm_extract_create(&opts);          // one per thread, reused
 *   mm_extract_result r;
 *   mm_extract_html(x, html, n, "iso-8859-1", &r);     // r.text: UTF-8, valid until next call
 *   mm_extract_free(x);
 *
 * Pipeline of one page: charset decoding to UTF-8 (HTTP charset, BOM, <meta>, uchardet, iconv;
 * corpus/charset.c) → libxml2's HTML parser (recover, no network, depth-limited) → the math
 * pass (every web form of a formula becomes a text node "$…$" / "$$…$$" and its rendered twin
 * is removed; corpus/extract_math.c, corpus/mathml.c) → boilerplate pruning and main-content
 * selection (corpus/html_content.c) → plain text (corpus/html_text.c).
 *
 * Ownership: the context owns every buffer a result points to; they stay valid until the next
 * call on the same context or mm_extract_free.  The library never prints.  Broken input is
 * never an error: the page is extracted as well as it can be (an empty text is a valid result).
 * Errors are only MM_ERR_NOMEM and, for files, MM_ERR_IO. */
#ifndef MM_EXTRACT_H
#define MM_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "corpus/warc.h"

typedef struct mm_extract mm_extract;

typedef struct mm_extract_opts {
    bool keep_boilerplate; /* no pruning, no main-content selection: all visible text */
    bool keep_comments;    /* a blog post's comment section is kept with the post */
    size_t max_bytes;      /* pages larger than this are skipped by the WARC driver; 0 = 8 MiB */
} mm_extract_opts;

/* The forms a formula is found in (names stable: they are the keys of the `math` object of a
 * document and of `--stats`; see docs/extract.md).  Each formula is counted once, under the form
 * it was taken from. */
typedef enum mm_math_form {
    MM_FORM_SCRIPT_TEX,       /* script_tex: <script type="math/tex"> (MathJax v2 source) */
    MM_FORM_SCRIPT_ASCIIMATH, /* script_asciimath: <script type="math/asciimath">, converted */
    MM_FORM_SCRIPT_MML,       /* script_mml: <script type="math/mml">, MathML converted */
    MM_FORM_TEX_ANNOTATION,   /* tex_annotation: <annotation encoding="application/x-tex"> */
    MM_FORM_MATHML_ALTTEXT,   /* mathml_alttext: <math alttext="…"> */
    MM_FORM_MATHML,           /* mathml: MathML converted to LaTeX */
    MM_FORM_MATH_CONTAINER,   /* math_container: StackExchange .math-container */
    MM_FORM_IMG_TEX,          /* img_tex: <img> of a TeX renderer or math class: alt/title/src */
    MM_FORM_IMG_ALT,          /* img_alt: any other <img> whose alt/title/data-tex is TeX */
    /* the forms below come from the page's text (their spacing is kept): keep them last */
    MM_FORM_TEXT_TEX, /* text_tex: \( \) \[ \] $$ $ (or the page's own) in the text */
    MM_FORM_TEXT_ENV, /* text_env: \begin{equation|align|…} … \end{…} in the text */
    MM_FORM_BBCODE,   /* bbcode: [tex]…[/tex], [latex]…[/latex], [math]…[/math] */
    MM_MATH_FORMS
} mm_math_form;

/* The stable name of a form ("script_tex", …; NULL out of range). */
MM_API const char *mm_math_form_name(int form);

/* What the math pass found in one page, per form. */
typedef struct mm_extract_math {
    uint32_t form[MM_MATH_FORMS];
    uint32_t display;          /* of all of the above, display formulas */
    uint32_t rendered_removed; /* rendered twins removed (MathJax CHTML/SVG, KaTeX HTML, …) */
} mm_extract_math;

typedef struct mm_extract_result {
    const char *text; /* UTF-8, NUL-terminated, no leading/trailing blank lines */
    size_t text_len;
    const char *charset;  /* the charset the page was decoded from ("utf-8", "windows-1252"…) */
    const char *title;    /* <title> text, "" if none */
    mm_extract_math math; /* formulas found in the page */
    uint32_t written[MM_MATH_FORMS]; /* of those, the ones in `text` (content selection kept) */
} mm_extract_result;

MM_API mm_extract *mm_extract_create(const mm_extract_opts *opts); /* NULL on no memory */
MM_API void mm_extract_free(mm_extract *x);                        /* accepts NULL */

/* Extract the main text of one HTML page.  `http_charset` is the charset= parameter of the
 * HTTP Content-Type (NULL or "" when none).  Returns MM_OK with r filled (maybe empty text). */
MM_API mm_err mm_extract_html(mm_extract *x, const void *html, size_t n, const char *http_charset,
                              mm_extract_result *r);

/* Plain text as a result, for WET files (`conversion` records: text the crawler already took
 * out of the HTML, so the math markup is gone): decoded to valid UTF-8 (`charset` plays the
 * HTTP charset, NULL or "" when none; Common Crawl's WET text is UTF-8), line ends made "\n",
 * blank lines at the start and the end dropped, the rest as it is.  No math counts, no title. */
MM_API mm_err mm_extract_text(mm_extract *x, const void *text, size_t n, const char *charset,
                              mm_extract_result *r);

/* Write the math counts of `m` as a compact JSON object ("{}" when all are zero). */
MM_API mm_err mm_extract_math_json(const mm_extract_math *m, mm_buf *b);
/* Number of formulas in `m` (every form, not the display/rendered counters). */
MM_API uint32_t mm_extract_math_total(const mm_extract_math *m);

/* Is this payload HTML?  By Content-Type (text/html, application/xhtml+xml) when it names one
 * of those; a non-HTML type (image/…, application/pdf, …) is rejected; an empty or generic type
 * (text/plain, application/octet-stream, unknown) is decided by sniffing the first bytes
 * (WHATWG-style: "<!doctype html", "<html", "<head", "<body", "<p", … after whitespace/BOM)
 * and rejects binary bytes (NUL and control characters) in the first 512 bytes. */
MM_API bool mm_extract_is_html(const char *content_type, const void *body, size_t n);

/* ---- charsets (corpus/charset.c) ---- */

typedef struct mm_charset mm_charset; /* per-thread: caches iconv descriptors and uchardet */
MM_API mm_charset *mm_charset_create(void);
MM_API void mm_charset_free(mm_charset *c);
/* Decode `in` to valid UTF-8 in `out` (replacing its content).  The charset is chosen in this
 * order: BOM, `http_charset`, <meta charset>/http-equiv in the first 4 KiB, uchardet detection,
 * else windows-1252 (labels follow WHATWG: latin1/ascii/iso-8859-1 mean windows-1252, gb2312
 * means GB18030, …).  Bytes invalid in that charset become U+FFFD.  *used names the charset. */
MM_API mm_err mm_charset_to_utf8(mm_charset *c, const void *in, size_t n, const char *http_charset,
                                 mm_buf *out, const char **used);

/* ---- WARC → document shard (corpus/extract_warc.c) ---- */

typedef struct mm_extract_stats {
    uint64_t records;   /* WARC records read */
    uint64_t responses; /* response/resource records */
    uint64_t html;      /* of those, HTML with HTTP status 2xx */
    uint64_t extracted; /* documents written */
    uint64_t skip_not_html, skip_status, skip_too_large, skip_http_error, skip_empty,
        skip_min_chars, skip_lang, skip_damaged;
    uint64_t bytes_in;          /* compressed WARC bytes read */
    uint64_t html_bytes;        /* HTML payload bytes given to the extractor */
    uint64_t bytes_out;         /* uncompressed JSON bytes written */
    uint64_t math_docs;         /* documents with at least one formula */
    uint64_t skip_http_partial; /* HTTP 206 Partial Content: a part of a page, skipped */
    uint64_t truncated;         /* documents written from a truncated record or HTTP body (their
                                   "truncated" field says why); also counted in `extracted` */
    uint64_t conversions;       /* WET `conversion` records read (plain text, math markup gone) */
    uint64_t text_docs;         /* of those, plain text given to mm_extract_text */
    /* per form (mm_math_form), over the documents written: formulas found in their HTML, and
     * those in the text written (the others were in what content selection dropped) */
    uint64_t math_found[MM_MATH_FORMS], math_written[MM_MATH_FORMS];
    uint64_t http_retries, http_resumes, http_restarts; /* URL inputs read (mm_http_fetch_stats) */
    uint64_t inputs_cut; /* inputs that ended inside a record, kept with keep_cut */
} mm_extract_stats;

typedef struct mm_extract_file_opts {
    mm_extract_opts extract;
    size_t min_chars;         /* drop documents with fewer characters (code points); 0 = keep all */
    const char *const *langs; /* keep only these cld2 codes (NULL = all) */
    size_t nlangs;
    int zstd_level; /* 0 = default (3) */
    /* called every few records with the records and bytes done since the last call (may be NULL) */
    void (*progress)(void *ctx, uint64_t records, uint64_t bytes);
    void *progress_ctx;
    volatile int *stop;        /* when set non-zero, stop and fail (output not committed) */
    const mm_http_retry *http; /* URL inputs: retries (NULL = mm_http_retry_defaults) */
    bool keep_cut; /* keep the shard of an input that ends inside a record (see below) */
} mm_extract_file_opts;

/* Extract every HTML response of the WARC `in` into the shard `out` (.jsonl.zst), atomically:
 * nothing is left at `out` unless the whole file was done.  An input with no WARC record
 * (empty, not a WARC) fails with MM_ERR_FORMAT; one that ends inside a record (cut short by the
 * end of the file, its gzip member or its compressed stream) fails with MM_ERR_TRUNCATED naming
 * file and byte, and no shard is left, unless o->keep_cut (then it counts in st->inputs_cut).
 * Damaged records are counted and skipped; a record the reader returns cut short, or with
 * WARC-Truncated, is extracted from what there is and its document carries "truncated" (counted in
 * st->truncated).  HTTP 206 responses are skipped (skip_http_partial).  WET `conversion` records
 * (text/plain) become documents of their text (st->conversions > 0 tells the caller the file's math
 * markup was already gone). `x` is the caller's per-thread context.  Adds to *st. */
MM_API mm_err mm_extract_warc(mm_extract *x, const char *in, const char *out,
                              const mm_extract_file_opts *o, mm_extract_stats *st);
MM_API void mm_extract_stats_add(mm_extract_stats *into, const mm_extract_stats *s);
/* Count one written document's math into *st (math_docs, math_found, math_written). */
MM_API void mm_extract_stats_doc(mm_extract_stats *st, const mm_extract_result *r);

#endif
