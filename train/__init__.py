"""cuagym.train: the GSPO learner (DeepSpeed ZeRO engine, sliced two-pass update, token-budget
micro-batching, weight-sync chunks), checkpoints with exact resume, and HF export.

    samples = samples_from_trajectory(builder, instruction, screenshots, steps, advantage, traj_id)
    learner = Learner(policy, cfg.learner, cfg.gspo, model_cfg=cfg.model)
    metrics = learner.update(samples)
    for chunk in learner.weight_chunks(cfg.learner.weight_sync_chunk_mb): engine.update_weights(chunk)
    save_checkpoint(learner, run_dir / "checkpoints", step, data_cursor=..., keep=2)

Names are imported on first use so that importing the package does not import DeepSpeed.
"""

from cuagym.lazy import lazy_exports

_EXPORTS = {
    "TrainSample": "samples", "MicroBatch": "samples", "samples_from_trajectory": "samples",
    "sample_from_slice": "samples", "pack_microbatches": "samples", "fixed_microbatches": "samples",
    "padding_fraction": "samples", "collate": "samples",
    "Learner": "learner", "METRIC_NAMES": "learner", "deepspeed_config": "learner",
    "save_checkpoint": "checkpoint", "load_checkpoint": "checkpoint", "list_checkpoints": "checkpoint",
    "ResumeState": "checkpoint",
    "export_checkpoint": "export", "export_model": "export",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports("cuagym.train", _EXPORTS, globals())
