// classifier/ft_wrap.cc — the plain reference: libfasttext (Debian's libfasttext-dev) exposed as C.
// Every entry point catches every C++ exception and turns it into an mm_err with a detail, so
// nothing escapes into C.  Files are validated by our own parser (mm_clf_model_check) before
// libfasttext reads them, because libfasttext trusts the sizes in a file and a truncated or
// foreign file could make it allocate wildly or read past the end.
#include <fasttext/args.h>
#include <fasttext/fasttext.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <sstream>
#include <string>

extern "C" {
#include "classifier/classifier.h"
}

struct mm_ft_model {
    fasttext::FastText ft;
};

static mm_err fail_exc(const char *what, const char *path, const std::exception &e) {
    return mm_fail(MM_ERR_FORMAT, "%s%s%s: fastText: %s", path ? path : "", path ? ": " : "", what,
                   e.what());
}

static bool loss_from_name(const char *s, fasttext::loss_name *out) {
    if (!s || !strcmp(s, "softmax"))
        *out = fasttext::loss_name::softmax;
    else if (!strcmp(s, "hs"))
        *out = fasttext::loss_name::hs;
    else if (!strcmp(s, "ns"))
        *out = fasttext::loss_name::ns;
    else if (!strcmp(s, "ova"))
        *out = fasttext::loss_name::ova;
    else
        return false;
    return true;
}

extern "C" mm_err mm_ft_train_file(const char *input, const mm_clf_train_opts *o,
                                   const char *model_out) {
    fasttext::Args a;
    a.input = input;
    a.output = model_out;
    a.model = fasttext::model_name::sup;
    if (!loss_from_name(o->loss, &a.loss))
        return mm_fail(MM_ERR_ARG, "unknown loss '%s' (softmax, hs, ns, ova)", o->loss);
    a.dim = o->dim;
    a.lr = o->lr;
    a.wordNgrams = o->word_ngrams;
    a.minCount = o->min_count;
    a.minCountLabel = o->min_count_label;
    a.epoch = o->epoch;
    a.bucket = o->bucket;
    a.minn = o->minn;
    a.maxn = o->maxn;
    a.neg = o->neg;
    a.ws = o->ws;
    a.lrUpdateRate = o->lr_update_rate;
    a.t = o->t;
    a.thread = o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    a.seed = o->seed;
    a.verbose = 0;
    if (o->pretrained_vectors) a.pretrainedVectors = o->pretrained_vectors;
    mm_err bad = mm_clf_train_opts_check(o);
    if (bad != MM_OK) return bad;
    try {
        fasttext::FastText ft;
        /* fastText calls this every 64 lines of each thread's loop: abort() makes its threads
         * stop at their next check and train() throw, so Ctrl-C ends a long training */
        volatile int *stop = o->stop;
        fasttext::FastText::TrainCallback cb = [&ft, stop](float, float, double, double, int64_t) {
            if (*stop) ft.abort();
        };
        if (stop)
            ft.train(a, cb);
        else
            ft.train(a);
        if (stop && *stop) return mm_fail(MM_ERR_IO, "%s: interrupted", input);
        if (ft.getDictionary()->nlabels() < 2)
            return mm_fail(MM_ERR_ARG,
                           "%s: one-class training data: fastText found %d label(s), "
                           "need positives and negatives",
                           input, ft.getDictionary()->nlabels());
        std::string tmp = std::string(model_out) + ".tmp." + std::to_string(getpid());
        ft.saveModel(tmp);
        if (rename(tmp.c_str(), model_out) != 0) {
            unlink(tmp.c_str());
            return mm_fail(MM_ERR_IO, "%s: cannot rename model into place", model_out);
        }
    } catch (const std::bad_alloc &) {
        return mm_fail(MM_ERR_NOMEM, "%s: fastText training ran out of memory", input);
    } catch (const std::exception &e) {
        if (o->stop && *o->stop) return mm_fail(MM_ERR_IO, "%s: interrupted", input);
        return mm_fail(MM_ERR_ARG, "%s: fastText training failed: %s", input, e.what());
    }
    return MM_OK;
}

