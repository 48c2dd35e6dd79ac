/* tests/unit/test_extract.c — the extract stage's library: charsets, HTML detection, hosts and
 * registered domains, language ID, the HTML → text writer, and hostile pages (deep nesting,
 * invalid UTF-8, binary, huge, lying charsets) that must never crash and always give valid UTF-8.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlmemory.h>

#include "common/json.h"
#include "corpus/extract.h"
#include "corpus/html.h"
#include "corpus/langid.h"
#include "corpus/url.h"
#include "corpus/xml_arena.h"
#include "tests/unit/test.h"

static mm_extract *X;

static const char *text_of(const char *html, const char *charset) {
    mm_extract_result r;
    if (mm_extract_html(X, html, strlen(html), charset, &r) != MM_OK) return "(error)";
    return r.text;
}

static const char *used_charset(const char *bytes, size_t n, const char *http) {
    static mm_buf out;
    static mm_charset *c;
    if (!c) c = mm_charset_create();
    const char *used = "";
    if (mm_charset_to_utf8(c, bytes, n, http, &out, &used) != MM_OK) return "(error)";
    return used;
}

TEST(charset_choice) {
    const char latin1[] = "<meta charset=\"ISO-8859-1\"><p>caf\xe9</p>";
    CHECK_STR(used_charset(latin1, strlen(latin1), NULL), "windows-1252");
    CHECK_STR(used_charset(latin1, strlen(latin1), "utf-8"), "windows-1252"); /* lying header */
    const char utf8[] = "<p>caf\xc3\xa9</p>";
    CHECK_STR(used_charset(utf8, strlen(utf8), "iso-8859-1"), "utf-8"); /* lying the other way */
    const char bom16[] = "\xff\xfe<\0p\0>\0";
    CHECK_STR(used_charset(bom16, sizeof bom16 - 1, NULL), "utf-16le");
    const char gb[] =
        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">\xca\xfd\xd1\xa7";
    CHECK_STR(used_charset(gb, strlen(gb), NULL), "gb18030");
    CHECK_STR(used_charset(gb, strlen(gb), "GBK"), "gb18030");
    const char ascii[] = "<p>plain</p>";
    CHECK_STR(used_charset(ascii, strlen(ascii), NULL), "utf-8");
}

TEST(charset_decoding) {
    CHECK_STR(text_of("<meta charset=latin1><p>caf\xe9 cr\xe8me</p>", NULL), "café crème");
    CHECK_STR(text_of("<p>\xca\xfd\xd1\xa7</p>", "gb2312"), "数学");
    CHECK_STR(text_of("\xef\xbb\xbf<p>ok</p>", NULL), "ok");
    /* invalid UTF-8 in a UTF-8 page: replaced, never passed through */
    const char *t = text_of("<meta charset=utf-8><p>a\xc3\xa9 b\xff\xfe c\xe2\x82</p>", "utf-8");
    CHECK(mm_utf8_valid(t, strlen(t)));
    CHECK(strstr(t, "a") && strstr(t, "c"));
    /* an unknown label falls back to detection */
    CHECK_STR(text_of("<p>hello</p>", "x-no-such-charset"), "hello");
}

TEST(is_html) {
    CHECK(mm_extract_is_html("text/html; charset=utf-8", "<p>x", 4));
    CHECK(mm_extract_is_html("application/xhtml+xml", "<?xml version", 13));
    CHECK(!mm_extract_is_html("image/png", "<html>", 6));
    CHECK(!mm_extract_is_html("application/pdf", "%PDF-1.4", 8));
    CHECK(mm_extract_is_html("", "  <!DOCTYPE html><html>", 23));
    CHECK(mm_extract_is_html("text/plain", "<html><body>", 12));
    CHECK(!mm_extract_is_html("text/plain", "just words", 10));
    CHECK(!mm_extract_is_html("application/octet-stream", "\x89PNG\r\n\x1a\n\0\0", 10));
    CHECK(!mm_extract_is_html("text/html", "\x1f\x8b\x08\0\0\0\0\0", 8)); /* gzip labelled HTML */
    CHECK(!mm_extract_is_html("text/html", "", 0));
}

TEST(url_host_domain) {
    char h[256], d[256];
    mm_url_host("http://User@WWW.Example.co.uk:8080/x?y#z", h, sizeof h);
    CHECK_STR(h, "www.example.co.uk");
    mm_url_domain(h, d, sizeof d);
    CHECK_STR(d, "example.co.uk");
    mm_url_host("https://a.b.github.io/", h, sizeof h);
    mm_url_domain(h, d, sizeof d);
    CHECK_STR(d, "b.github.io");
    mm_url_host("https://math.stackexchange.com./questions/1", h, sizeof h);
    CHECK_STR(h, "math.stackexchange.com");
    mm_url_domain(h, d, sizeof d);
    CHECK_STR(d, "stackexchange.com");
    mm_url_host("http://[::1]:80/", h, sizeof h);
    CHECK_STR(h, "[::1]");
    mm_url_host("http://127.0.0.1:8000/a", h, sizeof h);
    mm_url_domain(h, d, sizeof d);
    CHECK_STR(d, "127.0.0.1");
    mm_url_host("not a url", h, sizeof h);
    CHECK_STR(h, "");
    mm_url_domain("localhost", d, sizeof d);
    CHECK_STR(d, "localhost");
    mm_url_host("http://www.very-long-host.example.com/", h, 8);
    CHECK_STR(h, "www.ver");
}

