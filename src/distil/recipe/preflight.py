"""Checks that need more than a recipe's shape: what `distil run` would otherwise find out late.

`load_recipe` checks the YAML, the fields, plugin names and options, and template syntax.
`preflight` goes on to what a run fails on in its first seconds, without calling a model:

- without reading the corpus: the names a prompt template uses (`{{ wrods }}`), constraint
  feedback templates, and each model's request `params` (`temprature`), against the list the
  model declares (`Model.accepted_params`; OpenAI's, for the API models);
- reading the corpus (`read_corpus=True`, the default): every document is read (a file that is
  not UTF-8, a malformed JSON line, a missing text field), ids must be unique, `sample` and
  `split` must fit the corpus, the prompt is rendered for the first `RENDERED_DOCUMENTS`
  documents a run would use (StrictUndefined, the sandbox and its limits), and every used
  document's own constraints are built.

Every problem is a RecipeError naming the recipe file, the line and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jinja2 import TemplateSyntaxError, meta

from distil.chat_params import unknown_param
from distil.errors import DistilError, UsageError, did_you_mean
from distil.kinds import Constraint, Model
from distil.recipe.loaded import LoadedRecipe
from distil.recipe.resolve import RESERVED_MODEL_NAMES, build_document_constraints
from distil.recipe.yaml_source import PathKey, YamlSource
from distil.templating import (
    BUILTIN_NAMES,
    TemplateRenderError,
    check_template,
    render,
    render_feedback,
)
from distil.types import Document
from distil.wording import plural

RENDERED_DOCUMENTS = 20
STRATEGY_PARAMS = ("params", "restart_params")  # strategy options that are request params
PROBE_OUTPUTS = ("", "x")  # outputs a constraint is checked on to learn its feedback figures


def preflight(loaded: LoadedRecipe, read_corpus: bool = True) -> None:
    """Raise a RecipeError for the first thing in `loaded` that `distil run` would fail on."""
    _check_prompt_names(loaded)
    _check_model_params(loaded)
    _check_feedback(loaded)
    if not read_corpus:
        return
    used = _used_documents(loaded)
    for doc in used[:RENDERED_DOCUMENTS]:
        _render_prompt(loaded, doc)
    _check_document_constraints(loaded, used)


# -- prompts ------------------------------------------------------------------------------------
def _prompt_templates(loaded: LoadedRecipe) -> list[tuple[str, str]]:
    prompt = loaded.spec.prompt
    return [(key, text) for key, text in (("system", prompt.system), ("user", prompt.user))
            if text]


def _check_prompt_names(loaded: LoadedRecipe) -> None:
    """Every top-level name a prompt uses must be `doc`, `vars`, a var, or a Jinja global."""
    known = {"doc", "vars", *loaded.spec.prompt.vars, *BUILTIN_NAMES}
    for key, text in _prompt_templates(loaded):
        unknown = sorted(meta.find_undeclared_variables(check_template(text)) - known)
        if unknown:
            raise loaded.source.error(("prompt", key), _undefined(unknown[0], known))


def _undefined(name: str, known: set[str]) -> str:
    hint = did_you_mean(name, known - BUILTIN_NAMES)
    return (f"template error: {name!r} is undefined; "
            + (hint or "a template sees `doc` (id, text, fields) and the names under `vars`"))


def _render_prompt(loaded: LoadedRecipe, doc: Document) -> None:
    from distil.engine.prompting import template_context

    context = template_context(doc, loaded.spec.prompt.vars)
    for key, text in _prompt_templates(loaded):
        try:
            render(text, context)
        except TemplateRenderError as exc:
            raise loaded.source.error(("prompt", key),
                                      f"{exc} (rendering document {doc.id!r})") from None


# -- models -------------------------------------------------------------------------------------
def _model_entries(loaded: LoadedRecipe) -> list[tuple[Model, Any, PathKey]]:
    """(model, its spec, the spec's location) for the teacher and each evaluated model."""
    spec = loaded.spec
    out: list[tuple[Model, Any, PathKey]] = []
    if spec.teacher is not None and loaded.teacher_model is not None:
        out.append((loaded.teacher_model, spec.teacher.model, ("teacher", "model")))
    listed = spec.evaluate.models if spec.evaluate is not None else None
    for i, (entry, (_, model)) in enumerate(zip(listed or (), loaded.eval_models)):
        if model is not None and not (isinstance(entry, str) and entry in RESERVED_MODEL_NAMES):
            out.append((model, entry, ("evaluate", "models", i)))
    return out


def _params_loc(spec: Any, loc: PathKey) -> PathKey:
    if isinstance(spec, Mapping) and len(spec) == 1:
        return (*loc, next(iter(spec)), "params")
    return (*loc, "params")


def _check_params(src: YamlSource, model: Model, params: Mapping[str, Any],
                  loc: PathKey) -> None:
    known = model.accepted_params()
    if known is None:
        return
    for name in params:
        problem = unknown_param(str(name), known)
        if problem:
            raise src.error((*loc, name), problem)


def _check_model_params(loaded: LoadedRecipe) -> None:
    src = loaded.source
    for model, spec, loc in _model_entries(loaded):
        _check_params(src, model, model.params, _params_loc(spec, loc))
    # a strategy's own per-call params (best_of_n's, refine's restart_params) go to the teacher
    if loaded.teacher_model is None or loaded.spec.teacher is None:
        return
    loc = _params_loc(loaded.spec.teacher.strategy, ("teacher", "strategy"))[:-1]
    for option in STRATEGY_PARAMS:
        params = getattr(loaded.strategy, option, None)
        if isinstance(params, Mapping):
            _check_params(src, loaded.teacher_model, params, (*loc, option))


# -- constraint feedback --------------------------------------------------------------------------
def _figures(constraint: Constraint) -> dict[str, Any]:
    """The values a constraint's feedback is rendered with, learnt by checking probe outputs."""
    values: dict[str, Any] = {}
    for output in PROBE_OUTPUTS:
        try:
            values.update(constraint.check(output, None).measured)
        except DistilError:  # a bad feedback override: located below, key by key
            pass
    return values


def _check_feedback(loaded: LoadedRecipe) -> None:
    """Each feedback override parses and renders with the figures its constraint gives."""
    src = loaded.source
    for i, (spec, constraint) in enumerate(zip(loaded.spec.constraints, loaded.constraints)):
        if not constraint.feedback:
            continue
        values = _figures(constraint)
        own = ("constraints", i, *([next(iter(spec))] if isinstance(spec, Mapping) else []))
        for key, template in constraint.feedback.items():
            field = (*own, "feedback", key)
            try:
                check_template(template)
            except TemplateSyntaxError as exc:
                raise src.error(field, f"template error: {exc.message}") from None
            default = type(constraint).default_feedback.get(key, "")
            names = set(values) | meta.find_undeclared_variables(check_template(default))
            try:
                render_feedback(template, {name: values.get(name, 0) for name in names})
            except TemplateRenderError as exc:
                raise src.error(field, str(exc)) from None


# -- the corpus ---------------------------------------------------------------------------------
def _corpus_loc(loaded: LoadedRecipe, field: str | None = None) -> PathKey:
    plugin = loaded.spec.corpus.plugin
    name = next(iter(plugin)) if isinstance(plugin, Mapping) else plugin
    return ("corpus", name, field) if field else ("corpus", name)


def read_documents(loaded: LoadedRecipe) -> list[Document]:
    """Every document of the recipe's corpus; a bad file is a RecipeError at the corpus line."""
    try:
        return list(loaded.corpus.iter_documents())
    except UsageError as exc:
        raise loaded.source.error(_corpus_loc(loaded, getattr(exc, "field", None)),
                                  str(exc)) from None


def split_documents(loaded: LoadedRecipe, docs: Sequence[Document]) -> dict[str, list[Document]]:
    """`docs` sampled and split as a run does, once ids, `sample` and `split` are checked."""
    from distil.engine.splits import sample_and_split

    src, spec = loaded.source, loaded.spec.corpus
    if not docs:
        raise src.error(_corpus_loc(loaded), "the corpus has no documents")
    first: dict[str, int] = {}
    for number, doc in enumerate(docs, 1):
        if doc.id in first:
            raise src.error(_corpus_loc(loaded), f"documents {first[doc.id]} and {number} have "
                                                 f"the same id {doc.id!r} (ids must be unique: "
                                                 f"they key the run's store)")
        first[doc.id] = number
    if spec.sample is not None and spec.sample > len(docs):
        raise src.error(("corpus", "sample"), f"sample is {spec.sample} but the corpus has only "
                                              f"{plural(len(docs), 'document')}")
    available = spec.sample or len(docs)
    if spec.split is not None:
        wanted = spec.split.train + spec.split.validation + spec.split.test
        if wanted > available:
            raise src.error(("corpus", "split"), f"the splits ask for "
                                                 f"{plural(wanted, 'document')} but only "
                                                 f"{available} are available")
    split = spec.split.model_dump() if spec.split else None
    return sample_and_split(docs, sample=spec.sample, seed=spec.seed, split=split)


def _used_documents(loaded: LoadedRecipe) -> list[Document]:
    """The documents a run would use, in split order."""
    from distil.engine.splits import SPLITS

    splits = split_documents(loaded, read_documents(loaded))
    seen: set[str] = set()
    used: list[Document] = []
    for name in SPLITS:
        for doc in splits[name]:
            if doc.id not in seen:
                seen.add(doc.id)
                used.append(doc)
    return used


def _check_document_constraints(loaded: LoadedRecipe, used: Sequence[Document]) -> None:
    """Build each document's own constraints, as a run does, naming the corpus as the place."""
    src = loaded.source
    loc = _corpus_loc(loaded)
    where = f"{src.path}:{src.line_of(loc)}: {'.'.join(loc)}"
    for doc in used:
        if doc.constraints:
            build_document_constraints(loaded.host, doc.constraints,
                                       f"{where}: document {doc.id!r}")


__all__ = ["RENDERED_DOCUMENTS", "preflight", "read_documents", "split_documents"]
