"""The CPU (or single-GPU) engine: transformers ``generate`` on a policy loaded by the factory.

Prompts arrive as token ids (the scaffold's exact contexts), are left-padded into one batch
and generated together; log-probs are taken from the raw logits of every generated step under
the sampling transform (temperature, banned tokens), so they are the sampling distribution's,
not the processed scores' (which top-p would truncate).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Iterable

import torch

from cuagym.rollout.engines.base import GenRequest, GenResult, SamplingParams, sampling_logits
from cuagym.rollout.engines.weight_sync import SyncGroup, TensorMeta, receive_bucket, weights_checksum


class HFEngine:
    def __init__(self, model: Any, *, eos_token_ids: Iterable[int], pad_token_id: int,
                 never_generate: Iterable[int] = ()) -> None:
        self.model = model.eval()
        self.eos = set(int(i) for i in eos_token_ids)
        self.pad = int(pad_token_id)
        # Tokens masked out before sampling (the vision markers). The recorded log-probs are
        # those of the masked softmax(logits / T) sampled from, which the learner recomputes
        # with the same mask (cuagym.rollout.engines.base.sampling_logits).
        self.never = sorted(set(int(i) for i in never_generate))
        self._version = 0
        self._lock = threading.Lock()
        self._sync: SyncGroup | None = None

    def version(self) -> int:
        return self._version

    def update_weights(self, named_tensors: Iterable[tuple[str, torch.Tensor]]) -> None:
        """Copy learner weights in place (names as in the model's state dict)."""
        params = dict(self.model.named_parameters())
        buffers = dict(self.model.named_buffers())
        with self._lock, torch.no_grad():
            for name, tensor in named_tensors:
                target = params.get(name, buffers.get(name))
                if target is None:
                    raise KeyError(f"weight {name!r} does not exist in the engine's model")
                if target.shape != tensor.shape:
                    raise ValueError(f"weight {name!r}: shape {tuple(tensor.shape)} != {tuple(target.shape)}")
                target.copy_(tensor.to(target.dtype))
            self._version += 1

    # Weight sync from the learner over a SyncGroup (see cuagym.rollout.engines.weight_sync).

    def init_sync_group(self, host: str, port: int, rank: int, world_size: int, backend: str = "gloo",
                        timeout_s: float = 600) -> None:
        """Join the learner's weight-sync group as ``rank`` (the learner is rank 0); blocks until
        all ranks have joined. A second call leaves the old group first."""
        self.close_sync_group()
        self._sync = SyncGroup(host, port, rank, world_size, backend=backend, timeout_s=timeout_s)

    def receive_weights(self, metas: list[TensorMeta] | list[Any]) -> int:
        """Receive one bucket the learner broadcasts with ``send_bucket`` and load it in place
        (through :meth:`update_weights`, which bumps ``version()``); returns the tensors loaded.

        The bucket is received whole before anything is checked, so a bad meta never leaves the
        sender waiting; then every name and shape is checked against the model before any weight is
        written, so a bad bucket raises without loading half of itself."""
        if self._sync is None:
            raise RuntimeError("receive_weights before init_sync_group: join the learner's weight-sync group first")
        device = next(self.model.parameters()).device
        named = receive_bucket(self._sync, metas, device=device)
        params = dict(self.model.named_parameters())
        buffers = dict(self.model.named_buffers())
        for name, tensor in named:
            target = params.get(name, buffers.get(name))
            if target is None:
                raise KeyError(f"weight sync: the learner sent {name!r}, which the engine's model does not have "
                               "(learner and engine must load the same architecture)")
            if target.shape != tensor.shape:
                raise ValueError(f"weight sync: {name!r} arrived with shape {tuple(tensor.shape)} but the engine's "
                                 f"model holds {tuple(target.shape)} (learner and engine models differ)")
        self.update_weights(named)
        return len(named)

    def weights_checksum(self) -> str:
        """Bit-exact fingerprint of the model's parameters (``named_parameters()``), comparable with
        ``weights_checksum(learner_model.named_parameters())`` on the learner."""
        with self._lock:
            return weights_checksum(self.model.named_parameters())

    def close_sync_group(self) -> None:
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        out: list[GenResult] = []
        # Requests with the same sampling params share one batched generate call.
        groups: dict[SamplingParams, list[int]] = {}
        for i, r in enumerate(requests):
            r.params.check()
            groups.setdefault(r.params, []).append(i)
        results: dict[int, GenResult] = {}
        for params, idx in groups.items():
            for i, res in zip(idx, self._generate_batch([requests[i] for i in idx], params)):
                results[i] = res
        out = [results[i] for i in range(len(requests))]
        return out

    def _generate_batch(self, reqs: list[GenRequest], p: SamplingParams) -> list[GenResult]:
        t0 = time.monotonic()
        lengths = [int(r.inputs["input_ids"].shape[1]) for r in reqs]
        width = max(lengths)
        ids = torch.full((len(reqs), width), self.pad, dtype=torch.long)
        mask = torch.zeros((len(reqs), width), dtype=torch.long)
        mm = torch.zeros((len(reqs), width), dtype=torch.long)
        for b, (r, n) in enumerate(zip(reqs, lengths)):
            ids[b, width - n:] = r.inputs["input_ids"][0]
            mask[b, width - n:] = 1
            mm[b, width - n:] = r.inputs["mm_token_type_ids"][0]
        kwargs: dict[str, Any] = {"input_ids": ids, "attention_mask": mask, "mm_token_type_ids": mm}
        with_images = [r for r in reqs if "pixel_values" in r.inputs]
        if with_images:
            kwargs["pixel_values"] = torch.cat([r.inputs["pixel_values"] for r in with_images])
            kwargs["image_grid_thw"] = torch.cat([r.inputs["image_grid_thw"] for r in with_images])
        device = next(self.model.parameters()).device
        kwargs = {k: v.to(device) for k, v in kwargs.items()}
        if p.seed is not None:
            torch.manual_seed(p.seed)
        sample = p.temperature > 0
        with self._lock, torch.no_grad():
            out = self.model.generate(
                **kwargs, max_new_tokens=p.max_new_tokens, do_sample=sample,
                temperature=p.temperature if sample else None, top_p=p.top_p if sample else None, top_k=None,
                eos_token_id=sorted(self.eos), pad_token_id=self.pad, output_logits=True,
                return_dict_in_generate=True, bad_words_ids=[[i] for i in self.never] or None)
        seqs = out.sequences[:, width:]
        temp = p.temperature if sample else 1.0
        logps = torch.stack([torch.log_softmax(sampling_logits(l.float(), temp, self.never), -1)
                             for l in out.logits], 1)                                      # [B, N, V]
        results = []
        seconds = time.monotonic() - t0
        for b, r in enumerate(reqs):
            toks, lps = [], []
            finish = "length"
            for j, tok in enumerate(seqs[b].tolist()):
                toks.append(tok)
                lps.append(float(logps[b, j, tok]))
                if tok in self.eos:
                    finish = "stop"
                    break
            results.append(GenResult(toks, lps, finish, r.request_id, seconds))
        return results
