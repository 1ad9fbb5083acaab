"""Creating, checking and reopening run directories.

A run directory holds everything about one run: the recipe as resolved (`recipe.yaml`, the
source of truth when the run is resumed), a manifest, the SQLite store and the exports. It
never holds a secret: API keys are named by environment variable in recipes and read at
request time.

distil writes only into a directory that is new, empty, or a run of the same recipe: a
folder of someone's own files, or another recipe's run, is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
from pathlib import Path
from typing import Any

import yaml

from distil import __version__
from distil.engine.store import RunStore
from distil.errors import UsageError
from distil.plugins import PluginHost
from distil.recipe import LoadedRecipe, dump_resolved

MANIFEST = "manifest.json"
STORE = "store.sqlite"
RECIPE_COPY = "recipe.yaml"


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def timestamped_dir(base: Path) -> Path:
    """`base/<timestamp>`, made unique with a counter when that already exists."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path, n = base / stamp, 1
    while path.exists():
        n += 1
        path = base / f"{stamp}-{n}"
    return path


def new_run_dir(recipe: LoadedRecipe, root: Path = Path("runs")) -> Path:
    return timestamped_dir(root / recipe.name)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON through a temporary file and a rename: a crash leaves the old or the new."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def resolved_digest(recipe: LoadedRecipe) -> str:
    """A digest of the recipe as parsed and validated: comments and layout do not count."""
    text = json.dumps(dump_resolved(recipe), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plugin_versions() -> dict[str, str]:
    """The version of each installed third-party package that provides distil plugins, read
    from package metadata: recording it imports no plugin (a run loads only what it uses)."""
    out: dict[str, str] = {}
    for ep, own in PluginHost.read_entry_points():
        if not own and ep.dist is not None:
            out[ep.dist.name] = ep.dist.version or "unknown"
    return out


def open_run_dir(run_dir: Path, recipe: LoadedRecipe) -> tuple[dict[str, Any], RunStore]:
    """(manifest, store) of `run_dir`: a new run of `recipe`, or its existing run, checked.

    Refused with one line: a non-empty directory that is not a distil run, a run of another
    recipe, a run whose recipe changed since it started, and a run whose store is missing,
    empty, damaged or of another schema version (see `RunStore.open`).
    """
    if (run_dir / MANIFEST).exists():
        manifest = read_manifest(run_dir)
        _check_same_recipe(run_dir, manifest, recipe)
        return manifest, RunStore.open(run_dir / STORE)
    if run_dir.exists() and (not run_dir.is_dir() or any(run_dir.iterdir())):
        raise UsageError(f"{run_dir}: not empty and not a distil run directory; refusing to "
                         f"write into it (choose a new or empty --run-dir)")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / RECIPE_COPY).write_text(
        yaml.safe_dump(dump_resolved(recipe), sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    manifest = {
        "recipe": recipe.name,
        "recipe_path": str(recipe.path.resolve()),
        "recipe_resolved_sha256": resolved_digest(recipe),
        "distil_version": __version__,
        "python": platform.python_version(),
        "plugins": _plugin_versions(),
        "seed": recipe.spec.corpus.seed,
        "started": now_utc(),
        "finished": None,
        "stages": {},
    }
    store = RunStore.create(run_dir / STORE)
    write_manifest(run_dir, manifest)
    return manifest, store


def _check_same_recipe(run_dir: Path, manifest: dict[str, Any], recipe: LoadedRecipe) -> None:
    theirs = manifest.get("recipe")
    if theirs != recipe.name:
        raise UsageError(f"{run_dir}: a run of recipe {theirs!r} ({manifest.get('recipe_path')}),"
                         f" not of {recipe.name!r}; choose another --run-dir")
    if manifest.get("recipe_resolved_sha256") != resolved_digest(recipe):
        raise UsageError(f"{run_dir}: the recipe {recipe.path} changed since this run started "
                         f"(its content differs from {run_dir / RECIPE_COPY}); start a new run, "
                         f"or carry on with the run's own recipe: distil run --resume {run_dir}")


def read_manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / MANIFEST
    if not path.is_file():
        raise UsageError(f"{run_dir}: not a run directory (no {MANIFEST})")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a readable manifest ({exc})") from None
    if not isinstance(manifest, dict) or "recipe" not in manifest:
        raise UsageError(f"{path}: not a distil run manifest")
    return manifest


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    write_json_atomic(run_dir / MANIFEST, manifest)


def resume_base_dir(manifest: dict[str, Any]) -> Path:
    """Where the run's recipe resolved relative paths (corpus files, plugin dirs) from."""
    return Path(manifest["recipe_path"]).parent


def load_run_recipe(run_dir: Path, plugins_dirs: tuple[str, ...] = ()) -> LoadedRecipe:
    """The recipe a run was started with: its own `recipe.yaml` (the source of truth for a
    resumed or re-rendered run), with relative paths resolved where the original recipe was."""
    from distil.recipe import load_recipe

    manifest = read_manifest(run_dir)
    return load_recipe(run_dir / RECIPE_COPY, plugins_dirs, base_dir=resume_base_dir(manifest))
