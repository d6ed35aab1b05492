"""Placement plan and memory estimate against hand-computed values; Ray placement groups on
a simulated multi-node cluster (ray.cluster_utils.Cluster with nodes declaring fake GPUs)."""

from __future__ import annotations


import pytest
import torch

from cuagym.config import ConfigError, load_config
from cuagym.train.placement import (
    ARCHITECTURES, GIB, LOGIT_BYTES_PER_ELEMENT, PlanError, arch_from_hf_config, engine_memory, format_plan,
    image_tokens, layer_activation_elements, learner_memory, make_plan, max_context_tokens, plan_from_config,
    resolve_arch,
)
from cuagym.train.ray_cluster import NODE_RESOURCE, PlacementError, check_resources, node_demands
from tests.train.raylib import simulated_cluster

A3B = ARCHITECTURES["Qwen/Qwen3.5-35B-A3B"]
A17B = ARCHITECTURES["Qwen/Qwen3.5-397B-A17B"]
# Contexts short enough for the current learner (full-vocabulary logits per micro-batch):
# 8 screenshots of 640x384 (240 tokens each), 15 turns of at most 256 tokens.
SHORT = ["train.mode=sync", "rollout.image_width=640", "rollout.image_height=384", "rollout.image_max=8",
         "rollout.fold_size=4", "rollout.max_turns=15", "rollout.max_new_tokens=256",
         "learner.micro_batch_tokens=8192"]
SHORT_CONTEXT = 2048 + 8 * 240 + 15 * (256 + 32)  # 8288


def hf_counts(arch) -> tuple[int, int]:
    """(all parameters, routed-expert parameters) of the transformers model built on the meta device."""
    from transformers import Qwen3_5MoeConfig, Qwen3_5MoeForConditionalGeneration

    text = dict(hidden_size=arch.hidden_size, num_hidden_layers=arch.num_layers, num_attention_heads=arch.num_heads,
                num_key_value_heads=arch.num_kv_heads, head_dim=arch.head_dim, num_experts=arch.num_experts,
                num_experts_per_tok=arch.experts_per_token, moe_intermediate_size=arch.moe_intermediate,
                shared_expert_intermediate_size=arch.shared_intermediate, linear_num_key_heads=arch.linear_key_heads,
                linear_num_value_heads=arch.linear_value_heads, vocab_size=arch.vocab_size)
    cfg = Qwen3_5MoeConfig(text_config=text, vision_config=dict(out_hidden_size=arch.hidden_size))
    with torch.device("meta"):
        model = Qwen3_5MoeForConditionalGeneration(cfg)
    params = dict(model.named_parameters())
    return sum(p.numel() for p in params.values()), sum(p.numel() for n, p in params.items() if ".mlp.experts." in n)


@pytest.mark.parametrize("arch", [A3B, A17B], ids=["a3b", "a17b"])
def test_param_counts_equal_the_transformers_model(arch):
    total, experts = hf_counts(arch)
    counts = arch.param_counts()
    assert counts.total == total and counts.experts == experts
    assert counts.dense == total - experts


def test_param_counts_match_the_model_names():
    a3b, a17b = A3B.param_counts(), A17B.param_counts()
    assert round(a3b.total / 1e9) == 35 and round(a17b.total / 1e9) == 397
    # "A3B" / "A17B": active parameters of the language model, embedding lookup excluded.
    assert 2.5e9 < a3b.active < 3.5e9 and 15.5e9 < a17b.active < 17.5e9
    # Hand count of the 35B-A3B's routed experts: 40 layers x 256 experts x 3 x 2048 x 512.
    assert a3b.experts == 40 * 256 * 3 * 2048 * 512


def test_arch_from_a_hf_config_dict_equals_the_table():
    from transformers import Qwen3_5MoeConfig

    cfg = Qwen3_5MoeConfig(text_config=dict(hidden_size=4096, num_hidden_layers=60, num_attention_heads=32,
                                            num_key_value_heads=2, head_dim=256, num_experts=512,
                                            num_experts_per_tok=10, moe_intermediate_size=1024,
                                            shared_expert_intermediate_size=1024, linear_num_value_heads=64),
                           vision_config=dict(out_hidden_size=4096))
    arch = arch_from_hf_config(cfg.to_dict(), name=A17B.name, source=A17B.source)
    assert arch == A17B
    with pytest.raises(PlanError, match="num_hidden_layers"):
        arch_from_hf_config({"hidden_size": 8}, name="x", source="bad.json")


