"""An Ollama `Modelfile` for a GGUF student: `FROM ./student.gguf`, its chat template, its stops.

Ollama does not read the Jinja chat template a GGUF file carries; a Modelfile gives it a Go
template instead. distil does not translate Jinja into Go (no general translation exists);
it recognises the template's family by rendering the file's own Jinja template on probe
conversations and comparing the text with each family it knows, exactly:

- **ChatML** (`<|im_start|>role ... <|im_end|>`): SmolLM2, Qwen 2 and 2.5, and many others;
- **Llama 3** (`<|start_header_id|>role<|end_header_id|> ... <|eot_id|>`).

A template that adds a system turn of its own when the conversation has none (SmolLM2's does)
gets that text as the Modelfile's `SYSTEM`, which Ollama inserts in the same case; a system
prompt the student was trained with takes its place when one is given. Any other template is
refused in one line naming the file and `tokenizer.chat_template`, rather than guessed.

The stop tokens are the family's turn markers and the file's end-of-sequence and end-of-turn
tokens (`tokenizer.ggml.eos_token_id`, `tokenizer.ggml.eot_token_id`), each one a token of the
file's own vocabulary.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distil.errors import UsageError
from distil_builtin.transformers_runtime import require

MODELFILE = "Modelfile"
Messages = Sequence[dict[str, str]]


@dataclass(frozen=True)
class TemplateFamily:
    """A chat format: how it renders a conversation, and the same as an Ollama Go template."""

    name: str
    turn: Callable[[str, str], str]  # (role, content) -> one finished turn
    header: Callable[[str], str]  # role -> the start of a turn (the generation prompt)
    go_template: str
    markers: tuple[str, ...]  # special tokens of the format, all stop tokens

    def render(self, messages: Messages) -> str:
        """The conversation with the assistant's generation prompt, as the template writes it."""
        return "".join(self.turn(m["role"], m["content"]) for m in messages) + \
            self.header("assistant")


CHATML = TemplateFamily(
    name="ChatML",
    turn=lambda role, content: f"<|im_start|>{role}\n{content}<|im_end|>\n",
    header=lambda role: f"<|im_start|>{role}\n",
    go_template=(
        '{{- range $i, $_ := .Messages }}\n'
        '{{- $last := eq (len (slice $.Messages $i)) 1 -}}\n'
        '<|im_start|>{{ .Role }}\n'
        '{{ .Content }}{{ if or (ne .Role "assistant") (not $last) }}<|im_end|>\n'
        '{{ end }}\n'
        '{{- if and (ne .Role "assistant") $last }}<|im_start|>assistant\n'
        '{{ end }}\n'
        '{{- end }}'),
    markers=("<|im_start|>", "<|im_end|>"),
)
LLAMA3 = TemplateFamily(
    name="Llama 3",
    turn=lambda role, content: (f"<|start_header_id|>{role}<|end_header_id|>\n\n"
                                f"{content}<|eot_id|>"),
    header=lambda role: f"<|start_header_id|>{role}<|end_header_id|>\n\n",
    go_template=(
        '{{- range $i, $_ := .Messages }}\n'
        '{{- $last := eq (len (slice $.Messages $i)) 1 -}}\n'
        '<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n'
        '{{ .Content }}{{ if or (ne .Role "assistant") (not $last) }}<|eot_id|>{{ end }}\n'
        '{{- if and (ne .Role "assistant") $last }}<|start_header_id|>assistant'
        '<|end_header_id|>\n\n'
        '{{ end }}\n'
        '{{- end }}'),
    markers=("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"),
)
FAMILIES = (CHATML, LLAMA3)

_PROBE_SYSTEM = "Probe system text."
_PROBES: tuple[list[dict[str, str]], ...] = (
    [{"role": "system", "content": _PROBE_SYSTEM}, {"role": "user", "content": "First probe."}],
    [{"role": "system", "content": _PROBE_SYSTEM}, {"role": "user", "content": "First probe."},
     {"role": "assistant", "content": "An answer."}, {"role": "user", "content": "Again."}],
)
_NO_SYSTEM = [{"role": "user", "content": "First probe."}]


@dataclass(frozen=True)
class ChatFormat:
    """What a Modelfile needs from a GGUF: the family, the default system text, the stops."""

    family: TemplateFamily
    default_system: str | None
    stops: tuple[str, ...]