extern "C" mm_err mm_ft_load(const char *path, mm_ft_model **out) {
    *out = nullptr;
    mm_clf_model_info info;
    MM_TRY(mm_clf_model_check(path, &info));
    mm_ft_model *m = new (std::nothrow) mm_ft_model;
    if (!m) return mm_fail(MM_ERR_NOMEM, "%s: out of memory", path);
    try {
        m->ft.loadModel(std::string(path));
    } catch (const std::bad_alloc &) {
        delete m;
        return mm_fail(MM_ERR_NOMEM, "%s: out of memory loading the model", path);
    } catch (const std::exception &e) {
        delete m;
        return fail_exc("cannot load model", path, e);
    }
    *out = m;
    return MM_OK;
}

extern "C" mm_err mm_ft_save(const mm_ft_model *m, const char *path) {
    std::string tmp = std::string(path) + ".tmp." + std::to_string(getpid());
    try {
        const_cast<fasttext::FastText &>(m->ft).saveModel(tmp);
    } catch (const std::exception &e) {
        unlink(tmp.c_str());
        return mm_fail(MM_ERR_IO, "%s: cannot save model: %s", path, e.what());
    }
    if (rename(tmp.c_str(), path) != 0) {
        unlink(tmp.c_str());
        return mm_fail(MM_ERR_IO, "%s: cannot rename model into place", path);
    }
    return MM_OK;
}

extern "C" void mm_ft_free(mm_ft_model *m) {
    delete m;
}

extern "C" void mm_ft_quant_opts_default(mm_ft_quant_opts *o) {
    memset(o, 0, sizeof *o);
    o->dsub = 2;
}

extern "C" mm_err mm_ft_quantize(mm_ft_model *m, const mm_ft_quant_opts *o) {
    fasttext::Args q;
    q.cutoff = o->cutoff > 0 ? (size_t)o->cutoff : 0;
    q.dsub = o->dsub > 0 ? (size_t)o->dsub : 2;
    q.qnorm = o->qnorm;
    q.qout = o->qout;
    q.retrain = o->retrain && o->input;
    if (o->input) q.input = o->input;
    q.verbose = 0;
    fasttext::Args a = m->ft.getArgs();
    q.epoch = a.epoch;
    q.lr = a.lr;
    q.thread = 1;
    try {
        m->ft.quantize(q);
    } catch (const std::exception &e) {
        return fail_exc("cannot quantize", nullptr, e);
    }
    return MM_OK;
}

extern "C" mm_err mm_ft_quantize_file(const char *in_bin, const char *out_ftz,
                                      const mm_ft_quant_opts *o) {
    mm_ft_model *m;
    MM_TRY(mm_ft_load(in_bin, &m));
    mm_err e = mm_ft_quantize(m, o);
    if (e == MM_OK) e = mm_ft_save(m, out_ftz);
    mm_ft_free(m);
    return e;
}

extern "C" int mm_ft_nlabels(const mm_ft_model *m) {
    return m->ft.getDictionary()->nlabels();
}

extern "C" const char *mm_ft_label(const mm_ft_model *m, int i) {
    static thread_local std::string s;
    try {
        s = m->ft.getDictionary()->getLabel(i);
    } catch (const std::exception &) {
        return "";
    }
    return s.c_str();
}

extern "C" mm_err mm_ft_prob(const mm_ft_model *m, const char *line, size_t n, const char *label,
                             float *prob) {
    *prob = 0;
    std::string s(line, n);
    s.push_back('\n');
    std::istringstream in(s);
    std::vector<std::pair<fasttext::real, std::string>> preds;
    try {
        m->ft.predictLine(in, preds, -1, 0.0);
    } catch (const std::exception &e) {
        return fail_exc("predict", nullptr, e);
    }
    for (const auto &p : preds)
        if (p.second == label) *prob = p.first;
    return MM_OK;
}
