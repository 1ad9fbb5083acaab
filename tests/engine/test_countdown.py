"""The `countdown` strategy: markers in the prompt, stripped before judging, both forms stored.

The strip and the budget are tested on their own (hypothesis for the strip); the rest through
`distil run` with the real `openai` plugin against the loopback server, whose answer is a
countdown of the words it was asked for: the stored attempt keeps the marked text, the verdicts
and train.jsonl see the stripped one, on every path that yields an answer (fresh, resumed from
the store, replayed from the response cache, through the Batch API), and refine's turn after a
miss carries the marked answer and the reminder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from distil.types import Document, Message
from distil_builtin.constraints.char_count import CharCount
from distil_builtin.constraints.line_count import LineCount
from distil_builtin.constraints.word_count import WordCount
from distil_builtin.strategies.countdown import Countdown, strip_markers, with_markers
from tests import storeview
from tests.core.clihelp import distil
from tests.engine.harness import env, write_recipe
from tests.loopback import Reply
from tests.students.batch_recipes import batch_recipe

WORD = st.text(st.characters(blacklist_characters=" \t\n\r<>", blacklist_categories=("Cs",)),
               min_size=1, max_size=6)
LINE = st.lists(WORD, max_size=5).map(" ".join)


@given(st.lists(LINE, max_size=4).map("\n".join))
def test_strip_undoes_a_word_countdown(text):
    marked = with_markers(text, "words")
    assert strip_markers(marked) == text
    assert re.findall(r"<(\d+)>", marked)[-1] == "0"


@given(st.text(st.characters(blacklist_characters=" \t<>", blacklist_categories=("Cs",)),
               max_size=30))
def test_strip_undoes_a_character_countdown(text):
    marked = with_markers(text, "chars")
    assert strip_markers(marked) == text
    assert marked.startswith(f"<{len(text)}>")


def test_strip_keeps_what_is_not_a_marker():
    assert strip_markers("- <9> Tokyo <8> is big.<7>\n- Next<6> one <5>") == \
        "- Tokyo is big.\n- Next one"
    assert strip_markers("a <b> tag, x < 3 and <3a>") == "a <b> tag, x < 3 and <3a>"


EN = Document("en", "The council met on Tuesday and voted to repair the old bridge.")
JA = Document("ja", "市議会は火曜日に会合を開き、古い橋の修理を決めた。")


def test_the_target_comes_from_the_first_length_constraint():
    cd = Countdown()
    assert cd.target(EN, [LineCount(count=1), WordCount(min=20, max=30)]).budget == 25
    words = cd.target(EN, [WordCount(min=20, max=30)])
    assert (words.unit, words.budget) == ("words", 25)
    # a character limit: characters in Japanese, words (at 6 characters a word) in English
    assert cd.target(JA, [CharCount(target=100, tolerance=0.05)]).unit == "chars"
    assert cd.target(JA, [CharCount(target=100, tolerance=0.05)]).budget == 100
    english = cd.target(EN, [CharCount(min=95, max=105)])
    assert (english.unit, english.budget) == ("words", 17)
    assert Countdown(unit="chars").target(EN, [CharCount(max=40)]).unit == "chars"
    assert cd.target(EN, [WordCount(max=8, per_line=True)]).per_line
    # tokens have no grammar, so nothing here describes a length to count
    assert cd.target(EN, [CharCount(max=40, unit="tokens")]) is None


def test_the_prompt_asks_for_the_countdown_in_the_last_user_turn():
    cd = Countdown()
    prompt = (Message("system", "Summarise."), Message("user", "ARTICLE"))
    target = cd.target(JA, [CharCount(max=30)])
    asked = cd.prompt(prompt, target)
    assert asked[0] == prompt[0]
    assert asked[1].content.startswith("ARTICLE\n\n")
    assert "<30>" in asked[1].content and "<29>" in asked[1].content
    assert "<4>東<3>京<2>駅<1>前<0>" in asked[1].content  # the example, in characters
    assert "each line on its own" not in asked[1].content
    per_line = cd.prompt(prompt, cd.target(EN, [WordCount(max=8, per_line=True)]))
    assert "Count each line on its own, from <8>." in per_line[1].content


# -- through distil run ----------------------------------------------------------------------
def asked_budget(payload) -> int:
    first_user = next(m["content"] for m in payload["messages"] if m["role"] == "user")
    return int(re.search(r"Start with <(\d+)>", first_user).group(1))


def countdown_reply(payload) -> Reply:
    """A marked answer of exactly the budget asked for; too long by three words at the first
    round when the document's text says `long`."""
    turns = sum(1 for m in payload["messages"] if m["role"] == "assistant")
    doc = next(m["content"] for m in payload["messages"] if m["role"] == "user")
    extra = 3 if "long" in doc and turns == 0 else 0
    words = " ".join(f"w{i}" for i in range(asked_budget(payload) + extra))
    return Reply(with_markers(words, "words"))


def countdown_recipe(tmp_path: Path, url: str, strategy: dict, docs: int = 3) -> Path:
    recipe = write_recipe(tmp_path, url, docs=docs, evaluate=False,
                          strategy={"countdown": strategy})
    spec = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    spec["constraints"] = [{"word_count": {"min": 4, "max": 6}}]
    recipe.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return recipe


