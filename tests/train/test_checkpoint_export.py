"""Checkpoints resume exactly in a new process; export writes a loadable HF folder."""

from __future__ import annotations

import json

import pytest
import torch

from cuagym.commands.export_cli import main as export_main
from cuagym.config import GSPOConfig, LearnerConfig
from cuagym.modeling import load_policy
from cuagym.train.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint
from cuagym.train.learner import Learner
from cuagym.train.logprobs import forward_logprobs
from cuagym.train.samples import collate
from tests.train.test_distributed import run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def saved_samples(tmp_path_factory, group_samples):
    path = tmp_path_factory.mktemp("samples") / "samples.pt"
    torch.save(group_samples, path)
    return path


def test_resume_in_new_process_is_exact(tmp_path, tiny_policy_dir, saved_samples):
    common = ["--policy", str(tiny_policy_dir), "--samples", str(saved_samples), "--updates", "4",
              "--ckpt", str(tmp_path / "ckpt"), "--save-after", "2"]
    run([*common, "--out", str(tmp_path / "straight")], nproc=1)
    assert [p.name for p in list_checkpoints(tmp_path / "ckpt")] == ["step_00000002"]
    run([*common, "--out", str(tmp_path / "resumed"), "--resume"], nproc=1)
    straight = torch.load(tmp_path / "straight" / "rank0.pt", weights_only=False)
    resumed = torch.load(tmp_path / "resumed" / "rank0.pt", weights_only=False)
    assert len(straight["metrics"]) == 4 and len(resumed["metrics"]) == 2
    gap = max(float((straight["weights"][n] - resumed["weights"][n]).abs().max()) for n in straight["weights"])
    keys = ("loss", "grad_norm", "seq_ratio_mean", "lr", "rng_draw")
    print(f"\nuninterrupted vs resumed: max |weight diff| {gap:.3e}; losses "
          f"{[round(m['loss'], 9) for m in straight['metrics'][2:]]} vs {[round(m['loss'], 9) for m in resumed['metrics']]}")
    for a, b in zip(straight["metrics"][2:], resumed["metrics"]):
        for k in keys:
            assert a[k] == pytest.approx(b[k], abs=1e-6), k
    assert gap <= 1e-6


def test_checkpoint_export_loads_with_identical_logits(tmp_path, tiny_policy_dir, group_samples):
    policy = load_policy(tiny_policy_dir, dtype="float32", attn_implementation="sdpa")
    learner = Learner(policy, LearnerConfig(lr=1e-3, minibatches_per_rollout=1, micro_batch_tokens=2000),
                      GSPOConfig(eps_low=0.2, eps_high=0.2))
    metrics = learner.update(group_samples)
    root = tmp_path / "ckpt"
    run_config = {"learner": {"lr": 1e-3}, "model": {"path": str(tiny_policy_dir)}}
    for step in (1, 2, 3):  # keep=2: the oldest is deleted
        save_checkpoint(learner, root, step, data_cursor={"epoch": 0, "index": step}, wandb_run_id="abc123",
                        run_config=run_config, metrics=metrics, keep=2)
    assert [p.name for p in list_checkpoints(root)] == ["step_00000002", "step_00000003"]
    resumed = load_checkpoint(learner, root)
    assert (resumed.step, resumed.data_cursor, resumed.wandb_run_id) == (3, {"epoch": 0, "index": 3}, "abc123")

    out = tmp_path / "hf"
    assert export_main([str(root), str(out), "--max-shard-size", "100KB"]) == 0
    shards = sorted(out.glob("model-*.safetensors"))
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert len(shards) > 2 and set(index["weight_map"].values()) == {p.name for p in shards}
    for name in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                 "chat_template.jinja", "processor_config.json", "README.md"):
        assert (out / name).is_file(), name
    card = (out / "README.md").read_text()
    assert f"{metrics['loss']:.6g}" in card and '"lr": 0.001' in card and "step 3" in card

    exported = load_policy(out, dtype="auto", attn_implementation="sdpa")
    probe = collate(group_samples[:2], learner.pad_token_id)
    with torch.no_grad():
        a = exported.model(**probe.inputs).logits
        b = learner.model(**probe.inputs).logits
    assert torch.equal(a, b)
    trained = dict(learner.model.named_parameters())
    assert all(torch.equal(p, trained[n]) for n, p in exported.model.named_parameters())
    assert exported.tokenizer.chat_template == policy.tokenizer.chat_template


def test_export_of_missing_checkpoint_is_a_clear_error(tmp_path, capsys):
    assert export_main([str(tmp_path / "nope"), str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err
