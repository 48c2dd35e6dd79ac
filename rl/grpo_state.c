/* rl/grpo_state.c — save and load the whole state of a GRPO run (rl/grpo_state.h), so that a
 * run killed at any point (SIGKILL included) resumes from its last save and ends as the
 * uninterrupted run would.
 *
 * The state directory is written in a fresh temp directory and renamed over the old one
 * (mm_gpt_replace_dir), so it always holds one complete save: grpo_state.json (the step, the
 * question stream's RNG state, the reward model's round, and the options that must not change
 * on resume), the policy as a plain checkpoint plus optimizer.safetensors, reference/ (the
 * frozen reference model), value/ and reward/ (model + optimizer state) and replay.bin (the
 * reward model's older and fresh samples), and whatever the caller adds (its log). */
#include "rl/grpo_state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/json.h"
#include "rl/gpt2_internal.h"

#define STATE_FORMAT "mathmine-grpo-state"
#define REPLAY_MAGIC "MMREPLAY"
#define REPLAY_VERSION 1u

static void join(char *p, size_t cap, const char *dir, const char *name) {
    snprintf(p, cap, "%s/%s", dir, name);
}

/* ---- the reward model's samples: replay.bin ---- */

/* Layout (host byte order; the file only travels between runs on one machine): the 8 bytes
 * "MMREPLAY", uint32 version, uint32 sets (2: the older samples, then the fresh ones); per
 * set int32 n, then per sequence int32 len, plen, label and len int32 tokens. */
static mm_err write_set(FILE *f, const mm_rm_data *d) {
    int ok = fwrite(&d->n, sizeof d->n, 1, f) == 1;
    for (int i = 0; i < d->n && ok; i++) {
        int32_t h[3] = {d->len[i], d->plen[i], d->label[i]};
        ok = fwrite(h, sizeof h, 1, f) == 1 &&
             fwrite(d->tokens[i], sizeof(int32_t), (size_t)d->len[i], f) == (size_t)d->len[i];
    }
    return ok ? MM_OK : mm_fail(MM_ERR_IO, "replay buffer: write failed");
}

static mm_err write_replay(const char *path, const mm_rl_iter *it) {
    FILE *f = fopen(path, "wb");
    if (!f) return mm_fail(MM_ERR_IO, "%s: cannot create", path);
    uint32_t head[2] = {REPLAY_VERSION, 2};
    mm_err e = fwrite(REPLAY_MAGIC, 8, 1, f) == 1 && fwrite(head, sizeof head, 1, f) == 1
                   ? MM_OK
                   : mm_fail(MM_ERR_IO, "%s: write failed", path);
    if (e == MM_OK) e = write_set(f, &it->old);
    if (e == MM_OK) e = write_set(f, &it->fresh);
    if (fclose(f) && e == MM_OK) e = mm_fail(MM_ERR_IO, "%s: write failed", path);
    return e;
}

/* One set from b at *at; every count is checked against the bytes left. */
static mm_err read_set(const char *path, const mm_buf *b, size_t *at, mm_rm_data *d) {
    int32_t n, h[3];
    int32_t *tok = NULL;
    if (b->len - *at < sizeof n) return mm_fail(MM_ERR_FORMAT, "%s: cut short", path);
    memcpy(&n, b->data + *at, sizeof n), *at += sizeof n;
    mm_err e = n < 0 ? mm_fail(MM_ERR_FORMAT, "%s: negative count", path) : MM_OK;
    for (int i = 0; i < n && e == MM_OK; i++) {
        if (b->len - *at < sizeof h)
            return mm_fail(MM_ERR_FORMAT, "%s: byte %zu: cut short", path, *at);
        memcpy(h, b->data + *at, sizeof h), *at += sizeof h;
        size_t bytes = (size_t)(h[0] > 0 ? h[0] : 0) * sizeof *tok;
        if (h[0] < 1 || h[1] < 0 || h[1] > h[0] || b->len - *at < bytes)
            return mm_fail(MM_ERR_FORMAT, "%s: byte %zu: bad sequence header", path, *at);
        if (!(tok = malloc(bytes))) return mm_fail(MM_ERR_NOMEM, "replay buffer");
        memcpy(tok, b->data + *at, bytes), *at += bytes;
        e = mm_rm_data_add(d, tok, h[0], h[1], h[2]);
        free(tok);
    }
    return e;
}

