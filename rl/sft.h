/* rl/sft.h — supervised fine-tuning (`mathmine sft`): the task's worked solutions as
 * prompt/response pairs, the loss on the response tokens only.
 *
 * A training document is the task's prompt (rl/task.h: "Question: <q>\nAnswer:\n"), then the
 * response (the item's solution), "\n" and the end-of-text token; the loss covers the
 * response and the end-of-text token, never the prompt.  An epoch visits every train item
 * once in a seeded random order (seed + epoch, so a resumed run sees the same order); the
 * learning rate warms up over 5% of all steps, then follows a cosine to 10% (over all epochs,
 * so resuming continues the same schedule).  After each epoch the mean loss on the test split
 * (the validation set) is measured without updating anything.
 *
 * The model and the codec stay owned by the caller; nothing here prints. */
#ifndef MM_SFT_H
#define MM_SFT_H

#include "rl/gpt2.h"
#include "rl/grpo.h"
#include "rl/task.h"

typedef struct mm_sft_train_opts {
    int epochs; /* passes over the train split (>= 1) */
    int batch;  /* documents per optimizer step */
    float lr, weight_decay, grad_clip;
    uint64_t seed;   /* shuffling */
    int val_n;       /* validation items from the test split (0 = all) */
    int start_epoch; /* resume: epochs already done */
} mm_sft_train_opts;

MM_API void mm_sft_train_opts_default(mm_sft_train_opts *o);

typedef struct mm_sft_epoch_stats {
    int epoch;         /* 1-based, the epoch just finished */
    long steps;        /* optimizer steps so far (all epochs) */
    double train_loss; /* mean loss over this epoch's steps */
    double val_loss;   /* mean response-token loss on the validation items (NAN: none) */
    double seconds;    /* this epoch */
} mm_sft_epoch_stats;

/* Called after every step (may be NULL; non-zero stops) and after every epoch (may be NULL;
 * non-zero stops — the caller writes its checkpoint here). */
typedef int (*mm_sft_step_fn)(void *ud, long step, double loss, double lr);
typedef int (*mm_sft_epoch_fn)(void *ud, const mm_sft_epoch_stats *s);

MM_API mm_err mm_sft_train(mm_gpt *m, const mm_grpo_codec *c, const mm_task *t,
                           const mm_sft_train_opts *o, mm_sft_step_fn on_step,
                           mm_sft_epoch_fn on_epoch, void *ud);

/* Mean response-token loss of the first n items of split s (n <= 0: all), batch at a time. */
MM_API mm_err mm_sft_loss(mm_gpt *m, const mm_grpo_codec *c, const mm_task *t, mm_task_split s,
                          int n, int batch, double *loss);

#endif