TEST(language) {
    char l[16];
    const char *en = "The quick brown fox jumps over the lazy dog, and then the dog "
                     "chases the fox all around the garden until both are tired.";
    double s = mm_lang_detect(en, strlen(en), l, sizeof l);
    CHECK_STR(l, "en");
    CHECK(s > 0.5 && s <= 1);
    const char *zh =
        "数学是研究数量、结构、变化以及空间等概念的一门学科。数学家通过抽象化和逻辑推理，"
        "从计数、计算、量度和对物体形状及运动的观察中产生数学。";
    mm_lang_detect(zh, strlen(zh), l, sizeof l);
    CHECK_STR(l, "zh");
    const char *de = "Die Mathematik ist eine Formalwissenschaft, die aus der Untersuchung von "
                     "geometrischen Figuren und dem Rechnen mit Zahlen entstand.";
    mm_lang_detect(de, strlen(de), l, sizeof l);
    CHECK_STR(l, "de");
    CHECK(mm_lang_detect("", 0, l, sizeof l) == 0);
    CHECK_STR(l, "un");
    mm_lang_detect("\xff\xfe\xfd", 3, l, sizeof l); /* invalid UTF-8 is tolerated */
    CHECK_STR(l, "un");
}

TEST(text_layout) {
    mm_extract_opts keep = {.keep_boilerplate = true};
    mm_extract *k = mm_extract_create(&keep);
    mm_extract_result r;
    const char *html = "<h1>Title</h1><p>one  \n two</p><ul><li>a</li><li>b</li></ul>"
                       "<table><tr><th>x</th><th>y</th></tr><tr><td>1</td><td>2</td></tr></table>"
                       "<pre>line 1\n  line 2</pre><p>br<br>next</p><div hidden>secret</div>"
                       "<p style=\"display:none\">hidden</p><script>var x;</script>";
    CHECK(mm_extract_html(k, html, strlen(html), NULL, &r) == MM_OK);
    CHECK_STR(r.text,
              "Title\n\none two\n\n- a\n- b\n\nx | y\n1 | 2\n\nline 1\n  line 2\n\nbr\nnext");
    mm_extract_free(k);
}

TEST(boilerplate_pruned) {
    const char *html =
        "<html><body><nav><a href=/>Home</a> <a href=/a>About</a></nav>"
        "<div class=sidebar><p>Subscribe to our newsletter today for more great deals, "
        "offers.</p></div>"
        "<article><p>Mathematics is the science of structure, order, and relation that has evolved "
        "from counting, measuring, and describing the shapes of objects.</p><p>It deals with "
        "logical reasoning and quantitative calculation, and its development has involved an "
        "increasing degree of idealization and abstraction of its subject matter.</p></article>"
        "<footer><p>Copyright 2024, all rights reserved, do not copy this page.</p></footer>"
        "</body></html>";
    const char *t = text_of(html, NULL);
    CHECK(strstr(t, "Mathematics is the science") != NULL);
    CHECK(strstr(t, "idealization") != NULL);
    CHECK(strstr(t, "newsletter") == NULL);
    CHECK(strstr(t, "Copyright") == NULL);
    CHECK(strstr(t, "About") == NULL);
}

/* A reference page (Sphinx): classless <section>s, one much longer than the others, and one
 * <div class=section> of three whose id holds a boilerplate word ("extrapolation" holds "extra").
 * Every section is the page's content: none may be dropped for the longest one. */
