"""What the synthesis pipeline spends per kept tuple, from its own accounting, on the scripted run
of the tests (three notes tasks: one kept after 2 rounds, one never agreeing, one rejected by the
vote; see ``tests/synth/scripted.py``). The LLM is a scripted OpenAI-compatible server over
loopback HTTP that reports ``usage`` as 4 characters per token, so the token figures measure the
pipeline's prompts (schema, seed state, evidence), not a real model's replies.

    .venv/bin/python bench/synth_cost.py [--out bench/results/synth_cost.json]

Writes the summary's accounting as JSON and a short Markdown table next to it.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the scripted LLM lives with the tests


def main() -> int:
    from cuagym.commands.synth_cli import main as synth
    from tests.synth.scripted import ScriptedLLM, script_three_tasks

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "synth_cost.json"))
    args = ap.parse_args()
    llm = ScriptedLLM()
    script_three_tasks(llm)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            rc = synth(["--apps", "notes", "--n", "3", "--out", f"{tmp}/out", "--llm-url", llm.url, "--model",
                        "scripted-model", "--max-rounds", "2", "synth.existing=[]"])
        finally:
            llm.close()
        summary = json.loads(Path(f"{tmp}/out/synth_summary.json").read_text())
    if rc != 0:
        print(f"synth exited {rc}", file=sys.stderr)
        return rc
    result = {"label": "scripted run of the tests (not a real model): 3 proposed, 1 kept",
              "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": platform.node(),
              "wall_s": round(time.monotonic() - t0, 1),
              **{k: summary[k] for k in ("proposed", "agreed", "dropped", "rejected_vote", "kept", "rounds_hist",
                                         "usage", "per_kept_tuple")}}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    rows = ["| agent | calls | prompt tokens | completion tokens |", "|---|---:|---:|---:|"]
    rows += [f"| {a} | {u['calls']} | {u['prompt_tokens']} | {u['completion_tokens']} |"
             for a, u in summary["usage"].items()]
    p = summary["per_kept_tuple"]
    md = (f"# Synthesis cost, scripted run\n\n{result['label']}; {result['date']}; wall {result['wall_s']} s.\n\n"
          + "\n".join(rows) + f"\n\nPer kept tuple: {p['calls']} calls, {p['prompt_tokens']} prompt + "
          f"{p['completion_tokens']} completion tokens.\n")
    out.with_suffix(".md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