def test_resolve_arch_from_hub_id_name_and_local_checkpoint(tmp_path):
    assert resolve_arch(load_config("configs/a3b.yaml")) is A3B
    assert resolve_arch(load_config("configs/a3b.yaml", ["model.path=/ckpt/Qwen3.5-397B-A17B"])) is A17B
    assert resolve_arch(load_config("configs/tiny.yaml", ["cluster.model_arch=Qwen3.5-35B-A3B"])) is A3B
    with pytest.raises(PlanError, match="cluster.model_arch 'nope' is unknown"):
        resolve_arch(load_config("configs/a3b.yaml", ["cluster.model_arch=nope"]))
    with pytest.raises(PlanError, match="no architecture for model.path"):
        resolve_arch(load_config("configs/a3b.yaml", [f"model.path={tmp_path}"]))
    from transformers import Qwen3_5MoeConfig

    Qwen3_5MoeConfig(text_config=dict(num_hidden_layers=8), vision_config=dict(depth=2)).save_pretrained(tmp_path)
    arch = resolve_arch(load_config("configs/a3b.yaml", [f"model.path={tmp_path}"]))
    assert arch.num_layers == 8 and arch.full_layers == 2 and arch.vision_depth == 2


def test_context_tokens_by_hand():
    assert image_tokens(1280, 800) == 40 * 25
    assert image_tokens(640, 384) == 240
    cfg = load_config("configs/a3b.yaml")
    # prompt + 20 visible screenshots x 1000 tokens + 30 turns x (1024 generated + 32 markup)
    assert max_context_tokens(cfg) == 2048 + 20 * 1000 + 30 * (1024 + 32) == 53728
    assert max_context_tokens(load_config("configs/a3b.yaml", SHORT)) == SHORT_CONTEXT
    assert max_context_tokens(load_config("configs/a3b.yaml", ["cluster.max_context_tokens=4096"])) == 4096


@pytest.mark.parametrize("stage,offload,shard", [
    (0, False, (1, 1, 1)), (1, False, (1, 1, 8)), (2, False, (1, 8, 8)), (3, False, (8, 8, 8)), (3, True, (8, 8, 8))])
def test_learner_memory_under_each_zero_stage(stage, offload, shard):
    cfg = load_config("configs/a3b.yaml", SHORT + [f"learner.zero_stage={stage}", f"learner.offload_optimizer={offload}"])
    p = A3B.param_counts().total
    mem = learner_memory(cfg, A3B, ranks=8)
    assert mem["weights"] == 2 * p / shard[0]
    assert mem["gradients"] == 2 * p / shard[1]
    assert mem["optimizer"] == (0 if offload else 12 * p / shard[2])
    assert mem["host_optimizer"] == (12 * p / shard[2] if offload else 0)
    t = SHORT_CONTEXT  # longer than nothing: 8288 > 8192, the slice sets the micro-batch
    # One 1024-row chunk of logits at a time, plus the gathered hidden states of every position.
    assert mem["logits"] == 1024 * 248320 * LOGIT_BYTES_PER_ELEMENT + t * 2048 * 2
    full = learner_memory(load_config("configs/a3b.yaml", SHORT + ["learner.logprob_chunk_tokens=0"]), A3B, ranks=8)
    assert full["logits"] == t * 248320 * LOGIT_BYTES_PER_ELEMENT
    per_layer = t * layer_activation_elements(A3B) * 2
    assert mem["activations"] == t * 2048 * 40 * 2 + 2 * per_layer


def test_activation_elements_by_hand_and_without_checkpointing():
    # 35B-A3B per token and layer: norms 4h; Gated DeltaNet (larger than full attention):
    # 2 x conv 8192 + 3 x value dim 4096 + h; MoE: 256 router + 8 x (2048 + 1024 + 512 + 2048);
    # shared expert 3 x 512 + h.
    h = 2048
    assert layer_activation_elements(A3B) == 4 * h + (2 * 8192 + 3 * 4096 + h) + (256 + 8 * (h + 1024 + 512 + h)) + (
        3 * 512 + h)
    cfg = load_config("configs/a3b.yaml", SHORT + ["model.gradient_checkpointing=false"])
    assert learner_memory(cfg, A3B, 8)["activations"] == 40 * SHORT_CONTEXT * layer_activation_elements(A3B) * 2


