/*
 * nn_internal.h -- shared by engine/nn*.c: the kernels, the layer and model structs, the
 * per-batch workspace. Not for use outside engine/ (tests include it to reach the kernels).
 *
 * Kernel conventions (style.md 11): outputs first, then inputs, then sizes; the first lines
 * state the shapes; backward kernels ACCUMULATE (+=) into gradient buffers; every BLAS kernel
 * has a naive loop version beside it (the specification), and the tests check they agree.
 * Data is row-major float32; images are channels-last (B, H, W, C) as in Keras.
 */
#ifndef NABLA_NN_INTERNAL_H
#define NABLA_NN_INTERNAL_H

#include "engine/engine_internal.h"

/* ---- dense and activations (nn_kernels.c) ------------------------------------------------ */

/* out (R, F) = inp (R, C) @ w (C, F) + b (F)   (b may be NULL). cblas_sgemm. */
void eng_k_dense_fwd(float *out, const float *inp, const float *w, const float *b,
                     int64_t R, int64_t C, int64_t F);
void eng_k_dense_fwd_naive(float *out, const float *inp, const float *w, const float *b,
                           int64_t R, int64_t C, int64_t F);
/* Given dz (R, F) = dL/d(out): dw (C, F) += inp^T dz; db (F) += column sums of dz; dinp (R, C)
 * += dz w^T. dinp and db may be NULL (first layer, no bias). accumulate 0 writes the
 * gradients instead of adding (the fit loop, whose buffers hold the previous batch's). */
void eng_k_dense_bwd(float *dinp, float *dw, float *db, const float *dz, const float *inp,
                     const float *w, int64_t R, int64_t C, int64_t F, int accumulate);
void eng_k_dense_bwd_naive(float *dinp, float *dw, float *db, const float *dz, const float *inp,
                           const float *w, int64_t R, int64_t C, int64_t F);

/* out (R, C) = act(inp) row by row (softmax along C). out may equal inp (in place). */
void eng_k_act_fwd(eng_act a, float *out, const float *inp, int64_t R, int64_t C);
/* dinp (R, C) (+)= d act / d inp applied to dout, computed from the forward OUTPUT out (every
 * Keras activation's derivative is a function of its output). accumulate 0 writes instead of
 * adding: the pre-activation gradient a layer's own kernels consume. */
void eng_k_act_bwd(eng_act a, float *dinp, const float *dout, const float *out, int64_t R,
                   int64_t C, int accumulate);

/* ---- dropout, batch normalization (nn_kernels.c) ------------------------------------------ */

/* mask (n): 0 with probability rate, else 1 / (1 - rate) (inverted dropout, as Keras). */
void eng_k_dropout_mask(float *mask, int64_t n, double rate, eng_rng *rng);
/* out (n) = a * b;  dinp (n) += dout * mask. */
void eng_k_mul(float *out, const float *a, const float *b, int64_t n);
void eng_k_mul_acc(float *dinp, const float *dout, const float *mask, int64_t n);

/* Training forward over R rows of C features (the last axis): batch mean and biased variance
 * per feature, out = gamma * (inp - mean) * rstd + beta, rstd = 1 / sqrt(var + eps); writes
 * mean, rstd (C) for backward and moves the moving statistics (C) toward the batch's:
 * moving = moving * momentum + batch * (1 - momentum) (Keras, no Bessel correction). */
void eng_k_batchnorm_fwd_train(float *out, float *mean, float *rstd, float *mmean, float *mvar,
                               const float *inp, const float *gamma, const float *beta,
                               int64_t R, int64_t C, double momentum, double eps);
/* Inference forward: the moving statistics in place of the batch's. */
void eng_k_batchnorm_fwd_infer(float *out, const float *inp, const float *gamma,
                               const float *beta, const float *mmean, const float *mvar,
                               int64_t R, int64_t C, double eps);
/* dgamma, dbeta (C) += ...; dinp (R, C) += (may be NULL); accumulate 0 writes them. */
void eng_k_batchnorm_bwd(float *dinp, float *dgamma, float *dbeta, const float *dout,
                         const float *inp, const float *mean, const float *rstd,
                         const float *gamma, int64_t R, int64_t C, int accumulate);

/* ---- convolution and pooling (nn_conv.c) -------------------------------------------------- */

/* Sizes of a channels-last 2-D window op: input (B, H, W, C), window KH x KW, strides SH, SW,
 * padding PT (top), PL (left) (the rest implied by OH, OW), output (B, OH, OW, F) (F == C for
 * pooling). */
typedef struct eng_conv_dims {
    int64_t B, H, W, C, F, KH, KW, SH, SW, PT, PL, OH, OW;
} eng_conv_dims;

