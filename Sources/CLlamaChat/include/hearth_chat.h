// A C face for llama.cpp's chat library (common/): what Hearth uses of it, with JSON
// strings across. Every string returned is freed with hearth_chat_string_free; on failure
// a function returns NULL and sets *error (freed the same way).
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// A GBNF grammar (rule `root`) for the JSON Schema `schema_json`, by llama.cpp's converter
/// (types, enums, const, anyOf/oneOf/allOf, $ref, patterns, lengths, additionalProperties).
char * hearth_json_schema_to_grammar(const char * schema_json, char ** error);

void hearth_chat_string_free(char * string);

#ifdef __cplusplus
}
#endif
