/* Training curves as a self-contained SVG: one or two panels side by side over a shared x axis,
 * with "nice" ticks (steps of 1, 2 or 5 times a power of ten, or decades on a log10 axis),
 * axis labels, grid, legend and markers. Every text the caller gives is measured with the
 * advance widths of DejaVu Sans (the first font asked for; Helvetica and Arial are narrower),
 * so the title wraps to the figure's width and the tick labels get the room they need. */
#include "internal.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#define PLOT_W 960.0
#define PANEL_H 310.0     /* height of a panel's plot area */
#define EDGE 16.0         /* blank strip at the left and right of the title */
#define FONT 12.0         /* ticks, legend, axis labels */
#define TITLE_FONT 16.0
#define TITLE_LEAD 21.0   /* baseline to baseline */
#define TITLE_LINES 24    /* beyond this, the title ends in an ellipsis */
#define PANEL_FONT 14.0   /* bold */
#define PANEL_LEAD 18.0
#define PANEL_LINES 2
#define MARGIN_R 24.0
#define MARGIN_B 50.0     /* x tick labels and the x label */
#define TICK_GAP 8.0      /* frame to tick label */
#define MAX_SERIES 12 /* lossforge compare: loss and accuracy of 6 runs */
#define MAX_MARKED 60 /* beyond this many points, markers only clutter the line */

#define N_COLORS 6
static const char *const plot_colors[N_COLORS] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

/* ------------------------------------------------------------------ text */
/* Advance widths of DejaVu Sans, printable ASCII (' ' .. '~'), in 1/2048 em. */
static const unsigned short glyph_w[95] = {
    651,  823,  942,  1716, 1303, 1946, 1597, 563,  799,  799,  1024, 1716, 651,  739,  651,  690,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690,  690,  1716, 1716, 1716, 1087,
    2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604,  604,  1343, 1141, 1767, 1532, 1612,
    1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799,  690,  799,  1716, 1024,
    1024, 1255, 1300, 1126, 1300, 1260, 721,  1300, 1298, 569,  569,  1186, 569,  1995, 1298, 1253,
    1300, 1300, 842,  1067, 803,  1298, 1212, 1675, 1212, 1212, 1075, 1303, 690,  1303, 1716};

/* Width in pixels of one byte of UTF-8 text: a multi-byte character counts once, as 1 em
 * (wider than most), on its lead byte. A little over the font's own widths, for bold and for
 * renderers that hint. */
static double glyph_px(unsigned char c, double size)
{
    double em = c >= 0x20 && c < 0x7f ? glyph_w[c - 0x20] / 2048.0 : (c & 0xc0) == 0x80 ? 0 : 1;
    return em * size * 1.05;
}

static double text_px(const char *s, size_t n, double size)
{
    double w = 0;
    for (size_t i = 0; i < n && s[i]; i++) w += glyph_px((unsigned char)s[i], size);
    return w;
}

typedef struct span {
    const char *s;
    size_t n;
} span;

/* Splits s into at most max lines no wider than w pixels at the given font size. A line breaks
 * after a space, ',' or '|' (the separators of a spec string), at a '\n', or, for a word longer
 * than a line, between two characters. Spaces around a break are dropped. Sets *more when text
 * was left over. */
static int wrap(const char *s, double size, double w, span *line, int max, int *more)
{
    int n = 0;
    *more = 0;
    while (s && *s) {
        while (*s == ' ') s++;
        if (!*s) break;
        if (n == max) { *more = 1; break; }
        const char *p = s, *brk = NULL, *next;
        double used = 0;
        for (;; p++) {
            if (!*p || *p == '\n') { next = *p ? p + 1 : p; break; }
            double g = glyph_px((unsigned char)*p, size);
            if (used + g > w && p > s && *p != ' ') {
                if (brk) p = brk;
                else { /* between whole characters */
                    while (p > s && ((unsigned char)*p & 0xc0) == 0x80) p--;
                    if (p == s)
                        do p++; while (((unsigned char)*p & 0xc0) == 0x80);
                }
                next = p;
                break;
            }
            used += g;
            if (*p == ' ' || *p == ',' || *p == '|') brk = p + 1;
        }
        const char *e = p;
        while (e > s && e[-1] == ' ') e--;
        line[n++] = (span){s, (size_t)(e - s)};
        s = next;
    }
    return n;
}

