#!/usr/bin/env python3
"""Tool-calling accuracy of Hearth vs llama-server on the same model.

Starts each server in turn on a free loopback port (Hearth with `--parallel 1`, llama-server
with `--jinja -c 4096 -np 1`), sends every case to POST /v1/chat/completions (non-streaming,
temperature 0, 128 tokens at most) with its tools, and grades the `tool_calls` that come back.
The cases are generated from templates and values written in this file with a seeded random
generator, so every run asks the same questions, in four categories:

  single    one tool offered; the question needs exactly that call
  multiple  3-4 tools offered; exactly one of them is needed
  parallel  one or two tools offered; the question needs two calls
  none      1-3 tools offered; the question needs no call

A call case is exact when the emitted calls' names match the expected ones (as a multiset,
so the order of parallel calls is free) and every graded argument matches: strings
case-insensitively after trimming (and collapsing whitespace; an expression ignores it),
numbers numerically ("5" counts as 5). Only arguments whose value the question states
exactly are graded (send_email grades `to`, not the subject or body). A `none` case is
correct when no call comes back. Prints a Markdown table of exact-match rates per category,
then the share of emitted calls whose arguments are a JSON object string, the calls emitted,
the 5xx responses and the seconds each server took; example failures go to stderr.
Standard library only.

  python bench/tools.py --hearth .build/release/hearth --llama-server PATH [--model smollm2:135m]
                        [--limit N] [--only hearth|llama-server] [--split dev|test|all]
                        [--template FILE.jinja]

With --template, both servers use that Jinja chat template instead of the model's (llama-server
`--chat-template-file`, Hearth a profile made with it through POST /api/create and removed
afterwards): with a tool-trained model's template (.deps/llama/share/templates/
Qwen-Qwen2.5-7B-Instruct.jinja), both render the tools and read the calls in that model's own
format, Hearth with its call grammar.

Exits 0 whatever the numbers (a benchmark is not a test); 1 if a server fails to start.
"""

import argparse
import http.client
import itertools
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REQUEST_TIMEOUT_S = 300
SEED = 19
CONTEXT = 4096
MAX_TOKENS = 128
EXAMPLES = 3  # example failures per server and category


sys.path.insert(0, str(Path(__file__).parent))
from engine import Server, ServerError, free_port, log, resolve_model  # noqa: E402


def hearth_server(args, model_arg, port):
    env = dict(os.environ)
    env.pop("HEARTH_API_KEYS", None)  # loopback needs no key; a key would reject our requests
    argv = [args.hearth, "serve", "--host", "127.0.0.1", "--port", str(port), "--model", model_arg,
            "--parallel", "1", "--context", str(CONTEXT)]
    return Server("hearth", argv, port, env)


def llama_server(args, model_path, port):
    help_text = subprocess.run([args.llama_server, "--help"], capture_output=True, text=True).stdout
    argv = [args.llama_server, "-m", str(model_path), "--jinja", "--host", "127.0.0.1", "--port", str(port),
            "-c", str(CONTEXT), "-np", "1"]
    if "--no-webui" in help_text:
        argv.append("--no-webui")
    if args.template:
        argv += ["--chat-template-file", args.template]
    return Server("llama-server", argv, port)


PROFILE = "bench-template:latest"


def hearth_request(server, method, path, body):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request(method, path, json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise ServerError(f"{method} {path}: HTTP {response.status}: {data[:300].decode('utf-8', 'replace')}")
    finally:
        conn.close()


# --- tools -------------------------------------------------------------------


def tool(name, description, properties, required=None):
    """A tool in OpenAI's format; `properties` maps a parameter to (JSON type, description)."""
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object",
                       "properties": {key: {"type": kind, "description": text}
                                      for key, (kind, text) in properties.items()},
                       "required": required if required is not None else list(properties)}}}


