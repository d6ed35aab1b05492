"""Config loading, inheritance, dotted overrides and the errors for each kind of bad config."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from cuagym.config import CONFIG_DIR, Config, ConfigError, describe, load_config, to_dict

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["tiny", "a3b", "a17b"])
def test_bundled_configs_load_and_share_the_paper_settings(name):
    cfg = load_config(CONFIG_DIR / f"{name}.yaml")
    assert isinstance(cfg, Config)
    # Inherited from base.yaml: GSPO clip 3e-4 / 4e-4, GSPO-token loss, 4 minibatches per rollout batch.
    assert (cfg.gspo.eps_low, cfg.gspo.eps_high, cfg.gspo.loss_form) == (3e-4, 4e-4, "gspo_token")
    # The tiny CPU run takes one on-policy step per rollout batch (few sequences per batch).
    assert cfg.learner.minibatches_per_rollout == (1 if name == "tiny" else 4)
    assert (cfg.rollout.image_max, cfg.rollout.fold_size) == (20, 10)


def test_tiny_overrides_base_and_gpu_configs_name_the_models():
    tiny = load_config(CONFIG_DIR / "tiny.yaml")
    assert tiny.model.dtype == "float32" and tiny.cluster.gpus_per_node == 0 and tiny.rollout.engine == "hf"
    assert load_config(CONFIG_DIR / "a3b.yaml").model.path.endswith("Qwen3.5-35B-A3B")
    a17b = load_config(CONFIG_DIR / "a17b.yaml")
    assert a17b.model.path.endswith("Qwen3.5-397B-A17B") and a17b.cluster.nodes > 1


def test_dotted_overrides_are_typed():
    cfg = load_config(CONFIG_DIR / "tiny.yaml", ["rollout.group_size=6", "learner.lr=3e-4",
                                                 "learner.betas=[0.9, 0.95]", "gspo.tis_cap=2",
                                                 "train.task_filter=[mail, calendar.go_today]",
                                                 "hub.urls={notes: 'http://h:1'}", "train.run_dir=/tmp/x"])
    assert cfg.rollout.group_size == 6
    assert cfg.learner.lr == pytest.approx(3e-4) and isinstance(cfg.learner.lr, float)
    assert cfg.learner.betas == (0.9, 0.95)
    assert cfg.gspo.tis_cap == 2.0
    assert cfg.train.task_filter == ["mail", "calendar.go_today"]
    assert cfg.hub.urls == {"notes": "http://h:1"}
    assert cfg.train.run_dir == "/tmp/x"


def test_configs_are_frozen():
    cfg = load_config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.rollout.group_size = 3  # type: ignore[misc]


@pytest.mark.parametrize("override, fragments", [
    (["rollout.group_sise=4"], ["unknown config key 'rollout.group_sise'", "did you mean 'group_size'",
                                "valid keys under rollout", "tasks_per_step"]),
    (["bogus.x=1"], ["unknown config key 'bogus'", "valid keys", "model", "rollout"]),
    (["rollout.group_size=four"], ["rollout.group_size", "expected an integer", "'four'"]),
    (["rollout.group_size=true"], ["rollout.group_size", "expected an integer"]),
    (["gspo.loss_form=ppo"], ["gspo.loss_form", "'ppo' is not a valid choice", "'gspo'", "'gspo_token'", "'grpo'"]),
    (["gspo.kl_coef=0.1"], ["unknown config key 'gspo.kl_coef'"]),
    (["gspo.loss_form=gspo", "gspo.tis_cap=2"], ["gspo.tis_cap", "loss_form=gspo_token"]),
    (["learner.zero_stage=4"], ["learner.zero_stage", "0, 1, 2, 3"]),
    (["learner.betas=[0.9]"], ["learner.betas", "expected 2 values"]),
    (["model.gradient_checkpointing=maybe"], ["model.gradient_checkpointing", "true or false"]),
    (["rollout.group_size=1"], ["group_size must be >= 2"]),
    (["rollout.fold_size=30"], ["fold_size", "image_max"]),
    (["gspo.eps_low=0"], ["eps_low"]),
    (["cluster.learner_gpus=9"], ["learner_gpus", "0 GPUs"]),
    (["rollout.group_size"], ["not of the form key.path=value"]),
    (["rollout.group_size.x=1"], ["rollout.group_size", "not a section"]),
])
def test_bad_overrides_name_the_key_and_what_was_expected(override, fragments):
    with pytest.raises(ConfigError) as e:
        load_config(CONFIG_DIR / "tiny.yaml", override)
    for f in fragments:
        assert f in str(e.value), (f, str(e.value))


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping at the top level"):
        load_config(tmp_path / "list.yaml")
    (tmp_path / "broken.yaml").write_text("rollout: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "broken.yaml")
    (tmp_path / "typo.yaml").write_text("base: base.yaml\nrollout:\n  grup_size: 3\n")
    (tmp_path / "base.yaml").write_text("rollout:\n  group_size: 4\n")
    with pytest.raises(ConfigError, match="unknown config key 'rollout.grup_size'"):
        load_config(tmp_path / "typo.yaml")
    (tmp_path / "loop.yaml").write_text("base: loop.yaml\n")
    with pytest.raises(ConfigError, match="inheritance loop"):
        load_config(tmp_path / "loop.yaml")
    (tmp_path / "section.yaml").write_text("rollout: 3\n")
    with pytest.raises(ConfigError, match="rollout: expected a mapping"):
        load_config(tmp_path / "section.yaml")


def test_inheritance_merges_nested_sections(tmp_path):
    (tmp_path / "base.yaml").write_text("rollout:\n  group_size: 4\n  max_turns: 7\n")
    (tmp_path / "child.yaml").write_text("base: base.yaml\nrollout:\n  max_turns: 9\n")
    cfg = load_config(tmp_path / "child.yaml")
    assert (cfg.rollout.group_size, cfg.rollout.max_turns) == (4, 9)


def test_every_field_has_help():
    rows = describe(Config)
    assert len(rows) > 50
    missing = [key for key, _, _, help_ in rows if not help_.strip()]
    assert not missing, f"config keys without a help line: {missing}"


def test_round_trip_through_to_dict():
    cfg = load_config(CONFIG_DIR / "a3b.yaml")
    import yaml
    from cuagym.configbase import _build
    again = _build(Config, yaml.safe_load(yaml.safe_dump(to_dict(cfg))))
    assert again == cfg


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "cuagym.cli", *args], capture_output=True, text=True, cwd=REPO)


def test_cli_config_errors_exit_nonzero_with_message():
    r = _cli("config", "show", "--config", "configs/tiny.yaml", "rollout.group_size=x")
    assert r.returncode == 2 and "rollout.group_size: expected an integer" in r.stderr
    r = _cli("config", "check", "--config", "configs/none.yaml")
    assert r.returncode == 2 and "config file not found" in r.stderr
    r = _cli("config", "show", "--config", "configs/tiny.yaml", "rollout.group_size=3")
    assert r.returncode == 0 and "group_size: 3" in r.stdout


def test_cli_unknown_commands_and_flags():
    r = _cli("hubb")
    assert r.returncode == 2 and "unknown command 'hubb'" in r.stderr and "did you mean 'hub'" in r.stderr
    r = _cli("--frobnicate")
    assert r.returncode == 2 and "unknown option" in r.stderr
    r = _cli("config", "show", "--bogus")
    assert r.returncode == 2 and "unrecognized arguments: --bogus" in r.stderr
    r = _cli("synth", "--apps", "notes")
    assert r.returncode == 2 and "the following arguments are required: --n, --out" in r.stderr
    r = _cli("synth", "--apps", "notes,bogus", "--n", "1", "--out", "/tmp/x", "--llm-url", "http://127.0.0.1:9/v1")
    assert r.returncode == 2 and "unknown hub app(s) bogus" in r.stderr
    r = _cli("synth", "--apps", "notes", "--n", "0", "--out", "/tmp/x")
    assert r.returncode == 2 and "--n must be >= 1" in r.stderr
    r = _cli("synth", "--apps", "notes", "--cross", "--n", "1", "--out", "/tmp/x")
    assert r.returncode == 2 and "--cross needs at least two apps in --apps, got notes" in r.stderr
    r = _cli("train", "--config", "configs/tiny.yaml", "rollout.bogus_key=1")
    assert r.returncode == 2 and "bogus_key" in r.stderr
    r = _cli("--version")
    assert r.returncode == 0 and r.stdout.strip()


def test_synth_config_loads_and_refuses_bad_values():
    from cuagym.synth.config import SynthRunConfig, load_synth_config

    cfg = load_synth_config(CONFIG_DIR / "synth.yaml", ["synth.vote.judges=5"])
    assert isinstance(cfg, SynthRunConfig) and isinstance(cfg, Config)
    assert cfg.synth.vote.judges == 5 and cfg.synth.max_rounds == 4
    assert (cfg.synth.teacher.min_success, cfg.synth.teacher.max_success) == (0.25, 0.875)
    assert cfg.rollout.max_turns == 15 and cfg.gspo.eps_low == 3e-4      # the core sections, from base.yaml
    with pytest.raises(ConfigError, match="0 <= min_success <= max_success <= 1"):
        load_synth_config(CONFIG_DIR / "synth.yaml", ["synth.teacher.min_success=0.9", "synth.teacher.max_success=0.5"])
    with pytest.raises(ConfigError, match="synth.vote.judges must be >= 1, got 0"):
        load_synth_config(None, ["synth.vote.judges=0"])
    with pytest.raises(ConfigError, match="unknown config key 'synth.llm.url'"):
        load_synth_config(None, ["synth.llm.url=http://x"])
    with pytest.raises(ConfigError, match="unknown config key 'rollout.bogus'"):
        load_synth_config(None, ["rollout.bogus=1"])


@pytest.mark.parametrize("path, overrides", [(CONFIG_DIR / "synth.yaml", []), (None, ["synth.max_rounds=5"])])
def test_training_config_refuses_the_synth_section_naming_its_command(path, overrides):
    """The core config does not know the synthesis package: its section is refused, saying who reads it."""
    with pytest.raises(ConfigError) as e:
        load_config(path, overrides)
    msg = str(e.value)
    assert "unknown config key 'synth'" in msg and "cuagym synth" in msg and "valid keys: model" in msg, msg
    assert not hasattr(Config(), "synth")


def test_cli_config_keys_and_show_cover_the_synth_section():
    r = _cli("config", "keys")
    assert r.returncode == 0, r.stderr
    keys = [line.split()[0] for line in r.stdout.splitlines()]
    assert "synth.teacher.min_success" in keys and "rollout.group_size" in keys
    r = _cli("config", "keys", "--for", "train")
    assert r.returncode == 0 and "rollout.group_size" in r.stdout and "synth." not in r.stdout
    r = _cli("config", "show", "--config", "configs/synth.yaml", "synth.vote.judges=5")
    assert r.returncode == 0, r.stderr
    assert "judges: 5" in r.stdout and "max_success: 0.875" in r.stdout and "group_size:" in r.stdout
    r = _cli("config", "check", "--config", "configs/tiny.yaml", "synth.max_rounds=2")   # a synth override: synth's class
    assert r.returncode == 0 and r.stdout.startswith("ok"), r.stderr
    r = _cli("config", "check", "--config", "configs/synth.yaml", "synth.max_round=2")
    assert r.returncode == 2 and "did you mean 'max_rounds'" in r.stderr
    r = subprocess.run([sys.executable, "-m", "cuagym.config_cli", "check", "--config", "configs/none.yaml"],
                       capture_output=True, text=True, cwd=REPO)      # launch/train_tiny.sh runs it as a module
    assert r.returncode == 2 and "config file not found" in r.stderr