TEST(reference_sections_kept) {
    static const char *const topics[] = {"Modular group", "Theta functions", "Eta function",
                                         "Elliptic integrals"};
    mm_buf b = {0};
    mm_buf_puts(&b, "<html><body><div class=sphinxsidebar><ul><li><a href=/>Index</a></li>"
                    "<li><a href=/s>Search</a></li></ul></div><div class=body><section>"
                    "<h1>Modular forms</h1><p>This module evaluates modular forms, with the "
                    "variable $\\tau$ in the upper half-plane.</p>");
    for (int i = 0; i < 4; i++) {
        mm_buf_printf(&b, "<section><h2>%s</h2>", topics[i]);
        for (int k = 0; k < (i == 1 ? 12 : 2); k++)
            mm_buf_printf(&b,
                          "<dl class=function><dt>void f%d_%d(acb_t res, const acb_t tau)</dt>"
                          "<dd><p>Sets res to the value of the %s at \\(q_{%d}\\), with "
                          "error bounds computed rigorously for every argument.</p></dd></dl>",
                          i, k, topics[i], k);
        mm_buf_puts(&b, "</section>");
    }
    mm_buf_puts(&b, "<div class=section id=summation><h2>Summation</h2><p>Direct summation "
                    "adds the terms $a_k$ until they fall below the working precision, which "
                    "suits series that converge quickly enough.</p><p>Each term is computed once, "
                    "and the sum is checked against a tolerance relative to its size.</p></div>");
    mm_buf_puts(&b, "<div class=section id=limits><h2>Limits</h2><p>The limit of a sequence "
                    "$s_n$ is estimated from its first terms, by extrapolation or by direct "
                    "evaluation at a large index.</p><p>The result comes with an estimate of "
                    "its error when one can be given.</p></div>");
    mm_buf_puts(&b, "<div class=section id=extrapolation><h2>Extrapolation</h2><p>Richardson "
                    "extrapolation accelerates the convergence of the partial sums $S_n$ of a "
                    "series, and Shanks transformation does the same for alternating ones, "
                    "with error estimates.</p><p>Both need several terms of the series before "
                    "their estimate of the limit can be trusted.</p></div>");
    mm_buf_puts(&b, "</section></div><div class=footer>Copyright the authors, built with "
                    "Sphinx.</div></body></html>");
    const char *t = text_of(b.data, NULL);
    for (int i = 0; i < 4; i++) {
        char want[64];
        snprintf(want, sizeof want, "void f%d_1(", i);
        CHECK(strstr(t, topics[i]) != NULL);
        CHECK(strstr(t, want) != NULL);
    }
    CHECK(strstr(t, "Richardson extrapolation") != NULL);
    CHECK(strstr(t, "$q_{3}$") != NULL);
    CHECK(strstr(t, "Copyright") == NULL);
    mm_buf_free(&b);
}

/* Pages built to hurt: each must give MM_OK and valid UTF-8. */
TEST(hostile_pages) {
    mm_buf b = {0};
    for (int i = 0; i < 100000; i++)
        mm_buf_puts(&b, "<div><span>");
    mm_buf_puts(&b, "deep");
    mm_extract_result r;
    CHECK(mm_extract_html(X, b.data, b.len, NULL, &r) == MM_OK);
    CHECK(mm_utf8_valid(r.text, r.text_len));
    mm_buf_clear(&b);
    for (int i = 0; i < 5000; i++)
        mm_buf_puts(&b, "<math><mrow><mfrac><msup>");
    CHECK(mm_extract_html(X, b.data, b.len, NULL, &r) == MM_OK);
    mm_buf_clear(&b);
    for (int i = 0; i < 4096; i++)
        mm_buf_putc(&b, (char)(i * 7 + 3));
    CHECK(mm_extract_html(X, b.data, b.len, "text/html", &r) == MM_OK);
    CHECK(mm_utf8_valid(r.text, r.text_len));
    CHECK(mm_extract_html(X, "", 0, NULL, &r) == MM_OK && r.text_len == 0 && r.text);
    CHECK(mm_extract_html(X, "<", 1, "utf-16", &r) == MM_OK);
    const char *lies = "<script type=\"math/tex\"></script><span class=\"math-container\"></span>"
                       "<img class=latex src=\"latex.php?latex=%zz%\"><math alttext=\"\"></math>";
    CHECK(mm_extract_html(X, lies, strlen(lies), NULL, &r) == MM_OK);
    CHECK(mm_utf8_valid(r.text, r.text_len));
    mm_buf_free(&b);
}

TEST(math_json) {
    mm_extract_math m = {0};
    mm_buf b = {0};
    CHECK(mm_extract_math_json(&m, &b) == MM_OK);
    CHECK_STR(b.data, "{}");
    m.form[MM_FORM_SCRIPT_TEX] = 2, m.display = 1;
    mm_buf_clear(&b);
    CHECK(mm_extract_math_json(&m, &b) == MM_OK);
    CHECK_STR(b.data, "{\"script_tex\":2,\"display\":1}");
    CHECK_EQ_INT(mm_extract_math_total(&m), 2);
    m.form[MM_FORM_IMG_ALT] = 1, m.form[MM_FORM_BBCODE] = 3;
    mm_buf_clear(&b);
    CHECK(mm_extract_math_json(&m, &b) == MM_OK);
    CHECK_STR(b.data, "{\"script_tex\":2,\"img_alt\":1,\"bbcode\":3,\"display\":1}");
    /* the form names are stable: documents and --stats use them as keys */
    CHECK_STR(mm_math_form_name(MM_FORM_SCRIPT_ASCIIMATH), "script_asciimath");
    CHECK_STR(mm_math_form_name(MM_FORM_TEXT_ENV), "text_env");
    CHECK(mm_math_form_name(MM_MATH_FORMS) == NULL && mm_math_form_name(-1) == NULL);
    mm_buf_free(&b);
}

