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
Token statistics, OpenAI's default epoch count and a cost estimate follow the checks.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from distil.datasets.costs import (
    DEFAULT_BASE_MODEL,
    MAX_TOKENS_PER_EXAMPLE,
    FineTuneEstimate,
    estimate_fine_tune,
)
from distil.text.tokens import TokenCounter, counter_for_model
from distil.errors import UsageError

MIN_EXAMPLES = 10
ROLES = ("system", "user", "assistant", "tool", "function")
MESSAGE_KEYS = ("role", "content", "name", "function_call", "tool_calls", "tool_call_id",
                "weight")
# Per-message and per-reply overhead tokens of the chat format, as OpenAI's guide counts them.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_PER_REPLY = 3

Level = Literal["error", "warning"]


class UnreadableDataset(UsageError):
    """The file could not be read as text at all (exit status 2)."""


@dataclass(frozen=True)
class Problem:
    """One finding. `line` is 1-based; None for a finding about the whole file."""

    line: int | None
    code: str
    message: str
    level: Level = "error"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "code": self.code, "level": self.level,
                "message": self.message}

    def render(self, path: str) -> str:
        where = f"{path}:{self.line}" if self.line is not None else path
        return f"{where}: {self.level}: {self.code}: {self.message}"


@dataclass
class Report:
    """What `validate_file` found, ready to print or to turn into JSON."""

    path: str
    examples: int = 0
    problems: list[Problem] = field(default_factory=list)
    tokens: dict[str, Any] = field(default_factory=dict)
    estimate: FineTuneEstimate | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return dict(Counter(p.code for p in self.problems))

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.path, "valid": self.valid, "examples": self.examples,
            "errors": len(self.errors), "warnings": len(self.warnings),
            "counts": self.counts(), "problems": [p.to_dict() for p in self.problems],
            "tokens": self.tokens,
            "estimate": self.estimate.to_dict() if self.estimate else None,
        }

    def summary(self) -> str:
        state = "valid" if self.valid else "invalid"
        return (f"{self.path}: {state}: {_n(self.examples, 'example')}, "
                f"{_n(len(self.errors), 'error')}, {_n(len(self.warnings), 'warning')}")

    def render(self) -> list[str]:
        """The human report: one line per problem, then figures, then the verdict."""
        out = [p.render(self.path) for p in self.problems]
        t = self.tokens
        if t.get("examples_counted"):
            out.append(f"tokens: {t['counter']}")
            for key, label in (("total", "tokens per example"),
                               ("assistant", "assistant tokens per example"),
                               ("messages", "messages per example")):
                s = t[key]
                out.append(f"  {label}: min {s['min']:,}, max {s['max']:,}, mean "
                           f"{s['mean']:,.1f}, median {s['median']:,.1f}, p5 {s['p5']:,.1f}, "
                           f"p95 {s['p95']:,.1f}")
            out.append(f"  examples over {MAX_TOKENS_PER_EXAMPLE:,} tokens (truncated in "
                       f"training): {t['over_limit']}")
        if self.estimate is not None:
            out.append(f"fine-tune of {self.estimate.base_model}: {self.estimate.describe()}")
        out.append(self.summary())
        return out


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


def validate_file(path: str | Path, *, base_model: str = DEFAULT_BASE_MODEL,
                  n_epochs: int | None = None, price_per_million: float | None = None,
                  min_examples: int = MIN_EXAMPLES,
                  counter: TokenCounter | None = None) -> Report:
    """Check a chat fine-tuning JSONL file and estimate training on it.

    `min_examples` is 10 for a training file (OpenAI's minimum); a validation file passes 1.
    """
    p = Path(path)
    return validate_lines(read_lines(p), str(path), base_model=base_model, n_epochs=n_epochs,
                          price_per_million=price_per_million, min_examples=min_examples,
                          counter=counter)


def validate_lines(lines: Sequence[str], path: str = "<lines>", *,
                   base_model: str = DEFAULT_BASE_MODEL, n_epochs: int | None = None,
                   price_per_million: float | None = None, min_examples: int = MIN_EXAMPLES,
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
            f"{report.examples} examples; fine-tuning needs at least {min_examples}"))
    report.tokens = {
        "counter": count.source, "encoding": count.encoding, "exact": count.exact,
        "examples_counted": len(totals), "total_tokens": sum(totals),
        "total": _stats(totals), "assistant": _stats(assistant),
        "messages": _stats(n_messages), "over_limit": over,
    }
    if totals:
        report.estimate = estimate_fine_tune(totals, base_model, n_epochs=n_epochs,
                                             price_per_million=price_per_million)
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


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", int: "number",
            float: "number"}.get(type(value), type(value).__name__)


def _stats(values: list[int]) -> dict[str, float | int]:
    if not values:
        return {"min": 0, "max": 0, "mean": 0.0, "median": 0.0, "p5": 0.0, "p95": 0.0}
    ordered = sorted(values)
    return {"min": ordered[0], "max": ordered[-1], "mean": statistics.fmean(ordered),
            "median": float(statistics.median(ordered)),
            "p5": _percentile(ordered, 5), "p95": _percentile(ordered, 95)}


def _percentile(ordered: list[int], pct: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default method)."""
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
