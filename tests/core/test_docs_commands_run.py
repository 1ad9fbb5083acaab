"""Every `distil ...` command the README and the docs show is run, offline, and does what the
page says it does.

tests/core/test_docs_commands.py checks that each command and option exists; this module runs
them. Each line runs through the real CLI (`bash -c`, the `distil` console script, a subprocess)
in its own copy of a sandbox laid out like the project root: the shipped recipes, the
livedoor-format test corpus where they expect the real one (tests/recipes/sandbox.py), and the
files the pages name. Models are reached as written: the OpenAI SDK reads OPENAI_BASE_URL, so
`openai/gpt-4.1-nano` on a page talks to the loopback server, with a fake key.

- A synopsis (`distil run RECIPE [--run-dir DIR] ...`) runs with every bracketed option filled
  in and every placeholder replaced from PLACEHOLDERS, the one table of concrete values; each
  choice of `a|b` or `--x/--no-x` runs once. A page's trailing description or `# comment` is
  not part of the command.
- Files a page shows in a code block (the suite, the headline recipe, the constraint list) are
  taken from that page, so page and test cannot drift apart; the others are written below.
  Output a page shows (a `$ ` line followed by what it prints, the stats table, the download
  summary) is compared with what the command prints.
- What the test adds to a page's command, file or working directory is listed in ADDITIONS,
  FILE_EDITS and PREPARE, each with its reason.
- `test_every_docs_command_is_run` fails when a page shows a command no check here runs. None
  is left out: the quickstart too runs whole, as the README shows it (marked slow: about 12
  minutes of the real local model and a LoRA student on 2 cores).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tests import storeview
from tests.core.test_docs_commands import (
    PAGES,
    ROOT,
    SHELL_LANGUAGES,
    block_lines,
    code_blocks,
    command_lines,
    command_parts,
    normalise,
)
from tests.corpora.ldcc_fixture import ARTICLES, TARBALL_NAME, tarball_bytes
from tests.loopback import LoopbackServer, Reply
from tests.loopback.openai_jobs import OpenAIJobs
from tests.loopback.replies import last_user_text
from tests.recipes.sandbox import FAKE_KEY, loopback_env, project_sandbox

# -- the one table of placeholder values -------------------------------------------------------
# Every placeholder word of a synopsis, and what the test runs in its place. The files and run
# directories named here are made by the `template` fixture below.
PLACEHOLDERS: dict[str, str] = {
    "RECIPE": "livedoor-stats.yaml",  # the recipe docs/corpora.md shows `corpus stats` output for
    "RECIPE_OR_SUITE...": "livedoor-stats.yaml suites/summaries.yaml",  # one of each
    "CONSTRAINTS": "checks.yaml",  # the constraint list docs/writing-a-constraint.md shows
    "TEXT_FILE": "text.txt",  # a text that meets checks.yaml; `-` reads the same text from stdin
    "SUITE": "suites/summaries.yaml",  # the suite docs/evaluation.md shows
    "RUN_DIR": "runs/stopped",  # a run of RECIPE stopped after `--stage generate --limit 2`
    # a run whose `local` student of SmolLM2 finished (a random adapter: training takes minutes)
    "STUDENT_RUN": "runs/student",
    "RUN_A": "runs/a",  # `distil eval RECIPE -m teacher`: the test split
    "RUN_B": "runs/b",  # the same on the train split, so the figures differ
    "FILE.jsonl": "train.jsonl",  # ten valid chat examples
    "M": "openai/gpt-4.1-nano",
    "M2": "teacher",
    "DIR": "out",
    "STAGE": "generate",
    "N": "2",
    "USD": "1",
}
# Text inside an argument replaced: the address of "a server you run" is the loopback server's.
SUBSTITUTIONS = {"http://localhost:8000/v1": "{loopback}"}
# Arguments appended to a command that starts with the key, and why.
ADDITIONS: dict[str, tuple[list[str], str]] = {
    "distil corpus download livedoor": (
        ["--url", "{mirror}"],
        "download from a loopback mirror of the test corpus instead of the publisher"),
    "distil bench recipes/suites/strategies.yaml": (
        ["--model", '{{openai: {{model: smollm2, base_url: "{loopback}", api_key_env: null, '
                    'grammar_field: grammar}}}}'],
        "the table's figures are the real SmolLM2's (about 20 minutes on 2 cores); here the "
        "loopback server answers in its place, taking the grammar as llama.cpp's server does"),
}
# Changes to a file taken from a page, and why.
FILE_EDITS: dict[str, tuple[dict, str]] = {
    "headline-student.yaml": (
        {"student": {"openai": {"poll_interval": 0.01}}},
        "the loopback fine-tuning job advances one step per status check; at the default 30 s "
        "between checks the run would take minutes"),
}
# A line that installs distil before its command (the README's quickstart) runs only the command:
# the tests run where that install was done (.ci/run does it exactly as the README says).
INSTALL = "python3 -m venv .venv && "
# Changes to the sandbox before a command runs, and why.
PREPARE: dict[str, tuple[Callable[[Path], None], str]] = {
    command: (lambda sandbox: shutil.rmtree(sandbox / "data"),
              "the sandbox holds at data/ the corpus RECIPE reads; a download starts without it")
    for command in ("distil corpus download livedoor --dest data",
                    "distil corpus download livedoor [--dest DIR]")
}
# Commands that take minutes, and the seconds they are given: the whole quickstart refines on
# the real SmolLM2 model and trains a LoRA student (about 12 minutes on 2 busy cores).
SLOW: dict[str, int] = {"distil run recipes/quickstart.yaml": 2700}

# -- the files the commands name ---------------------------------------------------------------
# Taken from the page that shows them: (page, block language, the block's first line).
PAGE_FILES = {
    "checks.yaml": ("docs/writing-a-constraint.md", "yaml", "constraints:"),
    "suites/summaries.yaml": ("docs/evaluation.md", "yaml", "name: summaries"),
    "headline-student.yaml": ("docs/students.md", "yaml", "name: headline-student"),
    "summaries-on-ray.yaml": ("docs/scale.md", "yaml", "name: summaries-on-ray"),
}
# The others, which no page shows, are written here. RECIPE: the page's `corpus stats` table is
# this recipe's, on the 25-article test corpus at data/ (where `corpus download` saves it).
LIVEDOOR_STATS = """\
name: livedoor-stats
corpus:
  livedoor: {path: data/ldcc-20140209.tar.gz}
  sample: 20
  seed: 7
  split: {train: 12, validation: 3, test: 5}
