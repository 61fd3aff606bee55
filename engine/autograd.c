/*
 * autograd.c -- the graph: nodes, gradient accumulation, backward, freeing (engine.h, section
 * "autograd"). The differentiable ops that record nodes live in autograd_*.c.
 *
 * Shape of the graph. A result tensor owns its node; the node retains its inputs, so ownership
 * only points from outputs to inputs and plain refcounting frees everything (no cycles). The
 * walk is therefore output -> inputs: eng_backward sorts the nodes reachable from the loss
 * (iterative DFS, post-order reversed: every node comes before the nodes of its inputs), seeds
 * the loss's gradient and calls each node's backward in that order. A non-leaf's pending
 * gradient lives in its node (node->grad) and is dropped as soon as the node has run; leaves
 * accumulate into t->grad, which they own.
 *
 * Freeing without recursion. Releasing a node's inputs can free an input tensor, whose node
 * would then free its inputs, and so on: a loop of a million steps would recurse a million
 * deep. So an input that is about to die (refcount 1) has its node detached first and put on a
 * work list; the list is drained in a loop.
 *
 * In-place changes. A node records the storage version of each input (and eng_node_save of
 * each saved tensor); run_nodes compares before calling a backward, so a tensor written in
 * place since the forward (x += 1, x[i] = v, through any view) is an error, not a silently
 * wrong gradient. Ops mark inputs their backward never reads with eng_node_skip_check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/autograd_internal.h"

/* ---- grad mode --------------------------------------------------------------------------- */

void eng_ag_init(eng_ag *ag)
{
    ag->enabled = 1;
}

int eng_ag_set_enabled(eng_ag *ag, int enabled)
{
    int was = ag->enabled;
    ag->enabled = enabled != 0;
    return was;
}

/* ---- nodes ------------------------------------------------------------------------------- */

/* One block: the node, in[n_in], then in_version[n_in] (aligned for uint64_t). */
static size_t versions_offset(int n_in)
{
    size_t off = sizeof(eng_node) + (size_t)n_in * sizeof(eng_tensor *);
    return (off + sizeof(uint64_t) - 1) / sizeof(uint64_t) * sizeof(uint64_t);
}

eng_node *eng_node_new(eng_tensor *out, const char *name, eng_backward_fn backward, int n_in,
                       eng_tensor *const *in, eng_error *err)
{
    if (out->node || n_in < 0)
        return eng_err(err, ENG_ERR_VALUE, "internal: %s result already has a graph node", name),
               NULL;
    size_t voff = versions_offset(n_in);
    eng_node *n = calloc(1, voff + (size_t)n_in * sizeof(uint64_t));
    if (!n)
        return eng_err(err, ENG_ERR_MEMORY, "out of memory recording %s for autograd", name), NULL;
    n->name = name;
    n->backward = backward;
    n->n_in = n_in;
    n->in_version = (uint64_t *)((char *)n + voff);
    for (int k = 0; k < ENG_NODE_MAX_SAVED; k++)
        n->saved_version[k] = ENG_VERSION_UNCHECKED;
    for (int i = 0; i < n_in; i++) {
        n->in[i] = in[i] ? eng_tensor_retain(in[i]) : NULL;
        n->in_version[i] = in[i] ? eng_tensor_version(in[i]) : ENG_VERSION_UNCHECKED;
    }
    n->out_ndim = out->ndim;
    memcpy(n->out_shape, out->shape, sizeof n->out_shape);
    out->node = n;
    out->requires_grad = 1;
    return n;
}

void eng_node_skip_check(eng_node *node, int i)
{
    if (i >= 0 && i < node->n_in)
        node->in_version[i] = ENG_VERSION_UNCHECKED;
}