static mm_err read_replay(const char *path, mm_rl_iter *it) {
    mm_buf b = {0};
    MM_TRY(mm_read_file(path, &b));
    uint32_t head[2] = {0, 0};
    size_t at = 8 + sizeof head;
    mm_err e = MM_OK;
    if (b.len < at || memcmp(b.data, REPLAY_MAGIC, 8))
        e = mm_fail(MM_ERR_FORMAT, "%s: not a mathmine replay buffer", path);
    if (e == MM_OK) memcpy(head, b.data + 8, sizeof head);
    if (e == MM_OK && (head[0] != REPLAY_VERSION || head[1] != 2))
        e = mm_fail(MM_ERR_FORMAT, "%s: version %u with %u sets, this build reads version %u", path,
                    head[0], head[1], REPLAY_VERSION);
    mm_rl_iter_free(it);
    *it = (mm_rl_iter){0};
    if (e == MM_OK) e = read_set(path, &b, &at, &it->old);
    if (e == MM_OK) e = read_set(path, &b, &at, &it->fresh);
    if (e == MM_OK && at != b.len)
        e = mm_fail(MM_ERR_FORMAT, "%s: %zu bytes after the last sequence", path, b.len - at);
    mm_buf_free(&b);
    return e;
}

/* ---- models ---- */

static mm_err save_value(mm_value *v, const char *tmp, const char *name) {
    char p[4400];
    join(p, sizeof p, tmp, name);
    MM_TRY(mm_value_save(v, p, -1, NULL, NULL));
    return mm_value_save_optimizer(v, p);
}

/* Parameters and optimizer of the saved value model into v (same shapes). */
static mm_err load_value(mm_value *v, const char *dir, const char *name) {
    char p[4400];
    join(p, sizeof p, dir, name);
    mm_value *saved;
    MM_TRY(mm_value_load(p, 0, &saved));
    mm_err e = mm_gpt_copy_params(mm_value_gpt(v), mm_value_gpt(saved));
    if (e == MM_OK)
        memcpy(mm_value_head(v), mm_value_head(saved),
               ((size_t)mm_gpt_get_config(mm_value_gpt(v))->dim + 1) * sizeof(float));
    mm_value_free(saved);
    return e == MM_OK ? mm_value_load_optimizer(v, p) : e;
}

/* The parameters of the checkpoint in dir into m (same shapes). */
static mm_err load_params(mm_gpt *m, const char *dir) {
    mm_gpt *saved;
    MM_TRY(mm_gpt_load(dir, &saved));
    mm_err e = mm_gpt_copy_params(m, saved);
    mm_gpt_free(saved);
    if (e != MM_OK)
        return mm_fail(e, "%s: the saved model does not fit this run: %s", dir, mm_error_detail());
    return MM_OK;
}

/* ---- grpo_state.json ---- */

static mm_err write_json(const grpo_state *s, const mm_grpo_opts *o, int step, const char *path) {
    mm_buf b = {0};
    mm_jw w;
    char rng[32], seed[32];
    snprintf(rng, sizeof rng, "%016" PRIx64, s->rng->s);
    snprintf(seed, sizeof seed, "%" PRIu64, o->seed);
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "format"), mm_jw_string(&w, STATE_FORMAT);
    mm_jw_key(&w, "version"), mm_jw_int(&w, 1);
    mm_jw_key(&w, "step"), mm_jw_int(&w, step);
    mm_jw_key(&w, "rng"), mm_jw_string(&w, rng); /* a string: 64 bits do not fit a double */
    mm_jw_key(&w, "seed"), mm_jw_string(&w, seed);
    mm_jw_key(&w, "algo"), mm_jw_int(&w, o->algo);
    mm_jw_key(&w, "questions"), mm_jw_int(&w, o->questions);
    mm_jw_key(&w, "group"), mm_jw_int(&w, o->group);
    mm_jw_key(&w, "rm_round"), mm_jw_int(&w, s->iter ? s->iter->round : 0);
    mm_jw_key(&w, "reference"), mm_jw_bool(&w, s->ref != NULL);
    mm_jw_key(&w, "value"), mm_jw_bool(&w, s->value_model != NULL);
    mm_jw_key(&w, "reward"), mm_jw_bool(&w, s->iter != NULL);
    mm_jw_obj_end(&w);
    mm_buf_putc(&b, '\n');
    FILE *f = b.data ? fopen(path, "wb") : NULL;
    mm_err e = f && fwrite(b.data, 1, b.len, f) == b.len
                   ? MM_OK
                   : mm_fail(MM_ERR_IO, "%s: write failed", path);
    if (f && fclose(f) && e == MM_OK) e = mm_fail(MM_ERR_IO, "%s: write failed", path);
    mm_buf_free(&b);
    return e;
}