prompt:
  system: 記事を100文字で要約してください。
  user: "{{ doc.text }}"
constraints:
  - char_count: {target: 100, tolerance: 0.05}
teacher:
  model: openai/gpt-4.1-mini
  strategy: {refine: {max_rounds: 2}}
evaluate:
  models: [teacher]
"""
NOTES = {  # recipe.yaml's documents, and the replayed answers: two meet `word_count: {max: 8}`
    "n1": ("The library will stay open until nine on Fridays from next month.",
           "Library opens late on Fridays"),
    "n2": ("Rain is expected all weekend, so the market moves indoors.",
           "Weekend market moves indoors"),
    "n3": ("The new bus line links the station with the hospital every ten minutes.",
           "New bus line links the station and the hospital every ten minutes"),
}
RECIPE_YAML = "name: notes\ncorpus:\n  inline:\n    documents:\n" + "".join(
    f"      - {{id: {i}, text: {json.dumps(text)}}}\n" for i, (text, _) in NOTES.items()) + """\
prompt:
  system: Rewrite the note as a headline of at most eight words.
  user: "{{ doc.text }}"
constraints:
  - word_count: {max: 8}
"""
# three bullets of 16 words: what bullets-en.yaml asks for (45 to 55 words)
BULLETS_48 = "\n".join("- " + " ".join(["word"] * 16) for _ in range(3))
TEXT = "今日は晴れです。" * 12 + "明日も晴れ。"  # 102 characters, ending with 。


def example(*messages: dict) -> str:
    return json.dumps({"messages": list(messages)})


def system(text: str) -> dict:
    return {"role": "system", "content": text}


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def assistant(text: str, **extra) -> dict:
    return {"role": "assistant", "content": text, **extra}


# bad.jsonl: a file whose report is exactly the one docs/students.md shows. Seven examples that
# parse, of 15 to 22 tokens (min 15, p5 15.9, median 21, mean 20.1, 141 tokens in all, so 14
# epochs by OpenAI's rule), and one line that does not.
BAD_JSONL = [
    example(system("Be brief."), user("Hello"), assistant("Hi.")),
    # a comma missing between the second and the third message, at column 142
    example(system("Answer with one word."), user("Which colour is the sky on a clear day?"),
            assistant("Blue.")).replace('}, {"role": "assistant"', '} {"role": "assistant"'),
    example(system("Answer briefly."), user("Hi there"), assistant("Yes.")),
    example(system("Be brief."), user("Hello"), assistant("No.")),
    example({"role": "system"}, user("Hello"), assistant("Hi.")),  # message 1 has no content
    example(system("Answer briefly."), user("Hi there"), assistant("Blue.")),
    example(system("Answer briefly."), user("Hi there"), assistant("Paris.")),
    example(user("Hi there"), assistant("Yes.", weight=2)),  # weight 2, and no system message
]


# -- reading the pages -------------------------------------------------------------------------
def page_blocks(page: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block of a page."""
    return code_blocks((ROOT / page).read_text(encoding="utf-8"))


def shown_block(page: str, language: str, first_line: str) -> str:
    """The body of the one `language` block of `page` whose first line starts with `first_line`."""
    found = [body for lang, body in page_blocks(page)
             if lang == language and body.startswith(first_line)]
    assert len(found) == 1, f"{page}: expected one {language} block starting {first_line!r}"
    return found[0] + "\n"


