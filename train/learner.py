"""The GSPO learner: a DeepSpeed ZeRO engine around the HF policy and the sliced GSPO update.

One call of :meth:`Learner.update` consumes one rollout batch (every slice of every
trajectory, the same list on every rank):

1. the trajectories are split into ``minibatches_per_rollout`` minibatches (one optimizer
   step each); rank r trains on trajectories r, r + W, ... of each minibatch;
2. a no-grad pass gives the "old" log-probs: the policy at the start of the update;
3. per minibatch, (a) a no-grad pass gives each trajectory's sequence log-ratio, the mean of
   logp - old_logp over ALL its policy tokens across its slices (or one per turn), and
   (b) micro-batches packed by token budget run the GSPO-token loss with that ratio held
   constant, the whole trajectory's token count as normaliser and the minibatch's
   trajectory count over all ranks as ``global_num_seqs``; DeepSpeed accumulates the
   gradients and steps once at the boundary.

The per-rank losses sum to the minibatch loss; DeepSpeed averages gradients over W ranks,
so each rank's loss is multiplied by W and the update does not depend on W.
Ranks must run the same number of forward/backward passes (ZeRO reduces gradients and, at
stage 3, gathers parameters collectively), so a rank with fewer micro-batches runs
zero-weight passes on a real sample.
"""

from __future__ import annotations

import random
import time
from contextlib import nullcontext
from typing import Any, Callable, Hashable, Iterator, Sequence

import torch

from cuagym.config import GSPOConfig, LearnerConfig, ModelConfig
from cuagym.gspo import get_loss, sequence_log_ratio
from cuagym.train import distributed as D
from cuagym.train.logprobs import PolicyLogprobs, forward_logprobs
from cuagym.train.samples import MicroBatch, TrainSample, collate, pack_microbatches, pad_rows
from cuagym.train.schedule import lr_multiplier

METRIC_NAMES = ("loss", "clip_frac", "seq_ratio_mean", "seq_ratio_min", "seq_ratio_max", "grad_norm", "lr",
                "tokens", "padding_frac", "seconds", "logprob_gap_max", "logprob_gap_mean")


def deepspeed_config(cfg: LearnerConfig, *, on_gpu: bool) -> dict[str, Any]:
    """The DeepSpeed config: one micro-batch per engine step; accumulation is driven by hand."""
    zero: dict[str, Any] = {"stage": int(cfg.zero_stage)}
    out: dict[str, Any] = {
        "train_micro_batch_size_per_gpu": 1,
        "gradient_accumulation_steps": 1,
        "gradient_clipping": float(cfg.grad_clip),
        "zero_optimization": zero,
        "bf16": {"enabled": bool(on_gpu)},
        "steps_per_print": 1 << 30,
    }
    if cfg.offload_optimizer:
        if cfg.zero_stage == 0:
            raise ValueError("learner.offload_optimizer needs learner.zero_stage >= 1, got 0")
        zero["offload_optimizer"] = {"device": "cpu"}
        # The torch AdamW we pass in runs on the CPU copy; DeepSpeed's own CPU Adam would
        # need a long compile.
        out["zero_force_ds_cpu_optimizer"] = False
    return out


def split_evenly(items: Sequence[Any], parts: int) -> list[list[Any]]:
    """``parts`` contiguous chunks whose sizes differ by at most one (larger ones first)."""
    base, extra = divmod(len(items), parts)
    out, start = [], 0
    for k in range(parts):
        end = start + base + (1 if k < extra else 0)
        out.append(list(items[start:end]))
        start = end
    return out


def deal_minibatches(traj_ids: Sequence[Hashable], parts: int, seed: int | None) -> list[list[Hashable]]:
    """The trajectories of one update in ``min(parts, len)`` minibatches of near-equal size.

    Rollout order keeps a group's trajectories together, so contiguous chunks would step towards
    one or two tasks at a time; with a ``seed`` the order is shuffled first (seeded by the update,
    so every rank, and a resumed run, deals the same way). ``None`` keeps rollout order.
    """
    order = list(traj_ids)
    if seed is not None:
        random.Random(seed).shuffle(order)
    return split_evenly(order, min(parts, len(order)))


