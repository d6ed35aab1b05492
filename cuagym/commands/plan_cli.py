"""``cuagym plan``: print where a run's actors go and whether they fit in GPU memory.

    cuagym plan --config configs/a3b.yaml [key.path=value ...] [--nodes N] [--json]

Prints the placement plan (learner ranks with their ZeRO stage, policy engines with
their TP/EP sizes and GPUs, env workers per node) and a per-GPU memory estimate. Exit
status: 0 when the plan fits, 1 when it is refused (the reasons are printed), 2 for a
config that cannot be read. The launch scripts' ``--dry-run`` is this command.
"""

from __future__ import annotations

import dataclasses
import json
import sys

from cuagym.commands.common import command, config_parser, load_run_config, usage_errors


@command("cuagym plan")
def main(argv: list[str] | None = None) -> int:
    parser = config_parser("cuagym plan", __doc__, "cluster.nodes=4", required=False)
    parser.add_argument("--nodes", type=int, default=None,
                        help="nodes the cluster really has (e.g. $NNODES); refuse when cluster.nodes differs")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON instead of text")
    args = parser.parse_args(argv)
    from cuagym.train.placement import PlanError, format_plan, plan_from_config

    cfg = load_run_config(args)
    with usage_errors(PlanError):
        plan = plan_from_config(cfg)
    if args.nodes is not None and args.nodes != cfg.cluster.nodes:
        plan = dataclasses.replace(plan, problems=plan.problems + (
            f"the cluster has {args.nodes} node(s) but cluster.nodes is {cfg.cluster.nodes}: launch on "
            f"{cfg.cluster.nodes} nodes or pass cluster.nodes={args.nodes} (and matching GPU counts)",))
    if args.json:
        print(json.dumps({**dataclasses.asdict(plan), "fits": plan.fits}, indent=1, default=str))
    else:
        print(format_plan(plan))
    return 0 if plan.fits else 1


if __name__ == "__main__":
    sys.exit(main())
