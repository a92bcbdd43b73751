/* Progress reporting on stderr: on a terminal one line redrawn in place (\r, at most ~10 times
 * a second); in logs a plain line per 10% of the work or every 5 s, whichever comes first. */
#include "internal.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define TTY_PERIOD 0.1
#define LOG_PERIOD 5.0
#define BAR_W 24
#define PROGRESS_LINE 1024

double lf_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* "12.3s", "4:05" or "1:04:05"; "?" when unknown. */
static void fmt_time(char *buf, size_t cap, double s)
{
    if (!(s >= 0) || s > 1e8) snprintf(buf, cap, "?");
    else if (s < 60) snprintf(buf, cap, "%.1fs", s);
    else if (s < 3600) snprintf(buf, cap, "%d:%02d", (int)s / 60, (int)s % 60);
    else snprintf(buf, cap, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
}

static int decile(const lf_progress *p, int64_t done)
{
    return p->total > 0 ? (int)(10.0 * (double)done / (double)p->total) : 0;
}

/* "[=====>    ]  42% 4200/10000 12.3s<17.0s" (no bar in logs; no percentage or ETA when the
 * total is unknown). */
static size_t fmt_status(char *buf, size_t cap, const lf_progress *p, int64_t done, double now)
{
    char el[32], eta[32];
    double t = now - p->t0;
    fmt_time(el, sizeof el, t);
    if (p->total <= 0) return (size_t)snprintf(buf, cap, " %lld %s", (long long)done, el);
    double frac = fmin(1.0, fmax(0.0, (double)done / (double)p->total));
    fmt_time(eta, sizeof eta, done > 0 ? t * (1 - frac) / frac : -1);
    size_t n = 0;
    if (p->tty) {
        int fill = (int)(frac * BAR_W);
        char bar[BAR_W + 1];
        for (int i = 0; i < BAR_W; i++) bar[i] = (char)(i < fill ? '=' : i == fill ? '>' : ' ');
        bar[BAR_W] = 0;
        n = (size_t)snprintf(buf, cap, " [%s]", bar);
    }
    n += (size_t)snprintf(buf + n, cap - n, " %3d%% %lld/%lld %s<%s", (int)(100 * frac),
                          (long long)done, (long long)p->total, el, eta);
    return n;
}

/* A redrawn line must not wrap, or \r returns to the wrong row: cut it to the terminal width,
 * never inside a UTF-8 sequence. */
static void fit_terminal(char *line)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col < 8) return;
    size_t w = (size_t)ws.ws_col - 1, n = strlen(line);
    if (n <= w) return;
    while (w > 0 && ((unsigned char)line[w] & 0xC0) == 0x80) w--;
    line[w] = 0;
}

static void emit(const lf_progress *p, const char *body)
{
    if (p->tty) fprintf(stderr, "\r%s\033[K", body);
    else fprintf(stderr, "%s\n", body);
    (void)fflush(stderr); /* a progress line that fails to show loses nothing */
}

void lf_progress_begin(lf_progress *p, const char *prefix, int64_t total, int tty)
{
    memset(p, 0, sizeof *p);
    snprintf(p->prefix, sizeof p->prefix, "%s", prefix ? prefix : "");
    p->total = total;
    p->tty = tty;
    p->t0 = p->last_print = lf_now();
}

static int due(const lf_progress *p, int64_t done, double now)
{
    if (p->tty)
        return now - p->last_print >= TTY_PERIOD || (done >= p->total && p->last_done < p->total);
    return decile(p, done) > decile(p, p->last_done) || now - p->last_print >= LOG_PERIOD;
}

void lf_progress_update(lf_progress *p, int64_t done, const char *fmt, ...)
{
    double now = lf_now();
    if (!due(p, done, now)) return;
    char line[PROGRESS_LINE];
    size_t n = (size_t)snprintf(line, sizeof line, "%s", p->prefix);
    n += fmt_status(line + n, sizeof line - n, p, done, now);
    if (fmt && n + 1 < sizeof line) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line + n, sizeof line - n, fmt, ap);
        va_end(ap);
    }
    if (p->tty) fit_terminal(line);
    emit(p, line);
    p->last_print = now;
    p->last_done = done;
}

void lf_progress_end(lf_progress *p, const char *fmt, ...)
{
    char line[PROGRESS_LINE], el[32];
    fmt_time(el, sizeof el, lf_now() - p->t0);
    size_t n = (size_t)snprintf(line, sizeof line, "%s:", p->prefix);
    if (fmt && n + 1 < sizeof line) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        n += (size_t)vsnprintf(line + n, sizeof line - n, fmt, ap);
        va_end(ap);
    }
    if (n < sizeof line) snprintf(line + n, sizeof line - n, " (%s)", el);
    if (p->tty) fprintf(stderr, "\r%s\033[K\n", line);
    else fprintf(stderr, "%s\n", line);
    (void)fflush(stderr); /* a progress line that fails to show loses nothing */
}
