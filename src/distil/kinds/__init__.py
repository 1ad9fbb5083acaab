"""The abstract plugin kinds.

Every concrete corpus, constraint, model, strategy, trainer, metric and reporter subclasses one
of these. A plugin class is also a pydantic model of its own options, so the options written in
a recipe are validated (with file, line and field in every error) by instantiating the class.
"""

from distil.kinds.base import Plugin
from distil.kinds.constraint import Constraint, ConstraintSet
from distil.kinds.count_range import CountRange
from distil.kinds.corpus import Corpus
from distil.kinds.metric import Metric
from distil.kinds.model import Model
from distil.kinds.reporter import Reporter
from distil.kinds.strategy import Strategy
from distil.kinds.trainer import Trainer

KINDS: dict[str, type[Plugin]] = {
    "corpus": Corpus,
    "constraint": Constraint,
    "model": Model,
    "strategy": Strategy,
    "trainer": Trainer,
    "metric": Metric,
    "reporter": Reporter,
}

__all__ = [
    "KINDS",
    "Constraint",
    "ConstraintSet",
    "Corpus",
    "CountRange",
    "Metric",
    "Model",
    "Plugin",
    "Reporter",
    "Strategy",
    "Trainer",
]
