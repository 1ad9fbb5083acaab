"""A working directory laid out like the project's root, where shipped recipes run as shipped.

The recipes and suites are copied in unchanged, and the livedoor-format test corpus is put where
they expect the real one: `recipes/data/ldcc-20140209.tar.gz`, where their comments tell
`distil corpus download livedoor --dest recipes/data` to save it. The fixture's 25 articles are
repeated under new numbers (`ldcc_fixture.tarball_bytes(copies=...)`), enough for the largest
`sample` a shipped recipe asks for (650), so no recipe needs its corpus options changed.

`loopback_env(url)` is the environment for a `distil` subprocess whose OpenAI-SDK models reach the
loopback server: the `openai` plugin leaves `base_url` unset by default, so the SDK reads
OPENAI_BASE_URL, and `openai/gpt-4.1-mini` in a recipe talks to the test server as written.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from tests.corpora.ldcc_fixture import TARBALL_NAME, tarball_bytes

ROOT = Path(__file__).resolve().parents[2]
# a stand-in the loopback server accepts; no test needs a real key
FAKE_KEY = "sk-test-not-a-real-key"
LIVEDOOR_COPIES = 27  # 675 articles: the livedoor recipes sample up to 650


def project_sandbox(dest: Path) -> Path:
    """Copy `recipes/` (and its suites) into `dest` and put the corpus where they look for it."""
    shutil.copytree(ROOT / "recipes", dest / "recipes",
                    ignore=shutil.ignore_patterns("data", "runs"))
    data = dest / "recipes" / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / TARBALL_NAME).write_bytes(tarball_bytes(copies=LIVEDOOR_COPIES))
    return dest


def loopback_env(url: str, cache_dir: Path | None = None) -> dict[str, str]:
    """The environment of a `distil` subprocess that must reach only the loopback server at
    `url`: OpenAI SDK address and a fake key, no proxies, `distil` first on PATH, and, when
    given, a response cache of its own (so every request really reaches the server)."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(OPENAI_BASE_URL=url, OPENAI_API_KEY=FAKE_KEY,
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    if cache_dir is not None:
        env["DISTIL_CACHE_DIR"] = str(cache_dir)
    return env
