"""distil.wording: "1 document", never "1 documents"; one way to write dollars."""

from __future__ import annotations

import re
from pathlib import Path

from distil.wording import money, plural

ROOT = Path(__file__).resolve().parents[2]

# Messages that put a number before a counted noun. Each must go through `plural`.
COUNTED = re.compile(r"\{[^{}]+\} (documents|requests|examples|epochs|columns|answers|steps|"
                     r"instruction ids|kwargs entries)\b")
# The plugins, and the core modules that word results for people. (The engine's and the run
# commands' messages are being rewritten with the engine; they join this list when done.)
CHECKED = ["plugins/**/*.py", "src/distil/results/*.py", "src/distil/wording.py",
           "src/distil/cli/check.py", "src/distil/cli/plugins_cmd.py",
           "src/distil/engine/progress.py"]


def test_plural():
    assert plural(1, "document") == "1 document"
    assert plural(0, "document") == "0 documents"
    assert plural(2, "request") == "2 requests"
    assert plural(1204, "document") == "1,204 documents"
    assert plural(2, "kwargs entry", "kwargs entries") == "2 kwargs entries"
    assert plural(1, "kwargs entry", "kwargs entries") == "1 kwargs entry"
    assert plural("?", "document") == "? documents"


def test_money():
    assert money(0) == "$0" and money(0.0) == "$0"
    assert money(0.0031) == "$0.0031" and money(0.00042) == "$0.00042"
    assert money(0.5) == "$0.50" and money(12.345) == "$12.35"
    assert money(1234.5) == "$1,234.50"
    assert money(-0.02) == "$-0.020"
    assert money(float("inf")) == "$inf"


def test_no_message_writes_a_count_before_a_plural_noun_by_hand():
    found = []
    for path in (p for pattern in CHECKED for p in ROOT.glob(pattern)):
        rel = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if COUNTED.search(line) and ('f"' in line or "f'" in line) \
                    and "# not a count" not in line:
                found.append(f"{rel}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_one_money_helper():
    defs = [p.relative_to(ROOT).as_posix()
            for p in [*ROOT.glob("src/distil/**/*.py"), *ROOT.glob("plugins/**/*.py")]
            if re.search(r"^def money\(", p.read_text(encoding="utf-8"), re.M)]
    assert defs == ["src/distil/wording.py"]