TEST(reuse_is_deterministic) {
    const char *html = "<p>Same <script type=\"math/tex\">x^2</script> page, same text.</p>";
    char first[256];
    snprintf(first, sizeof first, "%s", text_of(html, NULL));
    for (int i = 0; i < 50; i++)
        CHECK_STR(text_of(html, NULL), first);
    CHECK_STR(first, "Same $x^2$ page, same text.");
}

/* A MathJax script's TeX is raw text: a '<' in it is not a tag (the strip pass once rewrote
 * "a<b c" as a start tag <b>). */
TEST(tex_script_raw_text) {
    CHECK_STR(text_of("<p>Let <script type=\"math/tex\">a<b c</script> hold.</p>", NULL),
              "Let $a<b c$ hold.");
    CHECK_STR(
        text_of("<p>And <script type=\"math/tex; mode=display\">x<y\\quad y>z</script></p>", NULL),
        "And\n$$x<y\\quad y>z$$");
}

/* The strip pass drops whitespace that sits between two block tags (the parser then makes no
 * text node of it) and shortens other whitespace-only runs to one space: spaces between inline
 * elements stay, <pre> (nested too) keeps all of its whitespace, comments between blocks
 * vanish with the blank around them. */
static const char *strip_of(const char *html) {
    static mm_buf out;
    html_math_cfg cfg;
    if (mm_html_strip(html, strlen(html), NULL, &out, &cfg) != MM_OK ||
        mm_buf_putc(&out, 0) != MM_OK)
        return "(error)";
    return out.data;
}

/* The text of a whole page (no content selection: these snippets are too short for it). */
static const char *page_text(const char *html) {
    static mm_extract *k;
    mm_extract_opts keep = {.keep_boilerplate = true};
    if (!k) k = mm_extract_create(&keep);
    mm_extract_result r;
    return k && mm_extract_html(k, html, strlen(html), NULL, &r) == MM_OK ? r.text : "(error)";
}

