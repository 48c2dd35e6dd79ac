/* rl/tokenizer.h — GPT-2 style byte-level BPE: training, loading, encoding, decoding.
 *
 * Text is bytes.  It is first split into pre-tokens the way GPT-2's regular expression does
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * (hand-written on UTF-8; a byte that starts no valid UTF-8 sequence counts as "other"), then
 * each pre-token's bytes are merged by the learned merges, lowest rank first.  Every byte has
 * a token, so any byte string encodes, and decoding gives the bytes back exactly.
 *
 * Files (a tokenizer directory), as Hugging Face's GPT-2 tokenizers read them:
 *   vocab.json   {"<token>": id, ...}; a token is its bytes written with GPT-2's byte-to-unicode
 *                table (printable bytes stand for themselves, the others are U+0100 + k)
 *   merges.txt   "#version: 0.2" then one "A B" line per merge, in rank order
 *   tokenizer_config.json  names <|endoftext|> as bos/eos/unk for transformers
 * Ids 0..255 are the 256 bytes in GPT-2's order, then one id per merge, then <|endoftext|>.
 *
 * Ownership: an mm_tok is immutable once built and may be shared by threads; each thread
 * encodes through its own mm_tok_enc (it holds a cache of pre-token encodings).  Id vectors
 * (mm_tok_ids) are owned by the caller and freed with mm_tok_ids_free. */
#ifndef MM_TOKENIZER_H
#define MM_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

#define MM_TOK_EOT_STR "<|endoftext|>"

typedef struct mm_tok mm_tok;
typedef struct mm_tok_enc mm_tok_enc;
typedef struct mm_tok_trainer mm_tok_trainer;

/* A growable vector of token ids; zero-initialise it, encode appends. */
typedef struct mm_tok_ids {
    uint32_t *v;
    size_t len, cap;
} mm_tok_ids;
MM_API mm_err mm_tok_ids_push(mm_tok_ids *ids, uint32_t id);
MM_API void mm_tok_ids_free(mm_tok_ids *ids);

/* ---- pre-tokenisation ---- */

/* End (exclusive) of the pre-token that starts at byte `i` of s[0..n), i < n. */
MM_API size_t mm_tok_split(const char *s, size_t n, size_t i);
/* A cut point at or after `from` where s[0..c) and s[c..n) pre-tokenise exactly as the whole
 * does: a space with a non-space on each side.  Returns n when there is none before `limit`.
 * Lets a long text be split into pieces that are encoded or counted in parallel. */
MM_API size_t mm_tok_safe_cut(const char *s, size_t n, size_t from, size_t limit);

/* ---- loading and saving ---- */

/* Load `dir`/vocab.json and `dir`/merges.txt.  Errors name the file and line or byte. */
MM_API mm_err mm_tok_load(const char *dir, mm_tok **out);
/* The same from memory (names used in error messages: "vocab.json", "merges.txt"). */
MM_API mm_err mm_tok_load_mem(const char *vocab_json, size_t vocab_len, const char *merges,
                              size_t merges_len, mm_tok **out);
/* Write vocab.json, merges.txt and tokenizer_config.json into `dir` (created), each atomically. */
MM_API mm_err mm_tok_save(const mm_tok *t, const char *dir);
MM_API void mm_tok_free(mm_tok *t);

MM_API int mm_tok_vocab_size(const mm_tok *t);
MM_API int mm_tok_merges(const mm_tok *t);
/* Id of <|endoftext|>, or -1 when the vocabulary has none. */
MM_API int mm_tok_eot(const mm_tok *t);
/* The bytes of token `id` (not NUL-terminated); NULL when out of range. */
MM_API const char *mm_tok_bytes(const mm_tok *t, uint32_t id, size_t *len);

/* ---- encoding and decoding ---- */

MM_API mm_err mm_tok_enc_create(const mm_tok *t, mm_tok_enc **out);
MM_API void mm_tok_enc_free(mm_tok_enc *e);
/* Append the ids of text[0..n) to `ids`.  "<|endoftext|>" in the text is plain text here;
 * callers add the special id themselves.  Deterministic: same bytes, same ids. */
MM_API mm_err mm_tok_encode(mm_tok_enc *e, const char *text, size_t n, mm_tok_ids *ids);
/* Token counting for score files (classifier.h's mm_clf_token_counter): open(arg = the
 * const mm_tok *) makes one thread's encoder (NULL when out of memory), count sets *tokens to
 * the number of ids text[0..n) encodes to, close frees it. */
MM_API void *mm_tok_counter_open(void *tok);
MM_API mm_err mm_tok_counter_count(void *state, const char *text, size_t n, uint64_t *tokens);
MM_API void mm_tok_counter_close(void *state);
/* Append the bytes of ids[0..n) to `out`; an id out of range is MM_ERR_ARG naming its index. */
MM_API mm_err mm_tok_decode(const mm_tok *t, const uint32_t *ids, size_t n, mm_buf *out);

/* ---- input texts ---- */

/* The texts of one input file, for training and sharding.  A document shard (a name ending in
 * .jsonl or .jsonl.zst, or "-" for stdin) gives the "text" field of each line; a broken line
 * is skipped (next returns -1 with the detail naming file and line, then goes on).  Any other
 * file is read whole as one text.  The text pointer stays valid until the next call. */
typedef struct mm_tok_src mm_tok_src;
MM_API mm_err mm_tok_src_open(const char *path, mm_tok_src **out);
/* 1 = a text; 0 = end; -1 = a broken line was skipped.  Fatal errors come back in *err. */
MM_API int mm_tok_src_next(mm_tok_src *s, const char **text, size_t *len, mm_err *err);
MM_API uint64_t mm_tok_src_bytes(const mm_tok_src *s); /* input bytes consumed so far */
MM_API void mm_tok_src_close(mm_tok_src *s);

/* ---- training ---- */

typedef struct mm_tok_train_opts {
    int vocab;    /* total size including the 256 bytes and <|endoftext|> (>= 257) */
    int min_freq; /* stop when the best pair occurs fewer times (default 2 when 0) */
    int threads;  /* for counting pre-tokens; 0 = all cores */
    /* optional: called every 256 merges with the tokens made so far and the target; a
     * non-zero return stops training early (the merges so far are kept) */
    int (*progress)(void *ctx, int tokens, int target);
    void *progress_ctx;
} mm_tok_train_opts;

typedef struct mm_tok_train_stats {
    uint64_t bytes, pretokens, unique_words, long_words_split;
    int merges, vocab;
    double count_s, merge_s;
} mm_tok_train_stats;

MM_API mm_err mm_tok_trainer_create(const mm_tok_train_opts *o, mm_tok_trainer **out);
/* Count the pre-tokens of k texts (in parallel over the texts). */
MM_API mm_err mm_tok_trainer_add(mm_tok_trainer *tr, const char *const *texts, const size_t *lens,
                                 size_t k);
/* Learn the merges.  The trainer may be freed afterwards; *out is independent of it. */
MM_API mm_err mm_tok_trainer_train(mm_tok_trainer *tr, mm_tok **out);
MM_API void mm_tok_trainer_stats(const mm_tok_trainer *tr, mm_tok_train_stats *s);
MM_API void mm_tok_trainer_free(mm_tok_trainer *tr);

#endif
