#include "common/svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/io.h"

enum { W = 720, H = 420, ML = 70, MR = 150, MT = 40, MB = 50 };
static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#17becf"};

static void xml_text(mm_buf *b, const char *s) {
    for (; s && *s; s++) {
        if (*s == '<')
            mm_buf_puts(b, "&lt;");
        else if (*s == '>')
            mm_buf_puts(b, "&gt;");
        else if (*s == '&')
            mm_buf_puts(b, "&amp;");
        else
            mm_buf_putc(b, *s);
    }
}

static void frame(mm_buf *b, const char *title, const char *xl, const char *yl) {
    mm_buf_printf(b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                  "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" "
                  "height=\"100%%\" fill=\"white\"/>\n<text x=\"%d\" y=\"24\" font-size=\"15\">",
                  W, H, ML);
    xml_text(b, title);
    mm_buf_printf(b, "</text>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
                  ML + (W - ML - MR) / 2, H - 10);
    xml_text(b, xl);
    mm_buf_printf(b,
                  "</text>\n<text transform=\"translate(16,%d) rotate(-90)\" "
                  "text-anchor=\"middle\">",
                  MT + (H - MT - MB) / 2);
    xml_text(b, yl);
    mm_buf_puts(b, "</text>\n");
}

static void axes(mm_buf *b, double x0, double x1, double y0, double y1) {
    int pw = W - ML - MR, ph = H - MT - MB;
    mm_buf_printf(b,
                  "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                  "stroke=\"#444\"/>\n",
                  ML, MT, pw, ph);
    for (int i = 0; i <= 4; i++) {
        double fy = y0 + (y1 - y0) * i / 4, fx = x0 + (x1 - x0) * i / 4;
        int py = MT + ph - ph * i / 4, px = ML + pw * i / 4;
        mm_buf_printf(b,
                      "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>"
                      "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.4g</text>\n",
                      ML, ML + pw, py, py, ML - 4, py + 4, fy);
        mm_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.4g</text>\n", px,
                      MT + ph + 16, fx);
    }
}

/* Close the chart and append it to `out`; frees `b`. */
static mm_err finish(mm_buf *out, mm_buf *b) {
    mm_err e = mm_buf_puts(b, "</svg>\n");
    if (e == MM_OK) e = mm_buf_append(out, b->data, b->len);
    mm_buf_free(b);
    return e;
}

static mm_err write_svg(const char *path, const mm_buf *b) {
    mm_out *o;
    MM_TRY(mm_out_open(path, 0, &o));
    mm_err e = mm_out_write(o, b->data, b->len);
    if (e != MM_OK) {
        mm_out_abort(o);
        return e;
    }
    return mm_out_commit(o);
}

static void range(double *lo, double *hi) {
    if (!isfinite(*lo) || !isfinite(*hi)) *lo = 0, *hi = 1;
    if (*hi - *lo < 1e-12) *hi = *lo + 1;
}

mm_err mm_svg_lines(const char *path, const char *title, const char *xlabel, const char *ylabel,
                    const mm_svg_series *s, size_t ns) {
    mm_buf b = {0};
    mm_err e = mm_svg_lines_buf(&b, title, xlabel, ylabel, s, ns);
    if (e == MM_OK) e = write_svg(path, &b);
    mm_buf_free(&b);
    return e;
}

mm_err mm_svg_lines_buf(mm_buf *out, const char *title, const char *xlabel, const char *ylabel,
                        const mm_svg_series *s, size_t ns) {
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t k = 0; k < ns; k++)
        for (size_t i = 0; i < s[k].n; i++) {
            double x = s[k].x ? s[k].x[i] : (double)i, y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y)) continue;
            x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
        }
    range(&x0, &x1);
    range(&y0, &y1);
    mm_buf b = {0};
    frame(&b, title, xlabel, ylabel);
    axes(&b, x0, x1, y0, y1);
    int pw = W - ML - MR, ph = H - MT - MB;
    for (size_t k = 0; k < ns; k++) {
        const char *col = palette[k % 8];
        mm_buf_printf(&b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"",
                      col);
        for (size_t i = 0; i < s[k].n; i++) {
            double x = s[k].x ? s[k].x[i] : (double)i, y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y)) continue;
            mm_buf_printf(&b, "%.1f,%.1f ", ML + pw * (x - x0) / (x1 - x0),
                          MT + ph - ph * (y - y0) / (y1 - y0));
        }
        mm_buf_puts(&b, "\"/>\n");
        if (s[k].n == 1 || s[k].n < 30)
            for (size_t i = 0; i < s[k].n; i++) {
                double x = s[k].x ? s[k].x[i] : (double)i, y = s[k].y[i];
                if (!isfinite(y)) continue;
                mm_buf_printf(&b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                              ML + pw * (x - x0) / (x1 - x0), MT + ph - ph * (y - y0) / (y1 - y0),
                              col);
            }
        mm_buf_printf(&b,
                      "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                      "<text x=\"%d\" y=\"%d\">",
                      W - MR + 10, MT + (int)k * 18, col, W - MR + 26, MT + (int)k * 18 + 11);
        xml_text(&b, s[k].name);
        mm_buf_puts(&b, "</text>\n");
    }
    return finish(out, &b);
}

mm_err mm_svg_bars(const char *path, const char *title, const char *xlabel, const char *ylabel,
                   const char *const *labels, const double *v, size_t n) {
    mm_buf b = {0};
    mm_err e = mm_svg_bars_buf(&b, title, xlabel, ylabel, labels, v, n);
    if (e == MM_OK) e = write_svg(path, &b);
    mm_buf_free(&b);
    return e;
}

mm_err mm_svg_bars_buf(mm_buf *out, const char *title, const char *xlabel, const char *ylabel,
                       const char *const *labels, const double *v, size_t n) {
    double y1 = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) y1 = fmax(y1, v[i]);
    if (y1 <= 0) y1 = 1;
    mm_buf b = {0};
    frame(&b, title, xlabel, ylabel);
    int pw = W - ML - MR, ph = H - MT - MB;
    mm_buf_printf(&b,
                  "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                  "stroke=\"#444\"/>\n",
                  ML, MT, pw, ph);
    for (int i = 0; i <= 4; i++) {
        int py = MT + ph - ph * i / 4;
        mm_buf_printf(&b,
                      "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>"
                      "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.4g</text>\n",
                      ML, ML + pw, py, py, ML - 4, py + 4, y1 * i / 4);
    }
    double bw = n ? (double)pw / n : pw;
    for (size_t i = 0; i < n; i++) {
        double h = isfinite(v[i]) ? ph * v[i] / y1 : 0;
        mm_buf_printf(&b,
                      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                      "fill=\"%s\"/>\n",
                      ML + bw * i + 1, MT + ph - h, bw > 2 ? bw - 2 : bw, h, palette[0]);
        if (n <= 24 || i % (n / 12 + 1) == 0) {
            mm_buf_printf(&b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
                          ML + bw * (i + 0.5), MT + ph + 16);
            if (labels)
                xml_text(&b, labels[i]);
            else
                mm_buf_printf(&b, "%zu", i);
            mm_buf_puts(&b, "</text>\n");
        }
    }
    return finish(out, &b);
}