/* Text content with &, <, >, " escaped. */
static void sb_text_n(lf_sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; s && i < n && s[i]; i++) {
        switch (s[i]) {
        case '&': lf_sbuf_printf(b, "&amp;"); break;
        case '<': lf_sbuf_printf(b, "&lt;"); break;
        case '>': lf_sbuf_printf(b, "&gt;"); break;
        case '"': lf_sbuf_printf(b, "&quot;"); break;
        default: lf_sbuf_printf(b, "%c", s[i]);
        }
    }
}

static void sb_text(lf_sbuf *b, const char *s) { sb_text_n(b, s, s ? strlen(s) : 0); }

/* Wrapped lines, centred on x, first baseline at y; the last ends in "…" when text was left
 * over (and is shortened until that fits). */
static void draw_lines(lf_sbuf *b, const span *line, int n, int more, double x, double y,
                       double lead, double w, double size, const char *attrs)
{
    for (int i = 0; i < n; i++) {
        span l = line[i];
        int dots = more && i == n - 1;
        if (dots) {
            const double ell = size * 1.05;
            while (l.n && text_px(l.s, l.n, size) + ell > w) l.n--;
            while (l.n && ((unsigned char)l.s[l.n] & 0xc0) == 0x80) l.n--;
        }
        lf_sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" %s>", x, y + i * lead,
                       attrs);
        sb_text_n(b, l.s, l.n);
        lf_sbuf_printf(b, "%s</text>\n", dots ? "\xe2\x80\xa6" : "");
    }
}

/* ------------------------------------------------------------------ axes */
typedef struct axis {
    double lo, hi, step; /* first tick, last tick, spacing (log axes: in decades) */
    double vlo, vhi;     /* visible range: the ticks plus a margin, so markers clear the frame */
    int integral;        /* labels without decimals */
    int log;             /* log10 axis: lo, hi, step, vlo, vhi are exponents */
} axis;

/* Extends [lo, hi] to multiples of a nice step giving about 5 intervals. */
static axis nice_axis(double lo, double hi, int integral)
{
    if (!(hi > lo)) {
        double pad = lo != 0 ? fabs(lo) * 0.1 : 1.0;
        if (integral) pad = 1.0;
        lo -= pad;
        hi += pad;
    }
    double rough = (hi - lo) / 5, mag = pow(10, floor(log10(rough))), f = rough / mag;
    double step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
    if (integral && step < 1) step = 1;
    axis a = {floor(lo / step + 1e-9) * step, ceil(hi / step - 1e-9) * step, step, 0, 0,
              integral, 0};
    a.vlo = a.lo - 0.04 * (a.hi - a.lo);
    a.vhi = a.hi + 0.04 * (a.hi - a.lo);
    return a;
}

/* Whole decades around [lo, hi] (both > 0), at most 8 intervals. */
static axis log_axis(double lo, double hi)
{
    double dlo = floor(log10(lo) + 1e-9), dhi = ceil(log10(hi) - 1e-9);
    if (dhi <= dlo) dhi = dlo + 1;
    double step = ceil((dhi - dlo) / 8);
    axis a = {floor(dlo / step) * step, ceil(dhi / step) * step, step, 0, 0, 1, 1};
    a.vlo = a.lo - 0.04 * (a.hi - a.lo);
    a.vhi = a.hi + 0.04 * (a.hi - a.lo);
    return a;
}

static void tick_label(char *buf, size_t cap, const axis *a, double v)
{
    if (a->log) {
        int e = (int)lround(v);
        if (e >= -2 && e <= 3) snprintf(buf, cap, "%g", pow(10, e)); /* 0.01 .. 1000 */
        else snprintf(buf, cap, "1e%d", e);
        return;
    }
    if (fabs(v) < a->step * 1e-9) v = 0; /* no "-0.0" */
    int dec = a->integral ? 0 : (int)fmax(0, -floor(log10(a->step) + 1e-9));
    if (fmax(fabs(a->lo), fabs(a->hi)) >= 1e6) snprintf(buf, cap, "%.3g", v);
    else snprintf(buf, cap, "%.*f", dec, v);
}

static int ticks(const axis *a) { return (int)floor((a->hi - a->lo) / a->step + 0.5) + 1; }

static double widest_tick(const axis *a)
{
    char lab[64];
    double w = 0;
    for (int i = 0; i < ticks(a); i++) {
        tick_label(lab, sizeof lab, a, a->lo + i * a->step);
        w = fmax(w, text_px(lab, strlen(lab), FONT));
    }
    return w;
}