/* Output size and leading padding of one axis, Keras/TensorFlow rules: valid:
 * out = (n - k) / s + 1; same: out = ceil(n / s), pad_total = max((out - 1) s + k - n, 0),
 * pad_before = pad_total / 2. Returns out (<= 0: the window does not fit). */
int64_t eng_conv_out_size(int64_t n, int64_t k, int64_t s, int same, int64_t *pad_before);

/* col (B*OH*OW, KH*KW*C): row per output position, columns in (kh, kw, c) order -- the order
 * of a Keras kernel (KH, KW, C, F) flattened to (KH*KW*C, F). Padding reads as 0. */
void eng_k_im2col(float *col, const float *inp, const eng_conv_dims *d);
/* dinp (B, H, W, C) += the columns of dcol scattered back (the adjoint of im2col). */
void eng_k_col2im(float *dinp, const float *dcol, const eng_conv_dims *d);
/* out (B, OH, OW, F) = conv(inp, k (KH, KW, C, F)) + b (F; may be NULL), through col (scratch
 * of B*OH*OW*KH*KW*C floats, left holding im2col(inp) for the backward) and cblas_sgemm. */
void eng_k_conv2d_fwd(float *out, float *col, const float *inp, const float *k, const float *b,
                      const eng_conv_dims *d);
void eng_k_conv2d_fwd_naive(float *out, const float *inp, const float *k, const float *b,
                            const eng_conv_dims *d);
/* Given dz (B, OH, OW, F) and the forward's col: dk (KH, KW, C, F) += col^T dz; db (F) +=
 * sums of dz; dinp (B, H, W, C) += col2im(dz k^T) through dcol (scratch, same size as col).
 * dinp and db may be NULL; accumulate 0 writes the gradients instead of adding. */
void eng_k_conv2d_bwd(float *dinp, float *dk, float *db, float *dcol, const float *dz,
                      const float *col, const float *k, const eng_conv_dims *d, int accumulate);
void eng_k_conv2d_bwd_naive(float *dinp, float *dk, float *db, const float *dz,
                            const float *inp, const float *k, const eng_conv_dims *d);

/* out (B, OH, OW, C) = max over each window (padding never wins); arg (B*OH*OW*C) receives
 * the winner's offset inside its sample (h * W * C + w * C + c). */
void eng_k_maxpool_fwd(float *out, int32_t *arg, const float *inp, const eng_conv_dims *d);
/* dinp (B, H, W, C) += dout routed to each window's winner (accumulate 0: zeroed first). */
void eng_k_maxpool_bwd(float *dinp, const float *dout, const int32_t *arg, const eng_conv_dims *d,
                       int accumulate);

/* ---- losses (nn_loss.c) ------------------------------------------------------------------- */

/* How the accuracy metric reads predictions (Keras picks it from the shapes). */
typedef enum nn_acc_kind { NN_ACC_NONE, NN_ACC_BINARY, NN_ACC_CATEGORICAL, NN_ACC_SPARSE } nn_acc_kind;

/* One batch of a loss on raw buffers: y (R, K) predictions, t targets (R, K), or (R) labels for
 * sparse. fused: y holds probabilities made by the model's last softmax/sigmoid and dz is the
 * gradient with respect to the LOGITS behind them (p - t: Keras also computes these losses from
 * the logits). w (may be NULL): a weight per sample, row r's being w[r / w_rows] (a sample has
 * w_rows rows). Returns the SUM over rows of the (weighted) per-row loss (double); dz (R, K),
 * when not NULL, receives scale * d(weighted row loss)/dy (written, not accumulated). */
double eng_k_loss(const eng_loss *loss, int fused, float *dz, const float *y, const float *t,
                  const float *w, int64_t w_rows, int64_t R, int64_t K, double scale);
/* Nonzero when the loss can be fused with a last activation a (softmax + CCE/sparse CCE,
 * sigmoid + BCE, neither from logits). */
int eng_loss_fusable(const eng_loss *loss, eng_act a);
/* Checks y_true against predictions of per-sample shape (ndim, shape) for the loss; ENG_OK or
 * ENG_ERR_SHAPE / ENG_ERR_VALUE (sparse labels not integers in [0, K)). */
int eng_loss_check_targets(const eng_loss *loss, const eng_tensor *y_true, int p_ndim,
                           const int64_t *p_shape, eng_error *err);

/* ---- metrics (nn_metrics.c) --------------------------------------------------------------- */

/* The accuracy kind for predictions of last-axis size K against labels y_true of ndim t_ndim
 * and last size t_last, with predictions of ndim p_ndim. */
