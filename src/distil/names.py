"""Names that data turns into file and folder names, checked before they touch the disk.

A recipe's `name` becomes `runs/<name>/`, a suite's `runs/bench/<name>/`, a reporter's
`filename` a file in the run directory. Each is a slug: ASCII letters, digits, `-`, `_` and
`.`, not starting with a dot, 1 to 100 characters. That rules out `..`, `/`, absolute paths,
empty names, hidden files and control characters by construction, on every file system.
"""

from __future__ import annotations

import re

NAME_MAX = 100
NAME_RE = re.compile(rf"[A-Za-z0-9_-][A-Za-z0-9._-]{{0,{NAME_MAX - 1}}}")
# The run directory's own records (distil.engine.rundir): no reporter may write over them.
RUN_RECORDS = frozenset({"manifest.json", "store.sqlite", "store.sqlite-wal", "store.sqlite-shm",
                         "recipe.yaml"})


def check_slug(value: str) -> str:
    """A pydantic validator body for names that become a file or folder name."""
    if not NAME_RE.fullmatch(value):
        raise ValueError(f"must be a slug of 1 to {NAME_MAX} characters: ASCII letters, "
                         "digits, '-', '_' and '.', not starting with a dot (it becomes a "
                         "file or folder name)")
    return value


def check_output_file(value: str) -> str:
    """A file name inside the run directory that is not one of the run's own records."""
    check_slug(value)
    if value in RUN_RECORDS:
        raise ValueError(f"{value} is one of the run directory's own records; choose another "
                         "name")
    return value