def shown_output(page: str, line: str) -> str | None:
    """What `page` shows a `$ line` printing (the block's lines up to the next `$ `), if any."""
    for _, body in page_blocks(page):
        lines = body.splitlines()
        for i, raw in enumerate(lines):
            if raw.strip() == f"$ {line}":
                rest = lines[i + 1:]
                end = next((j for j, r in enumerate(rest) if r.startswith("$ ")), len(rest))
                return "\n".join(rest[:end]) + "\n"
    return None


@dataclass(frozen=True)
class DocsLine:
    page: str
    command: str  # the `distil ...` part, normalised: the key of CHECKS
    prefix: str  # what the shell line pipes into it (`echo "..." | `), or ""
    output: str | None  # what the page shows it printing


def docs_lines() -> list[DocsLine]:
    out = []
    for path in PAGES:
        page = path.relative_to(ROOT).as_posix()
        for language, body in page_blocks(page):
            if language not in SHELL_LANGUAGES:
                continue
            for line in block_lines(body):
                for part in command_parts(line):
                    prefix = line[:line.index(part)]
                    out.append(DocsLine(page, normalise(part), prefix, shown_output(page, line)))
    return out


def choices(word: str) -> list[str]:
    """What a synopsis word stands for: brackets mark an optional part, which is filled in;
    `a|b` and `--x/--no-x` are choices; `...` (repeatable) stands for nothing more."""
    inner = word.strip("[]")
    if inner in ("...", ""):
        return []
    if "|" in inner:
        return inner.split("|")
    if inner.startswith("--") and "/" in inner:
        return inner.split("/")
    return [inner]


def concrete(line: DocsLine, values: dict[str, str]) -> list[tuple[list[str], str]]:
    """The commands run for a page's line, one per choice: (distil's argv, the shell line)."""
    variants: list[list[str]] = [[]]
    for word in shlex.split(line.command):
        options = choices(word)
        if options:
            variants = [v + [c] for v in variants for c in options]
    commands = []
    for words in variants:
        argv: list[str] = []
        for word in words:
            if word in PLACEHOLDERS:
                argv.extend(PLACEHOLDERS[word].split(" "))
                continue
            for old, new in SUBSTITUTIONS.items():
                word = word.replace(old, new.format(**values))
            argv.append(word)
        for start, (extra, _) in ADDITIONS.items():
            if " ".join(argv).startswith(start):
                argv += [e.format(**values) for e in extra]
        prefix = "" if line.prefix.startswith(INSTALL) else line.prefix
        commands.append((argv, prefix + shlex.join(argv)))
    return commands


# -- running -----------------------------------------------------------------------------------
@dataclass
class Ran:
    """One command as it ran: where, what it printed, and what the loopback server received."""

    line: DocsLine
    argv: list[str]
    shell: str
    cwd: Path
    template: Path
    returncode: int
    stdout: str
    stderr: str
    requests: list = field(default_factory=list)
    jobs: OpenAIJobs | None = None
    mirror_requests: list[str] = field(default_factory=list)

    @property
    def chat_models(self) -> Counter:
        return Counter(r.json["model"] for r in self.requests
                       if r.path == "/v1/chat/completions")

    def wrote(self, name: str) -> Path:
        """The directory of the `wrote: .../name` (or `report: .../name`) line it printed."""
        found = re.findall(rf"^(?:wrote|report): (.+)/{re.escape(name)}$", self.stdout, re.M)
        assert found, f"{self.shell!r} printed no `wrote: .../{name}`:\n{self.stdout}"
        return self.cwd / found[0]

    def __str__(self) -> str:
        return (f"{self.shell}\nexit {self.returncode}\n--- stdout\n{self.stdout[-3000:]}"
                f"\n--- stderr\n{self.stderr[-3000:]}")


def run_shell(shell: str, cwd: Path, env: dict[str, str], stdin: str | None = None,
              timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", shell], cwd=cwd, env=env, input=stdin or "",
                          capture_output=True, text=True, timeout=timeout)


def headline(request_json) -> Reply:
    """The loopback teacher's answer: the user message's first 50 characters (a headline
    the headline-student recipe accepts; other recipes' checks mostly fail it)."""
    return Reply(last_user_text(request_json).strip().splitlines()[0][:50],
                 prompt_tokens=40, completion_tokens=12)


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    jobs = OpenAIJobs()
    with LoopbackServer(headline, routes=jobs.routes()) as srv:
        srv.jobs = jobs  # type: ignore[attr-defined]
        yield srv


@pytest.fixture(scope="module")
def mirror(tmp_path_factory) -> Iterator[tuple[str, list[str]]]:
    """An HTTP server with the test corpus at /download/ldcc-20140209.tar.gz; yields its URL
    and the list of paths it was asked for."""
    root = tmp_path_factory.mktemp("mirror")
    (root / "download").mkdir()
    (root / "download" / TARBALL_NAME).write_bytes(tarball_bytes())
    asked: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args) -> None:
            asked.append(self.path)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/download/{TARBALL_NAME}", asked
    finally:
        srv.shutdown()
        srv.server_close()


