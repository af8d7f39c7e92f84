// A C face for llama.cpp's chat library (common/): what Hearth uses of it, with JSON
// strings across. Every string returned is freed with hearth_chat_string_free; on failure
// a function returns NULL and sets *error (freed the same way).
#pragma once

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A GBNF grammar (rule `root`) for the JSON Schema `schema_json`, by llama.cpp's converter
/// (types, enums, const, anyOf/oneOf/allOf, $ref, patterns, lengths, additionalProperties).
char * hearth_json_schema_to_grammar(const char * schema_json, char ** error);

void hearth_chat_string_free(char * string);

/// A model's Jinja chat templates, parsed: `model` is a `const struct llama_model *` (its
/// template, BOS and EOS), or NULL; `source`, when not NULL, replaces the model's template.
typedef struct hearth_chat_templates hearth_chat_templates;

hearth_chat_templates * hearth_chat_templates_new(const void * model, const char * source, char ** error);
void hearth_chat_templates_free(hearth_chat_templates * templates);

/// Whether the template places tools in the prompt (llama.cpp's probe of what it renders).
bool hearth_chat_templates_support_tools(const hearth_chat_templates * templates);

/// One conversation rendered with its tools, and what reading the answer takes.
typedef struct hearth_chat_render hearth_chat_render;

/// `request_json`: {"messages": [OpenAI chat messages], "tools": [OpenAI function tools],
/// "tool_choice": "auto" | "required" | "none", "parallel_tool_calls": bool}.
hearth_chat_render * hearth_chat_render_new(const hearth_chat_templates * templates, const char * request_json, char ** error);
void hearth_chat_render_free(hearth_chat_render * render);

/// {"prompt": text, "stops": [text], "preserved": [text]}
char * hearth_chat_render_describe(const hearth_chat_render * render, char ** error);

/// A new grammar sampler (a `struct llama_sampler *`) for the render's tool-call grammar,
/// lazy when calls are optional (it wakes on the format's trigger); NULL with *error unset
/// when the render has no grammar. `vocab` is the model's `const struct llama_vocab *`.
void * hearth_chat_render_sampler(const hearth_chat_render * render, const void * vocab, char ** error);

/// The answer `output` read in the render's format, as {"content": text, "reasoning": text,
/// "tool_calls": [{"name", "arguments", "id"}]}. With `partial`, the output is still growing.
char * hearth_chat_render_parse(const hearth_chat_render * render, const char * output, bool partial, char ** error);

#ifdef __cplusplus
}
#endif
