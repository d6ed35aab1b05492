"""cuagym.gspo: the GSPO math as pure functions of torch tensors.

Three files, read in this order:

* ``ratios.py``: input checks, token and sequence (or per-turn) importance log-ratios, the
  GSPO-token and sequence-form ratios, the PPO clipped surrogate, truncated importance
  sampling weights;
* ``losses.py``: loss aggregation that does not depend on micro-batching, the metrics, the
  losses ("gspo", "gspo_token", "grpo") and the registry that names them;
* ``advantages.py``: group-normalised advantages.

No Ray, DeepSpeed or I/O here: the learner in ``train/`` calls these functions on its
micro-batches.

    adv, adv_stats = group_advantages(rewards, group_ids)
    loss_fn = get_loss("gspo_token")
    loss, metrics = loss_fn(logp, old_logp, adv, mask, eps_low=3e-4, eps_high=4e-4,
                            global_num_seqs=num_sequences_in_step)
"""

from cuagym.gspo.advantages import group_advantages, zero_variance_mask
from cuagym.gspo.losses import (GRPOMetrics, GSPOMetrics, LOSS_AGGREGATIONS, LOSS_FORMS, LOSS_KWARGS,
                                TIS_METRICS, aggregate_token_losses, get_loss, grpo_loss, gspo_loss,
                                gspo_seq_loss, gspo_token_loss, register_loss, registered_losses)
from cuagym.gspo.ratios import LOG_RATIO_LIMIT, sequence_log_ratio

__all__ = [
    "GRPOMetrics",
    "GSPOMetrics",
    "LOG_RATIO_LIMIT",
    "LOSS_AGGREGATIONS",
    "LOSS_FORMS",
    "LOSS_KWARGS",
    "TIS_METRICS",
    "aggregate_token_losses",
    "get_loss",
    "group_advantages",
    "grpo_loss",
    "gspo_loss",
    "gspo_seq_loss",
    "gspo_token_loss",
    "register_loss",
    "registered_losses",
    "sequence_log_ratio",
    "zero_variance_mask",
]