def write_files(root: Path) -> None:
    """The files the pages name, from the pages where they show them."""
    files = {name: shown_block(*where) for name, where in PAGE_FILES.items()}
    files |= {
        "livedoor-stats.yaml": LIVEDOOR_STATS,
        "recipe.yaml": RECIPE_YAML,
        "text.txt": TEXT + "\n",
        "bad.jsonl": "\n".join(BAD_JSONL) + "\n",
        "train.jsonl": "".join(example(system("Answer with the number."),
                                       user(f"What is {i} plus {i}?"), assistant(str(2 * i)))
                               + "\n" for i in range(10)),
    }
    # outputs produced elsewhere: for recipe.yaml's notes and every bundled sample article
    sample = (ROOT / "plugins/distil_builtin/data/sample_news.jsonl").read_text(encoding="utf-8")
    outputs = {i: answer for i, (_, answer) in NOTES.items()}
    outputs |= {json.loads(line)["id"]: BULLETS_48 for line in sample.splitlines()}
    files["outputs.jsonl"] = "".join(json.dumps({"id": k, "output": v}) + "\n"
                                     for k, v in outputs.items())
    for name, text in files.items():
        if name in FILE_EDITS:
            text = yaml.safe_dump(merge(yaml.safe_load(text), FILE_EDITS[name][0]),
                                  allow_unicode=True, sort_keys=False)
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "data").mkdir()
    (root / "data" / TARBALL_NAME).write_bytes(tarball_bytes())


def merge(base: dict, edits: dict) -> dict:
    for key, value in edits.items():
        base[key] = merge(base.get(key, {}), value) if isinstance(value, dict) else value
    return base


@pytest.fixture(scope="module")
def template(tmp_path_factory, server) -> Path:
    """The sandbox every command starts from: the project's recipes and corpus, the pages'
    files, and the run directories the placeholders name."""
    root = project_sandbox(tmp_path_factory.mktemp("docs-sandbox"))
    write_files(root)
    env = loopback_env(server.url, tmp_path_factory.mktemp("template-cache"))
    # the loopback teacher's answers are not 100 characters: the generate run accepts none,
    # which a run reports with exit status 1
    for setup, status in (("distil run livedoor-stats.yaml --run-dir runs/stopped --stage "
                           "generate --limit 2", 1),
                          ("distil eval livedoor-stats.yaml -m teacher --run-dir runs/a", 0),
                          ("distil eval livedoor-stats.yaml -m teacher --split train "
                           "--run-dir runs/b", 0)):
        out = run_shell(setup, root, env)
        assert out.returncode == status, f"{setup}\n{out.stderr}"
        assert status == 0 or "no document was accepted" in out.stderr, out.stderr
    from tests.students.gguf_student import write_finished_run

    write_finished_run(root / "runs" / "student")
    return root


# -- what each command must do -----------------------------------------------------------------
Check = Callable[[Ran], None]
CHECKS: dict[str, Check] = {}