int eng_node_save(eng_node *node, int k, eng_tensor *t, eng_error *err)
{
    if (k < 0 || k >= ENG_NODE_MAX_SAVED)
        return eng_err(err, ENG_ERR_VALUE, "internal: %s saves into slot %d", node->name, k);
    eng_tensor_release(node->saved[k]);
    node->saved[k] = eng_view_of(t, err);
    node->saved_version[k] = eng_tensor_version(t);
    return node->saved[k] ? ENG_OK : ENG_ERR_MEMORY;
}

/* Releases t; when this is its last reference and it has a node, the node goes onto *list
 * instead of being freed inside eng_tensor_release (no recursion). */
static void release_deferred(eng_tensor *t, eng_node **list)
{
    if (!t)
        return;
    if (t->refcount == 1 && t->node) {
        eng_node *n = t->node;
        t->node = NULL;
        n->next = *list;
        *list = n;
    }
    eng_tensor_release(t);
}

/* Drops everything n holds (inputs, saved tensors, ctx, pending gradient); nodes this frees
 * go onto *list. n itself stays allocated (its output may still point at it). */
static void node_clear(eng_node *n, eng_node **list)
{
    for (int i = 0; i < n->n_in; i++) {
        eng_tensor *t = n->in[i];
        n->in[i] = NULL;
        release_deferred(t, list);
    }
    n->n_in = 0;
    for (int k = 0; k < ENG_NODE_MAX_SAVED; k++) {
        eng_tensor *t = n->saved[k];
        n->saved[k] = NULL;
        release_deferred(t, list);
    }
    if (n->ctx && n->ctx_free)
        n->ctx_free(n->ctx);
    n->ctx = NULL;
    eng_tensor_release(n->grad);
    n->grad = NULL;
}

void eng_node_free(eng_node *node)
{
    eng_node *list = node;
    if (node)
        node->next = NULL;
    while (list) {
        eng_node *n = list;
        list = n->next;
        node_clear(n, &list);
        free(n);
    }
}

/* ---- gradient accumulators --------------------------------------------------------------- */

int eng_node_wants(const eng_node *node, int i)
{
    return i >= 0 && i < node->n_in && node->in[i] && node->in[i]->requires_grad;
}

/* Where input i's gradient is kept: the leaf's grad or the producing node's pending grad. */
static eng_tensor **grad_slot(eng_node *node, int i)
{
    eng_tensor *t = node->in[i];
    return t->node ? &t->node->grad : &t->grad;
}

eng_tensor *eng_node_grad(eng_node *node, int i, eng_error *err)
{
    eng_err_clear(err);
    if (!eng_node_wants(node, i))
        return NULL;
    eng_tensor **slot = grad_slot(node, i);
    if (!*slot)
        *slot = eng_tensor_new(node->in[i]->ndim, node->in[i]->shape, err);
    return *slot;
}

int eng_node_accum(eng_node *node, int i, const eng_tensor *g, eng_error *err)
{
    eng_err_clear(err);
    if (!eng_node_wants(node, i))
        return ENG_OK;
    const eng_tensor *x = node->in[i];
    eng_tensor *s = eng_sum_to((eng_tensor *)g, x->ndim, x->shape, err);
    if (!s)
        return err ? err->code : ENG_ERR_MEMORY;
    eng_tensor **slot = grad_slot(node, i);
    int rc = ENG_OK;
    if (!*slot && s != g && s->refcount == 1 && eng_tensor_is_contiguous(s)) {
        *slot = s;                          /* a fresh sum: keep it as the accumulator */
        return ENG_OK;
    }
    if (!*slot)
        *slot = eng_tensor_copy(s, err);
    else            /* accumulating is not a change the version counter tracks (engine.h) */
        rc = eng_binary_inplace_raw(ENG_BIN_ADD, *slot, s, err);
    if (!*slot)
        rc = ENG_ERR_MEMORY;
    eng_tensor_release(s);
    return rc;
}

/* ---- backward ---------------------------------------------------------------------------- */

/* A growable array of nodes. */
typedef struct node_vec {
    eng_node **v;
    size_t     n, cap;
} node_vec;