def test_engine_memory_by_hand():
    cfg = load_config("configs/a3b.yaml")       # 4 engines x tp 2, 8 workers x 8 slots on one node
    counts = A3B.param_counts()
    mem = engine_memory(cfg, A3B)
    assert mem["weights"] == 2 * counts.dense / 2 + 2 * counts.experts / 2
    seqs, ctx = 64 // 4, 53728
    kv_per_token = 2 * 1 * 256 * 10 * 2          # K and V, 2 kv heads / tp 2, head dim 256, 10 full layers, bf16
    state = (32 / 2 * 128 * 128 + 8192 / 2 * 3) * 30 * 2   # recurrent + conv state of 30 DeltaNet layers
    assert mem["kv_cache"] == pytest.approx(seqs * ctx * kv_per_token + seqs * state)
    # tp 16 > 2 kv heads: every shard keeps a replica of one head; ep 32 > tp 2: attention runs
    # 16 ways data-parallel, so each GPU serves 1/16 of the engine's sequences.
    wide_tp = ["rollout.num_engines=8", "rollout.engine_tp_size=16", "rollout.engine_ep_size=1",
               "rollout.max_new_tokens=1024"]
    big = engine_memory(load_config("configs/a17b.yaml", wide_tp), A17B)
    kv17 = 2 * 1 * 256 * 15 * 2
    assert big["kv_cache"] == pytest.approx(128 * ctx * kv17 + 128 * (64 / 16 * 128 * 128 + 12288 / 16 * 3) * 45 * 2)
    ep = engine_memory(load_config("configs/a17b.yaml", ["rollout.max_new_tokens=1024"]), A17B)  # shipped: tp 2, ep 32
    c17 = A17B.param_counts()
    assert ep["weights"] == 2 * c17.dense / 2 + 2 * c17.experts / 32
    assert ep["kv_cache"] == pytest.approx(16 * ctx * kv17 + 16 * (32 * 128 * 128 + 6144 * 3) * 45 * 2)


def test_a3b_plan_places_learner_and_engines_on_the_node():
    plan = plan_from_config(load_config("configs/a3b.yaml", SHORT))
    assert plan.fits, plan.problems
    assert [(r.node, r.gpu) for r in plan.learner_ranks] == [(0, g) for g in range(8)]
    assert [[(d.node, d.gpu) for d in e.devices] for e in plan.engines] == [[(0, 2 * i), (0, 2 * i + 1)] for i in range(4)]
    (row,) = plan.memory
    assert row.roles == "learner + engine" and len(row.gpus) == 8
    # Sync mode: the peak is the rollout phase, learner states beside vLLM's whole budget.
    p = A3B.param_counts().total
    assert row.peak == pytest.approx(2 * p / 8 + 2 * p / 8 + 0.6 * 80 * GIB)
    assert plan.host_memory_per_node == 12 * p          # 8 ranks x 12 bytes x P / 8
    text = format_plan(plan)
    assert "learner: 8 rank(s), DeepSpeed ZeRO-3, dp size 8" in text
    assert "engine 3: tp 2, ep 1, 2 GPU(s), 16 concurrent sequences: node 0 gpu 6-7" in text
    assert "env workers: 8 per node (64 episode slots, 8 CPUs), node 0" in text
    assert f"peak {row.peak / GIB:.1f} GiB of 76.0 GiB usable" in text
    assert text.endswith("OK: the plan fits")


def test_separate_learner_and_engine_gpus():
    plan = plan_from_config(load_config("configs/a3b.yaml", SHORT + [
        "cluster.colocate=false", "cluster.learner_gpus=4", "learner.num_ranks=4", "rollout.num_engines=2",
        "rollout.gpu_memory_utilization=0.9"]))
    assert plan.fits, plan.problems
    assert [r.gpu for r in plan.learner_ranks] == [0, 1, 2, 3]
    assert [[d.gpu for d in e.devices] for e in plan.engines] == [[4, 5], [6, 7]]
    assert sorted(m.roles for m in plan.memory) == ["engine", "learner"]


def test_a3b_with_zero0_on_24gb_gpus_is_refused_naming_the_overflow():
    cfg = load_config("configs/a3b.yaml", SHORT + ["learner.zero_stage=0", "learner.offload_optimizer=false",
                                                   "cluster.gpu_memory_gb=24"])
    plan = plan_from_config(cfg)
    assert not plan.fits
    p = A3B.param_counts().total
    need = learner_memory(cfg, A3B, 8)
    total = sum(v for k, v in need.items() if k != "host_optimizer")
    over = total - 0.95 * 24 * GIB
    (msg,) = [m for m in plan.problems if "a learner rank needs" in m]
    assert f"over by {over / GIB:.1f} GiB, mostly optimizer ({12 * p / GIB:.1f} GiB)" in msg
    assert "learner.offload_optimizer=true" in msg
    with pytest.raises(PlanError, match="the run does not fit"):
        plan.raise_if_refused()


