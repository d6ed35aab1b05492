"""``cuagym export``: turn a learner checkpoint into a Hugging Face model folder.

    cuagym export runs/default/checkpoints runs/default/hf_model [--tag step_00000100] [--max-shard-size 2GB]

CKPT is a checkpoint root (the newest tag is used unless --tag is given) or one step_N folder.
The output loads with ``cuagym.modeling.load_policy`` and serves with vLLM.
"""

from __future__ import annotations

import sys

from cuagym.commands.common import command, command_parser, usage_errors


@command("cuagym export")
def main(argv: list[str] | None = None) -> int:
    parser = command_parser("cuagym export", __doc__)
    parser.add_argument("ckpt", help="checkpoint root (with step_N folders) or one step_N folder")
    parser.add_argument("out_dir", help="output folder for the Hugging Face model")
    parser.add_argument("--tag", default=None, help="checkpoint tag to export (default: the newest)")
    parser.add_argument("--max-shard-size", default="2GB", help="largest safetensors shard, e.g. 2GB or 500MB")
    args = parser.parse_args(argv)
    from cuagym.train.export import export_checkpoint

    with usage_errors(FileNotFoundError, ValueError):
        out = export_checkpoint(args.ckpt, args.out_dir, tag=args.tag, max_shard_size=args.max_shard_size)
    print(f"exported {args.ckpt} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