static int vec_push(node_vec *a, eng_node *x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 64;
        eng_node **v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return ENG_ERR_MEMORY;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return ENG_OK;
}

static int spent_error(const eng_node *n, eng_error *err)
{
    eng_err(err, ENG_ERR_VALUE, "trying to backward through the graph a second time: the "
            "gradients of this %s were already computed and its graph freed", n->name);
    eng_err_hint(err, "compute the loss again (run the forward pass) before each backward()");
    return ENG_ERR_VALUE;
}

/* Post-order DFS from root, without recursion: `stack` holds the path, node->mark counts the
 * inputs already visited + 1 (0: not seen). Fills order with inputs before outputs. */
static int topo_sort(eng_node *root, node_vec *order, eng_error *err)
{
    node_vec stack = { 0 };
    int rc = vec_push(&stack, root);
    root->mark = 1;
    while (rc == ENG_OK && stack.n) {
        eng_node *n = stack.v[stack.n - 1];
        if (n->mark - 1 == n->n_in) {
            stack.n--;
            rc = vec_push(order, n);
            continue;
        }
        eng_tensor *t = n->in[n->mark++ - 1];
        if (!t || !t->node || t->node->mark)
            continue;
        if (t->node->spent) {
            rc = spent_error(t->node, err);
            break;
        }
        t->node->mark = 1;
        rc = vec_push(&stack, t->node);
    }
    if (rc == ENG_ERR_MEMORY)
        eng_err(err, ENG_ERR_MEMORY, "out of memory sorting the autograd graph");
    for (size_t i = 0; i < stack.n; i++)        /* on error: unmark what is left on the path */
        stack.v[i]->mark = 0;
    free(stack.v);
    return rc;
}

static int check_backward_args(const eng_tensor *t, const eng_tensor *gout, eng_error *err)
{
    char a[ENG_SHAPE_BUF], b[ENG_SHAPE_BUF];
    if (!t->requires_grad) {
        eng_err(err, ENG_ERR_VALUE, "backward() needs a tensor that requires grad: this one "
                "was not computed from any param()");
        eng_err_hint(err, "make the inputs you differentiate by parameters: w = param(w)");
        return ENG_ERR_VALUE;
    }
    if (!gout && t->size != 1)
        return eng_err(err, ENG_ERR_VALUE, "backward() without a gradient needs a scalar (one "
                       "element), got shape %s", eng_shape_format(t->ndim, t->shape, a, sizeof a));
    if (gout && !eng_shape_equal(t, gout))
        return eng_err(err, ENG_ERR_SHAPE, "backward() gradient has shape %s but the tensor has "
                       "shape %s", eng_shape_format(gout->ndim, gout->shape, a, sizeof a),
                       eng_shape_format(t->ndim, t->shape, b, sizeof b));
    if (t->node && t->node->spent)
        return spent_error(t->node, err);
    return ENG_OK;
}

/* dL/dt to start from: a contiguous copy of gout, or ones. */
static eng_tensor *seed_grad(const eng_tensor *t, const eng_tensor *gout, eng_error *err)
{
    return gout ? eng_tensor_copy(gout, err) : eng_tensor_full(t->ndim, t->shape, 1.0f, err);
}

/* Nonzero when t was written in place since its version v was recorded. */
static int stale(const eng_tensor *t, uint64_t v)
{
    return t && v != ENG_VERSION_UNCHECKED && eng_tensor_version(t) != v;
}

static int modified_error(const eng_node *n, const eng_tensor *t, uint64_t v, eng_error *err)
{
    char sh[ENG_SHAPE_BUF];
    eng_err(err, ENG_ERR_VALUE, "a tensor of shape %s needed for the gradient of %s was modified "
            "in place after it was used (version %llu, expected %llu)",
            eng_shape_format(t->ndim, t->shape, sh, sizeof sh), n->name,
            (unsigned long long)eng_tensor_version(t), (unsigned long long)v);
    eng_err_hint(err, "call backward() before changing what it uses (x += 1, x[i] = v, "
                 "opt.step(), set_weights), or make a new tensor: x = x + 1");
    return ENG_ERR_VALUE;
}

