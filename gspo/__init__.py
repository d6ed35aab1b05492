"""cuagym.gspo: the GSPO math as pure functions of torch tensors.

Group-normalised advantages, sequence (or per-turn) importance log-ratios, the GSPO and
GSPO-token losses with sequence-level clipping, the token-level GRPO baseline, loss
aggregation that does not depend on micro-batching, and the optional k3 KL penalty and
truncated importance sampling. No Ray, DeepSpeed or I/O here: the learner in ``train/``
calls these functions on its micro-batches.

    adv, adv_stats = group_advantages(rewards, group_ids)
    loss, metrics = gspo_loss(logp, old_logp, adv, mask, loss_form="token",
                              global_num_seqs=num_sequences_in_step)
"""

from cuagym.gspo.advantages import group_advantages, zero_variance_mask
from cuagym.gspo.aggregate import LOSS_AGGREGATIONS, aggregate_token_losses
from cuagym.gspo.losses import LOSS_FORMS, grpo_loss, gspo_loss
from cuagym.gspo.metrics import GRPOMetrics, GSPOMetrics, KL_METRICS, TIS_METRICS
from cuagym.gspo.ratios import LOG_RATIO_LIMIT, sequence_log_ratio

__all__ = [
    "GRPOMetrics",
    "GSPOMetrics",
    "KL_METRICS",
    "LOG_RATIO_LIMIT",
    "LOSS_AGGREGATIONS",
    "LOSS_FORMS",
    "TIS_METRICS",
    "aggregate_token_losses",
    "group_advantages",
    "grpo_loss",
    "gspo_loss",
    "sequence_log_ratio",
    "zero_variance_mask",
]
