/* URL normalisation: each rule of dedup/urlnorm.h, one asserted case at a time. */
#include "dedup/urlnorm.h"
#include "test.h"

static const char *N(const char *u) {
    static mm_buf b;
    mm_buf_clear(&b);
    if (mm_urlnorm(u, strlen(u), &b)) return "(error)";
    return b.data ? b.data : "";
}

TEST(scheme_and_host) {
    CHECK_STR(N("HTTP://Example.COM/Path"), "https://example.com/Path");
    CHECK_STR(N("https://example.com."), "https://example.com/");
    CHECK_STR(N("  http://example.com/a \n"), "https://example.com/a");
    CHECK_STR(N("FTP://Host/x"), "ftp://host/x");
    CHECK_STR(N("http://User:Pw@Example.com/"), "https://User:Pw@example.com/");
}

TEST(ports) {
    CHECK_STR(N("http://example.com:80/a"), "https://example.com/a");
    CHECK_STR(N("https://example.com:443/a"), "https://example.com/a");
    CHECK_STR(N("https://example.com:/a"), "https://example.com/a");
    CHECK_STR(N("https://example.com:8080/a"), "https://example.com:8080/a");
    CHECK_STR(N("http://[::1]:80/x"), "https://[::1]/x");
}

TEST(fragment) {
    CHECK_STR(N("https://example.com/a#section-2"), "https://example.com/a");
    CHECK_STR(N("https://example.com/a?x=1#frag"), "https://example.com/a?x=1");
}

TEST(tracking_params) {
    CHECK_STR(N("https://e.com/a?utm_source=tw&utm_medium=x&id=5"), "https://e.com/a?id=5");
    CHECK_STR(N("https://e.com/a?fbclid=abc"), "https://e.com/a");
    CHECK_STR(N("https://e.com/a?gclid=1&b=2&a=1"), "https://e.com/a?a=1&b=2");
    CHECK_STR(N("https://e.com/a?UTM_Campaign=z&q=math"), "https://e.com/a?q=math");
    CHECK_STR(N("https://e.com/a?"), "https://e.com/a");
    CHECK_STR(N("https://e.com/a?b=2&a=1&b=1"), "https://e.com/a?a=1&b=2&b=1");
}

TEST(percent_encoding) {
    CHECK_STR(N("https://e.com/%7euser/%41bc"), "https://e.com/~user/Abc");
    CHECK_STR(N("https://e.com/a%2fb"), "https://e.com/a%2Fb");
    CHECK_STR(N("https://e.com/a b"), "https://e.com/a%20b");
    CHECK_STR(N("https://e.com/caf\xc3\xa9"), "https://e.com/caf%C3%A9");
    CHECK_STR(N("https://e.com/caf%c3%a9"), "https://e.com/caf%C3%A9");
    CHECK_STR(N("https://e.com/100%"), "https://e.com/100%25");
}

TEST(paths) {
    CHECK_STR(N("https://e.com"), "https://e.com/");
    CHECK_STR(N("https://e.com/"), "https://e.com/");
    CHECK_STR(N("https://e.com/a/b/"), "https://e.com/a/b");
    CHECK_STR(N("https://e.com/a/./b/../c"), "https://e.com/a/c");
    CHECK_STR(N("https://e.com/../a"), "https://e.com/a");
    CHECK_STR(N("https://e.com/a/b/.."), "https://e.com/a");
    CHECK_STR(N("https://e.com?q=1"), "https://e.com/?q=1");
}

TEST(not_a_url) {
    CHECK_STR(N(" Example.com/A "), "example.com/a");
    CHECK_STR(N(""), "");
}

TEST(same_page) {
    const char *a[] = {"http://www.Example.com:80/wiki/Euler%27s_formula/?utm_source=x#History",
                       "https://www.example.com/wiki/Euler%27s_formula",
                       "HTTPS://WWW.EXAMPLE.COM/wiki/./Euler%27s_formula?fbclid=9"};
    mm_buf x = {0}, y = {0};
    for (int i = 1; i < 3; i++) {
        mm_buf_clear(&x);
        mm_buf_clear(&y);
        mm_urlnorm(a[0], strlen(a[0]), &x);
        mm_urlnorm(a[i], strlen(a[i]), &y);
        CHECK_STR(x.data, y.data);
    }
    mm_buf_free(&x);
    mm_buf_free(&y);
}

int main(void) {
    test_prog_ = "test_dedup_urlnorm";
    RUN(scheme_and_host);
    RUN(ports);
    RUN(fragment);
    RUN(tracking_params);
    RUN(percent_encoding);
    RUN(paths);
    RUN(not_a_url);
    RUN(same_page);
    return test_summary();
}
