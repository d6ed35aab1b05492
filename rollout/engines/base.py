"""The engine interface shared by every policy engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

import torch


def sampling_logits(logits: torch.Tensor, temperature: float = 1.0, banned: Sequence[int] = ()) -> torch.Tensor:
    """logits [..., V] (float) as every engine samples from them and records log-probs of: divided
    by the temperature, with the ``banned`` vocabulary entries (tokens a policy must never write)
    at -inf. The learner scores tokens under the same transform. Out of place, so autograd sees it."""
    if temperature != 1.0:
        logits = logits / temperature
    if len(banned):
        idx = torch.as_tensor(list(banned), dtype=torch.long, device=logits.device)
        logits = logits.index_fill(-1, idx, float("-inf"))
    return logits


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 256
    seed: int | None = None

    def check(self) -> None:
        if self.temperature < 0 or not 0 < self.top_p <= 1 or self.max_new_tokens < 1:
            raise ValueError(f"bad sampling params {self}: need temperature >= 0, 0 < top_p <= 1, "
                             "max_new_tokens >= 1")


@dataclass
class GenRequest:
    """One prompt: batch-of-one model inputs from the scaffold (input_ids [1, T], attention_mask,
    mm_token_type_ids, and pixel_values / image_grid_thw when screenshots are shown).

    ``chat`` is the same prompt as a structured conversation (``ContextBuilder.chat``: messages
    whose content parts are text or the screenshots themselves), for engines that take chats and
    raw images rather than token ids (OpenAI-compatible servers, vLLM's multimodal prompts).
    Token engines ignore it; None when the caller built only tokens."""

    inputs: dict[str, torch.Tensor]
    params: SamplingParams = field(default_factory=SamplingParams)
    request_id: str = ""
    chat: list[dict[str, Any]] | None = None


@dataclass
class GenResult:
    """Generated token ids and the log-prob of each under the sampling distribution
    (log_softmax(logits / temperature)); ``finish`` is "stop" (end of turn) or "length".

    ``has_logprobs`` is False when the engine could not obtain the policy's log-probs (a hosted
    model behind an HTTP API): ``logprobs`` then holds NaN per token, so such a trajectory can
    serve evaluation or teacher data but any attempt to train on it fails loudly."""

    token_ids: list[int]
    logprobs: list[float]
    finish: str
    request_id: str = ""
    seconds: float = 0.0
    has_logprobs: bool = True


class PolicyEngine(Protocol):
    def generate(self, requests: list[GenRequest]) -> list[GenResult]: ...

    def update_weights(self, named_tensors: Any) -> None: ...

    def version(self) -> int: ...

    # Optional: engines that take part in the learner's weight sync (HF, vLLM) also implement the
    # three methods below; engines behind an HTTP API (OpenAI-compatible) do not. The protocol and
    # its layout live in cuagym.rollout.engines.weight_sync.

    def init_sync_group(self, host: str, port: int, rank: int, world_size: int, backend: str = "gloo") -> None:
        """Optional. Join the weight-sync group at ``host:port`` as ``rank`` (the learner's rank 0 is
        the sender; an engine with several workers takes ``rank .. rank + workers - 1``). Blocks
        until all ``world_size`` ranks have joined."""
        ...

    def receive_weights(self, metas: list[Any]) -> int:
        """Optional. Receive one bucket described by ``metas`` (``TensorMeta`` or ``(name, shape,
        dtype)``) and load it in place; returns the number of tensors loaded."""
        ...

    def weights_checksum(self) -> str:
        """Optional. sha256 fingerprint of the engine's weights, bit-exact, comparable with
        ``weight_sync.weights_checksum`` of the learner's ``named_parameters()``."""
        ...