def run(recipe: Path, run_dir: str, *args: str) -> None:
    out = distil("run", str(recipe), "--run-dir", run_dir, *args, cwd=recipe.parent, env=env())
    assert out.returncode == 0, out.stderr


def exported(run_dir: Path) -> list[str]:
    lines = (run_dir / "train.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["messages"][-1]["content"] for line in lines]


def assert_both_forms(run_dir: Path) -> None:
    rows = storeview.attempts(run_dir, "generate")
    assert rows
    for row in rows:
        a = row.attempt
        assert re.search(r"<\d+> ", a.raw_output), a.raw_output
        assert a.completion.text == strip_markers(a.raw_output)
        assert "<" not in a.completion.text
    assert exported(run_dir) and all("<" not in text for text in exported(run_dir))


def test_markers_are_stripped_before_judging_and_export_and_kept_in_the_store(
        loopback_server, tmp_path):
    loopback_server.responder = countdown_reply
    run(countdown_recipe(tmp_path, loopback_server.url, {}), "run", "--no-cache")
    assert len(loopback_server.chat_requests) == 3  # one request a document
    assert set(storeview.statuses(tmp_path / "run").values()) == {"accepted"}
    assert_both_forms(tmp_path / "run")
    assert exported(tmp_path / "run") == ["w0 w1 w2 w3 w4"] * len(exported(tmp_path / "run"))


def test_resume_and_the_cache_give_the_stripped_text_again(loopback_server, tmp_path):
    loopback_server.responder = countdown_reply
    recipe = countdown_recipe(tmp_path, loopback_server.url, {})
    run(recipe, "first")
    sent = len(loopback_server.chat_requests)
    reference = (tmp_path / "first" / "train.jsonl").read_bytes()

    storeview.forget_outcomes(tmp_path / "first")  # killed after the answers were committed
    out = distil("run", "--resume", "first", cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr
    run(recipe, "second")  # a new run: every answer from the response cache
    assert len(loopback_server.chat_requests) == sent  # nothing asked again
    for run_dir in ("first", "second"):
        assert (tmp_path / run_dir / "train.jsonl").read_bytes() == reference
        assert_both_forms(tmp_path / run_dir)
    assert all(r.attempt.completion.cached for r in storeview.attempts(tmp_path / "second"))


def test_countdown_then_refine_sends_the_marked_answer_and_feedback_on_the_stripped_text(
        loopback_server, tmp_path):
    loopback_server.responder = countdown_reply
    recipe = countdown_recipe(tmp_path, loopback_server.url, {"max_rounds": 2})
    spec = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    long_doc = {"id": "long", "text": "Document long: far too long at first."}
    (tmp_path / "docs.jsonl").write_text(json.dumps(long_doc) + "\n", encoding="utf-8")
    recipe.write_text(yaml.safe_dump(spec), encoding="utf-8")
    run(recipe, "run", "--no-cache")

    bodies = [r.json for r in loopback_server.chat_requests]
    assert len(bodies) == 2
    answer, feedback = bodies[1]["messages"][-2:]
    assert answer["role"] == "assistant" and answer["content"].startswith("<8> w0 <7> w1")
    assert feedback["role"] == "user"
    assert "8" in feedback["content"]  # the word_count feedback counts the stripped words
    assert "counting down from <5>" in feedback["content"]
    assert storeview.statuses(tmp_path / "run") == {"long": "accepted"}
    assert exported(tmp_path / "run") == ["w0 w1 w2 w3 w4"]


def test_a_constraint_set_without_a_length_leaves_the_prompt_alone(loopback_server, tmp_path):
    loopback_server.responder = lambda payload: Reply("one line")
    recipe = countdown_recipe(tmp_path, loopback_server.url, {}, docs=1)
    spec = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    spec["constraints"] = [{"line_count": {"count": 1}}]
    recipe.write_text(yaml.safe_dump(spec), encoding="utf-8")
    run(recipe, "run", "--no-cache")
    (body,) = [r.json for r in loopback_server.chat_requests]
    assert "angle brackets" not in json.dumps(body)
    (row,) = storeview.attempts(tmp_path / "run")
    assert row.attempt.raw_output is None  # nothing stripped, one form


def test_the_batch_path_judges_and_exports_the_stripped_text(tmp_path, openai_jobs_server):
    def reply(payload):
        return with_markers("Short enough.", "words")

    openai_jobs_server.responder = reply
    recipe = batch_recipe(tmp_path, openai_jobs_server.url, name="batch-countdown",
                          strategy="{countdown: {}}")
    out = distil("run", str(recipe), "--run-dir", str(tmp_path / "run"), "--no-cache")
    assert out.returncode == 0, out.stderr
    assert not openai_jobs_server.chat_requests  # through the batch, not online
    rows = storeview.attempts(tmp_path / "run", "generate")
    assert rows and all(r.attempt.completion.text == "Short enough." for r in rows)
    assert all(r.attempt.raw_output == "<2> Short <1> enough. <0>" for r in rows)
    assert set(storeview.statuses(tmp_path / "run").values()) == {"accepted"}
