#include "hearth_whisper.h"

#include <stdlib.h>
#include <string.h>
#include <whisper.h>

struct hearth_whisper {
    struct whisper_context *context;
};

static void quiet(enum ggml_log_level level, const char *text, void *user) {
    (void)level;
    (void)text;
    (void)user;
}

void hearth_whisper_quiet(void) { whisper_log_set(quiet, NULL); }

hearth_whisper *hearth_whisper_load(const char *path) {
    struct whisper_context_params params = whisper_context_default_params();
    params.use_gpu = false;
    struct whisper_context *context = whisper_init_from_file_with_params(path, params);
    if (context == NULL) return NULL;
    hearth_whisper *model = (hearth_whisper *)calloc(1, sizeof(hearth_whisper));
    if (model == NULL) {
        whisper_free(context);
        return NULL;
    }
    model->context = context;
    return model;
}

void hearth_whisper_free(hearth_whisper *model) {
    if (model == NULL) return;
    whisper_free(model->context);
    free(model);
}

bool hearth_whisper_multilingual(const hearth_whisper *model) { return whisper_is_multilingual(model->context) != 0; }

bool hearth_whisper_knows_language(const char *language) { return whisper_lang_id(language) >= 0; }

const char *hearth_whisper_language_name(const char *code) {
    int id = whisper_lang_id(code);
    return id >= 0 ? whisper_lang_str_full(id) : NULL;
}

struct callbacks {
    const hearth_whisper_options *options;
};

static void on_segments(struct whisper_context *context, struct whisper_state *state, int count, void *user) {
    (void)context;
    (void)state;
    const hearth_whisper_options *options = (const hearth_whisper_options *)user;
    if (options->on_segments) options->on_segments(options->user, count);
}

static bool should_stop(void *user) {
    const hearth_whisper_options *options = (const hearth_whisper_options *)user;
    return options->should_stop != NULL && options->should_stop(options->user);
}

// whisper.cpp asks this before each encoder pass: false skips it (the run ends early).
static bool encoder_may_begin(struct whisper_context *context, struct whisper_state *state, void *user) {
    (void)context;
    (void)state;
    return !should_stop(user);
}

int hearth_whisper_run(hearth_whisper *model, const float *samples, int count, const hearth_whisper_options *options) {
    // As whisper-cli decodes by default: beam search of 5, or sampling (best of 5) when a
    // temperature is given; the temperature rises by 0.2 when a window fails its checks.
    bool sampled = options->temperature > 0;
    struct whisper_full_params params =
        whisper_full_default_params(sampled ? WHISPER_SAMPLING_GREEDY : WHISPER_SAMPLING_BEAM_SEARCH);
    params.n_threads = options->threads > 0 ? options->threads : 1;
    params.print_progress = false;
    params.print_realtime = false;
    params.print_special = false;
    params.print_timestamps = false;
    params.translate = options->translate;
    params.language = options->language != NULL ? options->language : "auto";
    params.detect_language = false;
    params.initial_prompt = options->prompt;
    params.temperature = sampled ? options->temperature : 0.0f;
    params.token_timestamps = options->token_timestamps;
    params.greedy.best_of = 5;
    params.beam_search.beam_size = 5;
    params.entropy_thold = 2.40f;
    params.logprob_thold = -1.00f;
    params.no_speech_thold = 0.6f;
    params.new_segment_callback = on_segments;
    params.new_segment_callback_user_data = (void *)options;
    params.encoder_begin_callback = encoder_may_begin;
    params.encoder_begin_callback_user_data = (void *)options;
    params.abort_callback = should_stop;
    params.abort_callback_user_data = (void *)options;
    return whisper_full(model->context, params, samples, count);
}

int hearth_whisper_segment_count(const hearth_whisper *model) { return whisper_full_n_segments(model->context); }

const char *hearth_whisper_segment_text(const hearth_whisper *model, int segment) {
    return whisper_full_get_segment_text(model->context, segment);
}

int64_t hearth_whisper_segment_start(const hearth_whisper *model, int segment) {
    return whisper_full_get_segment_t0(model->context, segment);
}

int64_t hearth_whisper_segment_end(const hearth_whisper *model, int segment) {
    return whisper_full_get_segment_t1(model->context, segment);
}

float hearth_whisper_segment_no_speech(const hearth_whisper *model, int segment) {
    return whisper_full_get_segment_no_speech_prob(model->context, segment);
}

float hearth_whisper_segment_logprob(const hearth_whisper *model, int segment) {
    int tokens = whisper_full_n_tokens(model->context, segment);
    int eot = whisper_token_eot(model->context);
    double sum = 0;
    int counted = 0;
    for (int i = 0; i < tokens; i++) {
        whisper_token_data data = whisper_full_get_token_data(model->context, segment, i);
        if (data.id >= eot) continue;
        sum += data.plog;
        counted++;
    }
    return counted > 0 ? (float)(sum / counted) : 0.0f;
}

int hearth_whisper_token_count(const hearth_whisper *model, int segment) {
    return whisper_full_n_tokens(model->context, segment);
}

const char *hearth_whisper_token_text(const hearth_whisper *model, int segment, int token) {
    return whisper_full_get_token_text(model->context, segment, token);
}

int64_t hearth_whisper_token_start(const hearth_whisper *model, int segment, int token) {
    return whisper_full_get_token_data(model->context, segment, token).t0;
}

int64_t hearth_whisper_token_end(const hearth_whisper *model, int segment, int token) {
    return whisper_full_get_token_data(model->context, segment, token).t1;
}

bool hearth_whisper_token_special(const hearth_whisper *model, int segment, int token) {
    return whisper_full_get_token_id(model->context, segment, token) >= whisper_token_eot(model->context);
}

const char *hearth_whisper_language(const hearth_whisper *model) {
    int id = whisper_full_lang_id(model->context);
    return id >= 0 ? whisper_lang_str(id) : "en";
}