class _Tally:
    """Sums of the update's statistics on this rank, reduced over ranks at the end."""

    def __init__(self) -> None:
        self.loss = self.clipped = self.policy_tokens = self.real = self.padded = 0.0
        self.ratio_sum = self.ratio_count = 0.0
        self.ratio_min, self.ratio_max = float("inf"), float("-inf")
        self.grad_norms: list[float] = []
        self.lr = 0.0
        self.gap_max = self.gap_sum = self.gap_count = 0.0

    def add_gaps(self, samples: Sequence[TrainSample], old: dict[int, torch.Tensor]) -> None:
        """|rollout log-prob - learner log-prob| of every policy token, before the update (same weights)."""
        for s in samples:
            gap = (old[id(s)].double() - s.rollout_logprobs.double())[s.policy_mask].abs()
            if gap.numel():
                self.gap_max = max(self.gap_max, float(gap.max()))
                self.gap_sum += float(gap.sum())
                self.gap_count += gap.numel()

    def add_ratios(self, log_ratios: torch.Tensor) -> None:
        if log_ratios.numel():
            r = torch.exp(log_ratios.double())
            self.ratio_sum += float(r.sum())
            self.ratio_count += r.numel()
            self.ratio_min = min(self.ratio_min, float(r.min()))
            self.ratio_max = max(self.ratio_max, float(r.max()))

    def finish(self, num_minibatches: int, seconds: float) -> dict[str, float]:
        loss, clipped, tokens, real, padded, rsum, rcount, gsum, gcount = D.all_reduce(
            [self.loss, self.clipped, self.policy_tokens, self.real, self.padded, self.ratio_sum, self.ratio_count,
             self.gap_sum, self.gap_count])
        rmax, gmax = D.all_reduce([self.ratio_max, self.gap_max], "max")
        (rmin,) = D.all_reduce([self.ratio_min], "min")
        return {
            "loss": loss / num_minibatches,
            "clip_frac": clipped / tokens if tokens else 0.0,
            "seq_ratio_mean": rsum / rcount if rcount else 1.0,
            "seq_ratio_min": rmin if rcount else 1.0,
            "seq_ratio_max": rmax if rcount else 1.0,
            "grad_norm": sum(self.grad_norms) / len(self.grad_norms),
            "lr": self.lr,
            "tokens": tokens,
            "padding_frac": 1.0 - real / padded if padded else 0.0,
            "seconds": seconds,
            "logprob_gap_max": gmax,
            "logprob_gap_mean": gsum / gcount if gcount else 0.0,
        }


class LogprobGapError(RuntimeError):
    """The learner's log-probs of the sampled tokens are not the engine's (same weights)."""