TOOLS = {t["function"]["name"]: t for t in [
    tool("get_weather", "Get the current weather in a city.",
         {"city": ("string", "The city name, e.g. Paris")}),
    tool("send_email", "Send an email to someone.",
         {"to": ("string", "The recipient's email address"),
          "subject": ("string", "The subject line"),
          "body": ("string", "The text of the email")}),
    tool("calculate", "Evaluate an arithmetic expression and return the result.",
         {"expression": ("string", "The expression, e.g. 2*(3+4)")}),
    tool("get_stock_price", "Get the latest price of a stock.",
         {"ticker": ("string", "The stock's ticker symbol, e.g. AAPL")}),
    tool("set_timer", "Start a countdown timer.",
         {"minutes": ("integer", "How many minutes the timer runs")}),
    tool("translate", "Translate text into another language.",
         {"text": ("string", "The text to translate"),
          "target_language": ("string", "The language to translate into, e.g. French")}),
    tool("search_web", "Search the web and return the top results.",
         {"query": ("string", "The search query")}),
    tool("create_reminder", "Create a reminder at a given time.",
         {"text": ("string", "What to be reminded of"),
          "time": ("string", "When, as HH:MM in 24-hour time")}),
    tool("convert_currency", "Convert an amount of money from one currency to another.",
         {"amount": ("number", "The amount to convert"),
          "from": ("string", "The currency code to convert from, e.g. USD"),
          "to": ("string", "The currency code to convert to, e.g. EUR")}),
    tool("get_time", "Get the current local time in a time zone.",
         {"timezone": ("string", "An IANA time zone, e.g. Europe/Paris")}),
    tool("play_music", "Play a song.",
         {"song": ("string", "The song's title")}),
    tool("book_table", "Book a table at a restaurant.",
         {"restaurant": ("string", "The restaurant's name"),
          "people": ("integer", "How many people the table is for")}),
]}

# The arguments graded per tool: those whose value the question states exactly. Free text
# (an email's subject and body, a search query, a reminder's wording) is not graded.
GRADED = {
    "get_weather": ["city"], "send_email": ["to"], "calculate": ["expression"],
    "get_stock_price": ["ticker"], "set_timer": ["minutes"], "translate": ["target_language"],
    "search_web": [], "create_reminder": ["time"], "convert_currency": ["amount", "from", "to"],
    "get_time": ["timezone"], "play_music": ["song"], "book_table": ["restaurant", "people"],
}
# Arguments compared with all whitespace removed ("17 * 23" is "17*23").
SPACELESS = {("calculate", "expression")}
# Tools that could also serve another's question, so never offered beside it as distractors
# (a web search answers nearly anything).
CONFLICTS = {("calculate", "convert_currency"), ("set_timer", "create_reminder")}
NEVER_DISTRACTOR = {"search_web"}


def conflicts(needed, other):
    """Whether `other` may not be offered as a distractor beside the `needed` tool."""
    return other in NEVER_DISTRACTOR or (needed, other) in CONFLICTS or (other, needed) in CONFLICTS


# --- values and templates ------------------------------------------------------

CITIES = ["Paris", "Tokyo", "London", "Berlin", "Madrid", "Rome", "Sydney", "Toronto", "Chicago", "Cairo",
          "Mumbai", "Seoul", "Lisbon", "Oslo", "Dublin", "Nairobi", "Lima", "Vienna", "Prague", "Boston"]
EMAILS = ["alice@example.com", "bob.smith@example.org", "carol@acme.io", "dan.lee@mail.com",
          "eve@startup.dev", "frank.miller@example.net", "grace@university.edu", "team@company.com"]
EMAIL_TOPICS = [("Running late", "I will be 15 minutes late to our meeting."),
                ("Lunch", "Do you want to have lunch together on Friday?"),
                ("Report", "The quarterly report is ready for review."),
                ("Thanks", "Thank you for your help with the move."),
                ("Invoice", "Please find the invoice attached."),
                ("Party", "You are invited to my birthday party on Saturday.")]
