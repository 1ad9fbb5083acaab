"""A content-addressed response cache shared by all runs on this machine.

Key: the model's identity and request parameters, the messages, and the attempt's position in
its strategy (restart, round) — so re-running a recipe costs nothing, while a retry inside a
refine loop, which has a different position, is never served the answer it is retrying.
Errors are never cached.

Location: `$DISTIL_CACHE_DIR/responses.sqlite`, else `$XDG_CACHE_HOME/distil/...`, else
`~/.cache/distil/...`. `distil run --no-cache` bypasses it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from distil.types import Completion, Message, Usage


def default_cache_dir() -> Path:
    if os.environ.get("DISTIL_CACHE_DIR"):
        return Path(os.environ["DISTIL_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "distil"


def cache_key(identity: Mapping[str, Any], messages: Sequence[Message],
              params: Mapping[str, Any], restart: int, round_: int) -> str:
    payload = json.dumps(
        {"model": dict(identity), "messages": [m.to_dict() for m in messages],
         "params": dict(params), "position": [restart, round_]},
        sort_keys=True, ensure_ascii=False, default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or default_cache_dir()
        directory.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(directory / "responses.sqlite", isolation_level=None,
                                  timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        # no fsync per entry (the default FULL would block the event loop for milliseconds on
        # every response); WAL keeps the file consistent, and an entry lost to a power cut only
        # means asking again
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, "
                        "completion TEXT NOT NULL)")

    def get(self, key: str) -> Completion | None:
        row = self.db.execute("SELECT completion FROM responses WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        d = json.loads(row[0])
        return Completion(text=d["text"], usage=Usage(**d["usage"]), cost=d["cost"],
                          latency=d["latency"], finish_reason=d.get("finish_reason"),
                          model=d.get("model"), cached=True)

    def put(self, key: str, completion: Completion) -> None:
        self.db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?)",
                        (key, json.dumps(completion.to_dict(), ensure_ascii=False)))

    def close(self) -> None:
        self.db.close()
