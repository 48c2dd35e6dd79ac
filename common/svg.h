/* common/svg.h — small, dependency-free SVG charts for reports: line charts (loss and reward
 * curves, growth per iteration) and bar charts (histograms).  Output is a standalone SVG file,
 * written atomically, or an <svg> element appended to a buffer (for HTML reports). */
#ifndef MM_SVG_H
#define MM_SVG_H

#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

typedef struct mm_svg_series {
    const char *name;
    const double *x, *y; /* x may be NULL: 0, 1, 2, ... */
    size_t n;
} mm_svg_series;

MM_API mm_err mm_svg_lines(const char *path, const char *title, const char *xlabel,
                           const char *ylabel, const mm_svg_series *series, size_t nseries);

/* Bars: `labels` may be NULL (then the bar index); values[i] is the bar height. */
MM_API mm_err mm_svg_bars(const char *path, const char *title, const char *xlabel,
                          const char *ylabel, const char *const *labels, const double *values,
                          size_t n);

/* The same charts appended to `out` (an <svg> element to inline in HTML) instead of a file. */
MM_API mm_err mm_svg_lines_buf(mm_buf *out, const char *title, const char *xlabel,
                               const char *ylabel, const mm_svg_series *series, size_t nseries);
MM_API mm_err mm_svg_bars_buf(mm_buf *out, const char *title, const char *xlabel,
                              const char *ylabel, const char *const *labels, const double *values,
                              size_t n);

#endif