def read_chat_format(gguf_file: Path) -> ChatFormat:
    """The chat format of `gguf_file`, from its metadata; a UsageError when unsupported."""
    gguf = require("gguf")
    reader = gguf.GGUFReader(str(gguf_file))

    def value(key: str) -> Any:
        field = reader.fields.get(key)
        return field.contents() if field is not None else None

    template = value("tokenizer.chat_template")
    tokens = value("tokenizer.ggml.tokens") or []
    if not template:
        raise UsageError(f"{gguf_file}: tokenizer.chat_template: the file has no chat template; "
                         "an Ollama Modelfile needs one")
    bos = _token(tokens, value("tokenizer.ggml.bos_token_id"))
    eos = _token(tokens, value("tokenizer.ggml.eos_token_id"))
    # llama.cpp (and Ollama) put the BOS token in front themselves when the file says so
    adds_bos = bool(value("tokenizer.ggml.add_bos_token"))
    family, system = match_family(template, bos or "", eos or "", str(gguf_file), adds_bos)
    vocabulary = set(tokens)
    stops = [m for m in family.markers if m in vocabulary]
    for key in ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"):
        token = _token(tokens, value(key))
        if token and token not in stops:
            stops.append(token)
    return ChatFormat(family, system, tuple(stops))


def _token(tokens: Sequence[str], token_id: Any) -> str | None:
    if token_id is None or not 0 <= int(token_id) < len(tokens):
        return None
    return tokens[int(token_id)]


def match_family(template: str, bos: str, eos: str, where: str,
                 adds_bos: bool = False) -> tuple[TemplateFamily, str | None]:
    """The family whose rendering equals the Jinja template's on every probe, and the system
    text the template adds to a conversation without one (None when it adds none).

    `adds_bos`: the engine puts `bos` in front itself, so a template's leading `bos` is not
    part of what the Go template must write."""
    render = _jinja(template, bos, eos, where, adds_bos)
    for family in FAMILIES:
        if all(render(p) == family.render(p) for p in _PROBES):
            alone = render(_NO_SYSTEM)
            if alone == family.render(_NO_SYSTEM):
                return family, None
            system = _default_system(family, alone)
            if system is not None:
                return family, system
    known = ", ".join(f.name for f in FAMILIES)
    raise UsageError(f"{where}: tokenizer.chat_template is not a chat format distil can write "
                     f"an Ollama TEMPLATE for (it knows {known}); write the Modelfile's "
                     "TEMPLATE by hand")


def _default_system(family: TemplateFamily, text: str) -> str | None:
    """The content of the system turn `text` starts with, when the rest is the probe."""
    rest = family.render(_NO_SYSTEM)
    if not text.endswith(rest):
        return None
    prefix = text[: len(text) - len(rest)]
    opening = family.header("system")
    closing = family.turn("system", "")[len(opening):]
    if prefix.startswith(opening) and prefix.endswith(closing):
        return prefix[len(opening): len(prefix) - len(closing)]
    return None


def _jinja(template: str, bos: str, eos: str, where: str,
           adds_bos: bool) -> Callable[[Messages], str]:
    from jinja2.exceptions import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def fail(message: str) -> None:
        raise TemplateError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = fail
    try:
        compiled = env.from_string(template)
    except TemplateError as exc:
        raise UsageError(f"{where}: tokenizer.chat_template does not parse: {exc}") from None

    def render(messages: Messages) -> str:
        try:
            text = compiled.render(messages=list(messages), add_generation_prompt=True,
                                   bos_token=bos, eos_token=eos)
        except TemplateError as exc:
            raise UsageError(f"{where}: tokenizer.chat_template fails on a probe "
                             f"conversation: {exc}") from None
        return text[len(bos):] if adds_bos and bos and text.startswith(bos) else text

    return render


def modelfile_text(gguf_name: str, chat: ChatFormat, system: str | None = None) -> str:
    """The Modelfile: FROM the GGUF (a path relative to the Modelfile), the Go template,
    SYSTEM, the stop tokens."""
    system = system if system is not None else chat.default_system
    lines = [f"# Ollama Modelfile written by distil: `ollama create NAME -f {MODELFILE}`",
             f"# The chat template is {chat.family.name} (recognised from the GGUF's "
             "tokenizer.chat_template); stops from its tokenizer metadata.",
             f"FROM {gguf_name if gguf_name.startswith(('.', '/')) else './' + gguf_name}",
             f'TEMPLATE """{chat.family.go_template}"""']
    if system:
        lines.append(f'SYSTEM """{_quoted(system)}"""')
    lines += [f'PARAMETER stop "{_quoted(stop)}"' for stop in chat.stops]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    if '"""' in text or re.search(r'(?<!\\)"$', text):
        raise UsageError('a Modelfile string cannot hold """ or end with a quote: '
                         f"{text[:60]!r}")
    return text


def write_modelfile(gguf_file: Path, output: Path, system: str | None = None) -> Path:
    """Write the Modelfile for `gguf_file` (named relative to `output`'s folder), atomically."""
    chat = read_chat_format(gguf_file)
    name = os.path.relpath(gguf_file, output.parent)
    text = modelfile_text(Path(name).as_posix(), chat, system)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, output)
    return output