typedef struct frame {
    double x0, y0, w, h; /* plot area in pixels; y grows downwards */
    axis ax, ay;
} frame;

static double px(const frame *f, double x)
{
    return f->x0 + (x - f->ax.vlo) / (f->ax.vhi - f->ax.vlo) * f->w;
}

static double py(const frame *f, double y)
{
    if (f->ay.log) y = log10(y);
    return f->y0 + f->h - (y - f->ay.vlo) / (f->ay.vhi - f->ay.vlo) * f->h;
}

static void hline(lf_sbuf *b, double x1, double x2, double y, const char *cls)
{
    lf_sbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>\n", x1,
                   y, x2, y, cls);
}

static void draw_axes(lf_sbuf *b, const frame *f)
{
    char lab[64];
    if (f->ay.log && f->ay.step == 1) /* 2..9 times each decade: faint lines, short ticks */
        for (int k = 0; f->ay.lo + k < f->ay.hi; k++)
            for (int m = 2; m <= 9; m++) {
                double y = py(f, m * pow(10, f->ay.lo + k));
                hline(b, f->x0, f->x0 + f->w, y, "minor");
                hline(b, f->x0 - 3, f->x0, y, "axis");
            }
    for (int i = 0; i < ticks(&f->ay); i++) {
        double v = f->ay.lo + i * f->ay.step;
        double y = f->h + f->y0 - (v - f->ay.vlo) / (f->ay.vhi - f->ay.vlo) * f->h;
        tick_label(lab, sizeof lab, &f->ay, v);
        hline(b, f->x0, f->x0 + f->w, y, "grid");
        hline(b, f->x0 - 5, f->x0, y, "axis");
        lf_sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                       f->x0 - TICK_GAP, y + 4, lab);
    }
    for (int i = 0; i < ticks(&f->ax); i++) {
        double v = f->ax.lo + i * f->ax.step, x = px(f, v), yb = f->y0 + f->h;
        tick_label(lab, sizeof lab, &f->ax, v);
        lf_sbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n",
                       x, f->y0, x, yb);
        lf_sbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n",
                       x, yb, x, yb + 5);
        lf_sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
                       yb + 19, lab);
    }
    lf_sbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"axis\" "
                   "fill=\"none\"/>\n", f->x0, f->y0, f->w, f->h);
}

/* ------------------------------------------------------------------ series */
typedef struct plot {
    const lf_plot *o;
    const double *x;
    int npts;
    const lf_series *s;
    int nseries;
} plot;

/* A value that can be drawn: finite, and positive on a log axis (others break the line). */
static int drawable(const plot *p, int panel, double v)
{
    return isfinite(v) && (!p->o->logy[panel] || v > 0);
}

static int has_data(const plot *p, int si)
{
    for (int i = 0; i < p->npts; i++)
        if (drawable(p, p->s[si].panel, p->s[si].y[i])) return 1;
    return 0;
}

/* Range of the drawable values of a panel's series; 0 when there are none. */
static int panel_range(const plot *p, int panel, double *lo, double *hi)
{
    int any = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int si = 0; si < p->nseries; si++) {
        if (p->s[si].panel != panel) continue;
        for (int i = 0; i < p->npts; i++) {
            double v = p->s[si].y[i];
            if (!drawable(p, panel, v)) continue;
            *lo = fmin(*lo, v);
            *hi = fmax(*hi, v);
            any = 1;
        }
    }
    return any;
}

static const char *series_color(const plot *p, int si)
{
    int c = p->s[si].color;
    return plot_colors[(c > 0 ? c - 1 : si) % N_COLORS];
}

/* One polyline per run of drawable values (NaN breaks the line), markers on the points. */
static void draw_series(lf_sbuf *b, const frame *f, const plot *p, int si)
{
    const double *y = p->s[si].y;
    const int panel = p->s[si].panel;
    const char *col = series_color(p, si);
    for (int i = 0; i < p->npts;) {
        if (!drawable(p, panel, y[i])) { i++; continue; }
        int j = i;
        while (j < p->npts && drawable(p, panel, y[j])) j++;
        lf_sbuf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
        for (int k = i; k < j; k++)
            lf_sbuf_printf(b, "%s%.1f,%.1f", k > i ? " " : "", px(f, p->x[k]), py(f, y[k]));
        lf_sbuf_printf(b, "\"/>\n");
        for (int k = i; k < j; k++)
            if (p->npts <= MAX_MARKED || j - i == 1)
                lf_sbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n",
                               px(f, p->x[k]), py(f, y[k]), col);
        i = j;
    }
}

