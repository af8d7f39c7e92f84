"""Tool calling driven by the official `openai` and `ollama` packages: the tiny
smollm2:135m, whose chat template knows no tools, calls a function through Hearth's JSON
tool format, and answers from the function's result."""
import json

import ollama
import pytest
from openai import OpenAI
from streamed import calls_from_deltas

MODEL = "smollm2:135m"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather of a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "The city"}},
            "required": ["city"],
        },
    },
}
QUESTION = [{"role": "user", "content": "Get the weather in Paris."}]


@pytest.fixture(scope="module")
def client(server):
    return OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0, timeout=120)


def test_the_openai_client_gets_a_call_and_then_an_answer_from_its_result(client):
    first = client.chat.completions.create(model=MODEL, messages=QUESTION, tools=[WEATHER], temperature=0, max_tokens=64)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments)["city"].lower().startswith("paris")

    messages = QUESTION + [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "18 degrees Celsius and sunny"},
    ]
    second = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER], temperature=0, max_tokens=64)
    # An answer in words this time (a 135M model's words: what it says is not graded).
    assert second.choices[0].finish_reason in ("stop", "length")
    assert not second.choices[0].message.tool_calls
    assert "Paris" in second.choices[0].message.content


def test_streamed_calls_reassemble_from_their_deltas(client):
    stream = client.chat.completions.create(
        model=MODEL, messages=QUESTION, tools=[WEATHER], temperature=0, max_tokens=64, stream=True)
    calls, reasons = calls_from_deltas(stream)
    assert reasons[-1] == "tool_calls"
    assert calls[0]["id"].startswith("call_") and calls[0]["name"] == "get_weather"
    assert json.loads(calls[0]["arguments"])["city"].lower().startswith("paris")


def test_a_required_or_named_choice_forces_a_call_and_none_forbids_it(client):
    joke = [{"role": "user", "content": "Tell me a joke."}]
    forced = client.chat.completions.create(
        model=MODEL, messages=joke, tools=[WEATHER], tool_choice="required", temperature=0, max_tokens=64)
    assert forced.choices[0].message.tool_calls[0].function.name == "get_weather"
    named = client.chat.completions.create(
        model=MODEL, messages=joke, tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "get_weather"}},
        temperature=0, max_tokens=64)
    assert named.choices[0].message.tool_calls[0].function.name == "get_weather"
    plain = client.chat.completions.create(
        model=MODEL, messages=QUESTION, tools=[WEATHER], tool_choice="none", temperature=0, max_tokens=32)
    assert not plain.choices[0].message.tool_calls and plain.choices[0].message.content


def test_a_bad_tool_choice_is_a_400_naming_the_field(client):
    import openai
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(
            model=MODEL, messages=QUESTION, tools=[WEATHER],
            tool_choice={"type": "function", "function": {"name": "fly"}})
    assert "tool_choice" in str(error.value)


def test_the_ollama_client_gets_calls_in_ollamas_shape(server):
    client = ollama.Client(host=server)
    response = client.chat(model=MODEL, messages=QUESTION, tools=[WEATHER], options={"temperature": 0, "num_predict": 64})
    call = response.message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert call.function.arguments["city"].lower().startswith("paris")
    streamed = [
        call for chunk in client.chat(
            model=MODEL, messages=QUESTION, tools=[WEATHER], options={"temperature": 0, "num_predict": 64}, stream=True)
        for call in chunk.message.tool_calls or []]
    assert [call.function.name for call in streamed] == ["get_weather"]
