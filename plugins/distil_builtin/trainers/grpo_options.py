"""The `local` trainer's options for `method: grpo` and `method: sft+grpo`.

A mixin of pydantic fields, so `distil plugins local --kind trainer` lists them beside the SFT
options and a typo in a recipe is refused like any other. The defaults are sized for the
bundled SmolLM2-135M on 2 CPU cores: a step (4 completions of one prompt, 64 new tokens at
most, the policy's and the reference's log-probabilities, one backward pass) takes tens of
seconds there, so 30 steps are a quarter of an hour or so.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from distil_builtin.trainers.grpo_loop import GRPOSettings
from distil_builtin.trainers.rewards import RewardShape

Method = Literal["sft", "grpo", "sft+grpo"]


class GRPOOptions(BaseModel):
    method: Method = Field(
        default="sft",
        description=("`sft`: learn the teacher's accepted answers; `grpo`: reinforcement "
                     "learning from the recipe's constraints, starting from the base; "
                     "`sft+grpo`: SFT first, then GRPO from the SFT adapter."))
    grpo_steps: int = Field(default=30, ge=1, description="GRPO optimizer steps.")
    group_size: int = Field(
        default=4, ge=2, description="Completions sampled per prompt (GRPO's group); the "
                                     "advantage of each is its reward against the group's.")
    prompts_per_step: int = Field(default=1, ge=1,
                                  description="Prompts (groups) in one GRPO step.")
    grpo_learning_rate: float = Field(
        default=1e-4, gt=0, description="AdamW's peak rate for GRPO, decayed linearly to 0.")
    beta: float = Field(
        default=0.04, ge=0,
        description="KL coefficient: how strongly GRPO holds the policy near the base model "
                    "(0 turns the KL term, and its logging, off).")
    max_new_tokens: int = Field(default=64, ge=1,
                                description="Tokens per sampled completion, at most.")
    temperature: float = Field(
        default=0.7, gt=0,
        description="Sampling temperature of the completions (at 1.0 SmolLM2-135M mostly "
                    "rambles; 0.7 is the quickstart's serving temperature).")
    reward: RewardShape = Field(
        default="pass+linear",
        description=("`pass` (1 per constraint passed), `linear` (1 - the distance "
                     "normalised by the missed bound, at least 0), or `pass+linear` (their "
                     "sum); each a weighted mean over the constraints."))
    reward_weights: dict[str, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict,
        description="Weight per constraint name (label or plugin name); 1 when not named.")
    checkpoint_every: int = Field(default=5, ge=1,
                                  description="GRPO steps between checkpoints (resume points).")

    def grpo_settings(self, seed: int, device: str) -> GRPOSettings:
        return GRPOSettings(
            steps=self.grpo_steps, group_size=self.group_size,
            prompts_per_step=self.prompts_per_step, learning_rate=self.grpo_learning_rate,
            beta=self.beta, max_new_tokens=self.max_new_tokens, temperature=self.temperature,
            reward=self.reward, weights=dict(self.reward_weights), seed=seed, device=device,
            checkpoint_every=self.checkpoint_every)
