"""``cuagym eval``: success rate of a policy on tuples, per tuple, per app and overall.

    cuagym eval --policy runs/tiny/policy --tuples data/tuples [--filter notes.pin] [--group-size 8]
                [--config configs/tiny.yaml] [--out results.json] [--temperature 1.0] [dotted.overrides ...]

Rolls out G episodes per tuple through the real loop (hub, Chromium, reward scripts) with
the rollout settings of the config, prints a table and writes the results as JSON.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cuagym.commands.common import command, command_parser, load_run_config, usage_errors


@command("cuagym eval")
def main(argv: list[str] | None = None) -> int:
    parser = command_parser("cuagym eval", __doc__)
    parser.add_argument("--policy", required=True, help="policy folder (Hugging Face format)")
    parser.add_argument("--tuples", required=True, help="dataset folder of tuples")
    parser.add_argument("--filter", nargs="*", default=[], help="tuple id or family prefixes (default: all)")
    parser.add_argument("--group-size", type=int, default=4, help="episodes per tuple (default 4)")
    parser.add_argument("--config", default=None, help="config whose rollout settings to use (default: built-ins)")
    parser.add_argument("--temperature", type=float, default=None, help="sampling temperature (default: config's)")
    parser.add_argument("--out", default=None, help="JSON results file (default: POLICY/eval.json)")
    parser.add_argument("--run-dir", default=None, help="where to write the trajectories (default: none kept)")
    parser.add_argument("overrides", nargs="*", help="dotted config overrides")
    args = parser.parse_args(argv)
    if args.group_size < 1:
        parser.error(f"--group-size must be >= 1, got {args.group_size}")
    cfg = load_run_config(args)
    from cuagym.modeling import load_policy
    from cuagym.rollout.setup import apps_of, environment, load_tuples, loop_config, make_builder, make_engine
    from cuagym.train.evaluate import evaluate, success_table

    with usage_errors(FileNotFoundError, ValueError):
        tuples = load_tuples(args.tuples, args.filter)
        policy = load_policy(args.policy, dtype=cfg.model.dtype, attn_implementation=cfg.model.attn_implementation)
    builder = make_builder(policy.tokenizer, policy.processor.image_processor, cfg.rollout)
    engine = make_engine(cfg, policy=policy)
    with environment(cfg, apps_of(tuples)) as pool:
        rep = evaluate(tuples, args.group_size, pool, engine, builder, policy.tokenizer,
                       loop_config(cfg.rollout, args.temperature), args.run_dir, policy=str(args.policy))
    print(success_table(rep))
    out = Path(args.out) if args.out else Path(args.policy) / "eval.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(rep.to_json())
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
