"""``cuagym model``: build the tiny policy, or run a policy once on a real app screenshot.

    cuagym model build-tiny runs/tiny_policy [--seed 0] [--image-size 256x160]
    cuagym model smoke runs/tiny_policy [--app notes]

``smoke`` serves one hub app, takes a screenshot of it in Chromium, renders the chat the
agent would see, runs a forward pass and generates one turn, and prints what happened
(token counts, image tokens, the generated text and its mean log-prob). ``smoke`` needs the hub
and the rollout task page, which is why this command lives with the commands and not in
``cuagym.modeling`` (the core, which imports neither).
"""

from __future__ import annotations

import argparse
import io
import sys
import time

from cuagym.commands.common import subcommand_parsers


def _smoke(args: argparse.Namespace) -> int:
    import torch
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from cuagym.browser import launch_kwargs
    from cuagym.hub.launcher import HubProcess
    from cuagym.modeling.factory import chat_inputs, load_policy
    from cuagym.rollout.task_page import open_task

    try:
        policy = load_policy(args.path, dtype="float32", attn_implementation="sdpa")
    except (FileNotFoundError, ValueError) as e:
        print(f"cuagym model smoke: {e}", file=sys.stderr)
        return 2
    with HubProcess([args.app]) as hub, sync_playwright() as p:
        browser = p.chromium.launch(**launch_kwargs())
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        open_task(page, hub.urls, [args.app], "smoke", hub.admin_token)
        shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
        browser.close()
    messages = [{"role": "user", "content": [{"type": "image"},
                                              {"type": "text", "text": f"This is the {args.app} app. Click the "
                                                                       "first item in the list."}]}]
    inputs = chat_inputs(policy, messages, [shot])
    n_image = int(inputs["mm_token_type_ids"].sum())
    t0 = time.perf_counter()
    with torch.no_grad():
        policy.model(**inputs)
        out = policy.model.generate(**inputs, max_new_tokens=args.max_new_tokens, do_sample=True,
                                    output_scores=True, return_dict_in_generate=True)
    seconds = time.perf_counter() - t0
    new = out.sequences[0, inputs["input_ids"].shape[1]:]
    logps = [torch.log_softmax(s[0].float(), -1)[tok].item() for s, tok in zip(out.scores, new)]
    text = policy.tokenizer.decode(new, skip_special_tokens=False)
    print(f"smoke: screenshot {shot.size[0]}x{shot.size[1]} of {args.app} -> {inputs['input_ids'].shape[1]} prompt "
          f"tokens ({n_image} image tokens); generated {len(new)} tokens in {seconds:.2f} s, "
          f"mean log-prob {sum(logps) / max(len(logps), 1):.3f}")
    print(f"smoke: generated text: {text[:200]!r}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p, sub = subcommand_parsers("cuagym model", "Build or try a policy model.", {
        "build-tiny": "build the tiny random-weight Qwen3.5-MoE policy offline",
        "smoke": "run a policy on one hub app screenshot (forward + generate)"})
    b = sub["build-tiny"]
    b.add_argument("out_dir")
    b.add_argument("--seed", default="0")
    b.add_argument("--image-size", default="256x160")
    b.add_argument("--layers", default=None)
    s = sub["smoke"]
    s.add_argument("path")
    s.add_argument("--app", default="notes")
    s.add_argument("--max-new-tokens", type=int, default=16)
    args = p.parse_args(argv)
    if args.cmd == "build-tiny":
        from cuagym.modeling.tiny import main as tiny_main
        extra = ["--seed", args.seed, "--image-size", args.image_size] + (["--layers", args.layers] if args.layers else [])
        return tiny_main([args.out_dir, *extra])
    return _smoke(args)