class Learner:
    """DeepSpeed engine + optimizer + schedule around ``policy.model``, and the GSPO update.

    The policy's model is taken over (DeepSpeed re-lays its parameters out); the rank and
    world size come from the environment (``torchrun``), or a one-rank group is made.
    ``total_steps`` (optimizer steps of the run) is needed by the cosine and linear schedules.
    ``microbatcher`` groups a rank's samples into micro-batches (default: packing by the
    ``micro_batch_tokens`` budget). ``temperature`` is the rollout sampling temperature: every
    log-prob (old, current, and the gap to the rollout's) is taken under softmax(logits / T),
    the distribution the engine sampled from and recorded (greedy rollouts: pass 1).
    ``never_generate`` are the token ids the engines mask out before sampling (the vision
    markers); they are masked out of the learner's softmax too.
    """

    def __init__(self, policy: Any, learner_cfg: LearnerConfig, gspo_cfg: GSPOConfig, *,
                 model_cfg: ModelConfig | None = None, total_steps: int | None = None,
                 microbatcher: Callable[[Sequence[TrainSample]], list[list[TrainSample]]] | None = None,
                 temperature: float = 1.0, never_generate: Sequence[int] = (), seed: int = 0) -> None:
        import deepspeed

        for name, cfg in (("learner", learner_cfg), ("gspo", gspo_cfg)):
            problem = cfg.check()
            if problem:
                raise ValueError(problem)
        get_loss(gspo_cfg.loss_form)  # an unknown loss fails here, not at the first update
        self.cfg, self.gspo = learner_cfg, gspo_cfg
        self.model_cfg = model_cfg or ModelConfig()
        self.policy = policy
        self.pad_token_id = int(policy.tokenizer.pad_token_id)
        D.init_distributed()
        self.rank, self.world_size = D.rank(), D.world_size()

        model = policy.model
        if self.model_cfg.gradient_checkpointing:
            model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        model.train()
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=learner_cfg.lr, betas=tuple(learner_cfg.betas),
                                      weight_decay=learner_cfg.weight_decay)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lr_multiplier(learner_cfg.lr_schedule, learner_cfg.warmup_steps, total_steps))
        self.engine, self.optimizer, _, self.scheduler = deepspeed.initialize(
            model=PolicyLogprobs(model, temperature, never_generate), optimizer=optimizer, lr_scheduler=scheduler,
            config=deepspeed_config(learner_cfg, on_gpu=torch.cuda.is_available()), dist_init_required=False)
        self.optimizer_steps = 0
        self.seed = int(seed)
        self.microbatches = microbatcher or (lambda items: pack_microbatches(items, learner_cfg.micro_batch_tokens))

    @property
    def model(self) -> Any:
        """The HF model (its parameters are the trained ones)."""
        return self.engine.module.policy

    # ----------------------------------------------------------------- passes
    def _aligned(self, groups: list[list[TrainSample]]) -> int:
        """Passes every rank runs: the most micro-batches any rank has."""
        return int(D.all_reduce([float(len(groups))], "max")[0])

    def _no_grad_logprobs(self, samples: Sequence[TrainSample], filler: TrainSample) -> dict[int, torch.Tensor]:
        """Log-probs [T] of each sample under the current weights, keyed by id(sample)."""
        groups = self.microbatches(samples)
        out: dict[int, torch.Tensor] = {}
        with torch.no_grad():
            for j in range(self._aligned(groups)):
                batch = collate(groups[j] if j < len(groups) else [filler], self.pad_token_id)
                logp, _ = forward_logprobs(self.engine, batch, chunk_tokens=self.cfg.logprob_chunk_tokens)
                if j < len(groups):
                    for b, s in enumerate(batch.samples):
                        out[id(s)] = logp[b, : len(s)].float().cpu()
        return out

    def _log_ratios(self, samples: Sequence[TrainSample], cur: dict[int, torch.Tensor],
                    old: dict[int, torch.Tensor], tally: _Tally) -> dict[int, torch.Tensor]:
        """Pass (a): each sample's constant ratio input for the GSPO-token loss.

        Trajectory unit: a scalar per sample, the trajectory's mean log-ratio over all its
        slices. Turn unit: [T] per sample, each policy token's turn mean (a turn never spans
        two slices, so this is local to the sample).
        """
        if self.gspo.ratio_unit == "turn":
            out = {}
            for s in samples:
                lr = sequence_log_ratio(cur[id(s)][None], old[id(s)][None], s.policy_mask[None],
                                        segment_ids=s.step_ids[None])[0]
                out[id(s)] = lr
                steps = s.step_ids[s.policy_mask]
                first = torch.ones_like(steps, dtype=torch.bool)
                first[1:] = steps[1:] != steps[:-1]
                tally.add_ratios(lr[s.policy_mask][first])
            return out
        sums: dict[Hashable, float] = {}
        for s in samples:
            diff = torch.where(s.policy_mask, cur[id(s)].double() - old[id(s)].double(), 0.0)
            sums[s.traj_id] = sums.get(s.traj_id, 0.0) + float(diff.sum())
        per_traj = {t: sums[t] / next(s.traj_num_tokens for s in samples if s.traj_id == t) for t in sums}
        tally.add_ratios(torch.tensor(list(per_traj.values()), dtype=torch.float64))
        return {id(s): torch.tensor(per_traj[s.traj_id]) for s in samples}

    def _zero_ratios(self, samples: Sequence[TrainSample], tally: _Tally) -> dict[int, torch.Tensor]:
        """The first minibatch: the weights are still the old ones, every ratio is exactly 1."""
        if self.gspo.ratio_unit == "turn":
            turns = sum(len(torch.unique(s.step_ids[s.policy_mask])) for s in samples)
            tally.add_ratios(torch.zeros(turns))
            return {id(s): torch.zeros(len(s)) for s in samples}
        tally.add_ratios(torch.zeros(len({s.traj_id for s in samples})))
        return {id(s): torch.tensor(0.0) for s in samples}

    def _micro_loss(self, batch: MicroBatch, old: dict[int, torch.Tensor], ratios: dict[int, torch.Tensor],
                    global_num_seqs: int, aux_weight: float, tally: _Tally) -> torch.Tensor:
        """Pass (b) on one micro-batch: this micro-batch's share of the minibatch loss."""
        use_aux = self.model_cfg.router_aux_loss_coef > 0
        logp, aux = forward_logprobs(self.engine, batch, router_aux=use_aux,
                                     chunk_tokens=self.cfg.logprob_chunk_tokens)
        width = logp.shape[1]
        rows = batch.samples
        old_b = pad_rows([old[id(s)] for s in rows], 0.0, width).to(logp.device)
        mask = batch.policy_mask.to(logp.device)
        if self.gspo.ratio_unit == "turn":
            seq_lr = pad_rows([ratios[id(s)] for s in rows], 0.0, width)
            segments = batch.step_ids
        else:
            seq_lr, segments = torch.stack([ratios[id(s)] for s in rows]), None
        tis = self.gspo.tis_cap is not None
        # Every registered loss takes these arguments; the ratio is the whole trajectory's
        # (or turn's), held constant, and the normaliser its total policy-token count.
        loss_fn = get_loss(self.gspo.loss_form)
        loss, m = loss_fn(
            logp, old_b, torch.tensor([s.advantage for s in rows]), mask,
            eps_low=self.gspo.eps_low, eps_high=self.gspo.eps_high, seq_log_ratio=seq_lr.to(logp.device),
            seq_num_tokens=torch.tensor([s.traj_num_tokens for s in rows]),
            segment_ids=None if segments is None else segments.to(logp.device),
            rollout_logp=batch.rollout_logprobs.to(logp.device) if tis else None,
            tis_cap=self.gspo.tis_cap if tis else None,
            global_num_seqs=global_num_seqs)
        tally.loss += m["loss"]
        tally.clipped += m["clip_frac"] * m["num_policy_tokens"]
        tally.policy_tokens += m["num_policy_tokens"]
        tally.real += batch.real_tokens
        tally.padded += batch.padded_tokens
        if aux is not None:
            loss = loss + self.model_cfg.router_aux_loss_coef * aux_weight * aux
        return loss

    def _train_minibatch(self, samples: Sequence[TrainSample], old: dict[int, torch.Tensor],
                         ratios: dict[int, torch.Tensor], global_num_seqs: int, global_num_rows: int,
                         filler: TrainSample, tally: _Tally) -> None:
        groups = self.microbatches(samples)
        passes = self._aligned(groups)
        for j in range(passes):
            self.engine.set_gradient_accumulation_boundary(j == passes - 1)
            if j < len(groups):
                batch = collate(groups[j], self.pad_token_id)
                # The router loss is a mean per micro-batch: weigh it by the micro-batch's
                # share of the minibatch's rows so its total does not grow with the count.
                loss = self._micro_loss(batch, old, ratios, global_num_seqs,
                                        len(groups[j]) / global_num_rows, tally)
            else:
                logp, _ = forward_logprobs(self.engine, collate([filler], self.pad_token_id),
                                           chunk_tokens=self.cfg.logprob_chunk_tokens)
                loss = logp.sum() * 0.0  # same collectives as a real pass, no gradient
            self.engine.backward(loss * self.world_size)
        tally.lr = float(self.engine.get_lr()[0])
        self.engine.step()
        norm = self.engine.get_global_grad_norm()
        tally.grad_norms.append(float(norm) if norm is not None else 0.0)
        self.optimizer_steps += 1

    # ----------------------------------------------------------------- update
    def update(self, samples: Sequence[TrainSample], max_logprob_gap: float = 0.0) -> dict[str, float]:
        """One GSPO update on a rollout batch (the same list on every rank): float metrics
        named in ``METRIC_NAMES`` (``tokens`` counts policy tokens over all ranks).

        ``max_logprob_gap`` > 0: the batch was sampled on the learner's current weights, and a
        sampled token whose recomputed log-prob differs from the engine's by more than this
        raises :class:`LogprobGapError` before any weight changes (the contexts the learner
        scores are not the ones the policy acted on, or the two sides compute differently)."""
        t0 = time.monotonic()
        if not samples:
            raise ValueError("update needs at least one training sample")
        by_traj: dict[Hashable, list[TrainSample]] = {}
        for s in samples:
            by_traj.setdefault(s.traj_id, []).append(s)
        for t, group in by_traj.items():
            counted = sum(s.num_policy_tokens for s in group)
            if any(s.traj_num_tokens != counted or s.advantage != group[0].advantage for s in group):
                raise ValueError(f"trajectory {t!r}: its slices must share one advantage and a traj_num_tokens equal "
                                 f"to their total policy tokens ({counted}); pass all slices of each trajectory")
        minibatches = deal_minibatches(list(by_traj), self.cfg.minibatches_per_rollout,
                                       self.seed * 1_000_003 + self.optimizer_steps if self.cfg.shuffle_minibatches
                                       else None)
        mine = [[s for t in mb[self.rank::self.world_size] for s in by_traj[t]] for mb in minibatches]
        filler = min(samples, key=len)
        self.engine.train()
        old = self._no_grad_logprobs([s for mb in mine for s in mb], filler)
        tally = _Tally()
        tally.add_gaps([s for mb in mine for s in mb], old)
        if max_logprob_gap > 0:
            (gap,) = D.all_reduce([tally.gap_max], "max")
            if gap > max_logprob_gap:
                raise LogprobGapError(
                    f"learner and rollout log-probs of the sampled tokens differ by up to {gap:.3g} on the same "
                    f"weights (limit train.max_logprob_gap={max_logprob_gap:g}); the update was not applied. "
                    "Check that the learner scores the contexts the engine sampled from (scaffold, images, "
                    "temperature), or raise the limit for low-precision engines")
        for k, (mb_all, mb_samples) in enumerate(zip(minibatches, mine)):
            if k == 0:
                ratios = self._zero_ratios(mb_samples, tally)
            else:
                ratios = self._log_ratios(mb_samples, self._no_grad_logprobs(mb_samples, filler), old, tally)
            rows = sum(len(by_traj[t]) for t in mb_all)
            self._train_minibatch(mb_samples, old, ratios, len(mb_all), rows, filler, tally)
        return tally.finish(len(minibatches), time.monotonic() - t0)

    # ------------------------------------------------------------ weight sync
    def weight_chunks(self, chunk_mb: float | None = None) -> Iterator[list[tuple[str, torch.Tensor]]]:
        """The full parameters as lists of (HF name, CPU tensor) of about ``chunk_mb`` MB each.

        Under ZeRO-3 each chunk's parameters are gathered together and released before the
        next chunk, so the whole model is never materialised at once. Every rank must iterate
        (the gathers are collective); every rank receives the same tensors.
        """
        limit = float(chunk_mb if chunk_mb is not None else self.cfg.weight_sync_chunk_mb) * 2 ** 20
        if limit <= 0:
            raise ValueError(f"chunk_mb must be > 0, got {chunk_mb}")
        zero3 = int(self.cfg.zero_stage) == 3
        group: list[tuple[str, torch.nn.Parameter]] = []
        size = 0.0
        for name, p in self.model.named_parameters():
            nbytes = (p.ds_numel if zero3 else p.numel()) * p.element_size()
            if group and size + nbytes > limit:
                yield self._materialise(group, zero3)
                group, size = [], 0.0
            group.append((name, p))
            size += nbytes
        if group:
            yield self._materialise(group, zero3)

    @staticmethod
    def _materialise(group: list[tuple[str, torch.nn.Parameter]], zero3: bool) -> list[tuple[str, torch.Tensor]]:
        import deepspeed

        gather = deepspeed.zero.GatheredParameters([p for _, p in group], modifier_rank=None) if zero3 \
            else nullcontext()
        with gather:
            return [(name, p.detach().to("cpu", copy=True)) for name, p in group]

    def state_dict(self) -> dict[str, int]:
        """Counters that a checkpoint must carry besides the engine's own state."""
        return {"optimizer_steps": self.optimizer_steps}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.optimizer_steps = int(state["optimizer_steps"])