TICKERS = ["AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA", "META", "NFLX", "IBM", "INTC", "ORCL", "AMD"]
TEXTS = ["Good morning", "Where is the train station?", "Thank you very much", "I love this city",
         "How much does this cost?", "See you tomorrow", "The weather is nice today", "Happy birthday"]
LANGUAGES = ["French", "Spanish", "German", "Italian", "Japanese", "Portuguese", "Dutch", "Korean"]
QUERIES = ["the latest news about the Mars rover", "reviews of the new Tesla Model 3",
           "the best hiking trails near Denver", "who won the last Champions League final",
           "how to repot an orchid", "opening hours of the Louvre", "cheap flights to Lisbon in May",
           "the release date of the next iPhone", "symptoms of vitamin D deficiency", "the history of the Eiffel Tower"]
REMINDERS = ["call mom", "buy milk", "water the plants", "take my medicine", "pick up the kids",
             "submit the report", "walk the dog", "pay the electricity bill"]
TIMES = ["07:15", "08:00", "09:30", "12:45", "14:00", "16:20", "18:30", "21:45"]
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "INR"]
AMOUNTS = [20, 50, 75, 100, 120, 250, 500, 1000, 12.5, 99.99]
TIMEZONES = ["Europe/Paris", "Asia/Tokyo", "America/New_York", "Australia/Sydney", "Europe/London",
             "America/Los_Angeles", "Asia/Kolkata", "America/Sao_Paulo", "Africa/Cairo", "Asia/Singapore"]
SONGS = ["Bohemian Rhapsody", "Hotel California", "Imagine", "Yesterday", "Billie Jean", "Hey Jude",
         "Wonderwall", "Clair de Lune", "Take Five", "Dancing Queen"]
RESTAURANTS = ["Luigi's", "The Golden Dragon", "Chez Marie", "Sakura Sushi", "The Green Fork", "El Toro"]


def gen_weather(rng):
    city = rng.choice(CITIES)
    template = rng.choice(["What's the weather like in {c}?", "Is it raining in {c} right now?",
                           "How hot is it in {c} today?", "Tell me the current weather in {c}."])
    return template.format(c=city), {"city": city}


def gen_email(rng):
    to, (subject, body) = rng.choice(EMAILS), rng.choice(EMAIL_TOPICS)
    template = rng.choice(['Send an email to {to} with the subject "{s}" saying: {b}',
                           'Email {to}: subject "{s}", body "{b}"',
                           'Please write to {to} with subject "{s}" and tell them: {b}'])
    return template.format(to=to, s=subject, b=body), {"to": to, "subject": subject, "body": body}


def gen_calculate(rng):
    a, b, c = rng.randint(12, 999), rng.randint(2, 99), rng.randint(2, 20)
    expression = rng.choice([f"{a}*{b}", f"{a}+{b}*{c}", f"({a}-{b})/{c}", f"{a}*{b}-{c}"])
    template = rng.choice(["Calculate {e}.", "What is {e}? Use the calculator.",
                           "Please compute {e} for me.", "Evaluate the expression {e}."])
    return template.format(e=expression), {"expression": expression}


def gen_stock(rng):
    ticker = rng.choice(TICKERS)
    template = rng.choice(["What's the stock price of {t}?", "How much is {t} trading at right now?",
                           "Get me the latest price for the {t} stock.", "Check the share price of {t}."])
    return template.format(t=ticker), {"ticker": ticker}


def gen_timer(rng):
    minutes = rng.randint(1, 90)
    template = rng.choice(["Set a timer for {m} minutes.", "Start a {m} minute timer.",
                           "Can you time {m} minutes for me?", "Timer, {m} minutes please."])
    return template.format(m=minutes), {"minutes": minutes}


def gen_translate(rng):
    text, language = rng.choice(TEXTS), rng.choice(LANGUAGES)
    template = rng.choice(['Translate "{x}" into {l}.', 'How do you say "{x}" in {l}?',
                           'Please translate this to {l}: {x}'])
    return template.format(x=text, l=language), {"text": text, "target_language": language}


