"""Per-token log-probs of a collated micro-batch under the learner's model.

The result is aligned with ``input_ids`` ([B, T]): entry t is log p(token t | tokens < t),
and column 0 (the first token has no prediction) is 0. Policy tokens never sit at position
0, because every context starts with the system prompt.

Full-vocabulary logits of a long multi-turn context do not fit a GPU (tens of thousands of
positions x a 248k vocabulary x 4 bytes, kept for backward), and most positions are
screenshots and prompt the loss never reads. So, given the policy mask, the vocabulary
projection runs only at policy positions, in chunks of ``chunk_tokens`` rows, each chunk
recomputed in backward (activation checkpointing) instead of stored: peak logit memory is one
chunk, whatever the context length. Positions outside the mask get log-prob 0.

``temperature`` divides the logits before the softmax: the learner scores tokens under the same
tempered distribution the rollout engine sampled them from (and recorded the log-probs of), so
the importance ratios and truncated IS compare like with like. ``banned`` token ids (the vision
markers a policy must never write) are masked out of that softmax on both sides for the same
reason: the engines sample from the masked distribution and record its log-probs.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from cuagym.rollout.engines.base import sampling_logits
from cuagym.train.samples import MicroBatch


def gather_token_logprobs(logits: torch.Tensor, input_ids: torch.Tensor, temperature: float = 1.0,
                          banned: Sequence[int] = ()) -> torch.Tensor:
    """logits [B, T, V], input_ids [B, T] -> [B, T] log-probs of each next token under
    softmax(logits / temperature) with ``banned`` ids masked out, 0 at t = 0."""
    pred = sampling_logits(logits[:, :-1].float(), temperature, banned)       # [B, T-1, V]
    target = input_ids[:, 1:].unsqueeze(-1)                                   # [B, T-1, 1]
    # logit - logsumexp instead of a full log_softmax: one [B, T-1, V] tensor fewer.
    lp = pred.gather(-1, target).squeeze(-1) - torch.logsumexp(pred, dim=-1)  # [B, T-1]
    return torch.nn.functional.pad(lp, (1, 0))


def _chunk_logprobs(lm_head: torch.nn.Module, hidden: torch.Tensor, targets: torch.Tensor,
                    temperature: float = 1.0, banned: Sequence[int] = ()) -> torch.Tensor:
    """hidden [N, H], targets [N] -> [N] log p(target) under softmax(lm_head(hidden) / temperature),
    ``banned`` ids masked out.

    ``lm_head`` is called as a module (never its weight read directly) so that ZeRO-3 gathers
    its partitioned weight in the forward and again in the checkpoint's recomputation.
    """
    logits = sampling_logits(lm_head(hidden).float(), temperature, banned)    # [N, V]
    return logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - torch.logsumexp(logits, dim=-1)


def masked_token_logprobs(hidden: torch.Tensor, lm_head: torch.nn.Module, input_ids: torch.Tensor,
                          policy_mask: torch.Tensor, chunk_tokens: int, temperature: float = 1.0,
                          banned: Sequence[int] = ()) -> torch.Tensor:
    """Log-probs [B, T] of the tokens under ``policy_mask`` from the last hidden states [B, T, H].

    Equal to ``gather_token_logprobs(lm_head(hidden), input_ids) * policy_mask``, computed
    only at policy positions, ``chunk_tokens`` rows at a time.
    """
    B, T, _ = hidden.shape
    out = hidden.new_zeros((B, T), dtype=torch.float32)                       # [B, T]
    rows, cols = policy_mask[:, 1:].nonzero(as_tuple=True)                   # predictions of tokens 1..T-1
    if rows.numel() == 0:
        return out + 0.0 * hidden.sum()  # keep the graph connected for an all-masked batch
    h = hidden[rows, cols]                                                    # [N, H] states before each token
    targets = input_ids[rows, cols + 1]                                       # [N]
    pieces = []
    for start in range(0, h.shape[0], max(int(chunk_tokens), 1)):
        hc, tc = h[start:start + chunk_tokens], targets[start:start + chunk_tokens]
        if torch.is_grad_enabled():
            pieces.append(torch.utils.checkpoint.checkpoint(_chunk_logprobs, lm_head, hc, tc, temperature, banned,
                                                            use_reentrant=False))
        else:
            pieces.append(_chunk_logprobs(lm_head, hc, tc, temperature, banned))
    return out.index_put((rows, cols + 1), torch.cat(pieces))


def policy_logprobs(policy: Any, inputs: dict[str, torch.Tensor], policy_mask: torch.Tensor, chunk_tokens: int = 0,
                    router_aux: bool = False, temperature: float = 1.0,
                    banned: Sequence[int] = ()) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(log-probs [B, T], router aux loss or None) of ``inputs`` under the HF model ``policy``.

    With ``chunk_tokens > 0`` only the positions under ``policy_mask`` [B, T] get log-probs
    (the rest are 0), computed in checkpointed chunks of that many rows (see the module docstring).
    """
    kwargs: dict[str, Any] = {"use_cache": False}
    if router_aux:
        kwargs["output_router_logits"] = True
    if chunk_tokens > 0 and hasattr(policy, "lm_head") and hasattr(policy, "model"):
        out = policy.model(**inputs, **kwargs)  # the body, without the vocabulary projection
        logp = masked_token_logprobs(out[0], policy.lm_head, inputs["input_ids"], policy_mask, chunk_tokens,
                                     temperature, banned)
        aux = _router_aux_loss(policy, out, inputs) if router_aux else None
    else:
        out = policy(**inputs, **kwargs)
        logp = gather_token_logprobs(out.logits, inputs["input_ids"], temperature, banned)
        aux = getattr(out, "aux_loss", None) if router_aux else None
    if router_aux and aux is None:
        raise ValueError("router aux loss requested but the model returned no aux_loss; "
                         "expected a mixture-of-experts model (set model.router_aux_loss_coef to 0 otherwise)")
    return logp, aux


