"""Settings of the synthesis pipeline: the ``synth`` section, which only ``cuagym synth`` reads.

The core run config (:class:`cuagym.config.Config`) does not know this package. ``cuagym synth``
loads :class:`SynthRunConfig`, the run config extended with the ``synth`` section (it still needs
``hub``, ``rollout`` and ``model`` for the teacher's rollouts)::

    cfg = load_synth_config("configs/synth.yaml", ["synth.max_rounds=5"])

Every other command loads the core ``Config`` and refuses a ``synth`` section, naming this one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cuagym.config import Config
from cuagym.configbase import cfg, load


@dataclass(frozen=True)
class LLMConfig:
    base_url: str = cfg("http://127.0.0.1:8000/v1", "OpenAI-compatible endpoint (vllm serve, SGLang, a hosted API)")
    model: str = cfg("", "model name sent in requests (empty = the first one the server lists at /models)")
    api_key_env: str = cfg("OPENAI_API_KEY", "environment variable holding the API key (unset or empty = no key)")
    timeout_s: float = cfg(300.0, "limit of one HTTP attempt in seconds (long generations need minutes)")
    max_retries: int = cfg(4, "further attempts after the first, for transient failures only (timeouts, 429, 5xx)")
    backoff_s: float = cfg(2.0, "first retry delay in seconds; doubles per attempt, with jitter")
    max_backoff_s: float = cfg(60.0, "longest retry delay in seconds")
    temperature: float = cfg(0.6, "sampling temperature of the proposer, generator and discriminator")
    max_tokens: int = cfg(8192, "completion-token limit of one call (a reasoning model's thinking counts too)")
    concurrency: int = cfg(4, "candidate tasks worked on at once (each runs its own agents and sandbox jobs)")

    def check(self) -> str | None:
        if self.timeout_s <= 0 or self.max_retries < 0 or self.backoff_s < 0 or self.max_tokens < 1:
            return "synth.llm needs timeout_s > 0, max_retries >= 0, backoff_s >= 0 and max_tokens >= 1"
        if self.concurrency < 1:
            return f"synth.llm.concurrency must be >= 1, got {self.concurrency}"
        return None


@dataclass(frozen=True)
class VoteConfig:
    judges: int = cfg(3, "independent LLM judges per tuple (k); a tuple is rejected only by a strict majority")
    temperature: float = cfg(0.7, "judges' sampling temperature (k samples of one model are only as independent "
                             "as its sampling)")
    enabled: bool = cfg(True, "run the majority vote")

    def check(self) -> str | None:
        if self.judges < 1:
            return f"synth.vote.judges must be >= 1, got {self.judges}"
        return None


@dataclass(frozen=True)
class TeacherConfig:
    policy: str = cfg("", "teacher for rollout verification: an OpenAI-compatible URL, a checkpoint folder, or "
                      "empty = skip the rollout filter")
    served_model: str = cfg("", "model name at the teacher URL (empty = the first it lists)")
    api_key_env: str = cfg("OPENAI_API_KEY", "environment variable holding the teacher server's API key")
    rollouts: int = cfg(4, "rollouts of each task by the teacher")
    min_success: float = cfg(0.25, "keep a task only if the teacher solves at least this share (solvable)")
    max_success: float = cfg(0.875, "... and at most this share (not trivially solved); 1.0 keeps easy tasks")

    def check(self) -> str | None:
        if self.rollouts < 1:
            return f"synth.teacher.rollouts must be >= 1, got {self.rollouts}"
        if not 0.0 <= self.min_success <= self.max_success <= 1.0:
            return ("synth.teacher needs 0 <= min_success <= max_success <= 1, got "
                    f"{self.min_success} and {self.max_success}")
        return None


@dataclass(frozen=True)
class SynthConfig:
    llm: LLMConfig = field(default_factory=LLMConfig, metadata={"help": "the LLM every agent talks to"})
    vote: VoteConfig = field(default_factory=VoteConfig, metadata={"help": "final filter 1: LLM majority vote"})
    teacher: TeacherConfig = field(default_factory=TeacherConfig,
                                   metadata={"help": "final filter 2: rollout verification by a teacher policy"})
    max_rounds: int = cfg(4, "execution rounds per task before a never-agreeing task is dropped")
    format_retries: int = cfg(1, "times an agent is re-asked within a round when its reply cannot be parsed")
    generator_self_checks: int = cfg(1, "times the Generator sees its scripts' resulting states and may revise "
                                     "them before the round is scored")
    near_misses: int = cfg(2, "near-miss patches the Generator must write (states that must score below 1)")
    damage_probe: bool = cfg(True, "also score the golden state plus one edit the task did not ask for (a text "
                             "field of an untouched item); it must score below 1")
    topics: list[str] = cfg([], "seed topics (occupational workflows) for the proposer; empty = the built-in list")
    dedup_threshold: float = cfg(0.85, "instructions at least this similar (0..1) to an existing one are duplicates")
    existing: list[str] = cfg(["data/tuples"], "tuple folders whose instructions new tasks must not duplicate")
    max_state_chars: int = cfg(24000, "characters of a state shown to an agent before it is abbreviated")
    script_timeout_s: float = cfg(30.0, "wall-clock limit of one tuple script in the sandbox")

    def check(self) -> str | None:
        if self.max_rounds < 1 or self.format_retries < 0 or self.generator_self_checks < 0 or self.near_misses < 0:
            return ("synth needs max_rounds >= 1 and format_retries, generator_self_checks, near_misses >= 0, got "
                    f"{self.max_rounds}, {self.format_retries}, {self.generator_self_checks}, {self.near_misses}")
        if not 0.0 < self.dedup_threshold <= 1.0:
            return f"synth.dedup_threshold must be within (0, 1], got {self.dedup_threshold}"
        if self.max_state_chars < 1000 or self.script_timeout_s <= 0:
            return "synth.max_state_chars must be >= 1000 and synth.script_timeout_s > 0"
        return None


@dataclass(frozen=True)
class SynthRunConfig(Config):
    """The run config of ``cuagym synth``: every core section plus ``synth``."""

    synth: SynthConfig = field(default_factory=SynthConfig,
                               metadata={"help": "the tuple synthesis pipeline (read by cuagym synth)"})


def load_synth_config(path: str | Path | None = None, overrides: list[str] | None = None) -> SynthRunConfig:
    """Load a synthesis config (``configs/synth.yaml``) and apply dotted overrides; raises ConfigError."""
    return load(SynthRunConfig, path, overrides)