@pytest.mark.parametrize("name", ["a3b", "a17b"])
def test_shipped_gpu_configs_fit(name):
    plan = plan_from_config(load_config(f"configs/{name}.yaml"))
    assert plan.fits, plan.problems


def test_full_vocabulary_logits_of_long_slices_are_refused():
    # Without chunking, 53728-token slices hold 53728 x 248320 logits (16 bytes each).
    plan = plan_from_config(load_config("configs/a3b.yaml", ["learner.logprob_chunk_tokens=0"]))
    (msg,) = [m for m in plan.problems if "a learner rank needs" in m]
    assert f"logits {53728 * 248320 * 16 / GIB:.1f} GiB" in msg and "mostly logits" in msg
    assert "learner.logprob_chunk_tokens" in msg


def test_async_colocated_learner_and_engines_must_fit_together():
    # Async overlaps the update with generation, so colocated engines cannot sleep.
    plan = plan_from_config(load_config("configs/a3b.yaml", ["train.mode=async"]))
    assert any("in async mode" in m and "set train.mode=sync" in m for m in plan.problems)
    # The split layout named in configs/a3b.yaml runs async without sharing GPUs.
    split = ["train.mode=async", "cluster.colocate=false", "cluster.learner_gpus=4", "learner.num_ranks=4",
             "rollout.num_engines=2", "rollout.gpu_memory_utilization=0.8"]
    plan = plan_from_config(load_config("configs/a3b.yaml", split))
    assert plan.fits, plan.problems


def test_a17b_plan_spans_nodes():
    plan = plan_from_config(load_config("configs/a17b.yaml", SHORT))
    assert plan.fits, plan.problems
    assert len(plan.learner_ranks) == 128 and plan.learner_ranks[-1].node == 15
    assert [e.nodes for e in plan.engines] == [(0, 1, 2, 3), (4, 5, 6, 7), (8, 9, 10, 11), (12, 13, 14, 15)]
    assert [v.slots for v in plan.env] == [64] * 16
    text = format_plan(plan)
    assert "learner: 128 rank(s), DeepSpeed ZeRO-3, dp size 128" in text and "nodes 0-15 gpu 0-7" in text
    assert "engine 1: tp 2, ep 32, 32 GPU(s), 256 concurrent sequences: nodes 4-7 gpu 0-7" in text
    assert "env workers: 4 per node (64 episode slots, 4 CPUs), nodes 0-15" in text


def test_a17b_on_too_few_gpus_is_refused():
    with pytest.raises(ConfigError, match=r"learner_gpus \(128\) exceeds the cluster's 16 GPUs"):
        load_config("configs/a17b.yaml", ["cluster.nodes=2"])
    cfg = load_config("configs/a17b.yaml", SHORT + ["cluster.nodes=2", "cluster.learner_gpus=16", "learner.num_ranks=16",
                                                    "rollout.num_engines=1", "rollout.engine_tp_size=16",
                                                    "rollout.engine_ep_size=1"])
    plan = plan_from_config(cfg)
    p = A17B.param_counts().total
    learner = [m for m in plan.problems if "a learner rank needs" in m]
    engine = [m for m in plan.problems if "the engine needs" in m]
    assert learner and f"weights {2 * p / 16 / GIB:.1f} GiB" in learner[0]
    assert engine and "vLLM may take 48.0 GiB" in engine[0]


def test_gpu_count_and_engine_shape_problems():
    plan = plan_from_config(load_config("configs/a3b.yaml", SHORT + ["cluster.colocate=false"]))
    assert any("needs 16 GPUs (8 learner + 8 engine GPUs) but the cluster has 8" in m for m in plan.problems)
    plan = plan_from_config(load_config("configs/a3b.yaml", SHORT + ["rollout.engine_tp_size=3", "rollout.num_engines=2"]))
    assert any("do not divide a node's 8" in m for m in plan.problems)
    plan = plan_from_config(load_config("configs/a3b.yaml", SHORT + ["learner.num_ranks=4"]))
    assert any("cluster.learner_gpus (8) and learner.num_ranks (4) differ" in m for m in plan.problems)
    plan = plan_from_config(load_config("configs/a3b.yaml", SHORT + ["cluster.cpus_per_node=16"]))
    assert any("node 0 needs 25 CPUs" in m for m in plan.problems)   # 8 env + 8 ranks + 8 shards + driver


def test_cpu_plan_has_no_memory_estimate():
    plan = plan_from_config(load_config("configs/tiny.yaml", ["model.path=/nonexistent/tiny"]))
    assert plan.fits and plan.device == "cpu" and plan.memory == ()
    assert "CPU run: no GPU memory estimate" in format_plan(plan)