/* The legend goes to the top-right corner, or the bottom-right when the curves end high
 * there (accuracy rises, loss falls). */
static void draw_legend(lf_sbuf *b, const frame *f, const plot *p, int panel)
{
    int n = 0;
    double end_sum = 0, longest = 0;
    for (int si = 0; si < p->nseries; si++) {
        if (p->s[si].panel != panel || !has_data(p, si)) continue;
        for (int i = p->npts - 1; i >= 0; i--)
            if (drawable(p, panel, p->s[si].y[i])) { end_sum += py(f, p->s[si].y[i]); break; }
        const char *l = p->s[si].label ? p->s[si].label : "";
        longest = fmax(longest, text_px(l, strlen(l), FONT));
        n++;
    }
    if (!n) return;
    double w = 46 + longest, h = 8 + 20.0 * n;
    double x = f->x0 + f->w - w - 8;
    double y = end_sum / n < f->y0 + f->h * 0.45 ? f->y0 + f->h - h - 8 : f->y0 + 8;
    lf_sbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"legend\"/>\n",
                   x, y, w, h);
    int row = 0;
    for (int si = 0; si < p->nseries; si++) {
        if (p->s[si].panel != panel || !has_data(p, si)) continue;
        double ly = y + 14 + 20.0 * row++;
        lf_sbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                       "stroke-width=\"2\"/>\n", x + 8, ly, x + 32, ly, series_color(p, si));
        lf_sbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", x + 20, ly,
                       series_color(p, si));
        lf_sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">", x + 38, ly + 4);
        sb_text(b, p->s[si].label);
        lf_sbuf_printf(b, "</text>\n");
    }
}

/* Where a panel goes: the strip [left, left + width) of the figure, plot area from y0 down. */
typedef struct slot {
    double left, width, y0;
    const span *title;
    int title_lines, title_more;
} slot;

static void draw_panel(lf_sbuf *b, const plot *p, int panel, const axis *ax, const slot *sl)
{
    frame f = {0, sl->y0, 0, PANEL_H, *ax, nice_axis(0, 1, 0)};
    const int logy = p->o->logy[panel] != 0;
    double lo, hi;
    int any = panel_range(p, panel, &lo, &hi);
    if (logy) f.ay = any ? log_axis(lo, hi) : log_axis(1, 10);
    else if (any) f.ay = nice_axis(lo, hi, 0);
    const char *ylabel = p->o->ylabel[panel];
    const int has_ylabel = ylabel && *ylabel;
    /* from the left: a gap, the rotated y label, a gap, the tick labels, TICK_GAP, the frame */
    const double tick_w = widest_tick(&f.ay);
    f.x0 = sl->left + 12 + (has_ylabel ? FONT + 8 : 0) + tick_w + TICK_GAP;
    f.w = sl->left + sl->width - MARGIN_R - f.x0;
    draw_lines(b, sl->title, sl->title_lines, sl->title_more, f.x0 + f.w / 2,
               f.y0 - 10 - (sl->title_lines - 1) * PANEL_LEAD, PANEL_LEAD, sl->width - 16,
               PANEL_FONT, "class=\"panel\"");
    draw_axes(b, &f);
    const char *xlabel = p->o->xlabel;
    if (xlabel && *xlabel) {
        lf_sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"label\">",
                       f.x0 + f.w / 2, f.y0 + f.h + 40);
        sb_text(b, xlabel);
        lf_sbuf_printf(b, "</text>\n");
    }
    if (has_ylabel) { /* baseline vertical, the glyphs to its left */
        double bx = f.x0 - TICK_GAP - tick_w - 8, by = f.y0 + f.h / 2;
        lf_sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"label\" "
                       "transform=\"rotate(-90 %.1f %.1f)\">", bx, by, bx, by);
        sb_text(b, ylabel);
        lf_sbuf_printf(b, "</text>\n");
    }
    if (!any)
        lf_sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#888\">no "
                       "data</text>\n", f.x0 + f.w / 2, f.y0 + f.h / 2);
    for (int si = 0; si < p->nseries; si++)
        if (p->s[si].panel == panel) draw_series(b, &f, p, si);
    draw_legend(b, &f, p, panel);
}