/* The saved run must be this run: same options that shape a step, same models present. */
static mm_err check_json(const mm_json *j, const grpo_state *s, const mm_grpo_opts *o,
                         const char *path, int *step) {
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, o->seed);
    if (strcmp(mm_json_get_str(j, "format", ""), STATE_FORMAT) ||
        mm_json_get_num(j, "version", 0) != 1)
        return mm_fail(MM_ERR_FORMAT, "%s: not a mathmine grpo state (version 1)", path);
    struct {
        const char *key;
        double want;
    } k[] = {{"algo", o->algo},
             {"questions", o->questions},
             {"group", o->group},
             {"reference", s->ref != NULL},
             {"value", s->value_model != NULL},
             {"reward", s->iter != NULL}};
    for (size_t i = 0; i < sizeof k / sizeof *k; i++) {
        const mm_json *v = mm_json_get(j, k[i].key);
        double have = v && v->type == MM_JSON_BOOL ? v->b : mm_json_get_num(j, k[i].key, -1);
        if (have != k[i].want)
            return mm_fail(MM_ERR_MISMATCH,
                           "%s: the run was saved with %s = %g, this one has %g: "
                           "resume with the options of the saved run",
                           path, k[i].key, have, k[i].want);
    }
    if (strcmp(mm_json_get_str(j, "seed", ""), seed))
        return mm_fail(MM_ERR_MISMATCH, "%s: the run was saved with --seed %s, this one has %s",
                       path, mm_json_get_str(j, "seed", "?"), seed);
    double st = mm_json_get_num(j, "step", -1);
    if (!(st >= 1 && st <= o->steps))
        return mm_fail(MM_ERR_MISMATCH, "%s: saved after step %g, not between 1 and --steps %d",
                       path, st, o->steps);
    *step = (int)st;
    return MM_OK;
}

/* ---- API ---- */

static mm_err write_all(const grpo_state *s, const mm_grpo_opts *o, int step, void *ud,
                        const char *tmp) {
    char p[4400];
    MM_TRY(mm_gpt_write_files(s->policy, tmp, s->codec->eos));
    MM_TRY(mm_grpo_codec_save(s->codec, tmp));
    join(p, sizeof p, tmp, "optimizer.safetensors");
    MM_TRY(mm_gpt_save_optimizer(s->policy, p));
    if (s->ref) {
        join(p, sizeof p, tmp, "reference");
        MM_TRY(mm_mkdirs(p));
        MM_TRY(mm_gpt_write_files(s->ref, p, -1));
    }
    if (s->value_model) MM_TRY(save_value(s->value_model, tmp, "value"));
    if (s->iter) {
        MM_TRY(save_value(s->reward_model, tmp, "reward"));
        join(p, sizeof p, tmp, "replay.bin");
        MM_TRY(write_replay(p, s->iter));
    }
    if (o->save_extra) MM_TRY(o->save_extra(ud, tmp, step));
    join(p, sizeof p, tmp, "grpo_state.json"); /* last: a state without it is incomplete */
    return write_json(s, o, step, p);
}

mm_err mm_grpo_state_save(const grpo_state *s, const mm_grpo_opts *o, int step, void *ud) {
    char tmp[4200];
    MM_TRY(mm_gpt_tmpdir(o->state_dir, tmp, sizeof tmp));
    mm_err e = write_all(s, o, step, ud, tmp);
    if (e == MM_OK) e = mm_gpt_replace_dir(tmp, o->state_dir);
    if (e != MM_OK) mm_gpt_rmtree(tmp);
    return e;
}

mm_err mm_grpo_state_load(grpo_state *s, const mm_grpo_opts *o, int *step) {
    const char *dir = o->state_dir;
    char p[4400];
    join(p, sizeof p, dir, "grpo_state.json");
    mm_json_doc *doc;
    mm_json *j;
    if (mm_json_parse_file(p, &doc, &j) != MM_OK)
        return mm_fail(MM_ERR_IO,
                       "%s: no state to resume from (%s); a run saves one every "
                       "--save-every steps",
                       dir, mm_error_detail());
    mm_err e = check_json(j, s, o, p, step);
    const char *rng = mm_json_get_str(j, "rng", "");
    char *end = NULL;
    unsigned long long r = strtoull(rng, &end, 16);
    if (e == MM_OK && (!*rng || *end)) e = mm_fail(MM_ERR_FORMAT, "%s: bad rng state '%s'", p, rng);
    if (e == MM_OK) s->rng->s = (uint64_t)r;
    int round = (int)mm_json_get_num(j, "rm_round", 0);
    mm_json_doc_free(doc);
    MM_TRY(e);
    MM_TRY(load_params(s->policy, dir));
    join(p, sizeof p, dir, "optimizer.safetensors");
    MM_TRY(mm_gpt_load_optimizer(s->policy, p));
    if (s->ref) {
        join(p, sizeof p, dir, "reference");
        MM_TRY(load_params(s->ref, p));
    }
    if (s->value_model) MM_TRY(load_value(s->value_model, dir, "value"));
    if (s->iter) {
        MM_TRY(load_value(s->reward_model, dir, "reward"));
        join(p, sizeof p, dir, "replay.bin");
        MM_TRY(read_replay(p, s->iter));
        s->iter->round = round;
    }
    return MM_OK;
}
