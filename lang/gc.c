/*
 * gc.c -- the cycle collector. Reference counting frees almost everything at once; what it
 * cannot free is a group of containers that refer to each other (a list holding itself, a
 * closure whose cell holds the closure). Every container is linked into vm->gc_head; a
 * collection uses CPython's trial deletion:
 *   1. gc_refs = refcount for every container;
 *   2. for every reference from one container to another, the target's gc_refs--;
 *      what stays > 0 is referenced from outside (stack, globals, C code): a root;
 *   3. everything reachable from a root survives; the rest is garbage: clear it, free it.
 * No roots need to be listed, so a collection is safe between any two instructions.
 */
#include <stdlib.h>
#include "lang/vm.h"

enum { GC_REACHABLE = 1 };

int lang_is_container(const lang_obj *o)
{
    switch ((lang_obj_type)o->type) {
    case LANG_OBJ_LIST: case LANG_OBJ_TUPLE: case LANG_OBJ_DICT: case LANG_OBJ_FUNC:
    case LANG_OBJ_CELL: case LANG_OBJ_METHOD: case LANG_OBJ_NATIVE: case LANG_OBJ_SLICE:
    case LANG_OBJ_PROTO:
        return 1;
    default:
        return 0;
    }
}

void lang_gc_track(lang_vm *vm, lang_obj *o)
{
    lang_obj *head = &vm->gc_head;
    o->gc_next = head->gc_next;
    o->gc_prev = head;
    head->gc_next->gc_prev = o;
    head->gc_next = o;
    vm->gc_count++;
}

void lang_gc_untrack(lang_obj *o)
{
    if (!o->gc_next) return;
    o->gc_prev->gc_next = o->gc_next;
    o->gc_next->gc_prev = o->gc_prev;
    o->gc_next = o->gc_prev = NULL;
}

/* Calls visit on every value the container holds. */
static void traverse(lang_obj *o, void (*visit)(lang_value *v, void *arg), void *arg)
{
    switch ((lang_obj_type)o->type) {
    case LANG_OBJ_LIST: {
        lang_list *l = (lang_list *)o;
        for (size_t i = 0; i < l->len; i++) visit(&l->items[i], arg);
        break;
    }
    case LANG_OBJ_TUPLE: {
        lang_tuple *t = (lang_tuple *)o;
        for (size_t i = 0; i < t->len; i++) visit(&t->items[i], arg);
        break;
    }
    case LANG_OBJ_DICT: {
        lang_dict *d = (lang_dict *)o;
        for (size_t i = 0; i < d->n_entries; i++) {
            visit(&d->entries[i].key, arg);
            visit(&d->entries[i].val, arg);
        }
        break;
    }
    case LANG_OBJ_FUNC: {
        lang_func *f = (lang_func *)o;
        if (f->proto) {
            lang_value p = lang_obj_val(f->proto);
            visit(&p, arg);
        }
        for (int i = 0; i < f->ndefaults; i++) visit(&f->defaults[i], arg);
        for (int i = 0; i < f->ncells; i++) {
            lang_value c = lang_obj_val(f->cells[i]);
            visit(&c, arg);
        }
        break;
    }
    case LANG_OBJ_PROTO: {
        lang_proto *p = (lang_proto *)o;
        for (size_t i = 0; i < p->chunk.nconsts; i++) visit(&p->chunk.consts[i], arg);
        break;
    }
    case LANG_OBJ_CELL: visit(&((lang_cell *)o)->v, arg); break;
    case LANG_OBJ_METHOD: visit(&((lang_method *)o)->self, arg); break;
    case LANG_OBJ_SLICE: {
        lang_slice *s = (lang_slice *)o;
        visit(&s->start, arg); visit(&s->stop, arg); visit(&s->step, arg);
        break;
    }
    case LANG_OBJ_NATIVE: {
        lang_native *n = (lang_native *)o;
        if (n->ptr && n->cls->traverse) n->cls->traverse(n->ptr, visit, arg);
        break;
    }
    default: break;
    }
}

static int tracked(const lang_value *v)
{
    return LANG_IS_OBJ(*v) && v->as.obj->gc_next != NULL;
}

static void subtract_internal(lang_value *v, void *arg)
{
    (void)arg;
    if (tracked(v)) v->as.obj->gc_refs--;
}

/* Marks v and (iteratively, through an explicit stack) everything it reaches. */
typedef struct mark_stack { lang_obj **items; size_t len, cap; int oom; } mark_stack;

static void push_mark(lang_value *v, void *arg)
{
    mark_stack *s = arg;
    if (!tracked(v) || (v->as.obj->gc_flags & GC_REACHABLE)) return;
    v->as.obj->gc_flags |= GC_REACHABLE;
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        lang_obj **items = realloc(s->items, cap * sizeof *items);
        if (!items) {
            s->oom = 1;
            return;
        }
        s->items = items;
        s->cap = cap;
    }
    s->items[s->len++] = v->as.obj;
}

static int mark_from_roots(lang_vm *vm)
{
    lang_obj *head = &vm->gc_head;
    mark_stack s = {0};
    for (lang_obj *o = head->gc_next; o != head; o = o->gc_next) {
        if (o->gc_refs > 0) {
            lang_value v = lang_obj_val(o);
            push_mark(&v, &s);
        }
    }
    while (s.len > 0 && !s.oom) traverse(s.items[--s.len], push_mark, &s);
    free(s.items);
    return !s.oom;
}

void lang_gc_collect(lang_vm *vm)
{
    lang_obj *head = &vm->gc_head;
    for (lang_obj *o = head->gc_next; o != head; o = o->gc_next) {
        o->gc_refs = o->refcount;
        o->gc_flags = 0;
    }
    for (lang_obj *o = head->gc_next; o != head; o = o->gc_next) traverse(o, subtract_internal, NULL);
    if (!mark_from_roots(vm)) return;   /* out of memory: collect another time */
    /* Move the garbage to its own list, hold it, clear it, then free the shells. */
    lang_obj garbage = { .gc_next = &garbage, .gc_prev = &garbage };
    for (lang_obj *o = head->gc_next, *next; o != head; o = next) {
        next = o->gc_next;
        if (o->gc_flags & GC_REACHABLE) continue;
        lang_gc_untrack(o);
        o->gc_next = garbage.gc_next;
        o->gc_prev = &garbage;
        garbage.gc_next->gc_prev = o;
        garbage.gc_next = o;
        o->refcount++;
    }
    for (lang_obj *o = garbage.gc_next; o != &garbage; o = o->gc_next) lang_obj_clear(vm, o);
    while (garbage.gc_next != &garbage) {
        lang_obj *o = garbage.gc_next;
        lang_gc_untrack(o);
        free(o);
    }
    vm->gc_count = 0;
}
