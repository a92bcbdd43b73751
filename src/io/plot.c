/* Training curves as a self-contained SVG: two panels (loss, accuracy) over a shared x axis,
 * with "nice" ticks (steps of 1, 2 or 5 times a power of ten), grid, legend and markers. */
#include "internal.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#define PLOT_W 960.0
#define PLOT_H 420.0
#define PANEL_W (PLOT_W / 2)
#define MARGIN_L 70.0 /* room for y tick labels */
#define MARGIN_R 24.0
#define MARGIN_T 70.0 /* title and panel name */
#define MARGIN_B 40.0 /* x tick labels */
#define MAX_SERIES 6
#define MAX_MARKED 60 /* beyond this many points, markers only clutter the line */

static const char *const plot_colors[MAX_SERIES] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

/* Text content with &, <, >, " escaped. */
static void sb_text(lf_sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': lf_sbuf_printf(b, "&amp;"); break;
        case '<': lf_sbuf_printf(b, "&lt;"); break;
        case '>': lf_sbuf_printf(b, "&gt;"); break;
        case '"': lf_sbuf_printf(b, "&quot;"); break;
        default: lf_sbuf_printf(b, "%c", *s);
        }
    }
}

/* ------------------------------------------------------------------ axes */
typedef struct axis {
    double lo, hi, step; /* first tick, last tick, spacing */
    double vlo, vhi;     /* visible range: the ticks plus a margin, so markers clear the frame */
    int integral;        /* labels without decimals */
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
    axis a = {floor(lo / step + 1e-9) * step, ceil(hi / step - 1e-9) * step, step, 0, 0, integral};
    a.vlo = a.lo - 0.04 * (a.hi - a.lo);
    a.vhi = a.hi + 0.04 * (a.hi - a.lo);
    return a;
}

static void tick_label(char *buf, size_t cap, const axis *a, double v)
{
    if (fabs(v) < a->step * 1e-9) v = 0; /* no "-0.0" */
    int dec = a->integral ? 0 : (int)fmax(0, -floor(log10(a->step) + 1e-9));
    if (fmax(fabs(a->lo), fabs(a->hi)) >= 1e6) snprintf(buf, cap, "%.3g", v);
    else snprintf(buf, cap, "%.*f", dec, v);
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
    return f->y0 + f->h - (y - f->ay.vlo) / (f->ay.vhi - f->ay.vlo) * f->h;
}

static int ticks(const axis *a) { return (int)floor((a->hi - a->lo) / a->step + 0.5) + 1; }

static void draw_axes(lf_sbuf *b, const frame *f)
{
    char lab[64];
    for (int i = 0; i < ticks(&f->ay); i++) {
        double v = f->ay.lo + i * f->ay.step, y = py(f, v);
        tick_label(lab, sizeof lab, &f->ay, v);
        lf_sbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n",
                  f->x0, y, f->x0 + f->w, y);
        lf_sbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n",
                  f->x0 - 5, y, f->x0, y);
        lf_sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", f->x0 - 8,
                  y + 4, lab);
    }
    for (int i = 0; i < ticks(&f->ax); i++) {
        double v = f->ax.lo + i * f->ax.step, x = px(f, v), yb = f->y0 + f->h;
        tick_label(lab, sizeof lab, &f->ax, v);
        lf_sbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n",
                  x, f->y0, x, yb);
        lf_sbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n",
                  x, yb, x, yb + 5);
        lf_sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
                  yb + 20, lab);
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

static int has_data(const plot *p, int si)
{
    for (int i = 0; i < p->npts; i++)
        if (isfinite(p->s[si].y[i])) return 1;
    return 0;
}

/* Range of the finite values of a panel's series; 0 when there are none. */
static int panel_range(const plot *p, int panel, double *lo, double *hi)
{
    int any = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int si = 0; si < p->nseries; si++) {
        if (p->s[si].panel != panel) continue;
        for (int i = 0; i < p->npts; i++) {
            double v = p->s[si].y[i];
            if (!isfinite(v)) continue;
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
    return plot_colors[(c > 0 ? c - 1 : si) % MAX_SERIES];
}

/* One polyline per run of finite values (NaN breaks the line), markers on the points. */
static void draw_series(lf_sbuf *b, const frame *f, const plot *p, int si)
{
    const double *y = p->s[si].y;
    const char *col = series_color(p, si);
    for (int i = 0; i < p->npts;) {
        if (!isfinite(y[i])) { i++; continue; }
        int j = i;
        while (j < p->npts && isfinite(y[j])) j++;
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
            if (isfinite(p->s[si].y[i])) { end_sum += py(f, p->s[si].y[i]); break; }
        longest = fmax(longest, (double)strlen(p->s[si].label ? p->s[si].label : ""));
        n++;
    }
    if (!n) return;
    double w = 44 + 7.2 * longest, h = 8 + 20.0 * n;
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

static void draw_panel(lf_sbuf *b, const plot *p, int panel, const axis *ax)
{
    frame f = {panel * PANEL_W + MARGIN_L, MARGIN_T, PANEL_W - MARGIN_L - MARGIN_R,
               PLOT_H - MARGIN_T - MARGIN_B, *ax, nice_axis(0, 1, 0)};
    double lo, hi;
    int any = panel_range(p, panel, &lo, &hi);
    if (any) f.ay = nice_axis(lo, hi, 0);
    lf_sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"panel\">%s</text>\n",
              f.x0 + f.w / 2, f.y0 - 12, p->o->panel[panel] ? p->o->panel[panel] : "");
    draw_axes(b, &f);
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
    lf_sbuf b = {0};
    lf_sbuf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
              "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
              "font-size=\"12\">\n", PLOT_W, PLOT_H, PLOT_W, PLOT_H);
    lf_sbuf_printf(&b, "<style>.grid{stroke:#e6e6e6;stroke-width:1}.axis{stroke:#333;stroke-width:1}"
              ".legend{fill:#fff;fill-opacity:0.85;stroke:#bbb}.panel{font-size:14px;"
              "font-weight:bold}</style>\n");
    lf_sbuf_printf(&b, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
    lf_sbuf_printf(&b, "<text x=\"%.1f\" y=\"28\" text-anchor=\"middle\" font-size=\"18\">",
              PLOT_W / 2);
    sb_text(&b, o->title);
    lf_sbuf_printf(&b, "</text>\n");
    for (int panel = 0; panel < 2; panel++) draw_panel(&b, &p, panel, &ax);
    lf_sbuf_printf(&b, "</svg>\n");
    st = b.oom ? lf_error(LF_ENOMEM, "plot %s: out of memory", path)
               : lf_write_atomic(path, b.p, b.n);
    free(b.p);
    return st;
}