/* PyTorch's check when a backward unpacks its saved variables: what the node keeps must be at
 * the version it recorded, else the backward would read changed values and give a wrong
 * gradient without a word. Inputs first, in order, then saved tensors. */
static int check_versions(const eng_node *n, eng_error *err)
{
    for (int i = 0; i < n->n_in; i++)
        if (stale(n->in[i], n->in_version[i]))
            return modified_error(n, n->in[i], n->in_version[i], err);
    for (int k = 0; k < ENG_NODE_MAX_SAVED; k++)
        if (stale(n->saved[k], n->saved_version[k]))
            return modified_error(n, n->saved[k], n->saved_version[k], err);
    return ENG_OK;
}

/* Runs the nodes outputs-first, freeing each one's graph right after it ran (later nodes'
 * inputs stay alive: a detached node is freed when its turn comes). */
static int run_nodes(node_vec *order, eng_error *err)
{
    int rc = ENG_OK;
    eng_node *freed = NULL;
    for (size_t k = order->n; k-- > 0;) {
        eng_node *n = order->v[k];
        if (rc == ENG_OK && n->grad)
            rc = check_versions(n, err);
        if (rc == ENG_OK && n->grad)
            rc = n->backward(n, n->grad, err);
        n->mark = 0;
        n->spent = 1;
        node_clear(n, &freed);
        /* Nodes detached above belong to nodes later in `order`: free them only at the end. */
    }
    while (freed) {
        eng_node *n = freed;
        freed = n->next;
        node_clear(n, &freed);          /* already cleared when run: this frees nothing more */
        free(n);
    }
    return rc;
}

int eng_backward(eng_tensor *t, const eng_tensor *gout, eng_error *err)
{
    eng_error local;
    if (!err)                   /* backward functions tell "no gradient" from OOM by err->code */
        err = &local;
    int rc = check_backward_args(t, gout, err);
    if (rc != ENG_OK)
        return rc;
    eng_tensor *g = seed_grad(t, gout, err);
    if (!g)
        return ENG_ERR_MEMORY;
    if (!t->node) {                             /* a leaf: w.backward() gives w.grad += 1 */
        eng_tensor **slot = &t->grad;
        rc = *slot ? eng_binary_inplace_raw(ENG_BIN_ADD, *slot, g, err) : ENG_OK;
        if (!*slot)
            *slot = eng_tensor_retain(g);
        eng_tensor_release(g);
        return rc;
    }
    node_vec order = { 0 };
    rc = topo_sort(t->node, &order, err);
    if (rc == ENG_OK) {
        eng_tensor_release(t->node->grad);
        t->node->grad = g;
        g = NULL;
        rc = run_nodes(&order, err);
    }
    eng_tensor_release(g);
    free(order.v);
    return rc;
}

/* ---- leaves ------------------------------------------------------------------------------ */

void eng_tensor_zero_grad(eng_tensor *t)
{
    eng_tensor *g = t->grad;
    if (!g)
        return;
    if (eng_tensor_is_contiguous(g)) {
        memset(eng_tensor_data(g), 0, (size_t)g->size * sizeof(float));
        eng_tensor_bump_version(g);     /* as eng_index_set does on the other path */
    } else {
        eng_index_set_scalar(g, 0, NULL, 0.0f, NULL);   /* a strided view: write through it */
    }
}

eng_tensor *eng_param(const eng_tensor *t, eng_error *err)
{
    eng_tensor *p = eng_tensor_copy(t, err);
    if (p) {
        p->requires_grad = 1;
        p->is_bool = 0;
    }
    return p;
}

eng_tensor *eng_tensor_detach(eng_tensor *t, eng_error *err)
{
    return eng_view_of(t, err);
}

