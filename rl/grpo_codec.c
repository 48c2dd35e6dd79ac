/* rl/grpo_codec.c — the tokenizer behind the trainer: a checkpoint's BPE tokenizer
 * (rl/tokenizer.h) or the byte-level fallback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rl/gpt2_internal.h"
#include "rl/grpo.h"
#include "rl/tokenizer.h"

typedef struct bpe_codec {
    mm_grpo_codec c; /* first: the public part */
    mm_tok *tok;
    mm_tok_enc *enc;
    mm_tok_ids ids;
} bpe_codec;

static int bpe_encode(void *ud, const char *s, size_t n, int32_t *out, int cap) {
    bpe_codec *b = ud;
    b->ids.len = 0;
    if (mm_tok_encode(b->enc, s, n, &b->ids) != MM_OK || b->ids.len > (size_t)cap) return -1;
    for (size_t i = 0; i < b->ids.len; i++)
        out[i] = (int32_t)b->ids.v[i];
    return (int)b->ids.len;
}

static mm_err bpe_decode(void *ud, int32_t tok, mm_buf *out) {
    bpe_codec *b = ud;
    if (tok == b->c.eos || tok < 0 || tok >= mm_tok_vocab_size(b->tok)) return MM_OK;
    uint32_t id = (uint32_t)tok;
    return mm_tok_decode(b->tok, &id, 1, out);
}

static int has_vocab(const char *dir) {
    char p[4200];
    snprintf(p, sizeof p, "%s/vocab.json", dir);
    return access(p, R_OK) == 0;
}

mm_err mm_grpo_codec_open(const char *ckpt_dir, const char *tok_dir, int model_vocab,
                          mm_grpo_codec **out) {
    *out = NULL;
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/tokenizer", ckpt_dir ? ckpt_dir : ".");
    const char *dir = tok_dir                           ? tok_dir
                      : ckpt_dir && has_vocab(ckpt_dir) ? ckpt_dir
                      : has_vocab(sub)                  ? sub
                                                        : NULL;
    if (!dir) {
        if (model_vocab != 257)
            return mm_fail(MM_ERR_FORMAT,
                           "%s: no tokenizer (vocab.json + merges.txt) in the "
                           "checkpoint and the model has %d tokens, not the 257 of the "
                           "byte-level codec; pass --tokenizer DIR",
                           ckpt_dir, model_vocab);
        *out = (mm_grpo_codec *)mm_grpo_codec_bytes();
        return MM_OK;
    }
    bpe_codec *b = mm_calloc(1, sizeof *b);
    if (!b) return MM_ERR_NOMEM;
    mm_err e = mm_tok_load(dir, &b->tok);
    if (e == MM_OK) e = mm_tok_enc_create(b->tok, &b->enc);
    if (e == MM_OK && mm_tok_eot(b->tok) < 0)
        e = mm_fail(MM_ERR_FORMAT, "%s: the tokenizer has no <|endoftext|>", dir);
    if (e == MM_OK && mm_tok_vocab_size(b->tok) > model_vocab)
        e = mm_fail(MM_ERR_MISMATCH, "%s: the tokenizer has %d tokens, the model only %d", dir,
                    mm_tok_vocab_size(b->tok), model_vocab);
    if (e != MM_OK) {
        mm_grpo_codec_close(&b->c);
        return e;
    }
    b->c =
        (mm_grpo_codec){b, bpe_encode, bpe_decode, mm_tok_eot(b->tok), mm_tok_vocab_size(b->tok)};
    *out = &b->c;
    return MM_OK;
}

void mm_grpo_codec_close(mm_grpo_codec *c) {
    if (!c || c == mm_grpo_codec_bytes()) return;
    bpe_codec *b = (bpe_codec *)c;
    mm_tok_enc_free(b->enc);
    mm_tok_free(b->tok);
    mm_tok_ids_free(&b->ids);
    free(b);
}

mm_err mm_grpo_codec_save(const mm_grpo_codec *c, const char *dir) {
    if (!c || c == mm_grpo_codec_bytes()) return MM_OK;
    return mm_tok_save(((const bpe_codec *)c)->tok, dir);
}

mm_err mm_grpo_save_ckpt(const mm_gpt *m, const mm_grpo_codec *c, const char *dir) {
    char tmp[4200];
    MM_TRY(mm_gpt_tmpdir(dir, tmp, sizeof tmp));
    mm_err e = mm_gpt_write_files(m, tmp, c ? c->eos : -1);
    if (e == MM_OK) e = mm_grpo_codec_save(c, tmp);
    if (e == MM_OK) e = mm_gpt_replace_dir(tmp, dir);
    if (e != MM_OK) mm_gpt_rmtree(tmp);
    return e;
}
