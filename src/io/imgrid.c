/* Images as an SVG grid (synthetic sets of dataset condensation): grey pixels quantised to 16
 * levels, drawn as one path per level whose subpaths are horizontal runs of equal pixels, over
 * a black background. A 28×28 image costs a few kilobytes instead of 784 <rect> elements, and
 * large grids are average-pooled (2×2 or more) to stay under about 20000 pixels. */
#include "internal.h"

#include <math.h>
#include <string.h>

#define GRID_LEVELS 16
#define GRID_MAX_PIXELS 20000
#define GRID_GAP 2     /* units between images */
#define GRID_LABEL 7   /* units of text under each image */
#define GRID_TITLE 10  /* units above the grid */

typedef struct grid {
    int64_t n, h, w;   /* images and their pooled size */
    int f, cols;       /* pooling factor, columns */
    uint8_t *lv;       /* n × h × w grey levels */
} grid;

/* Mean of the f×f block at pooled (r, c) of one image (blocks at the edge are partial). */
static float block_mean(const float *img, int64_t h, int64_t w, int f, int64_t r, int64_t c)
{
    double s = 0;
    int k = 0;
    for (int64_t i = r * f; i < (r + 1) * f && i < h; i++)
        for (int64_t j = c * f; j < (c + 1) * f && j < w; j++, k++) s += img[i * w + j];
    return (float)(s / k);
}

static void quantise(grid *g, const float *x, int64_t h, int64_t w, float lo, float hi)
{
    const double scale = hi > lo ? (GRID_LEVELS - 1) / (double)(hi - lo) : 0;
    for (int64_t i = 0; i < g->n; i++)
        for (int64_t r = 0; r < g->h; r++)
            for (int64_t c = 0; c < g->w; c++) {
                double v = ((double)block_mean(x + i * h * w, h, w, g->f, r, c) - lo) * scale;
                v = v < 0 || isnan(v) ? 0 : v > GRID_LEVELS - 1 ? GRID_LEVELS - 1 : v;
                g->lv[(i * g->h + r) * g->w + c] = (uint8_t)lround(v);
            }
}

/* Top-left corner of image i in grid units. */
static void cell_origin(const grid *g, int64_t i, int64_t *x0, int64_t *y0)
{
    *x0 = GRID_GAP + (i % g->cols) * (g->w + GRID_GAP);
    *y0 = GRID_TITLE + (i / g->cols) * (g->h + GRID_GAP + GRID_LABEL);
}

/* One path of every run of level L. */
static void level_path(FILE *f, const grid *g, int L)
{
    const int grey = L * 255 / (GRID_LEVELS - 1);
    fprintf(f, "<path fill=\"#%02x%02x%02x\" d=\"", grey, grey, grey);
    for (int64_t i = 0; i < g->n; i++) {
        int64_t x0, y0;
        cell_origin(g, i, &x0, &y0);
        for (int64_t r = 0; r < g->h; r++) {
            const uint8_t *row = g->lv + (i * g->h + r) * g->w;
            for (int64_t c = 0; c < g->w;) {
                int64_t e = c;
                while (e < g->w && row[e] == row[c]) e++;
                if (row[c] == L)
                    fprintf(f, "M%lld %lldh%lldv1h-%lldz", (long long)(x0 + c), (long long)(y0 + r),
                            (long long)(e - c), (long long)(e - c));
                c = e;
            }
        }
    }
    fprintf(f, "\"/>\n");
}

/* Text with &, <, > and " escaped. */
static void svg_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '&') fputs("&amp;", f);
        else if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

static void write_svg(FILE *f, const grid *g, const char *title, const char *const *labels)
{
    const int64_t rows = (g->n + g->cols - 1) / g->cols;
    const int64_t W = GRID_GAP + g->cols * (g->w + GRID_GAP);
    const int64_t H = GRID_TITLE + rows * (g->h + GRID_GAP + GRID_LABEL);
    const int px = 4 * g->f; /* screen pixels per unit: 4 per original pixel */
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%lld\" height=\"%lld\" "
            "viewBox=\"0 0 %lld %lld\" shape-rendering=\"crispEdges\" font-family=\"sans-serif\">\n",
            (long long)(W * px), (long long)(H * px), (long long)W, (long long)H);
    fprintf(f, "<rect width=\"%lld\" height=\"%lld\" fill=\"#fff\"/>\n", (long long)W, (long long)H);
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"6\">", GRID_GAP, GRID_TITLE - 3);
    svg_text(f, title);
    fprintf(f, "</text>\n<g fill=\"#000\">\n");
    for (int64_t i = 0; i < g->n; i++) {
        int64_t x0, y0;
        cell_origin(g, i, &x0, &y0);
        fprintf(f, "<rect x=\"%lld\" y=\"%lld\" width=\"%lld\" height=\"%lld\"/>\n", (long long)x0,
                (long long)y0, (long long)g->w, (long long)g->h);
    }
    fprintf(f, "</g>\n");
    for (int L = 1; L < GRID_LEVELS; L++) level_path(f, g, L);
    for (int64_t i = 0; labels && i < g->n; i++) {
        int64_t x0, y0;
        cell_origin(g, i, &x0, &y0);
        fprintf(f, "<text x=\"%lld\" y=\"%lld\" font-size=\"%g\">", (long long)x0,
                (long long)(y0 + g->h + GRID_LABEL - 2), 4.0 / g->f + 1);
        svg_text(f, labels[i]);
        fprintf(f, "</text>\n");
    }
    fprintf(f, "</svg>\n");
}

lf_status lf_image_grid_svg(const char *path, const char *title, const float *x, int64_t n,
                            int64_t h, int64_t w, int cols, float lo, float hi,
                            const char *const *labels)
{
    if (!path || !x || n < 1 || h < 1 || w < 1 || cols < 1)
        return lf_error(LF_EINVAL, "image grid: needs a path, images, n, h, w and cols >= 1");
    grid g = {.n = n, .f = 1, .cols = cols};
    while (n * ((h + g.f - 1) / g.f) * ((w + g.f - 1) / g.f) > GRID_MAX_PIXELS && g.f < h && g.f < w)
        g.f++;
    g.h = (h + g.f - 1) / g.f;
    g.w = (w + g.f - 1) / g.f;
    g.lv = malloc((size_t)(n * g.h * g.w));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = g.lv ? open_memstream(&buf, &len) : NULL;
    if (!f) {
        free(g.lv);
        return lf_error(LF_ENOMEM, "image grid %s: out of memory", path);
    }
    quantise(&g, x, h, w, lo, hi);
    write_svg(f, &g, title ? title : "", labels);
    const int bad = ferror(f) | (fclose(f) != 0);
    lf_status s = bad ? lf_error(LF_ENOMEM, "image grid %s: out of memory", path)
                      : lf_write_atomic(path, buf, len);
    free(buf);
    free(g.lv);
    return s;
}
