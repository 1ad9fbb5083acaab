"""What an OpenAI fine-tune will cost: OpenAI's default epoch count and its training prices.

The `openai` and `litellm` trainers put this estimate in their plan (and ask before a job is
paid for); `distil dataset validate` asks the trainer for it through `Trainer.estimate`, so core
holds no provider's prices.

The epoch rule is the default OpenAI documents in its data-preparation guide and applies when
`n_epochs` is left to it: aim for 3 epochs, but keep examples x epochs within [100, 25,000],
with 1 to 25 epochs. Billed tokens are each example's tokens, capped at the context a training
example may use (16,385 tokens), times the epochs.

Training prices are not in litellm's price map (it carries inference prices only), so they
live here: US dollars per million training tokens, OpenAI's list prices for standard
supervised fine-tuning as published in 2025. They change; a trainer's
`training_price_per_million` option overrides them, and an unknown base model gets no
estimate rather than a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from distil.datasets.validate import MAX_TOKENS_PER_EXAMPLE
from distil.wording import money, plural

TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25

DEFAULT_BASE_MODEL = "gpt-4.1-mini-2025-04-14"

# USD per 1M training tokens, keyed by model family; dated snapshots match by prefix.
TRAINING_PRICES_PER_MILLION: dict[str, float] = {
    "gpt-4.1": 25.00,
    "gpt-4.1-mini": 5.00,
    "gpt-4.1-nano": 1.50,
    "gpt-4o": 25.00,
    "gpt-4o-mini": 3.00,
    "gpt-3.5-turbo": 8.00,
    "davinci-002": 6.00,
    "babbage-002": 0.40,
}


def default_epochs(n_examples: int) -> int:
    """The epochs OpenAI picks when `n_epochs` is "auto"."""
    if n_examples <= 0:
        return TARGET_EPOCHS
    if n_examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    if n_examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return TARGET_EPOCHS


def billed_tokens_per_epoch(example_tokens: Iterable[int]) -> int:
    return sum(min(MAX_TOKENS_PER_EXAMPLE, n) for n in example_tokens)


def training_price(base_model: str) -> tuple[float, str] | None:
    """(USD per 1M training tokens, the table entry used) for `base_model`, or None."""
    name = base_model.split("/")[-1]
    best: str | None = None
    for family in TRAINING_PRICES_PER_MILLION:
        if name == family or name.startswith(family + "-"):
            if best is None or len(family) > len(best):
                best = family
    return (TRAINING_PRICES_PER_MILLION[best], best) if best else None


@dataclass(frozen=True)
class FineTuneEstimate:
    """Epochs, billed tokens and dollars for one fine-tune; `cost` None when unpriced."""

    base_model: str
    epochs: int
    epochs_source: str  # "auto" (OpenAI's default rule) or "given"
    tokens_per_epoch: int
    billed_tokens: int
    price_per_million: float | None
    price_source: str
    cost: float | None

    def to_dict(self) -> dict[str, object]:
        return {
            "base_model": self.base_model, "epochs": self.epochs,
            "epochs_source": self.epochs_source, "tokens_per_epoch": self.tokens_per_epoch,
            "billed_tokens": self.billed_tokens, "price_per_million": self.price_per_million,
            "price_source": self.price_source, "cost": self.cost,
        }

    def describe(self) -> str:
        """One line: '3 epochs x 12,345 tokens = 37,035 billed tokens ~ $0.19 (...)'."""
        head = (f"{plural(self.epochs, 'epoch')} ({self.epochs_source}) x "
                f"{self.tokens_per_epoch:,} tokens "
                f"= {self.billed_tokens:,} billed training tokens")
        if self.cost is None:
            return f"{head}; cost unknown ({self.price_source})"
        return (f"{head} ~ {money(self.cost)} at ${self.price_per_million:g} per 1M tokens "
                f"({self.price_source})")


def estimate_fine_tune(example_tokens: list[int], base_model: str, *,
                       n_epochs: int | None = None,
                       price_per_million: float | None = None) -> FineTuneEstimate:
    """The estimate for training `base_model` on examples of these token counts."""
    epochs = n_epochs if n_epochs is not None else default_epochs(len(example_tokens))
    per_epoch = billed_tokens_per_epoch(example_tokens)
    billed = per_epoch * epochs
    if price_per_million is not None:
        price, source = price_per_million, "price given in the recipe"
    else:
        found = training_price(base_model)
        if found is None:
            price, source = None, (f"no training price known for {base_model!r}; set "
                                   "training_price_per_million")
        else:
            price, source = found[0], f"OpenAI list price for {found[1]}, 2025"
    cost = None if price is None else billed * price / 1e6
    return FineTuneEstimate(base_model, epochs, "given" if n_epochs is not None else "auto",
                            per_epoch, billed, price, source, cost)