class PolicyLogprobs(torch.nn.Module):
    """The module a DeepSpeed engine wraps: the policy, with per-token log-probs as its forward.

    The chunked computation calls the policy's body and its ``lm_head`` separately; running it
    inside the engine's forward keeps ZeRO-3's bookkeeping whole (parameters gathered for
    every submodule, including ones read functionally, and the engine's backward hooks).
    Parameter names carry the prefix ``policy.`` (:data:`WRAPPED_PREFIX`). ``temperature`` is
    the rollout sampling temperature every log-prob is taken under; ``banned`` the token ids the
    engines never sample (masked out of every softmax).
    """

    def __init__(self, policy: torch.nn.Module, temperature: float = 1.0, banned: Sequence[int] = ()) -> None:
        super().__init__()
        self.policy = policy
        self.temperature = float(temperature)
        self.banned = tuple(sorted(set(int(i) for i in banned)))

    def forward(self, inputs: dict[str, torch.Tensor], policy_mask: torch.Tensor, chunk_tokens: int = 0,
                router_aux: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        return policy_logprobs(self.policy, inputs, policy_mask, chunk_tokens, router_aux, self.temperature, self.banned)


WRAPPED_PREFIX = "policy."


def forward_logprobs(model: Any, batch: MicroBatch, *, router_aux: bool = False, chunk_tokens: int = 0,
                     ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(log-probs [B, T], router aux loss or None) of ``batch`` under ``model``.

    ``model`` is an HF model, or a DeepSpeed engine wrapping :class:`PolicyLogprobs` (then the
    pass runs through the engine's forward). With ``router_aux`` the MoE load-balancing loss
    is passed back. With ``chunk_tokens > 0`` only policy positions get log-probs (see
    :func:`policy_logprobs`).
    """
    device = _device_of(model)
    inputs = {k: v.to(device) for k, v in batch.inputs.items()}
    mask = batch.policy_mask.to(device)
    module = getattr(model, "module", model)
    if isinstance(module, PolicyLogprobs):
        return model(inputs, mask, chunk_tokens, router_aux)
    return policy_logprobs(module, inputs, mask, chunk_tokens, router_aux)


def _router_aux_loss(module: Any, out: Any, inputs: dict[str, torch.Tensor]) -> torch.Tensor | None:
    """The MoE load-balancing loss, as the HF wrapper computes it from the body's router logits."""
    router_logits = getattr(out, "router_logits", None)
    if router_logits is None:
        return None
    from importlib import import_module

    text_cfg = getattr(module.config, "text_config", module.config)
    lb = getattr(import_module(type(module).__module__), "load_balancing_loss_func", None)
    if lb is None:
        return None
    return lb(router_logits, text_cfg.num_experts, text_cfg.num_experts_per_tok, inputs.get("attention_mask"))


def _device_of(model: Any) -> torch.device:
    module = getattr(model, "module", model)
    try:
        return next(module.parameters()).device
    except StopIteration:
        return torch.device("cpu")
