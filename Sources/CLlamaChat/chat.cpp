// See hearth_chat.h. Exceptions never cross into Swift: each entry point turns them into
// an error string.
#include "hearth_chat.h"

#include "json-schema-to-grammar.h"

#include <cstdlib>
#include <cstring>
#include <string>

static char * copy(const std::string & text) {
    char * result = static_cast<char *>(std::malloc(text.size() + 1));
    std::memcpy(result, text.data(), text.size() + 1);
    return result;
}

template <typename F> static char * guarded(char ** error, F && body) {
    try {
        return body();
    } catch (const std::exception & exception) {
        if (error) *error = copy(exception.what());
    } catch (...) {
        if (error) *error = copy("unknown error in llama.cpp's chat library");
    }
    return nullptr;
}

extern "C" {

char * hearth_json_schema_to_grammar(const char * schema_json, char ** error) {
    return guarded(error, [&] { return copy(json_schema_to_grammar(common_json::parse(schema_json))); });
}

void hearth_chat_string_free(char * string) { std::free(string); }

}
