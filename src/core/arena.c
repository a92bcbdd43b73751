/* Bump allocator for per-step temporaries. Blocks are chained while a step grows; reset folds
 * them into one block of the high-water size, so steady steps never call malloc. */
#include "internal.h"

#include <string.h>

#define ARENA_ALIGN 64

typedef struct block {
    struct block *next;
    size_t cap, used;
    unsigned char *mem;
} block;

struct lf_arena {
    block *head;      /* current block (most recent) */
    size_t total;     /* bytes handed out since reset, for the high-water mark */
    size_t high;
};

static block *block_new(size_t cap)
{
    block *b = malloc(sizeof *b);
    if (!b) return NULL;
    b->mem = aligned_alloc(ARENA_ALIGN, (cap + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN);
    if (!b->mem) {
        free(b);
        return NULL;
    }
    b->cap = cap;
    b->used = 0;
    b->next = NULL;
    return b;
}

static void blocks_free(block *b)
{
    while (b) {
        block *next = b->next;
        free(b->mem);
        free(b);
        b = next;
    }
}

lf_arena *lf_arena_new(size_t initial_bytes)
{
    lf_arena *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->head = block_new(initial_bytes ? initial_bytes : 1 << 20);
    if (!a->head) {
        free(a);
        return NULL;
    }
    return a;
}

void lf_arena_free(lf_arena *a)
{
    if (!a) return;
    blocks_free(a->head);
    free(a);
}

void *lf_arena_alloc(lf_arena *a, size_t bytes)
{
    size_t need = (bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (need < bytes) return NULL;
    block *b = a->head;
    if (b->cap - b->used < need) {
        size_t cap = b->cap * 2 > need ? b->cap * 2 : need;
        block *nb = block_new(cap);
        if (!nb) return NULL;
        nb->next = b;
        a->head = b = nb;
    }
    void *p = b->mem + b->used;
    b->used += need;
    a->total += need;
    if (a->total > a->high) a->high = a->total;
    return p;
}

void *lf_arena_calloc(lf_arena *a, size_t bytes)
{
    void *p = lf_arena_alloc(a, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void lf_arena_reset(lf_arena *a)
{
    if (a->head->next) {
        block *b = block_new(a->high);
        if (b) {
            blocks_free(a->head);
            a->head = b;
        } else { /* keep the largest block; the next step grows again */
            blocks_free(a->head->next);
            a->head->next = NULL;
        }
    }
    a->head->used = 0;
    a->total = 0;
}

size_t lf_arena_used(const lf_arena *a) { return a->total; }
