// See hearth_chat.h. Exceptions never cross into Swift: each entry point turns them into
// an error string.
#include "hearth_chat.h"

#include "chat.h"
#include "common.h"
#include "json-schema-to-grammar.h"
#include "llama.h"
#include "log.h"

#include <cctype>
#include <regex>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

static char * copy(const std::string & text) {
    char * result = static_cast<char *>(std::malloc(text.size() + 1));
    std::memcpy(result, text.data(), text.size() + 1);
    return result;
}

template <typename T, typename F> static T * guarded(char ** error, F && body) {
    try {
        return body();
    } catch (const std::exception & exception) {
        if (error) *error = copy(exception.what());
    } catch (...) {
        if (error) *error = copy("unknown error in llama.cpp's chat library");
    }
    return nullptr;
}

struct hearth_chat_templates {
    common_chat_templates_ptr templates;
};

struct hearth_chat_render {
    common_chat_params params;
    common_chat_parser_params parsing;
};

// llama.cpp's call grammar lets free text come before a required call (`root ::= … until-N?
// tool-calls`): a small model then talks until max_tokens and never calls. Hearth starts the
// call at once; the parser reads either.
static std::string call_at_once(const std::string & grammar) {
    static const std::regex optional_text(R"(^(root ::= [^\n]*?) until-[0-9]+\? )", std::regex::multiline);
    return std::regex_replace(grammar, optional_text, "$1 ", std::regex_constants::format_first_only);
}

