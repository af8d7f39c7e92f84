"""OpenAI's Responses API driven by the official `openai` package: whole and streamed
responses, kept ones continued with previous_response_id, function tools and their outputs,
structured output, and what store=false and delete leave behind."""
import json

import openai
import pytest
from openai import OpenAI

MODEL = "smollm2:135m"
WEATHER = {
    "type": "function", "name": "get_weather", "description": "Get the current weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "The city"}}, "required": ["city"]},
}


@pytest.fixture(scope="module")
def client(server):
    return OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0, timeout=120)


def test_a_response_is_created_kept_and_continued(client):
    first = client.responses.create(model=MODEL, input="My name is Ada. Say hello.", max_output_tokens=16, temperature=0)
    assert first.id.startswith("resp_") and first.object == "response"
    assert first.status in ("completed", "incomplete") and first.output_text
    assert first.usage.output_tokens > 0
    kept = client.responses.retrieve(first.id)
    assert kept.id == first.id and kept.output_text == first.output_text
    items = client.responses.input_items.list(first.id)
    assert [item.type for item in items.data] == ["message"]

    second = client.responses.create(model=MODEL, previous_response_id=first.id, input="What is my name?",
                                     max_output_tokens=16, temperature=0)
    alone = client.responses.create(model=MODEL, input="What is my name?", max_output_tokens=16, temperature=0, store=False)
    # The second one read the first exchange too.
    assert second.usage.input_tokens > alone.usage.input_tokens + 5
    assert second.previous_response_id == first.id

    client.responses.delete(first.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(first.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(alone.id)


def test_a_stream_gives_the_events_and_the_same_text(client):
    events = list(client.responses.create(model=MODEL, input="Count from one to five.", max_output_tokens=24, temperature=0,
                                          stream=True))
    types = [event.type for event in events]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[-1] in ("response.completed", "response.incomplete")
    assert "response.output_text.delta" in types and "response.output_item.done" in types
    assert [event.sequence_number for event in events] == list(range(len(events)))
    text = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    assert text and events[-1].response.output_text == text

    with client.responses.stream(model=MODEL, input="Say hi.", max_output_tokens=200, temperature=0) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    assert final.output_text


def test_function_tools_give_calls_and_their_outputs_an_answer(client):
    first = client.responses.create(model=MODEL, input="Get the weather in Paris.", tools=[WEATHER], tool_choice="required",
                                    max_output_tokens=64, temperature=0)
    calls = [item for item in first.output if item.type == "function_call"]
    assert calls and calls[0].name == "get_weather" and calls[0].call_id.startswith("call_")
    assert isinstance(json.loads(calls[0].arguments), dict)
    follow = client.responses.create(
        model=MODEL, previous_response_id=first.id, tools=[WEATHER], max_output_tokens=48, temperature=0,
        input=[{"type": "function_call_output", "call_id": calls[0].call_id, "output": "Sunny, 24 degrees"}])
    assert follow.status in ("completed", "incomplete") and follow.output_text

    streamed = list(client.responses.create(model=MODEL, input="Get the weather in Paris.", tools=[WEATHER],
                                            tool_choice={"type": "function", "name": "get_weather"}, max_output_tokens=64,
                                            temperature=0, stream=True))
    done = [event.item for event in streamed if event.type == "response.output_item.done"]
    assert any(item.type == "function_call" and item.name == "get_weather" for item in done)


def test_structured_output_and_bad_requests(client):
    schema = {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]}
    shaped = client.responses.create(model=MODEL, input="Name a color.", max_output_tokens=40, temperature=0,
                                     text={"format": {"type": "json_schema", "name": "color", "schema": schema}})
    assert isinstance(json.loads(shaped.output_text)["color"], str)
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model=MODEL, input="Hi", previous_response_id="resp_nope")
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model=MODEL, input=[{"type": "web_search_call", "id": "x"}])
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="no-such-model:1b", input="Hi")


SKILLS = {"type": "mcp", "server_label": "hearth", "allowed_tools": ["calculate"], "require_approval": "never"}


def test_mcp_tools_run_on_the_server_as_mcp_calls(client):
    response = client.responses.create(
        model=MODEL, input="What is 12 times 7? Use the calculator.", tools=[SKILLS], tool_choice="required",
        max_output_tokens=96, temperature=0)
    calls = [item for item in response.output if item.type == "mcp_call"]
    assert calls and calls[0].server_label == "hearth" and calls[0].name == "calculate"
    json.loads(calls[0].arguments)
    # The skill ran here: its output, or its error for an expression it could not read.
    assert (calls[0].output is not None) != (calls[0].error is not None)
    assert response.status in ("completed", "incomplete")

    events = list(client.responses.create(
        model=MODEL, input="What is 12 times 7? Use the calculator.", tools=[SKILLS], tool_choice="required",
        max_output_tokens=96, temperature=0, stream=True))
    types = [event.type for event in events]
    assert "response.mcp_call.in_progress" in types
    assert types.index("response.mcp_call.in_progress") < types.index(
        next(t for t in types if t in ("response.mcp_call.completed", "response.mcp_call.failed")))
    assert types[-1] in ("response.completed", "response.incomplete")
    assert [item.type for item in events[-1].response.output][0] == "mcp_call"
