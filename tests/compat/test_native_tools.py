"""Tool calls in a model's own format, driven by the official clients: a profile gives
smollm2:135m Qwen 2.5's Jinja chat template (from llama.cpp's source, which the set-up
copies beside the library), so Hearth renders tools in `<tools>` and reads calls from
`<tool_call>` tags as `llama-server --jinja` does, under the format's own call grammar."""
import json
import pathlib

import ollama
import pytest
from openai import OpenAI
from streamed import calls_from_deltas

TEMPLATE = pathlib.Path(__file__).resolve().parents[2] / ".deps/llama/share/templates/Qwen-Qwen2.5-7B-Instruct.jinja"
MODEL = "smollm2-hermes"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
QUESTION = [{"role": "user", "content": "Get the weather in Paris."}]


@pytest.fixture(scope="module")
def client(server):
    ollama.Client(host=server).create(model=MODEL, from_="smollm2:135m", template=TEMPLATE.read_text())
    return OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0, timeout=120)


def test_the_profile_carries_the_jinja_template(server, client):
    shown = ollama.Client(host=server).show(MODEL)
    assert "<tool_call>" in shown.template


def test_a_required_call_comes_back_parsed_and_its_result_gets_an_answer(client):
    first = client.chat.completions.create(
        model=MODEL, messages=QUESTION, tools=[WEATHER], tool_choice="required", temperature=0, max_tokens=48,
        parallel_tool_calls=False)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather" and call.id.startswith("call_")
    assert isinstance(json.loads(call.function.arguments)["city"], str)
    assert not (choice.message.content or "").strip()

    messages = QUESTION + [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "18 degrees Celsius and sunny"},
    ]
    second = client.chat.completions.create(
        model=MODEL, messages=messages, tools=[WEATHER], tool_choice="none", temperature=0, max_tokens=32)
    assert not second.choices[0].message.tool_calls
    assert second.choices[0].message.content
    assert "<tool_call>" not in second.choices[0].message.content


def test_streamed_calls_reassemble_from_their_deltas(client):
    stream = client.chat.completions.create(
        model=MODEL, messages=QUESTION, tools=[WEATHER], tool_choice="required", temperature=0, max_tokens=48,
        parallel_tool_calls=False, stream=True)
    calls, reasons = calls_from_deltas(stream)
    assert reasons[-1] == "tool_calls"
    assert calls[0]["name"] == "get_weather"
    assert isinstance(json.loads(calls[0]["arguments"])["city"], str)


def test_the_ollama_client_gets_the_call_in_ollamas_shape(server, client):
    response = ollama.Client(host=server).chat(
        model=MODEL, messages=QUESTION, tools=[WEATHER], options={"temperature": 0, "num_predict": 48})
    for call in response.message.tool_calls or []:
        assert call.function.name == "get_weather" and isinstance(call.function.arguments, dict)
    assert "<tool_call>" not in response.message.content


def test_a_template_that_does_not_parse_is_refused_with_the_reason(server):
    with pytest.raises(ollama.ResponseError) as error:
        ollama.Client(host=server).create(model="broken", from_="smollm2:135m", template="{% if %}")
    assert error.value.status_code == 400 and "template" in str(error.value)