nn_acc_kind eng_acc_kind(int p_ndim, int64_t K, int t_ndim, int64_t t_last);

typedef enum nn_metric_kind {
    NN_M_ACCURACY, NN_M_BINARY_ACC, NN_M_CATEGORICAL_ACC, NN_M_SPARSE_ACC, NN_M_MAE, NN_M_MSE,
    NN_M_BCE, NN_M_CCE, NN_M_SPARSE_CCE
} nn_metric_kind;

/* A metric resolved for one pass: how it reads predictions and targets. */
typedef struct nn_metric_plan {
    eng_metric_id id;
    nn_metric_kind kind;
    nn_acc_kind acc;            /* the accuracies */
    float threshold;            /* binary accuracy: 0.5, or 0 on logits */
    int logits;                 /* the cross-entropies read logits */
    int labels;                 /* targets hold one label per row, not K values */
} nn_metric_plan;

/* Resolves ms for predictions of ndim p_ndim (batch included) and last axis K against the
 * targets y under loss; labels: the targets hold one class label per row rather than K values.
 * ENG_ERR_VALUE when a metric cannot read these targets. */
int nn_metrics_plan(nn_metric_plan *plan, const eng_metrics *ms, const eng_loss *loss,
                    int labels, int p_ndim, int64_t K, const eng_tensor *y, eng_error *err);
/* The index of the largest of y[0..K-1] (the first on ties). */
int64_t nn_argmax_row(const float *y, int64_t K);
/* Adds each metric's sum over the R rows of y (R, K) against t to sums[i]. */
void nn_metrics_batch(const nn_metric_plan *plan, int n, const float *y, const float *t,
                      int64_t R, int64_t K, double *sums);

/* ---- optimizer kernels (nn_optim.c) ------------------------------------------------------- */

void eng_k_sgd(float *w, float *vel, const float *g, int64_t n, float lr, float momentum,
               int nesterov);
void eng_k_adam(float *w, float *m, float *v, const float *g, int64_t n, float lr_t, float b1,
                float b2, float eps);
void eng_k_rmsprop(float *w, float *a, float *mom, const float *g, int64_t n, float lr,
                   float rho, float momentum, float eps);

/* ---- layers (nn_layer.c) ------------------------------------------------------------------ */

#define NN_MAX_WEIGHTS 4

/* Per-layer workspace of one batch size: pointers into the model's (or a call's) arenas. */
typedef struct nn_slot {
    float   *col;       /* Conv2D: im2col of the input, kept from forward to backward */
    int32_t *arg;       /* MaxPooling2D: winners */
    float   *mask;      /* Dropout: the batch's mask */
    float   *mean, *rstd;   /* BatchNormalization: batch statistics */
} nn_slot;

/* Floats (and int32s) one layer needs in its slot for B samples, and in shared scratch. */
typedef struct nn_ws_need {
    int64_t col, arg, mask, stats, scratch;
} nn_ws_need;

struct eng_layer {
    int refcount;
    eng_layer_config cfg;
    int built;
    int in_ndim, out_ndim;                      /* per sample, batch excluded */
    int64_t in_shape[ENG_MAX_DIMS], out_shape[ENG_MAX_DIMS];
    int64_t in_size, out_size;                  /* floats per sample */
    int64_t rows;                               /* Dense/BN: rows per sample (leading dims) */
    eng_conv_dims cd;                           /* Conv2D, MaxPooling2D (B unset) */
    int nweights;
    const char *wname[NN_MAX_WEIGHTS];
    int wndim[NN_MAX_WEIGHTS];
    int64_t wshape[NN_MAX_WEIGHTS][4];
    int64_t wsize[NN_MAX_WEIGHTS];
    int trainable[NN_MAX_WEIGHTS];
    eng_tensor *w[NN_MAX_WEIGHTS];              /* views into a flat weight buffer */
    eng_tensor *g[NN_MAX_WEIGHTS];              /* views into the flat gradient buffer */
    const eng_model *owner;     /* the model whose buffers hold the weights; NULL: the layer's */
};

/* Shape inference without allocation: sets in/out shapes, weight shapes (built stays 0).
 * Checks the input fits the kind (Conv2D needs (H, W, C) ...). */
int nn_layer_infer(eng_layer *l, int ndim, const int64_t *in, eng_error *err);
/* Points weight i at views of wbuf/gbuf starting at woff[i]/goff[i] (the tensors are
 * retained through the views). Copies the old values first when copy_old, else initialises
 * (Glorot uniform from rng, zeros, ones). Marks the layer built. */
int nn_layer_bind(eng_layer *l, eng_tensor *wbuf, eng_tensor *gbuf, const int64_t *woff,
                  const int64_t *goff, int copy_old, eng_rng *rng, eng_error *err);