def gen_search(rng):
    query = rng.choice(QUERIES)
    template = rng.choice(["Search the web for {q}.", "Look up {q} online.", "Find me {q} on the internet."])
    return template.format(q=query), {"query": query}


def gen_reminder(rng):
    text, at = rng.choice(REMINDERS), rng.choice(TIMES)
    template = rng.choice(["Remind me to {x} at {t}.", "Create a reminder at {t} to {x}.",
                           "At {t}, remind me to {x}."])
    return template.format(x=text, t=at), {"text": text, "time": at}


def gen_currency(rng):
    amount = rng.choice(AMOUNTS)
    source, target = rng.sample(CURRENCIES, 2)
    template = rng.choice(["Convert {a} {f} to {t}.", "How much is {a} {f} in {t}?",
                           "What are {a} {f} worth in {t}?"])
    return template.format(a=amount, f=source, t=target), {"amount": amount, "from": source, "to": target}


def gen_time(rng):
    zone = rng.choice(TIMEZONES)
    template = rng.choice(["What time is it in the {z} time zone?", "Tell me the current time in {z}.",
                           "What's the local time in {z} right now?"])
    return template.format(z=zone), {"timezone": zone}


def gen_music(rng):
    song = rng.choice(SONGS)
    template = rng.choice(["Play {s}.", "Put on the song {s}, please.", "I want to listen to {s}.",
                           "Can you play {s} for me?"])
    return template.format(s=song), {"song": song}


def gen_table(rng):
    restaurant, people = rng.choice(RESTAURANTS), rng.randint(2, 10)
    template = rng.choice(["Book a table for {n} at {r}.", "Reserve a table at {r} for {n} people.",
                           "Can you get us a table for {n} people at {r} tonight?"])
    return template.format(n=people, r=restaurant), {"restaurant": restaurant, "people": people}


GENERATORS = {"get_weather": gen_weather, "send_email": gen_email, "calculate": gen_calculate,
              "get_stock_price": gen_stock, "set_timer": gen_timer, "translate": gen_translate,
              "search_web": gen_search, "create_reminder": gen_reminder, "convert_currency": gen_currency,
              "get_time": gen_time, "play_music": gen_music, "book_table": gen_table}


def gen_parallel(rng, kind):
    """(question, tools offered, expected calls) for one kind of two-call question."""
    if kind == "weather":
        a, b = rng.sample(CITIES, 2)
        question = rng.choice(["What's the weather in {a} and in {b}?", "Compare the weather in {a} and {b}.",
                               "Is it warmer in {a} or in {b} today?"]).format(a=a, b=b)
        return question, ["get_weather"], [call("get_weather", city=a), call("get_weather", city=b)]
    if kind == "stocks":
        a, b = rng.sample(TICKERS, 2)
        question = rng.choice(["Get the stock prices of {a} and {b}.", "How are {a} and {b} trading right now?",
                               "What are the share prices of {a} and {b}?"]).format(a=a, b=b)
        return question, ["get_stock_price"], [call("get_stock_price", ticker=a), call("get_stock_price", ticker=b)]
    if kind == "times":
        a, b = rng.sample(TIMEZONES, 2)
        question = rng.choice(["What time is it in {a} and in {b}?",
                               "Tell me the current time in both {a} and {b}."]).format(a=a, b=b)
        return question, ["get_time"], [call("get_time", timezone=a), call("get_time", timezone=b)]
    if kind == "currency":
        (a1, a2), (f1, t1), (f2, t2) = rng.sample(AMOUNTS, 2), rng.sample(CURRENCIES, 2), rng.sample(CURRENCIES, 2)
        question = f"Convert {a1} {f1} to {t1}, and also {a2} {f2} to {t2}."
        return question, ["convert_currency"], [call("convert_currency", amount=a1, **{"from": f1, "to": t1}),
                                                call("convert_currency", amount=a2, **{"from": f2, "to": t2})]
    # Two different tools, one call each.
    first, second = rng.choice([("get_weather", "set_timer"), ("get_stock_price", "get_weather"),
                                ("play_music", "set_timer"), ("get_time", "get_weather"),
                                ("book_table", "create_reminder"), ("translate", "get_stock_price")])
    q1, args1 = GENERATORS[first](rng)
    q2, args2 = GENERATORS[second](rng)
    question = f"{q1.rstrip('.?!')}, and also: {q2[0].lower()}{q2[1:]}"
    return question, [first, second], [{"name": first, "arguments": args1}, {"name": second, "arguments": args2}]