def check(*commands: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        for c in commands:
            assert c not in CHECKS, c
            CHECKS[c] = fn
        return fn
    return register


def results(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text(encoding="utf-8"))


def ok(ran: Ran, status: int = 0) -> None:
    assert ran.returncode == status, str(ran)
    assert "Traceback" not in ran.stderr, str(ran)


@check("distil run recipes/quickstart.yaml")
def _quickstart(ran: Ran) -> None:
    ok(ran)
    run = ran.wrote("report.md")
    figures = results(run)
    gen = figures["generate"]
    assert gen["documents"] == 36  # the recipe's 32 train and 4 validation articles
    assert gen["accepted"] + gen["kept_closest"] + gen["rejected"] + gen["failed"] == 36
    assert gen["failed"] == 0 and gen["attempts"] >= 36
    examples = (run / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(examples) == figures["dataset"]["train"] > 0
    log = json.loads((run / "student" / "train_log.json").read_text(encoding="utf-8"))
    assert log["finished"] and log["examples"] == len(examples)  # LoRA on what was exported
    assert (run / "student" / "adapter" / "adapter_model.safetensors").is_file()
    for name in ("adapter.gguf", "student.gguf", "Modelfile"):  # the formats people serve
        assert (run / "student" / name).is_file(), name
    assert set(figures["models"]) == {"teacher", "student"}
    assert figures["models"]["teacher"]["model"] == "local/smollm2"
    assert figures["models"]["student"]["model"] != "local/smollm2"  # the trained one
    assert figures["models"]["student"]["model"].endswith("student/adapter.gguf (llama.cpp)")
    for entry in figures["models"].values():
        stats = entry["metrics"]["length_stats"]
        assert stats["n"] == 12 and stats["unit"] == "words"  # the test split, in words
    assert "| mean |" in (run / "report.md").read_text(encoding="utf-8")
    assert (run / "report.html").exists()
    assert not ran.requests  # offline: nothing goes over HTTP


@check("distil run RECIPE [--run-dir DIR] [--stage STAGE] [--limit N]")
def _run_one_stage(ran: Ran) -> None:
    # the loopback teacher's 50-character headlines never meet livedoor-stats' 100 characters:
    # a run that accepts nothing says so and exits 1, as the README's exit statuses say
    ok(ran, status=1)
    assert "no document was accepted (of 4 documents)" in ran.stderr, ran.stderr
    run = ran.cwd / "out"
    # --limit 2 of the train split and of the validation split, refined up to 2 rounds
    assert re.search(r"^generate: \d of 4 documents accepted", ran.stdout, re.M), ran.stdout
    assert len(storeview.outcomes(run)) == 4
    stages = json.loads((run / "manifest.json").read_text())["stages"]
    assert stages["generate"]["status"] == "done" and "evaluate" not in stages
    assert set(ran.chat_models) == {"gpt-4.1-mini"}  # the recipe's teacher, at the loopback


@check("distil run --resume RUN_DIR")
def _resume(ran: Ran) -> None:
    ok(ran, status=1)  # nothing accepted, as above
    assert "no document was accepted" in ran.stderr, ran.stderr
    before = storeview.attempts(ran.template / "runs/stopped", "generate")
    after = storeview.attempts(ran.cwd / "runs/stopped", "generate")
    assert before and after[:len(before)] == before  # what was paid for is kept
    done = {a.doc_id for a in before}
    assert not [a for a in after[len(before):] if a.doc_id in done]  # and not asked again
    figures = results(ran.cwd / "runs/stopped")
    # the run was started with --limit 2, and carries on with it: the same four documents
    assert figures["generate"]["documents"] == 4
    assert figures["models"]["teacher"]["metrics"]["pass_rate"]["n"] == 2  # of the test split


@check("distil validate RECIPE_OR_SUITE...",
       "distil validate suites/summaries.yaml")
def _validate(ran: Ran) -> None:
    ok(ran)
    assert ran.stdout.splitlines() == [f"ok: {path}" for path in ran.argv[2:]]


@check("distil check CONSTRAINTS [TEXT_FILE|-] [--json]")
def _check_json(ran: Ran) -> None:
    ok(ran)
    verdicts = json.loads(ran.stdout)
    assert verdicts["passed"] is True
    assert [v["constraint"] for v in verdicts["results"]] == ["char_count", "example/ends_with"]
    assert verdicts["results"][0]["measured"]["count"] == len(unicodedata.normalize("NFC", TEXT))


@check("distil check recipes/quickstart.yaml --json")
def _check_quickstart(ran: Ran) -> None:
    ok(ran)
    text = shlex.split(ran.line.prefix.rstrip(" |"))[1]  # what the page echoes
    verdict = json.loads(ran.stdout)
    assert verdict["passed"] is True  # the page's example sentence meets the quickstart's rule
    assert verdict["results"][0]["measured"]["count"] == len(text.split())


@check("distil check recipes/quickstart.yaml --grammar")
def _check_grammar(ran: Ran) -> None:
    from llama_cpp import LlamaGrammar

    ok(ran)
    assert ran.stdout.startswith("# char_count: compiled\n")
    LlamaGrammar.from_string(ran.stdout, verbose=False)  # the printed file is a grammar


@check("distil check checks.yaml", "distil dataset validate bad.jsonl")
def _prints_what_the_page_shows(ran: Ran) -> None:
    ok(ran, 1)  # the check failed / the file is invalid
    assert ran.line.output, f"{ran.line.page} shows no output of {ran.line.command!r}"
    assert ran.stdout == ran.line.output


@check("distil eval RECIPE --model M [--model M2 ...]")
def _eval_two_models(ran: Ran) -> None:
    ok(ran)
    figures = results(ran.wrote("results.json"))
    assert list(figures["models"]) == ["openai/gpt-4.1-nano", "teacher"]
    for entry in figures["models"].values():
        assert entry["metrics"]["pass_rate"]["n"] == 5  # RECIPE's test split
    assert ran.chat_models == {"gpt-4.1-nano": 5, "gpt-4.1-mini": 5}


@check("distil eval RECIPE [--model M ...] [--split test] [--limit N] [--run-dir DIR] "
       "[--no-cache] [--max-cost USD] [--progress/--no-progress]")
def _eval_every_option(ran: Ran) -> None:
    ok(ran)
    figures = results(ran.cwd / "out")
    assert list(figures["models"]) == ["openai/gpt-4.1-nano"]
    assert figures["models"]["openai/gpt-4.1-nano"]["metrics"]["pass_rate"]["n"] == 2
    assert ran.chat_models == {"gpt-4.1-nano": 2}
    bar = "evaluate ━" in ran.stderr
    assert bar == ("--progress" in ran.argv), ran.stderr


@check("distil eval recipes/bullets-en.yaml -m teacher -m openai/gpt-4.1-nano --limit 20")
def _eval_shipped(ran: Ran) -> None:
    ok(ran)
    figures = results(ran.wrote("results.json"))
    assert list(figures["models"]) == ["teacher", "openai/gpt-4.1-nano"]
    assert figures["models"]["teacher"]["model"] == "openai/gpt-4.1-mini"
    for entry in figures["models"].values():
        assert entry["metrics"]["pass_rate"]["n"] == 20
        assert entry["metrics"]["cost"]["priced"] == 20  # both ids are in the price map
    assert ran.chat_models == {"gpt-4.1-mini": 20, "gpt-4.1-nano": 20}
    assert {r.headers["authorization"] for r in ran.requests} == {f"Bearer {FAKE_KEY}"}


@check("distil eval recipe.yaml -m local/smollm2")
def _eval_local(ran: Ran) -> None:
    ok(ran)
    entry = results(ran.wrote("results.json"))["models"]["local/smollm2"]
    assert entry["metrics"]["pass_rate"]["n"] == 3 and entry["metrics"]["pass_rate"]["errors"] == 0
    assert entry["metrics"]["latency"]["mean"] > 0
    assert not ran.requests  # in-process: nothing goes over HTTP


@check("distil eval recipe.yaml -m replay/outputs.jsonl")
def _eval_replay(ran: Ran) -> None:
    ok(ran)
    entry = results(ran.wrote("results.json"))["models"]["replay/outputs.jsonl"]
    rate = entry["metrics"]["pass_rate"]
    assert (rate["n"], rate["passed"]) == (3, 2)  # NOTES: two answers within eight words
    assert not ran.requests


@check("distil eval recipes/bullets-en.yaml --model replay/outputs.jsonl")
def _eval_replay_shipped(ran: Ran) -> None:
    ok(ran)
    metrics = results(ran.wrote("results.json"))["models"]["replay/outputs.jsonl"]["metrics"]
    assert metrics["pass_rate"]["n"] == 24 and metrics["pass_rate"]["rate"] == 1.0
    assert metrics["length_stats"]["mean"] == 48  # BULLETS_48, read from the file
    assert not ran.requests


@check("distil eval recipe.yaml -m '{openai: {model: my-model, base_url: "
       "\"http://localhost:8000/v1\", api_key_env: null}}'")
def _eval_inline_mapping(ran: Ran) -> None:
    ok(ran)
    entry = results(ran.wrote("results.json"))["models"]["openai/my-model"]
    assert entry["metrics"]["pass_rate"]["n"] == 3
    assert ran.chat_models == {"my-model": 3}
    # api_key_env: null sends no real key, not even the one in OPENAI_API_KEY
    assert not [r for r in ran.requests if FAKE_KEY in r.headers.get("authorization", "")]


@check("distil bench SUITE [--model M ...]",
       "distil bench suites/summaries.yaml [--model M ...] [--run-dir DIR] [--max-cost USD]")
def _bench(ran: Ran) -> None:
    ok(ran)
    bench = ran.wrote("results.json")
    if "--run-dir" in ran.argv:
        assert bench == ran.cwd / "out"
    figures = results(bench)
    assert [t["name"] for t in figures["tasks"]] == ["bullets-en", "headline-30"]
    assert [m["label"] for m in figures["models"]] == ["openai/gpt-4.1-nano"]
    # the suite's limits: 40 a task, 20 for headline-30; bullets-en has 24 test articles
    cells = figures["cells"]
    assert cells["bullets-en"]["openai/gpt-4.1-nano"]["metrics"]["pass_rate"]["n"] == 24
    assert cells["headline-30"]["openai/gpt-4.1-nano"]["metrics"]["pass_rate"]["n"] == 20
    # one request an answer at most: the test corpus repeats its articles, and a repeated
    # prompt is mostly answered from the run's response cache
    assert set(ran.chat_models) == {"gpt-4.1-nano"} and sum(ran.chat_models.values()) <= 44
    assert "| task | openai/gpt-4.1-nano |" in ran.stdout  # the matrix, printed


REPORT_FILES = {"markdown": "report.md", "html": "report.html", "json": "results.json"}


@check("distil report RUN_DIR [--format html]",
       "distil report RUN_DIR [--format markdown|html|json ...]")
def _report(ran: Ran) -> None:
    ok(ran)
    name = REPORT_FILES[ran.argv[ran.argv.index("--format") + 1]]
    assert f"wrote: runs/stopped/{name}" in ran.stdout.splitlines()
    assert not (ran.template / "runs/stopped" / name).exists()  # written now, not copied
    assert "livedoor-stats" in (ran.cwd / "runs/stopped" / name).read_text(encoding="utf-8")
    assert not ran.requests  # no model calls


@check("distil export RUN_DIR [--format csv]")
def _export(ran: Ran) -> None:
    ok(ran)
    from distil.engine.store import RunStore

    path = ran.cwd / "runs/stopped/documents.csv"
    store = RunStore.attach(ran.cwd / "runs/stopped/store.sqlite")
    generated = len(store.outcomes())  # the stopped run generated, evaluated nothing
    store.close()
    assert generated and ran.stderr.strip() == f"runs/stopped/documents.csv: {generated} records"
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:6] == ["stage", "doc_id", "model", "split", "status", "output"]
    assert len(rows) == 1 + generated and {r[0] for r in rows[1:]} == {"generate"}
    assert not ran.requests  # read from the store, no model calls


@check("distil student export STUDENT_RUN --format gguf|gguf-adapter|peft|ollama")
def _student_export(ran: Ran) -> None:
    ok(ran)
    student = ran.cwd / "runs/student/student"
    written = {"gguf": "student.gguf", "gguf-adapter": "adapter.gguf", "peft": "adapter",
               "ollama": "Modelfile"}[ran.argv[-1]]
    assert ran.stdout == f"wrote: runs/student/student/{written}\n", ran.stdout
    assert (student / written).exists()
    if written == "Modelfile":
        assert (student / "Modelfile").read_text().splitlines()[2] == "FROM ./student.gguf"


@check("distil compare RUN_A RUN_B", "distil compare RUN_A RUN_B [--json]")
def _compare(ran: Ran) -> None:
    ok(ran)
    a, b = (results(ran.cwd / f"runs/{x}")["models"]["teacher"]["metrics"] for x in "ab")
    if "--json" in ran.argv:
        rows = {r["figure"]: r for r in json.loads(ran.stdout)["models"][0]["rows"]}
        row = rows["pass_rate.rate"]
        assert (row["a"], row["b"]) == (a["pass_rate"]["rate"], b["pass_rate"]["rate"])
        assert row["difference"] == pytest.approx(b["pass_rate"]["rate"] - a["pass_rate"]["rate"])
        assert rows["pass_rate.n"]["a"] == 5 and rows["pass_rate.n"]["b"] == 12
    else:
        assert ran.stdout.startswith("A: runs/a\nB: runs/b\n")
        assert "model: teacher" in ran.stdout
        assert re.search(r"^pass_rate\.n\s+5\s+12\s+\+7\s*$", ran.stdout, re.M), ran.stdout


@check("distil run summaries-on-ray.yaml")
def _run_on_ray(ran: Ran) -> None:
    import importlib.util

    if importlib.util.find_spec("ray") is None:  # the `ray` extra is not installed here
        ok(ran, 2)
        assert "pip install 'distil[ray]'" in ran.stderr, str(ran)
        return
    ok(ran)
    figures = results(ran.wrote("results.json"))
    assert figures["generate"]["documents"] == 15  # the train and validation splits
    assert figures["models"]["teacher"]["metrics"]["pass_rate"]["n"] == 5
    assert "ray: round 1: 15 of 15 requests answered" in ran.stderr, str(ran)
    assert ran.chat_models == {"gpt-4.1-nano": figures["totals"]["requests"]}


@check("distil dataset validate FILE.jsonl")
def _dataset_valid(ran: Ran) -> None:
    ok(ran)
    assert ran.stdout.splitlines()[-1].startswith("train.jsonl: valid: 10 examples")


@check("distil corpus stats RECIPE")
def _stats(ran: Ran) -> None:
    ok(ran)
    assert ran.stdout == shown_block("docs/corpora.md", "text", "recipe: livedoor-stats.yaml")


@check("distil corpus stats RECIPE --json", "distil corpus stats RECIPE [--json]")
def _stats_json(ran: Ran) -> None:
    ok(ran)
    stats = json.loads(ran.stdout)
    assert (stats["corpus_documents"], stats["documents"]) == (len(ARTICLES), 20)
    assert {k: v["documents"] for k, v in stats["splits"].items()} == {
        "train": 12, "validation": 3, "test": 5}
    assert sum(row["total"] for row in stats["categories"].values()) == 20


@check("distil corpus download livedoor --dest data",
       "distil corpus download livedoor [--dest DIR]")
def _download(ran: Ran) -> None:
    ok(ran)
    dest = ran.argv[ran.argv.index("--dest") + 1]
    assert (ran.cwd / dest / TARBALL_NAME).read_bytes() == tarball_bytes()
    assert ran.mirror_requests == [f"/download/{TARBALL_NAME}"]
    # the summary the page shows, `…` standing for the figures of the real corpus
    shown = shown_block("docs/corpora.md", "text", "downloaded: ").replace("data/", f"{dest}/")
    pattern = ".+".join(re.escape(piece) for piece in shown.split("…"))
    assert re.fullmatch(pattern, ran.stdout), ran.stdout


@check("distil plugins [--json]")
def _plugins_json(ran: Ran) -> None:
    ok(ran)
    entries = json.loads(ran.stdout)
    assert {e["kind"] for e in entries} == {"corpus", "constraint", "model", "strategy",
                                             "trainer", "metric", "reporter"}
    assert {"kind": "constraint", "name": "example/ends_with"}.items() <= next(
        e for e in entries if e["name"] == "example/ends_with").items()


@check("distil bench recipes/suites/strategies.yaml --limit 2")
def _strategy_table(ran: Ran) -> None:
    ok(ran)
    suite = yaml.safe_load((ROOT / "recipes/suites/strategies.yaml").read_text("utf-8"))
    assert "| strategy | pass rate [95% CI] | requests / accepted |" in ran.stdout
    for label in suite["strategies"]:  # a row per strategy under each task's heading
        assert ran.stdout.count(f"| {label} |") == len(suite["recipes"]), label
    assert "## quickstart" in ran.stdout and "## bullets-100" in ran.stdout
    # two tasks x six strategies, each on two train and two validation documents: at least
    # one request a document, and refine's first request is single's (from the cache)
    assert sum(ran.chat_models.values()) >= 2 * 6 * 4 - 2 * 4
    assert set(ran.chat_models) == {"smollm2"}


@check("distil plugins")
def _plugins(ran: Ran) -> None:
    ok(ran)
    # the page: "lists example/ends_with, from entrypoint:distil-example-constraint:example"
    assert re.search(r"^\s+example/ends_with\s+entrypoint:distil-example-constraint:example\s",
                     ran.stdout, re.M), ran.stdout


@check("distil models [--json]")
def _models_json(ran: Ran) -> None:
    ok(ran)
    providers = {row["provider"] for row in json.loads(ran.stdout)}
    assert {"local", "openai", "litellm", "replay", "scripted"} <= providers


@check("distil run headline-student.yaml --yes")
def _headline_student(ran: Ran) -> None:
    ok(ran)
    run = ran.wrote("results.json")
    figures = results(run)
    assert figures["generate"]["documents"] == figures["generate"]["accepted"] == 56
    student = figures["models"]["student"]["model"]
    assert student.startswith("openai/ft:gpt-4.1-mini-2025-04-14:distil-loopback:headlines:")
    assert figures["models"]["student"]["metrics"]["pass_rate"]["n"] == 16
    (job,) = ran.jobs.jobs.values()  # one fine-tuning job, trained on the exported file
    assert ran.jobs.files[job.training_file].data == (run / "train.jsonl").read_bytes()
    assert json.loads((run / "student.json").read_text())["job_id"] == job.id


# -- the tests ---------------------------------------------------------------------------------
DOCS = docs_lines()
# A line shown on several pages (the quickstart: the README and the docs' home page) runs once.
RUN = [d for i, d in enumerate(DOCS)
       if (d.command, d.prefix, d.output) not in {(e.command, e.prefix, e.output)
                                                  for e in DOCS[:i]}]


def as_param(line: DocsLine):
    marks = [pytest.mark.slow, pytest.mark.timeout(SLOW[line.command] + 60)] \
        if line.command in SLOW else []
    return pytest.param(line, marks=marks, id=f"{line.page}:{line.command[:60]}")


def test_every_docs_command_is_run():
    # the same commands test_docs_commands.py checks the options of
    assert sorted((d.page, d.command) for d in DOCS) == sorted(
        (page, normalise(command)) for page, command in command_lines())
    shown = {d.command for d in DOCS}
    unchecked = sorted(shown - set(CHECKS))
    assert not unchecked, f"docs commands no test here runs: {unchecked}"
    stale = sorted((set(CHECKS) | set(PREPARE) | set(SLOW)) - shown)
    assert not stale, f"checks for commands no page shows any more: {stale}"


def test_placeholders_and_additions_are_used():
    """The tables hold only what the pages need, so they stay a true account of the changes."""
    words = {c for d in RUN for w in shlex.split(d.command) for c in choices(w)}
    assert set(PLACEHOLDERS) <= words
    assert all(any(d.command.startswith(start) for d in RUN) for start in ADDITIONS)
    assert all(any(old in d.command for d in RUN) for old in SUBSTITUTIONS)
    assert set(FILE_EDITS) <= set(PAGE_FILES)


@pytest.mark.parametrize("line", [as_param(d) for d in RUN])
def test_docs_command_runs(line, template, server, mirror, tmp_path):
    values = {"loopback": server.url, "mirror": mirror[0]}
    for argv, shell in concrete(line, values):
        sandbox = tmp_path / "sandbox"
        shutil.rmtree(sandbox, ignore_errors=True)
        shutil.copytree(template, sandbox, symlinks=True)
        if line.command in PREPARE:
            PREPARE[line.command][0](sandbox)
        env = loopback_env(server.url, tmp_path / "cache")
        stdin = (sandbox / "text.txt").read_text(encoding="utf-8") if "-" in argv else None
        sent, asked = len(server.requests), len(mirror[1])
        out = run_shell(shell, sandbox, env, stdin, timeout=SLOW.get(line.command, 600))
        ran = Ran(line, argv, shell, sandbox, template, out.returncode, out.stdout, out.stderr,
                  server.requests[sent:], server.jobs, mirror[1][asked:])
        CHECKS[line.command](ran)
