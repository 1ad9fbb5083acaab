"""Checking a chat fine-tuning JSONL file before anything is uploaded or paid for.

The checks are the ones OpenAI's data-preparation guide performs on a chat dataset, under the
same names, each reported with the line it was found on:

| code | level | what |
|---|---|---|
| `invalid_json` | error | the line is not JSON |
| `data_type` | error | an example (or a message) is not a JSON object |
| `missing_messages_list` | error | no non-empty `messages` list |
| `message_missing_key` | error | a message without `role` or `content` |
| `message_unrecognized_key` | error | a message key outside the chat format |
| `unrecognized_role` | error | a role other than system, user, assistant, tool, function |
| `missing_content` | error | `content` empty or not text |
| `example_missing_assistant_message` | error | nothing for the model to learn |
| `invalid_weight` | error | `weight` other than 0 or 1, or on a non-assistant message |
| `too_few_examples` | error | fewer than 10 examples in the file |
| `missing_system_message` | warning | the example has no system message |
| `missing_user_message` | warning | the example has no user message |
| `too_many_tokens` | warning | over 16,385 tokens: truncated in training |
| `blank_line` | warning | an empty line (skipped) |

A file that cannot be read at all (missing, a folder, not UTF-8) raises `UnreadableDataset`.
Token statistics follow the checks. What training on the file costs is a trainer's to say (core
holds no provider's prices): the caller asks `Trainer.estimate(report.example_tokens)` and puts
the answer in `report.estimate`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from distil.datasets.report import MAX_TOKENS_PER_EXAMPLE, Problem, Report, token_stats
from distil.errors import UsageError
from distil.text.tokens import TokenCounter, counter_for_model
from distil.wording import plural

MIN_EXAMPLES = 10
ROLES = ("system", "user", "assistant", "tool", "function")
MESSAGE_KEYS = ("role", "content", "name", "function_call", "tool_calls", "tool_call_id",
                "weight")
# Per-message and per-reply overhead tokens of the chat format, as OpenAI's guide counts them.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_PER_REPLY = 3

class UnreadableDataset(UsageError):
    """The file could not be read as text at all (exit status 2)."""


def read_lines(path: Path) -> list[str]:
    """The file's lines, or UnreadableDataset naming why it cannot be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableDataset(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnreadableDataset(f"{path}: is a directory, not a JSONL file") from None
    except OSError as exc:
        raise UnreadableDataset(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UnreadableDataset(f"{path}:{line}: not UTF-8 text") from None
    return text.splitlines()


def validate_file(path: str | Path, *, base_model: str | None = None,
                  min_examples: int = MIN_EXAMPLES,
                  counter: TokenCounter | None = None) -> Report:
    """Check a chat fine-tuning JSONL file and count its tokens (with `base_model`'s encoding).

    `min_examples` is 10 for a training file (OpenAI's minimum); a validation file passes 1.
    """
    p = Path(path)
    return validate_lines(read_lines(p), str(path), base_model=base_model,
                          min_examples=min_examples, counter=counter)


def validate_lines(lines: Sequence[str], path: str = "<lines>", *,
                   base_model: str | None = None, min_examples: int = MIN_EXAMPLES,
                   counter: TokenCounter | None = None) -> Report:
    report = Report(path)
    count = counter or counter_for_model(base_model)
    totals: list[int] = []
    assistant: list[int] = []
    n_messages: list[int] = []
    over = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            report.problems.append(Problem(number, "blank_line", "empty line (skipped)",
                                           "warning"))
            continue
        report.examples += 1
        problems, messages = check_example(raw, number)
        report.problems.extend(problems)
        if messages is None:
            continue
        total = example_tokens(messages, count)
        totals.append(total)
        assistant.append(sum(count.count(_text(m.get("content"))) for m in messages
                             if m.get("role") == "assistant"))
        n_messages.append(len(messages))
        if total > MAX_TOKENS_PER_EXAMPLE:
            over += 1
            report.problems.append(Problem(
                number, "too_many_tokens",
                f"{total:,} tokens, over the {MAX_TOKENS_PER_EXAMPLE:,}-token limit: the "
                "example will be truncated in training", "warning"))
    if report.examples < min_examples:
        report.problems.append(Problem(
            None, "too_few_examples",
            f"{plural(report.examples, 'example')}; fine-tuning needs at least {min_examples}"))
    report.tokens = {
        "counter": count.source, "encoding": count.encoding, "exact": count.exact,
        "examples_counted": len(totals), "total_tokens": sum(totals),
        "total": token_stats(totals), "assistant": token_stats(assistant),
        "messages": token_stats(n_messages), "over_limit": over,
    }
    report.example_tokens = totals
    return report


def check_example(raw: str, line: int) -> tuple[list[Problem], list[dict[str, Any]] | None]:
    """Problems of one example line, and its messages when they are well-formed enough to
    count tokens (None otherwise)."""
    try:
        example = json.loads(raw)
    except ValueError as exc:
        return [Problem(line, "invalid_json", f"not valid JSON ({exc.msg}, column {exc.colno})")
                ], None
    if not isinstance(example, dict):
        return [Problem(line, "data_type",
                        f"an example must be a JSON object, got {_json_type(example)}")], None
    messages = example.get("messages")
    if not isinstance(messages, list) or not messages:
        what = "missing" if messages is None else (
            "empty" if isinstance(messages, list) else f"a {_json_type(messages)}")
        return [Problem(line, "missing_messages_list",
                        f"`messages` must be a non-empty list of messages; it is {what}")], None
    problems: list[Problem] = []
    well_formed = True
    roles: list[str] = []
    for i, message in enumerate(messages, start=1):
        found, role = check_message(message, i, line)
        problems.extend(found)
        if not isinstance(message, dict):
            well_formed = False
        if role is not None:
            roles.append(role)
    if "assistant" not in roles:
        problems.append(Problem(line, "example_missing_assistant_message",
                                "no assistant message: nothing for the model to learn"))
    if "system" not in roles:
        problems.append(Problem(line, "missing_system_message", "no system message", "warning"))
    if "user" not in roles:
        problems.append(Problem(line, "missing_user_message", "no user message", "warning"))
    return problems, (messages if well_formed else None)


def check_message(message: Any, i: int, line: int) -> tuple[list[Problem], str | None]:
    """Problems of message number `i` (1-based) and its role when it has a valid one."""
    if not isinstance(message, dict):
        return [Problem(line, "data_type",
                        f"message {i} must be a JSON object, got {_json_type(message)}")], None
    problems: list[Problem] = []
    role = message.get("role")
    calls = message.get("tool_calls") or message.get("function_call")
    if "role" not in message:
        problems.append(Problem(line, "message_missing_key", f"message {i} has no `role`"))
    if "content" not in message and not calls:
        problems.append(Problem(line, "message_missing_key", f"message {i} has no `content`"))
    unknown = [k for k in message if k not in MESSAGE_KEYS]
    if unknown:
        problems.append(Problem(line, "message_unrecognized_key",
                                f"message {i} has unrecognized key(s) "
                                f"{', '.join(repr(k) for k in unknown)}"))
    if "role" in message and role not in ROLES:
        problems.append(Problem(line, "unrecognized_role",
                                f"message {i} has role {role!r}; expected one of "
                                f"{', '.join(ROLES)}"))
        role = None
    if "content" in message and not _has_content(message.get("content"), bool(calls)):
        problems.append(Problem(line, "missing_content",
                                f"message {i} ({role or 'unknown role'}) has empty or "
                                f"non-text content"))
    if "weight" in message:
        weight = message["weight"]
        if isinstance(weight, bool) or weight not in (0, 1):
            problems.append(Problem(line, "invalid_weight",
                                    f"message {i}: weight must be 0 or 1, got "
                                    f"{json.dumps(weight)}"))
        elif role != "assistant":
            problems.append(Problem(line, "invalid_weight",
                                    f"message {i}: weight is only allowed on assistant "
                                    f"messages (this one is {role or 'unknown'})"))
    return problems, role if isinstance(role, str) else None


def example_tokens(messages: Iterable[dict[str, Any]], count: TokenCounter) -> int:
    """Tokens of one example as OpenAI's guide counts them: every value of every message,
    3 tokens of overhead a message, 1 more for a `name`, and 3 for the reply's priming."""
    total = TOKENS_PER_REPLY
    for message in messages:
        total += TOKENS_PER_MESSAGE
        for key, value in message.items():
            if key == "weight":
                continue
            total += count.count(_text(value))
            if key == "name":
                total += TOKENS_PER_NAME
    return total


def _has_content(content: Any, has_calls: bool) -> bool:
    if content is None:
        return has_calls
    if isinstance(content, str):
        return bool(content.strip())
    if isinstance(content, list):  # content parts (text, image_url, ...)
        return bool(content) and all(isinstance(part, dict) for part in content)
    return False


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = [p.get("text") for p in value if isinstance(p, dict)]
        if all(isinstance(t, str) for t in texts):
            return "".join(texts)  # type: ignore[arg-type]
    return json.dumps(value, ensure_ascii=False)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", int: "number",
            float: "number"}.get(type(value), type(value).__name__)