void nn_layer_ws_need(const eng_layer *l, int64_t B, nn_ws_need *need);
/* Forward of B samples: inp (B, in_size) -> out (B, out_size). */
void nn_layer_fwd(eng_layer *l, const nn_slot *s, float *out, const float *inp, int64_t B,
                  int training, eng_rng *rng);
/* Backward of B samples. dout is dL/d(out) -- or, when skip_act, already dL/d(pre-activation)
 * (a fused loss). Accumulates into the weights' gradients and dinp (may be NULL); with
 * accumulate 0 it writes them instead (the fit loop: every buffer then is written once per
 * step, and nothing needs zeroing). training: the mode of the forward (BatchNormalization's
 * statistics, Dropout's mask). scratch: nn_ws_need.scratch floats. */
void nn_layer_bwd(eng_layer *l, const nn_slot *s, float *dinp, const float *dout,
                  const float *out, const float *inp, int64_t B, int skip_act, int training,
                  int accumulate, float *scratch);
/* Keras's "Input 0 of layer ..." message for an input of per-sample shape in (B unknown). */
int nn_layer_shape_error(const eng_layer *l, int ndim, const int64_t *in, eng_error *err);

/* ---- the per-batch workspace (nn_model.c) ------------------------------------------------- */

typedef struct nn_ws {
    int64_t B;                  /* capacity in samples; 0: none */
    int nlayers;
    float *floats;              /* one arena for everything float */
    int32_t *ints;
    float **act;                /* act[i]: output of layer i (B, out_size) */
    float **dact;               /* dact[i]: gradient of act[i]; all in one range: */
    float *dact_base;
    int64_t dact_n;
    float *x, *dx;              /* input batch (B, in_size) and its gradient (calls only) */
    float *y;                   /* targets batch */
    float *w;                   /* the batch's sample weights (B) */
    float *dz;                  /* loss gradient (B, out_size) */
    float *scratch;
    nn_slot *slot;
} nn_ws;

/* Allocates ws for B samples of model m's layers (targets of t_per_sample floats). */
int nn_ws_alloc(nn_ws *ws, eng_layer *const *layers, int n, int64_t in_size, int64_t B,
                int64_t t_per_sample, int want_dx, eng_error *err);
void nn_ws_free(nn_ws *ws);

struct eng_model {
    int refcount;
    char name[64];
    int nlayers, cap;
    eng_layer **layers;
    int built;
    int in_ndim;
    int64_t in_shape[ENG_MAX_DIMS];
    eng_tensor *wbuf, *gbuf;    /* flat weights (trainable first) and gradients */
    int64_t n_trainable, n_total;
    int compiled;
    eng_loss loss;
    eng_optimizer *opt;
    eng_metrics metrics;
    char missing_loss[64];      /* a loaded model's custom loss, until it is given back */
    int stop_requested;         /* model.stop_training = True from a callback */
    nn_ws ws;                   /* reused while the batch size fits */
    int64_t ws_t;               /* target floats per sample ws was made for */
};

/* Forward of a batch through every layer (ws holds B >= n samples; x in ws->x). */
void nn_model_forward(eng_model *m, int64_t n, int training, eng_rng *rng);
/* Ensures m->ws holds B samples with targets of t floats per sample. */
int nn_model_ws(eng_model *m, int64_t B, int64_t t, eng_error *err);
/* Copies rows idx[0..n-1] (or n rows from `first` when idx is NULL) of contiguous x
 * (row_size floats per row) into dst. */
void nn_gather_rows(float *dst, const float *x, int64_t row_size, const int64_t *idx,
                    int64_t first, int64_t n);
/* Checks x fits a built model (per-sample shape) or builds the model on it. */
int nn_model_prepare(eng_model *m, const eng_tensor *x, eng_rng *rng, eng_error *err);

/* ---- optimizers (nn_optim.c) -------------------------------------------------------------- */

/* Serialization of the state (nn_file.c): the state floats (moments), in order, and the step. */
int64_t nn_optimizer_state_size(const eng_optimizer *o);
float *nn_optimizer_state(eng_optimizer *o);
void nn_optimizer_set_iterations(eng_optimizer *o, int64_t t);

/* The mean loss of the batch (x, y) in training mode and its gradients, left in the layers'
 * gradient buffers (nn_fit.c; the whole-model gradient checks use it). */
int nn_model_grad(eng_model *m, eng_tensor *x, eng_tensor *y, eng_rng *rng, double *loss,
                  eng_error *err);

/* Monotonic seconds (nn_fit.c). */
double nn_now(void);

#endif