TEST(block_whitespace) {
    static const struct {
        const char *in, *out; /* out NULL: the same as in */
    } cases[] = {
        {"<div>\n  <p>one</p>\n\n  <P>two</p>\n</div>\n", "<div><p>one</p><P>two</p></div>\n"},
        {"<p><b>bold</b> <i>it</i>\n<a>x</a> </p>", NULL},
        {"<li>a</li> text <li>b</li>", NULL},
        {"<pre><div>a</div>\n<pre>x</pre> <div>b</div>\n</pre> <div>c</div>", NULL},
        {"<pre>x</pre><div>a</div>\n\t<div>b</div>", "<pre>x</pre><div>a</div><div>b</div>"},
        {"<ul>\n <!-- one -->\n <li>a</li>\n</ul>", "<ul><li>a</li></ul>"},
        {"<plaintext><div>a</div>\n<div>b</div>", NULL},
        /* other runs of whitespace become one space, but not inside <pre> or <math>, and a <pre>
         * after a shortened run still counts (this once went wrong) */
        {"<b>a</b>\n\t <i>b</i>", "<b>a</b> <i>b</i>"},
        {"<div>\r\n<pre><em>a</em>\r\n<code>b</code></pre>",
         "<div> <pre><em>a</em>\r\n<code>b</code></pre>"},
        {"<math><mi>x</mi>\n  <mo>+</mo></math>", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK_STR(strip_of(cases[i].in), cases[i].out ? cases[i].out : cases[i].in);
    /* what a reader sees */
    CHECK_STR(page_text("<div>\n  <p>one</p>\n\n  <p>two</p>\n</div>"), "one\n\ntwo");
    CHECK_STR(page_text("<p><b>bold</b> <i>italic</i>\n<a>link</a></p>"), "bold italic link");
    CHECK_STR(
        page_text(
            "<ul>\n  <li>one</li>\n  <li><b>two</b> <i>three</i></li>\n</ul>\n<table>\n<tr>\n "
            "<td>x</td>\n <td>y</td>\n</tr>\n</table>"),
        "- one\n- two three\n\nx | y");
}

/* The SSE2 measure of a text node equals its byte-by-byte reference: random mixes of
 * whitespace, commas, ASCII, 2-, 3- and 4-byte UTF-8 and the CJK commas, across 16-byte block
 * edges, and every length up to 70. */
TEST(text_measure_fast_equals_reference) {
    static const char *const parts[] = {" ",
                                        "\n",
                                        "\t",
                                        "\r",
                                        ",",
                                        "a",
                                        "Z",
                                        "9",
                                        "\xc3\xa9",
                                        "\xe2\x82\xac",
                                        "\xef\xbc\x8c",
                                        "\xe3\x80\x81",
                                        "\xe4\xb8\xad",
                                        "\xf0\x9f\x98\x80",
                                        "  \n\t"};
    unsigned long long x = test_seed() | 1;
    char s[512];
    for (int round = 0; round < 5000; round++) {
        size_t len = 0, want = (size_t)(round % 71);
        while (len < want) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            const char *p = parts[x % (sizeof parts / sizeof *parts)];
            size_t k = strlen(p);
            if (len + k >= sizeof s) break;
            memcpy(s + len, p, k), len += k;
        }
        s[len] = 0;
        uint32_t c1 = 3, m1 = 1, c2 = 3, m2 = 1; /* both add to what is there */
        html_text_measure(s, &c1, &m1);
        html_text_measure_ref(s, &c2, &m2);
        if (c1 != c2 || m1 != m2) {
            printf("  mismatch on [%s]: %u/%u vs %u/%u\n", s, c1, m1, c2, m2);
            CHECK(false);
            return;
        }
    }
    uint32_t c = 0, m = 0;
    html_text_measure("  one,  two\n\tthree \xe4\xb8\xad\xef\xbc\x8c", &c, &m);
    CHECK(c == 17 && m == 2); /* "one, two three 中，": leading blanks count nothing */
}

/* Class words without a pattern become codes: the same word the same code on a page, two
 * different words two codes, words with a pattern and the whitespace between words as they are,
 * so two class strings are equal after coding exactly when they were before. */
static const char *coded(html_words *w, const char *v) {
    static mm_buf out;
    bool done;
    mm_buf_clear(&out);
    if (html_words_rewrite(w, v, strlen(v), &out, &done) != MM_OK) return "(error)";
    if (!done) return "(as is)";
    return mm_buf_putc(&out, 0) == MM_OK ? out.data : "(error)";
}

TEST(class_word_codes) {
    html_words *w = html_words_create();
    CHECK(w != NULL);
    html_words_reset(w);
    CHECK_STR(coded(w, "flex content px-4"), "0 content 1");
    CHECK_STR(coded(w, "px-4  flex"), "1  0"); /* same words, same codes; spacing kept */
    CHECK_STR(coded(w, "MathJax_Display katex sidebar-left Post"),
              "MathJax_Display katex sidebar-left Post");
    CHECK_STR(coded(w, "Flex"), "2"); /* case matters, as it does to strcmp */
    static char many[40][8];          /* words are remembered by pointer until the next reset */
    for (int i = 0; i < 40; i++) {    /* codes grow a digit after 32 words, and stay distinct */
        snprintf(many[i], sizeof many[i], "w%d", i);
        coded(w, many[i]);
    }
    CHECK_STR(coded(w, "w28 w29 w30"), "~ 10 11"); /* w0 is the 4th word: code 3 */
    CHECK_STR(coded(w, "a&amp;b"), "(as is)");     /* libxml2 decodes references */
    CHECK_STR(
        coded(w,
              "one two three four five six seven eight nine ten eleven twelve thirteen fourteen x"),
        "(as is)");      /* over 80 bytes */
    html_words_reset(w); /* a new page numbers from 0 again */
    CHECK_STR(coded(w, "px-4"), "0");
    html_words_free(w);
    /* in the strip pass */
    html_words *sw = html_words_create();
    mm_buf out = {0};
    html_math_cfg tex;
    const char *page = "<div class=\"flex content\" id=\"x\"><p class='a b'>t</p></div>";
    CHECK(mm_html_strip(page, strlen(page), sw, &out, &tex) == MM_OK &&
          mm_buf_putc(&out, 0) == MM_OK);
    CHECK_STR(out.data, "<div class=\"0 content\"><p class='1 2'>t</p></div>");
    mm_buf_free(&out);
    html_words_free(sw);
}

/* The per-page arena behind libxml2's allocator: memory handed out inside a window keeps its
 * contents through growth (in place and moved), strings duplicate, free is harmless, the window's
 * end empties it for reuse, and outside a window the allocator is plain malloc. */
TEST(xml_arena) {
    mm_extract *x = mm_extract_create(NULL); /* installs the allocator */
    CHECK(x != NULL);
    mm_xml_arena *a = mm_xml_arena_create();
    CHECK(a != NULL);
    for (int round = 0; round < 3; round++) {
        mm_xml_arena_begin(a);
        char *s = xmlMalloc(10);
        memcpy(s, "abcdefghi", 10);
        s = xmlRealloc(s, 5000); /* the last allocation: grows in place */
        CHECK_STR(s, "abcdefghi");
        char *t = (char *)xmlStrdup((const xmlChar *)"second");
        s = xmlRealloc(s, 3u << 20); /* no longer last, and bigger than a block: moves */
        CHECK_STR(s, "abcdefghi");
        CHECK_STR(t, "second");
        s[(3u << 20) - 1] = 1;
        xmlFree(t);
        CHECK(mm_xml_arena_used(a) > (3u << 20));
        mm_xml_arena_end(a);
        CHECK_EQ_INT(mm_xml_arena_used(a), 0);
    }
    char *m = xmlMalloc(32); /* no window: malloc, and free really frees (ASan checks it) */
    CHECK(m != NULL);
    memcpy(m, "outside", 8);
    m = xmlRealloc(m, 64);
    CHECK_STR(m, "outside");
    xmlFree(m);
    mm_xml_arena_free(a);
    mm_extract_free(x);
}

/* AsciiMath → LaTeX (corpus/asciimath.c): the common grammar. */
static const char *am(const char *s) {
    static mm_buf out;
    mm_buf_clear(&out);
    if (!mm_asciimath_to_latex(s, strlen(s), &out)) return "(failed)";
    if (mm_buf_putc(&out, 0) != MM_OK) return "(error)";
    return out.data;
}

TEST(asciimath) {
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"a/b", "\\frac{a}{b}"},
        {"(a+b)/(c-d)", "\\frac{a+b}{c-d}"},
        {"x^2+y_1", "x^{2}+y_{1}"},
        {"x^(2n)", "x^{2n}"},
        {"sum_(i=1)^n i", "\\sum_{i=1}^{n}i"},
        {"int_a^b f(x) dx", "\\int_{a}^{b}f(x)dx"},
        {"sqrt(x+1)", "\\sqrt{x+1}"},
        {"root(3)(x)", "\\sqrt[3]{x}"},
        {"alpha+beta", "\\alpha +\\beta "},
        {"alpha x", "\\alpha x"},
        {"a<=b, c>=d, e!=f", "a\\le b,c\\ge d,e\\ne f"},
        {"a xx b -> oo", "a\\times b\\to \\infty "},
        {"lim_(x->0) sin x/x", "\\lim_{x\\to 0}\\frac{\\sin x}{x}"},
        {"((a,b),(c,d))", "\\begin{pmatrix}a&b\\\\c&d\\end{pmatrix}"},
        {"[[1,0],[0,1]]", "\\begin{bmatrix}1&0\\\\0&1\\end{bmatrix}"},
        {"(a,b)", "(a,b)"},
        {"text(if) x in RR", "\\text{if}x\\in \\mathbb{R}"},
        {"\"area\" = pi r^2", "\\text{area}=\\pi r^{2}"},
        {"abs(x) + hat(y)", "\\left|x\\right|+\\hat{y}"},
        {"x)", "x)"},
        {"frac{1}{2}", "\\frac{1}{2}"},
        {"50% & $", "50\\%\\&\\$"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK_STR(am(cases[i].in), cases[i].out);
    /* too deep: given up (the caller keeps the source); a matrix of too many tries: no crash */
    char deep[400];
    memset(deep, '(', sizeof deep - 1);
    deep[sizeof deep - 1] = 0;
    CHECK_STR(am(deep), "(failed)");
    char tries[2000] = "";
    for (int i = 0; i < 60; i++)
        strcat(tries, "((a),(b),");
    CHECK(strlen(am(tries)) > 0);
}

/* The page's MathJax / KaTeX configuration decides what "$" means. */
TEST(math_config) {
    /* no configuration: \( \) and a $ that looks like TeX; currency stays text */
    CHECK_STR(page_text("<p>It costs $5 and $10, and \\(x^2\\) is $x_1$.</p>"),
              "It costs $5 and $10, and $x^2$ is $x_1$.");
    /* MathJax v2 made $ a delimiter, with processEscapes */
    const char *v2 =
        "<script type=\"text/x-mathjax-config\">MathJax.Hub.Config({tex2jax: {inlineMath: "
        "[['$','$'], ['\\\\(','\\\\)']], processEscapes: true}});</script>"
        "<p>Let $a$ be \\(b\\); it costs \\$5.</p>";
    CHECK_STR(page_text(v2), "Let $a$ be $b$; it costs $5.");
    /* MathJax v2 without inlineMath: only \( \) is inline; $ stays text (not counted) */
    mm_extract_result r;
    const char *v2def = "<script>MathJax.Hub.Config({TeX: {extensions: []}});</script>"
                        "<p>$a_1$ and \\(b\\) and $$c$$</p>";
    static mm_extract *k;
    mm_extract_opts keep = {.keep_boilerplate = true};
    if (!k) k = mm_extract_create(&keep);
    CHECK(mm_extract_html(k, v2def, strlen(v2def), NULL, &r) == MM_OK);
    CHECK_STR(r.text, "$a_1$ and $b$ and\n$$c$$");
    CHECK_EQ_INT(r.math.form[MM_FORM_TEXT_TEX], 2);
    /* MathJax v3 with custom delimiters */
    const char *v3 = "<script>window.MathJax = {tex: {inlineMath: [['@@', '@@']], displayMath: "
                     "[[\"\\\\[\", \"\\\\]\"]]}};</script><p>So @@x^2@@ and \\[y\\] but $z_1$.</p>";
    CHECK(mm_extract_html(k, v3, strlen(v3), NULL, &r) == MM_OK);
    CHECK_STR(r.text, "So $x^2$ and\n$$y$$\nbut $z_1$.");
    CHECK_EQ_INT(r.math.form[MM_FORM_TEXT_TEX], 2);
    /* KaTeX auto-render, minified, in an onload attribute */
    const char *kx = "<script defer src=\"auto-render.min.js\" onload=\"renderMathInElement("
                     "document.body,{delimiters:[{left:'$',right:'$',display:!1},"
                     "{left:'\\\\[',right:'\\\\]',display:!0}]})\"></script>"
                     "<p>Take $5 and$ \\[q\\] \\(no\\)</p>";
    CHECK(mm_extract_html(k, kx, strlen(kx), NULL, &r) == MM_OK);
    CHECK_STR(r.text, "Take $5 and$\n$$q$$\n\\(no\\)");
    /* the configuration read directly */
    html_math_cfg c;
    memset(&c, 0, sizeof c);
    c.escapes = -1;
    const char *js = "MathJax = {tex: {inlineMath: [[\"$\",\"$\"],['\\\\(', '\\\\)']]}}";
    html_math_cfg_scan(&c, js, js + strlen(js));
    html_delim d[HTML_DELIM_MAX];
    size_t n;
    bool esc;
    html_math_cfg_delims(&c, d, &n, &esc);
    CHECK(c.mathjax && !c.mathjax_v2 && esc); /* v3: processEscapes is on by default */
    CHECK_EQ_INT(n, 4);                       /* $ \( and the default $$ \[ */
    CHECK_STR(d[0].open, "\\(");
    CHECK(!d[n - 1].display && !strcmp(d[n - 1].open, "$") && !d[n - 1].heuristic);
    /* broken JavaScript is never a crash */
    const char *bad[] = {"MathJax.Hub.Config({tex2jax: {inlineMath: [['$",
                         "MathJax = ", "renderMathInElement(x, {delimiters: [{left: \"",
                         "inlineMath:[[", "MathJax={inlineMath:[['aaaaaaaaaaaaaaaaaaaaaaa','b']]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&c, 0, sizeof c);
        html_math_cfg_scan(&c, bad[i], bad[i] + strlen(bad[i]));
        html_math_cfg_delims(&c, d, &n, &esc);
        CHECK(n <= HTML_DELIM_MAX);
    }
}

/* TeX already in the text, one way out; code untouched. */
TEST(text_tex_normalised) {
    CHECK_STR(page_text("<p>A \\(x\\) B \\[y\\] C $$z$$ D</p>"), "A $x$ B\n$$y$$\nC\n$$z$$\nD");
    CHECK_STR(page_text("<p>\\begin{align}a &= b \\\\ c &= d\\end{align}</p>"),
              "$$\\begin{align}a &= b \\\\ c &= d\\end{align}$$");
    CHECK_STR(page_text("<p>x \\begin{equation*}E=mc^2\\end{equation*} y</p>"),
              "x\n$$\\begin{equation*}E=mc^2\\end{equation*}$$\ny");
    CHECK_STR(page_text("<p>\\begin{itemize}x\\end{itemize}</p>"),
              "\\begin{itemize}x\\end{itemize}");
    CHECK_STR(page_text("<p>[tex]x^2[/tex], [LATEX]\\frac12[/LATEX] and [math]$$y$$[/math]</p>"),
              "$x^2$, $\\frac12$ and\n$$y$$");
    CHECK_STR(page_text("<p>a \\\\(b\\\\) c</p>"), "a \\\\(b\\\\) c"); /* \\ is a line break */
    CHECK_STR(page_text("<p>\\(a\n   + b\\)</p>"), "$a + b$");         /* spacing as shown */
    CHECK_STR(page_text("<p>“\\(\\varepsilon\\)”</p>"), "“$\\varepsilon$”");
    CHECK_STR(page_text("<pre>$x$ \\(y\\)\n  \\[z\\]</pre><p><code>$HOME \\(a\\)</code></p>"),
              "$x$ \\(y\\)\n  \\[z\\]\n\n$HOME \\(a\\)");
    CHECK_STR(page_text("<p>unclosed \\( and $ and [tex] and \\begin{align}</p>"),
              "unclosed \\( and $ and [tex] and \\begin{align}");
    CHECK_STR(page_text("<p>$a=$b; echo $x and $y</p>"), "$a=$b; echo $x and $y");
}

/* Images: TeX in alt/title/data-latex whatever the class; ordinary images are not formulas. */
TEST(img_tex_forms) {
    CHECK_STR(page_text("<p>Let <img class=\"math\" src=\"_images/math/a1.png\" alt=\"x^2 + 2xy\"> "
                        "be.</p><div class=\"math\"><p><img src=\"_images/math/b2.png\" "
                        "alt=\"\\int_0^1 f\"/></p></div>"),
              "Let $x^2 + 2xy$ be.\n\n$$\\int_0^1 f$$");
    CHECK_STR(page_text("<p>A <img src=\"https://q.org/ql-cache/quicklatex.com-1.png\" "
                        "class=\"ql-img-inline-formula\" alt=\"&#92;&#40;a^2&#92;&#41;\" "
                        "title=\"Rendered by QuickLaTeX.com\"> b</p>"),
              "A $a^2$ b");
    CHECK_STR(page_text("<p><img class=\"ql-img-displayed-equation\" src=\"x.png\" "
                        "alt=\"Rendered by QuickLaTeX.com\" title=\"\\[ \\sum k \\]\"> after</p>"),
              "$$\\sum k$$\nafter");
    CHECK_STR(page_text("<p>Then <img data-latex=\"\\pi r^2\" src=\"p.png\" alt=\"area\"> and "
                        "<img src=\"f.png\" alt=\"\\frac{a}{b}\"> and "
                        "<img src=\"g.png\" title=\"e^{i\\pi}\"></p>"),
              "Then $\\pi r^2$ and $\\frac{a}{b}$ and $e^{i\\pi}$");
    /* Wikimedia's renderer; a display formula alone in a <dd> through an inline wrapper */
    CHECK_STR(
        page_text("<p>So <img src=\"https://wikimedia.org/api/rest_v1/media/math/render/svg/1\" "
                  "alt=\"{\\displaystyle A}\"> is</p><dl><dd><span><img "
                  "src=\"https://wikimedia.org/api/rest_v1/media/math/render/svg/2\" "
                  "alt=\"{\\displaystyle a_{ij}=b}\"></span></dd></dl>"),
        "So $A$ is\n\n$$a_{ij}=b$$");
    const char *plain = "<p>Our <img src=\"team.jpg\" alt=\"A photo of the team\"> and "
                        "<img src=\"logo.png\" alt=\"logo\"> and <img src=\"b.jpg\" "
                        "alt=\"borderlands_3_3\"> <img src=\"c.png\" alt=\"IMG_2034.jpg\"> "
                        "<img src=\"d.png\" alt=\"dp3_1_en\"> <img alt=\"^_^\"> "
                        "<img alt=\"C:\\Users\\me\"> <img class=latex alt=\"photo.png\"></p>";
    mm_extract_result r;
    static mm_extract *k;
    mm_extract_opts keep = {.keep_boilerplate = true};
    if (!k) k = mm_extract_create(&keep);
    CHECK(mm_extract_html(k, plain, strlen(plain), NULL, &r) == MM_OK);
    CHECK_STR(r.text, "Our and and");
    CHECK_EQ_INT(mm_extract_math_total(&r.math), 0);
}

/* MathJax's other script types. */
TEST(script_forms) {
    CHECK_STR(page_text("<p>So <script type=\"math/asciimath\">sum_(i=1)^n i</script> and "
                        "<script type=\"math/asciimath; mode=display\">a/b</script></p>"),
              "So $\\sum_{i=1}^{n}i$ and\n$$\\frac{a}{b}$$");
    CHECK_STR(page_text("<p>Let <script type=\"math/mml\"><math><msup><mi>x</mi><mn>2</mn>"
                        "</msup></math></script> and <script type=\"math/mml\">"
                        "<math display=\"block\"><mfrac><mi>a</mi><mi>b</mi></mfrac></math>"
                        "</script></p>"),
              "Let $x^{2}$ and\n$$\\frac{a}{b}$$");
    CHECK_STR(page_text("<p><script type=\"math/mml\"><math><mi>x</script> "
                        "<script type=\"math/mml\"></script><script type=\"math/asciimath\">"
                        "</script>z</p>"),
              "$x$ z");
}

int main(void) {
    test_prog_ = "test_extract";
    X = mm_extract_create(NULL);
    RUN(charset_choice);
    RUN(charset_decoding);
    RUN(is_html);
    RUN(url_host_domain);
    RUN(language);
    RUN(text_layout);
    RUN(boilerplate_pruned);
    RUN(reference_sections_kept);
    RUN(hostile_pages);
    RUN(math_json);
    RUN(reuse_is_deterministic);
    RUN(xml_arena);
    RUN(tex_script_raw_text);
    RUN(block_whitespace);
    RUN(text_measure_fast_equals_reference);
    RUN(class_word_codes);
    RUN(asciimath);
    RUN(math_config);
    RUN(text_tex_normalised);
    RUN(img_tex_forms);
    RUN(script_forms);
    mm_extract_free(X);
    return test_summary();
}