def call(name, **arguments):
    return {"name": name, "arguments": arguments}


KNOWLEDGE = [
    "What is the capital of Australia?", "Who wrote Pride and Prejudice?", "Why is the sky blue?",
    "How many legs does a spider have?", "What is photosynthesis?", "Who painted the Mona Lisa?",
    "What is the largest planet in the solar system?", "What language is spoken in Brazil?",
    "What does DNA stand for?", "Who was the first person to walk on the Moon?", "How does a rainbow form?",
    "What is the tallest mountain on Earth?", "What is the chemical symbol for gold?",
    "Which ocean is the largest?", "Who discovered penicillin?", "What is a prime number?",
    "What is the difference between a virus and a bacterium?", "In which year did World War II end?",
    "What is the main ingredient of guacamole?", "How many continents are there?",
    "Who invented the telephone?", "What is the longest river in Africa?", "What is gravity?",
    "Explain what a black hole is.", "What causes the seasons on Earth?",
    "What is the smallest country in the world?", "Who composed The Four Seasons?", "What do bees make?",
    "What is the freezing point of water in Fahrenheit?", "Why do cats purr?",
]
CHAT = [
    "Hi there!", "Hello, how are you today?", "Thanks for your help!", "Good night!", "Tell me a joke.",
    "What's your name?", "I'm feeling a bit bored.", "What's your favorite color?", "Nice to meet you.",
    "Tell me something interesting.", "Do you like cats or dogs?", "Good morning!",
    "I just finished my first marathon!", "Can you recommend a good book?",
    "What should I cook for dinner tonight?", "Give me a fun fact about octopuses.", "How are you doing?",
    "Say something nice.", "Thank you, that's all.", "What's the meaning of life?",
]
WRITING_TOPICS = ["autumn", "the ocean", "a lighthouse", "friendship", "coffee", "the moon", "a rainy day",
                  "mountains", "a sleepy cat", "spring flowers", "an old library", "city lights"]
WRITING = ["Write a haiku about {t}.", "Write a short poem about {t}.", "Write two sentences describing {t}.",
           "Write a limerick about {t}.", "Describe {t} in one paragraph."]
ADVICE = ["Give me three tips for {a}.", "How can I get better at {a}?"]
ACTIVITIES = ["studying", "sleeping better", "learning to cook", "staying focused", "public speaking",
              "running", "saving money", "learning a language"]