static axis x_axis(const plot *p)
{
    double lo = INFINITY, hi = -INFINITY;
    int integral = 1;
    for (int i = 0; i < p->npts; i++) {
        lo = fmin(lo, p->x[i]);
        hi = fmax(hi, p->x[i]);
        integral &= p->x[i] == floor(p->x[i]);
    }
    return nice_axis(lo, hi, integral);
}

static lf_status plot_check(const char *path, const double *x, int npts, const lf_series *s,
                            int nseries)
{
    if (!path || !x || npts < 1 || nseries < 0 || nseries > MAX_SERIES || (nseries && !s))
        return lf_error(LF_EINVAL, "plot %s: need x, npts >= 1 (got %d) and 0..%d series (got %d)",
                        path ? path : "(null)", npts, MAX_SERIES, nseries);
    for (int i = 0; i < npts; i++)
        if (!isfinite(x[i]))
            return lf_error(LF_EINVAL, "plot %s: x[%d] = %g is not finite", path, i, x[i]);
    for (int si = 0; si < nseries; si++)
        if (!s[si].y || s[si].panel < 0 || s[si].panel > 1)
            return lf_error(LF_EINVAL, "plot %s: series %d (\"%s\") needs y and panel 0 or 1 "
                            "(got %d)", path, si, s[si].label ? s[si].label : "", s[si].panel);
    return LF_OK;
}

lf_status lf_plot_svg(const char *path, const lf_plot *o, const double *x, int npts,
                      const lf_series *s, int nseries)
{
    if (!o) return lf_error(LF_EINVAL, "plot %s: no lf_plot texts", path ? path : "(null)");
    lf_status st = plot_check(path, x, npts, s, nseries);
    if (st != LF_OK) return st;
    plot p = {o, x, npts, s, nseries};
    axis ax = x_axis(&p);
    /* Panels: both, unless the series all sit in one of them; then that one, full width. */
    int used[2] = {0, 0};
    for (int si = 0; si < nseries; si++) used[s[si].panel] = 1;
    const int first = used[0] || !used[1] ? 0 : 1, count = used[0] != used[1] ? 1 : 2;
    const double pw = PLOT_W / count;
    span title[TITLE_LINES], ptitle[2][PANEL_LINES];
    int more, pmore[2], np[2], np_max = 1;
    const int nt = wrap(o->title, TITLE_FONT, PLOT_W - 2 * EDGE, title, TITLE_LINES, &more);
    for (int k = 0; k < count; k++) {
        np[k] = wrap(o->panel[first + k], PANEL_FONT * 1.1, pw - 16, ptitle[k], PANEL_LINES,
                     &pmore[k]);
        if (np[k] > np_max) np_max = np[k];
    }
    const double top = 10 + nt * TITLE_LEAD; /* below the title */
    const double y0 = top + 14 + np_max * PANEL_LEAD;
    const double height = y0 + PANEL_H + MARGIN_B;
    lf_sbuf b = {0};
    lf_sbuf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                   "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, "
                   "sans-serif\" font-size=\"12\">\n", PLOT_W, height, PLOT_W, height);
    lf_sbuf_printf(&b, "<style>.grid{stroke:#e6e6e6;stroke-width:1}.minor{stroke:#f3f3f3;"
                   "stroke-width:1}.axis{stroke:#333;stroke-width:1}.legend{fill:#fff;"
                   "fill-opacity:0.85;stroke:#bbb}.panel{font-size:14px;font-weight:bold}"
                   ".title{font-size:16px}.label{fill:#333}</style>\n");
    lf_sbuf_printf(&b, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
    draw_lines(&b, title, nt, more, PLOT_W / 2, 8 + TITLE_FONT, TITLE_LEAD, PLOT_W - 2 * EDGE,
               TITLE_FONT, "class=\"title\"");
    for (int k = 0; k < count; k++) {
        slot sl = {k * pw, pw, y0, ptitle[k], np[k], pmore[k]};
        draw_panel(&b, &p, first + k, &ax, &sl);
    }
    lf_sbuf_printf(&b, "</svg>\n");
    st = b.oom ? lf_error(LF_ENOMEM, "plot %s: out of memory", path)
               : lf_write_atomic(path, b.p, b.n);
    free(b.p);
    return st;
}
