"""Reading streams the way clients do."""


def calls_from_deltas(stream):
    """Tool calls reassembled from a chat completion stream's deltas, as the `openai` package's
    users do: ({index: {"id", "name", "arguments"}}, [finish_reason of each choice chunk])."""
    calls, reasons = {}, []
    for chunk in stream:
        for choice in chunk.choices:
            reasons.append(choice.finish_reason)
            for delta in choice.delta.tool_calls or []:
                call = calls.setdefault(delta.index, {"id": None, "name": "", "arguments": ""})
                call["id"] = delta.id or call["id"]
                call["name"] += delta.function.name or ""
                call["arguments"] += delta.function.arguments or ""
    return calls, reasons