# ---- Ray ------------------------------------------------------------------------------

def three_node_plan():
    over = ["cluster.nodes=3", "cluster.learner_gpus=24", "learner.num_ranks=24", "rollout.num_engines=3",
            "rollout.engine_tp_size=2", "rollout.engine_ep_size=8"]
    return plan_from_config(load_config("configs/a3b.yaml", SHORT + over))


def test_node_demands_and_resource_check_without_ray():
    plan = three_node_plan()
    demands = node_demands(plan, pin=True)
    assert [len(d.bundles) for d in demands] == [8, 8, 8]
    # Colocated: each GPU holds a learner rank and an engine shard -> 2 CPUs per GPU bundle.
    assert demands[1].bundles[0] == {"GPU": 1.0, "CPU": 2.0, NODE_RESOURCE.format(1): 0.001}
    assert demands[2].env == {"CPU": 8.0, NODE_RESOURCE.format(2): 0.001}
    nodes = [{"NodeID": f"n{i}", "Alive": True, "Resources": {"GPU": 8.0, "CPU": 24.0, NODE_RESOURCE.format(i): 1.0}}
             for i in range(3)]
    check_resources(plan, nodes, pin=True)
    with pytest.raises(PlacementError, match="plan node 2: no alive Ray node declares cuagym_node_2"):
        check_resources(plan, nodes[:2], pin=True)
    with pytest.raises(PlacementError, match=r"it needs 3 machine\(s\)"):
        check_resources(plan, [{**n, "Resources": {"GPU": 4.0, "CPU": 20.0}} for n in nodes], pin=False)


@pytest.fixture(scope="module")
def ray_cluster():
    """A head without GPUs plus three nodes declaring 8 fake GPUs (and 24 CPUs) each, marked cuagym_node_0..2."""
    nodes = [{"num_cpus": 24, "num_gpus": 8, "object_store_memory": 80 << 20,
              "resources": {NODE_RESOURCE.format(i): 1}} for i in range(3)]
    with simulated_cluster({"num_cpus": 1, "object_store_memory": 100 << 20}, nodes) as cluster:
        yield cluster


@pytest.mark.slow
def test_plan_placed_on_a_simulated_three_node_cluster(ray_cluster):
    import ray

    from cuagym.train.ray_cluster import RayPlacement

    plan = three_node_plan()
    assert plan.fits, plan.problems
    marker_node = {n["NodeID"]: next(k for k in n["Resources"] if k.startswith("cuagym_node_"))
                   for n in ray.nodes() if n["Alive"] and n["Resources"].get("GPU")}
    placement = RayPlacement.create(plan, timeout_s=60)
    try:
        assert placement.pinned
        # Plan node i sits on the machine that declared cuagym_node_i, for GPUs and env workers.
        assert [marker_node[i] for i in placement.node_ids] == [NODE_RESOURCE.format(i) for i in range(3)]
        assert [marker_node[i] for i in placement.env_node_ids()] == [NODE_RESOURCE.format(i) for i in range(3)]
        assert ray.available_resources().get("GPU", 0) == 0     # all 24 fake GPUs reserved

        @ray.remote
        def where() -> str:
            return ray.get_runtime_context().get_node_id()

        # Engine 1 (tp 2 x ep 8 = 8 GPUs) is node 1; learner rank 17 is node 2 gpu 1.
        slots = placement.engine_slots(1)
        assert {s.node for s in slots} == {1} and [s.bundle for s in slots] == list(range(8))
        got = ray.get([where.options(**s.options(num_gpus=0.5)).remote() for s in slots[:2]]
                      + [where.options(**placement.learner_slot(17).options(num_gpus=0.5)).remote()])
        assert got == [placement.node_ids[1]] * 2 + [placement.node_ids[2]]
        assert placement.learner_slot(17).bundle == 1
    finally:
        placement.remove()


@pytest.mark.slow
def test_plan_too_big_for_the_simulated_cluster_is_rejected(ray_cluster):
    from cuagym.train.ray_cluster import RayPlacement

    over = ["cluster.nodes=4", "cluster.learner_gpus=32", "learner.num_ranks=32", "rollout.num_engines=4",
            "rollout.engine_tp_size=2", "rollout.engine_ep_size=8"]
    plan = plan_from_config(load_config("configs/a3b.yaml", SHORT + over))
    assert plan.fits, plan.problems
    with pytest.raises(PlacementError, match="plan node 3: no alive Ray node declares cuagym_node_3"):
        RayPlacement.create(plan, timeout_s=5)