extern "C" {

char * hearth_json_schema_to_grammar(const char * schema_json, char ** error) {
    return guarded<char>(error, [&] { return copy(json_schema_to_grammar(common_json::parse(schema_json))); });
}

void hearth_chat_string_free(char * string) { std::free(string); }

hearth_chat_templates * hearth_chat_templates_new(const void * model, const char * source, char ** error) {
    // The chat library logs through a logger of its own (not llama_log_set's), and a parse
    // that fails logs the whole model output: quiet, as answers must not reach the logs.
    static const bool quiet = [] {
        common_log_pause(common_log_main());
        return true;
    }();
    (void) quiet;
    return guarded<hearth_chat_templates>(error, [&] {
        auto templates = common_chat_templates_init(static_cast<const llama_model *>(model), source ? source : "");
        if (!templates) throw std::runtime_error("the chat template cannot be parsed");
        return new hearth_chat_templates{std::move(templates)};
    });
}

void hearth_chat_templates_free(hearth_chat_templates * templates) { delete templates; }

bool hearth_chat_templates_support_tools(const hearth_chat_templates * templates) {
    try {
        auto caps = common_chat_templates_get_caps(templates->templates.get());
        return caps["supports_tools"] && caps["supports_tool_calls"];
    } catch (...) {
        return false;
    }
}

hearth_chat_render * hearth_chat_render_new(const hearth_chat_templates * templates, const char * request_json, char ** error) {
    return guarded<hearth_chat_render>(error, [&] {
        auto request = common_json::parse(request_json);
        common_chat_templates_inputs inputs;
        inputs.messages = common_chat_msgs_parse_oaicompat(request.at("messages"));
        if (request.contains("tools")) inputs.tools = common_chat_tools_parse_oaicompat(request.at("tools"));
        inputs.tool_choice = common_chat_tool_choice_parse_oaicompat(request.value("tool_choice", std::string("auto")));
        inputs.parallel_tool_calls = request.value("parallel_tool_calls", false);
        inputs.add_generation_prompt = true;
        inputs.use_jinja = true;
        auto render = std::make_unique<hearth_chat_render>(
            hearth_chat_render{common_chat_templates_apply(templates->templates.get(), inputs), {}});
        if (inputs.tool_choice == COMMON_CHAT_TOOL_CHOICE_REQUIRED) render->params.grammar = call_at_once(render->params.grammar);
        render->parsing = common_chat_parser_params(render->params);
        if (!render->params.parser.empty()) render->parsing.parser.load(render->params.parser);
        render->parsing.parse_tool_calls = !inputs.tools.empty() && inputs.tool_choice != COMMON_CHAT_TOOL_CHOICE_NONE;
        return render.release();
    });
}

void hearth_chat_render_free(hearth_chat_render * render) { delete render; }

char * hearth_chat_render_describe(const hearth_chat_render * render, char ** error) {
    return guarded<char>(error, [&] {
        const auto & params = render->params;
        common_json description = {
            {"prompt", params.prompt},
            {"stops", params.additional_stops},
            {"preserved", params.preserved_tokens},
        };
        // A template may cut a string inside a character: replaced, not thrown.
        return copy(description.dump_safe());
    });
}

// What llama.cpp's common_sampler_init does with a tool-call grammar: triggers become
// patterns (a word escaped, a full pattern anchored) or tokens; a grammar that is on from
// the start first reads the generation prompt the template already wrote.
void * hearth_chat_render_sampler(const hearth_chat_render * render, const void * vocab_pointer, char ** error) {
    return guarded<void>(error, [&]() -> void * {
        const auto & params = render->params;
        if (params.grammar.empty()) return nullptr;
        const auto * vocab = static_cast<const llama_vocab *>(vocab_pointer);
        std::vector<std::string> patterns;
        std::vector<llama_token> tokens;
        for (const auto & trigger : params.grammar_triggers) {
            switch (trigger.type) {
                case COMMON_GRAMMAR_TRIGGER_TYPE_WORD: {
                    auto ids = common_tokenize(vocab, trigger.value, false, true);
                    if (ids.size() == 1) {
                        tokens.push_back(ids[0]);
                    } else {
                        patterns.push_back(regex_escape(trigger.value));
                    }
                    break;
                }
                case COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN: patterns.push_back(trigger.value); break;
                case COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL: {
                    const auto & pattern = trigger.value;
                    std::string anchored = "^$";
                    if (!pattern.empty()) {
                        anchored = (pattern.front() != '^' ? "^" : "") + pattern + (pattern.back() != '$' ? "$" : "");
                    }
                    patterns.push_back(anchored);
                    break;
                }
                case COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN: tokens.push_back(trigger.token); break;
            }
        }
        if (params.grammar_lazy && patterns.empty() && tokens.empty()) throw std::runtime_error("the lazy tool-call grammar has no trigger");
        std::vector<const char *> pattern_pointers;
        for (const auto & pattern : patterns) pattern_pointers.push_back(pattern.c_str());
        std::unique_ptr<llama_sampler, decltype(&llama_sampler_free)> sampler(
            params.grammar_lazy
                ? llama_sampler_init_grammar_lazy_patterns(vocab, params.grammar.c_str(), "root", pattern_pointers.data(),
                                                           pattern_pointers.size(), tokens.data(), tokens.size())
                : llama_sampler_init_grammar(vocab, params.grammar.c_str(), "root"),
            llama_sampler_free);
        if (!sampler) throw std::runtime_error("llama.cpp cannot parse the tool-call grammar");
        if (!params.grammar_lazy && !params.generation_prompt.empty()) {
            auto prefill = common_tokenize(vocab, params.generation_prompt, false, true);
            for (size_t i = 0; i < prefill.size(); i++) {
                std::string piece = common_token_to_piece(vocab, prefill[i], true);
                // Some tokenizers put a space before the first special token.
                if (i == 0 && !piece.empty() && std::isspace((unsigned char) piece[0]) &&
                    !std::isspace((unsigned char) params.generation_prompt[0])) {
                    continue;
                }
                llama_sampler_accept(sampler.get(), prefill[i]);
            }
        }
        return sampler.release();
    });
}

char * hearth_chat_render_parse(const hearth_chat_render * render, const char * output, bool partial, char ** error) {
    return guarded<char>(error, [&] {
        auto message = common_chat_parse(output, partial, render->parsing);
        auto calls = common_json::array();
        for (const auto & call : message.tool_calls) {
            calls.push_back({{"name", call.name}, {"arguments", call.arguments}, {"id", call.id}});
        }
        common_json result = {{"content", message.content}, {"reasoning", message.reasoning_content}, {"tool_calls", calls}};
        return copy(result.dump_safe());
    });
}

}