def generate_cases(n_single=120, n_multiple=80, n_parallel=40, n_none=100):
    """The fixed list of cases, shuffled (so that any prefix and either split mixes every
    category), each {id, category, question, tools (names), expected (calls)}."""
    rng = random.Random(SEED)
    names = list(TOOLS)
    cases, seen = [], set()

    def unique(make):
        for _ in range(200):
            made = make()
            if made[0] not in seen:
                seen.add(made[0])
                return made
        raise RuntimeError("could not generate a new question")  # the pools are too small

    for i in range(n_single):
        name = names[i % len(names)]
        question, arguments = unique(lambda: GENERATORS[name](rng))
        cases.append({"category": "single", "question": question, "tools": [name],
                      "expected": [{"name": name, "arguments": arguments}]})
    for i in range(n_multiple):
        name = names[i % len(names)]
        question, arguments = unique(lambda: GENERATORS[name](rng))
        others = [other for other in names if other != name and not conflicts(name, other)]
        offered = rng.sample(others, rng.choice([2, 3])) + [name]
        rng.shuffle(offered)
        cases.append({"category": "multiple", "question": question, "tools": offered,
                      "expected": [{"name": name, "arguments": arguments}]})
    kinds = ["weather", "stocks", "times", "currency", "mixed"]
    for i in range(n_parallel):
        question, offered, expected = unique(lambda: gen_parallel(rng, kinds[i % len(kinds)]))
        if len(offered) == 1 and rng.random() < 0.5:  # sometimes a second, unneeded tool
            offered = offered + [rng.choice([n for n in names if not conflicts(offered[0], n) and n != offered[0]])]
            rng.shuffle(offered)
        cases.append({"category": "parallel", "question": question, "tools": offered, "expected": expected})
    candidates = [n for n in names if n not in NEVER_DISTRACTOR]
    writing = [w.format(t=t) for w in WRITING for t in WRITING_TOPICS] + [a.format(a=x) for a in ADVICE for x in ACTIVITIES]
    rng.shuffle(writing)
    questions = KNOWLEDGE + CHAT + writing[:max(0, n_none - len(KNOWLEDGE) - len(CHAT))]
    for question in questions[:n_none]:
        seen.add(question)
        cases.append({"category": "none", "question": question,
                      "tools": rng.sample(candidates, rng.randint(1, 3)), "expected": []})
    rng.shuffle(cases)
    for index, case in enumerate(cases):
        case["id"] = index
    return cases


# --- grading -----------------------------------------------------------------


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def value_matches(name, key, expected, got):
    if is_number(expected):
        if is_number(got):
            return abs(float(got) - float(expected)) < 1e-9
        if isinstance(got, str):
            try:
                return abs(float(got.strip()) - float(expected)) < 1e-9
            except ValueError:
                return False
        return False
    if not (isinstance(got, str) or is_number(got)):
        return False
    if (name, key) in SPACELESS:
        return "".join(str(got).split()).casefold() == "".join(str(expected).split()).casefold()
    return " ".join(str(got).split()).casefold() == " ".join(str(expected).split()).casefold()


def call_matches(expected, got):
    if expected["name"] != got["name"] or not isinstance(got["arguments"], dict):
        return False
    return all(key in got["arguments"] and value_matches(expected["name"], key, expected["arguments"][key],
                                                         got["arguments"][key])
               for key in GRADED[expected["name"]])


def exact(expected, calls):
    """Names as a multiset, then some pairing of expected and emitted calls where every
    graded argument matches."""
    if Counter(c["name"] for c in expected) != Counter(c["name"] for c in calls):
        return False
    if not expected:
        return True
    if len(calls) > 6:
        return False  # never for these cases; keeps the permutations small
    return any(all(call_matches(e, g) for e, g in zip(expected, order)) for order in itertools.permutations(calls))


# --- requests ----------------------------------------------------------------


def parse_calls(message):
    """[{name, arguments (a dict, or None when unusable), raw, valid}] from a message;
    valid: the arguments are a string holding a JSON object, as OpenAI's format has them."""
    calls = []
    for item in message.get("tool_calls") or []:
        function = (item or {}).get("function") or {}
        raw = function.get("arguments")
        arguments, valid = None, False
        if isinstance(raw, str):
            try:
                parsed = json.loads(raw)
                if isinstance(parsed, dict):
                    arguments, valid = parsed, True
            except ValueError:
                pass
        elif isinstance(raw, dict):
            arguments = raw  # usable, but not the string OpenAI's format asks for
        calls.append({"name": function.get("name"), "arguments": arguments, "raw": raw, "valid": valid})
    return calls