/* ---- helpers for the ops (autograd_internal.h) ------------------------------------------ */

eng_tensor *ag_scalar_init(ag_scalar *s, float v)
{
    memset(s, 0, sizeof *s);
    s->v = v;
    s->s.refcount = 1;
    s->s.size = 1;
    s->s.data = &s->v;
    s->t.refcount = 1;
    s->t.size = 1;
    s->t.storage = &s->s;
    return &s->t;
}

static int same_shape(int na, const int64_t *a, int nb, const int64_t *b)
{
    return na == nb && memcmp(a, b, (size_t)na * sizeof a[0]) == 0;
}

float *ag_out_grad(eng_node *n, int i, eng_tensor **tmp, eng_error *err)
{
    *tmp = NULL;
    eng_err_clear(err);
    if (!eng_node_wants(n, i))
        return NULL;
    const eng_tensor *x = n->in[i];
    if (same_shape(x->ndim, x->shape, n->out_ndim, n->out_shape)) {
        eng_tensor *g = eng_node_grad(n, i, err);
        return g ? eng_tensor_data(g) : NULL;
    }
    *tmp = eng_tensor_new(n->out_ndim, n->out_shape, err);
    return *tmp ? eng_tensor_data(*tmp) : NULL;
}

int ag_out_grad_finish(eng_node *n, int i, eng_tensor *tmp, eng_error *err)
{
    if (!tmp)
        return ENG_OK;
    int rc = eng_node_accum(n, i, tmp, err);
    eng_tensor_release(tmp);
    return rc;
}

eng_tensor *ag_record(eng_ag *ag, eng_tensor *out, const char *name, eng_backward_fn backward,
                      int n_in, eng_tensor *const *in, eng_node **node, eng_error *err)
{
    *node = NULL;
    if (!out || !eng_ag_wants(ag, n_in, in))
        return out;
    *node = eng_node_new(out, name, backward, n_in, in, err);
    if (!*node) {
        eng_tensor_release(out);
        return NULL;
    }
    return out;
}

/* ---- dump -------------------------------------------------------------------------------- */

static void dump_node(const eng_node *n, char **buf, size_t *len, size_t *cap)
{
    char line[1024], sh[ENG_SHAPE_BUF];
    int k = snprintf(line, sizeof line, "%s %s <-", n->name,
                     eng_shape_format(n->out_ndim, n->out_shape, sh, sizeof sh));
    for (int i = 0; i < n->n_in && k < (int)sizeof line - 1; i++)
        k += snprintf(line + k, sizeof line - (size_t)k, " %s%s",
                      n->in[i] ? eng_shape_format(n->in[i]->ndim, n->in[i]->shape, sh, sizeof sh)
                               : "-", n->in[i] && n->in[i]->requires_grad && !n->in[i]->node
                               ? "*" : "");
    if (k >= (int)sizeof line)
        k = (int)sizeof line - 1;
    if (*len + (size_t)k + 2 > *cap) {
        size_t nc = 2 * (*cap + (size_t)k + 2);
        char *nb = realloc(*buf, nc);
        if (!nb)
            return;
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, line, (size_t)k);
    *len += (size_t)k;
    (*buf)[(*len)++] = '\n';
    (*buf)[*len] = '\0';
}

/* One line per node, outputs first; "*" marks inputs that are parameters (leaves). */
char *eng_graph_format(const eng_tensor *t)
{
    size_t len = 0, cap = 256;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    buf[0] = '\0';
    if (!t->node)
        return buf;
    node_vec order = { 0 };
    if (topo_sort(t->node, &order, NULL) == ENG_OK)
        for (size_t k = order.n; k-- > 0;)
            dump_node(order.v[k], &buf, &len, &cap);
    for (size_t k = 0; k < order.n; k++)
        order.v[k]->mark = 0;
    free(order.v);
    return buf;
}
