// whisper.cpp behind a small C interface with no ggml types, so that Swift never sees
// whisper.cpp's copy of ggml's headers beside llama.cpp's (they differ in version).
#ifndef HEARTH_WHISPER_H
#define HEARTH_WHISPER_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hearth_whisper hearth_whisper;

/// Loads a whisper.cpp model file; NULL when it cannot be loaded.
hearth_whisper *hearth_whisper_load(const char *path);
void hearth_whisper_free(hearth_whisper *model);
bool hearth_whisper_multilingual(const hearth_whisper *model);
/// Whether `language` (an ISO 639-1 code such as "en", or a name such as "english") is known.
bool hearth_whisper_knows_language(const char *language);
/// The English name of a language code ("en" → "english"); NULL when unknown.
const char *hearth_whisper_language_name(const char *code);
/// Routes whisper.cpp's and its ggml's log lines nowhere (they would reach stderr).
void hearth_whisper_quiet(void);

typedef struct {
    int threads;
    /// NULL or "auto": detect.
    const char *language;
    bool translate;
    /// Text the transcription continues (names, spelling); may be NULL.
    const char *prompt;
    /// 0: greedy, with whisper's temperature fallback on failure; above 0: sampled at it.
    float temperature;
    /// Per-token timestamps (for word timings).
    bool token_timestamps;
    /// Called from the computing thread with the number of new segments.
    void (*on_segments)(void *user, int count);
    /// Asked often; true stops the transcription.
    bool (*should_stop)(void *user);
    void *user;
} hearth_whisper_options;

/// Transcribes 16 kHz mono samples; 0 on success. One call at a time per model.
int hearth_whisper_run(hearth_whisper *model, const float *samples, int count, const hearth_whisper_options *options);

int hearth_whisper_segment_count(const hearth_whisper *model);
const char *hearth_whisper_segment_text(const hearth_whisper *model, int segment);
/// Start and end in centiseconds.
int64_t hearth_whisper_segment_start(const hearth_whisper *model, int segment);
int64_t hearth_whisper_segment_end(const hearth_whisper *model, int segment);
float hearth_whisper_segment_no_speech(const hearth_whisper *model, int segment);
/// The mean log-probability of the segment's text tokens.
float hearth_whisper_segment_logprob(const hearth_whisper *model, int segment);
int hearth_whisper_token_count(const hearth_whisper *model, int segment);
/// A token of a segment: its text, start and end (centiseconds), whether it is a special token.
const char *hearth_whisper_token_text(const hearth_whisper *model, int segment, int token);
int64_t hearth_whisper_token_start(const hearth_whisper *model, int segment, int token);
int64_t hearth_whisper_token_end(const hearth_whisper *model, int segment, int token);
bool hearth_whisper_token_special(const hearth_whisper *model, int segment, int token);
/// The language of the last transcription (detected or given), as an ISO 639-1 code.
const char *hearth_whisper_language(const hearth_whisper *model);

#ifdef __cplusplus
}
#endif

#endif