def ask(server, model, case):
    """One non-streaming completion: {status, error, calls, content}."""
    body = {"model": model, "messages": [{"role": "user", "content": case["question"]}],
            "tools": [TOOLS[name] for name in case["tools"]], "temperature": 0, "max_tokens": MAX_TOKENS}
    result = {"status": None, "error": None, "calls": [], "content": None}
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        result["status"] = response.status
        data = response.read()
        if response.status != 200:
            result["error"] = f"HTTP {response.status}: {data[:200].decode('utf-8', 'replace')}"
            return result
        message = (json.loads(data)["choices"][0]).get("message") or {}
        result["calls"] = parse_calls(message)
        result["content"] = message.get("content")
    except (OSError, http.client.HTTPException) as error:
        result["error"] = f"connection: {error!r}"
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
        result["error"] = f"bad response: {error!r}"
    finally:
        conn.close()
    return result


def run_server(server, model, cases):
    """Every case against one ready server: ({case id: result}, elapsed s)."""
    results, started, dead = {}, time.perf_counter(), False
    for number, case in enumerate(cases, 1):
        if not dead and server.proc.poll() is not None:
            dead = True
            log(f"{server.name} exited with status {server.proc.returncode} during the run; "
                f"the remaining cases fail\n--- {server.name} log tail ({server.log.name}) ---\n{server.log_tail()}")
        result = ({"status": None, "error": "server exited", "calls": [], "content": None} if dead
                  else ask(server, model, case))
        result["exact"] = result["error"] is None and exact(case["expected"], result["calls"])
        results[case["id"]] = result
        if number % 25 == 0 or number == len(cases):
            done = sum(r["exact"] for r in results.values())
            log(f"{server.name}: {number}/{len(cases)} cases, {done} exact")
    return results, time.perf_counter() - started


def benchmark(name, make, model, cases, template=None):
    """Starts one server, runs every case, always stops it; None if it fails to start. With
    `template` (Hearth only), the cases ask a profile of `model` made with that template."""
    server = make(free_port())
    try:
        try:
            server.wait_ready()
            if template:
                hearth_request(server, "POST", "/api/create",
                               {"model": PROFILE, "from": model, "template": template, "stream": False})
        except ServerError as error:
            print(f"error: {error}\n--- {name} log tail ({server.log.name}) ---\n{server.log_tail()}", file=sys.stderr)
            return None
        log(f"{name} ready on port {server.port}; {len(cases)} cases")
        try:
            return run_server(server, PROFILE if template else model, cases)
        finally:
            if template:
                hearth_request(server, "DELETE", "/api/delete", {"model": PROFILE})
    finally:
        server.stop()


# --- report ------------------------------------------------------------------

CATEGORIES = ["single", "multiple", "parallel", "none"]
ROWS = [(c, {c}) for c in CATEGORIES] + [("needs a call", {"single", "multiple", "parallel"}),
                                         ("needs none", {"none"}), ("overall", set(CATEGORIES))]


def truncate(text, n=160):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[:n - 1] + "…"


def describe_calls(calls):
    return "; ".join(f"{c['name']}({c['raw'] if isinstance(c['raw'], str) else json.dumps(c['raw'])})"
                     for c in calls)


def graded_text(expected_call):
    graded = {key: expected_call["arguments"][key] for key in GRADED[expected_call["name"]]}
    return json.dumps(graded) if graded else "any arguments"


def describe(result):
    if result["error"]:
        return result["error"]
    if result["calls"]:
        return "calls " + describe_calls(result["calls"])
    return f"no call; content {json.dumps(result['content'] or '')}"


def report(cases, outcomes, model):
    """The Markdown table to stdout, example failures to stderr."""
    servers = ["hearth", "llama-server"]
    for name in servers:
        if outcomes.get(name) is None:
            continue
        results = outcomes[name][0]
        for category in CATEGORIES:
            failed = [c for c in cases if c["category"] == category and not results[c["id"]]["exact"]]
            for case in failed[:EXAMPLES]:
                expected = "; ".join(f"{c['name']}({graded_text(c)})" for c in case["expected"]) or "no call"
                log(f"{name} failed {category} #{case['id']}: {truncate(case['question'], 120)}\n"
                    f"          expected {truncate(expected)}\n          got      {truncate(describe(results[case['id']]))}")

    def cell(name, members):
        if outcomes.get(name) is None:
            return "—"
        chosen = [c for c in cases if c["category"] in members]
        if not chosen:
            return "—"
        hits = sum(outcomes[name][0][c["id"]]["exact"] for c in chosen)
        return f"{100 * hits / len(chosen):.1f}"

    print(f"\nTool calling, model {model}: {len(cases)} cases, temperature 0, {MAX_TOKENS} tokens at most\n")
    print("| category | cases | Hearth exact % | llama-server exact % |")
    print("|---|---:|---:|---:|")
    for label, members in ROWS:
        count = sum(c["category"] in members for c in cases)
        print(f"| {label} | {count} | {cell('hearth', members)} | {cell('llama-server', members)} |")
    print()

    def line(label, value):
        parts = []
        for name in servers:
            parts.append(f"{name} {value(*outcomes[name]) if outcomes.get(name) is not None else '—'}")
        print(f"- {label}: {', '.join(parts)}")

    def valid_share(results, _):
        calls = [c for r in results.values() for c in r["calls"]]
        if not calls:
            return "— (no calls)"
        valid = sum(c["valid"] for c in calls)
        return f"{100 * valid / len(calls):.1f}% ({valid}/{len(calls)})"

    line("valid-JSON arguments (of emitted calls)", valid_share)
    line("calls emitted", lambda results, _: sum(len(r["calls"]) for r in results.values()))
    line("5xx responses", lambda results, _: sum((r["status"] or 0) >= 500 for r in results.values()))
    line("other failed requests (connection, non-200, unreadable)",
         lambda results, _: sum(r["error"] is not None and not (r["status"] or 0) >= 500 for r in results.values()))
    line("elapsed s", lambda _, elapsed: f"{elapsed:.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hearth", help="hearth binary (needed unless --only llama-server)")
    parser.add_argument("--llama-server", help="llama-server binary (needed unless --only hearth)")
    parser.add_argument("--model", default="smollm2:135m",
                        help="catalog name (name:tag) or .gguf path (default: smollm2:135m)")
    parser.add_argument("--limit", type=int, help="only the first N cases of the split")
    parser.add_argument("--only", choices=["hearth", "llama-server"], help="run one server only")
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all",
                        help="dev: even-numbered cases, test: odd, all: every case (default)")
    parser.add_argument("--template", help="a Jinja chat template both servers use instead of the model's")
    args = parser.parse_args()
    for name, binary in (("hearth", args.hearth), ("llama-server", args.llama_server)):
        if args.only in (None, name) and not binary:
            parser.error(f"--{name} is required" + ("" if args.only else f" (or --only the other server)"))

    cases = generate_cases()
    if args.split != "all":
        cases = [c for c in cases if c["id"] % 2 == (0 if args.split == "dev" else 1)]
    if args.limit is not None:
        cases = cases[:max(0, args.limit)]
    counts = Counter(c["category"] for c in cases)
    log(f"{len(cases)} cases ({', '.join(f'{counts[c]} {c}' for c in CATEGORIES)}), split {args.split}")

    path = resolve_model(args.model)
    model_arg = str(path) if args.model.endswith(".gguf") else args.model  # Hearth takes the name
    log(f"model {args.model}: {path}")
    makers = {"hearth": lambda port: hearth_server(args, model_arg, port),
              "llama-server": lambda port: llama_server(args, path, port)}
    outcomes, status = {}, 0
    for name, make in makers.items():
        if args.only not in (None, name):
            continue
        template = Path(args.template).read_text() if args.template and name == "hearth" else None
        outcomes[name] = benchmark(name, make, model_arg, cases, template)
        if outcomes[name] is None:
            status = 1
    report(cases, outcomes, args.model + (f" with the template {Path(args.template).name}" if args.template else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
