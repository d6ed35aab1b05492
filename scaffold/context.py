"""Token-exact contexts of a multi-turn computer-use episode.

A context is built by concatenating pieces, never by re-tokenising a whole chat, so the
tokens a policy generated appear exactly as generated, and rollout (which asks the policy
for step t) and training (which scores step t's tokens) see the identical token sequence:

    <|im_start|>system\\n{system}<|im_end|>\\n<|im_start|>user\\n{instruction}\\n[IMG 0]<|im_end|>\\n<|im_start|>assistant\\n
    {generated ids of step 0}(<|im_end|> appended if generation stopped without it)
    \\n<|im_start|>user\\n{feedback 0}\\n[IMG 1]<|im_end|>\\n<|im_start|>assistant\\n
    {generated ids of step 1} ...

``[IMG i]`` is ``<|vision_start|>`` + one ``<|image_pad|>`` per merged patch + ``<|vision_end|>``,
or, once screenshot i is folded, the text ``[screenshot i omitted]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import torch

from cuagym.scaffold.fold import folded_count

IM_START, IM_END = "<|im_start|>", "<|im_end|>"
VISION_START, VISION_END, IMAGE_PAD = "<|vision_start|>", "<|vision_end|>", "<|image_pad|>"


@dataclass
class StepRecord:
    """One model turn: the exact generated token ids, their rollout log-probs, and the
    feedback text shown to the model before the next screenshot."""

    gen_ids: list[int]
    logprobs: list[float]
    feedback: str = ""


@dataclass
class Context:
    """A token sequence with what each token is.

    input_ids, mm_token_type_ids, policy_mask, step_ids, old_logprobs: one entry per token.
    step_ids: the step whose generation produced the token, -1 for prompt/environment tokens.
    images: indices of the screenshots shown at full resolution, in order of appearance.
    """

    input_ids: list[int] = field(default_factory=list)
    mm_token_type_ids: list[int] = field(default_factory=list)
    step_ids: list[int] = field(default_factory=list)
    old_logprobs: list[float] = field(default_factory=list)
    images: list[int] = field(default_factory=list)
    folded: int = 0

    def __len__(self) -> int:
        return len(self.input_ids)

    def add(self, ids: Sequence[int], step: int = -1, logprobs: Sequence[float] | None = None,
            image: bool = False) -> None:
        self.input_ids.extend(ids)
        self.mm_token_type_ids.extend([1 if image else 0] * len(ids))
        self.step_ids.extend([step] * len(ids))
        self.old_logprobs.extend(logprobs if logprobs is not None else [0.0] * len(ids))


class ContextBuilder:
    """Builds contexts for one policy (its tokenizer and image processor) and one fold rule."""

    def __init__(self, tokenizer: Any, image_processor: Any, *, system: str, image_max: int = 20,
                 fold_size: int = 10) -> None:
        self.tok = tokenizer
        self.image_processor = image_processor
        self.system = system
        self.image_max, self.fold_size = image_max, fold_size
        self.merge = int(getattr(image_processor, "merge_size", 2))
        self.im_end = self._single(IM_END)
        self.vision_start, self.vision_end = self._single(VISION_START), self._single(VISION_END)
        self.image_pad = self._single(IMAGE_PAD)
        self._text_cache: dict[str, list[int]] = {}
        self._image_cache: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def _single(self, token: str) -> int:
        ids = self.tok.encode(token, add_special_tokens=False)
        if len(ids) != 1:
            raise ValueError(f"tokenizer must encode {token!r} as one token, got {ids}")
        return ids[0]

    def text(self, s: str) -> list[int]:
        ids = self._text_cache.get(s)
        if ids is None:
            ids = self.tok.encode(s, add_special_tokens=False)
            if len(self._text_cache) < 4096:
                self._text_cache[s] = ids
        return ids

    def encode_image(self, key: int, image: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """(pixel_values [patches, dim], image_grid_thw [3]) of one screenshot, cached by key."""
        hit = self._image_cache.get(key)
        if hit is None or hit[2] is not image:
            out = self.image_processor(images=[image], return_tensors="pt")
            hit = (out["pixel_values"], out["image_grid_thw"][0], image)
            self._image_cache[key] = hit
        return hit[0], hit[1]

    def image_tokens(self, key: int, image: Any) -> int:
        _, grid = self.encode_image(key, image)
        return int(grid.prod()) // (self.merge * self.merge)

    def _image_piece(self, ctx: Context, i: int, image: Any, folded: bool) -> None:
        if folded:
            ctx.add(self.text(f"[screenshot {i} omitted]"))
        else:
            ctx.add([self.vision_start])
            ctx.add([self.image_pad] * self.image_tokens(i, image), image=True)
            ctx.add([self.vision_end])
            ctx.images.append(i)

    def build(self, instruction: str, screenshots: Sequence[Any], steps: Sequence[StepRecord]) -> Context:
        """The context in which the policy acts on the last screenshot.

        ``screenshots`` are observations 0..t and ``steps`` the t turns taken between them, so
        ``len(screenshots) == len(steps) + 1``. The result ends with ``<|im_start|>assistant\\n``.
        """
        if len(screenshots) != len(steps) + 1:
            raise ValueError(f"need one more screenshot than steps, got {len(screenshots)} and {len(steps)}")
        folded = folded_count(len(screenshots), self.image_max, self.fold_size)
        ctx = Context(folded=folded)
        ctx.add(self.text(f"{IM_START}system\n{self.system}{IM_END}\n{IM_START}user\n{instruction}\n"))
        self._image_piece(ctx, 0, screenshots[0], folded > 0)
        ctx.add(self.text(f"{IM_END}\n{IM_START}assistant\n"))
        for k, step in enumerate(steps):
            self.add_generation(ctx, k, step)
            ctx.add(self.text(f"\n{IM_START}user\n{step.feedback}\n"))
            self._image_piece(ctx, k + 1, screenshots[k + 1], k + 1 < folded)
            ctx.add(self.text(f"{IM_END}\n{IM_START}assistant\n"))
        return ctx

    def add_generation(self, ctx: Context, k: int, step: StepRecord) -> None:
        if len(step.gen_ids) != len(step.logprobs):
            raise ValueError(f"step {k}: {len(step.gen_ids)} generated ids but {len(step.logprobs)} log-probs")
        ctx.add(step.gen_ids, step=k, logprobs=step.logprobs)
        if not step.gen_ids or step.gen_ids[-1] != self.im_end:
            ctx.add([self.im_end])  # generation was cut off: close the turn (not a policy token)

    def chat(self, ctx: Context, screenshots: Sequence[Any]) -> list[dict[str, Any]]:
        """The same context as a structured conversation, for engines that take chats.

        Read back from the context's own tokens, so it says exactly what the token engines see:
        ``[{"role": "system" | "user" | "assistant", "content": [part, ...]}, ...]`` with parts
        ``{"type": "text", "text": str}`` or ``{"type": "image", "index": i, "image": screenshots[i]}``
        (folded screenshots stay the placeholder text). The final open assistant turn, which
        the model is asked to write, is left out. Generated tokens are decoded as one piece, so
        control tokens a policy happened to emit never split its turn.
        """
        pieces: list[tuple[str, Any]] = []  # ("text", ids) | ("gen", ids) | ("image", index)
        images = iter(ctx.images)
        i, n = 0, len(ctx)
        while i < n:
            j = i + 1
            if ctx.mm_token_type_ids[i]:
                while j < n and ctx.mm_token_type_ids[j]:
                    j += 1
                pieces.append(("image", next(images)))
            else:
                gen = ctx.step_ids[i] >= 0
                while j < n and not ctx.mm_token_type_ids[j] and (ctx.step_ids[j] >= 0) == gen:
                    j += 1
                pieces.append(("gen" if gen else "text", ctx.input_ids[i:j]))
            i = j
        messages: list[dict[str, Any]] = []
        current: dict[str, Any] | None = None

        def add_text(text: str) -> None:
            parts = current["content"]  # type: ignore[index]
            if parts and parts[-1]["type"] == "text":
                parts[-1]["text"] += text
            elif text:
                parts.append({"type": "text", "text": text})

        for kind, value in pieces:
            if kind == "image":
                if current is not None:
                    current["content"].append({"type": "image", "index": value, "image": screenshots[value]})
                continue
            text = self.tok.decode(value, skip_special_tokens=False)
            if kind == "gen":
                if current is not None:
                    closed = text.endswith(IM_END)
                    add_text(text[: -len(IM_END)] if closed else text)
                    if closed:
                        current = None
                continue
            text = text.replace(VISION_START, "").replace(VISION_END, "")
            while text:
                if current is None:
                    k = text.find(IM_START)
                    if k < 0:
                        break  # the newline between two turns
                    role, _, text = text[k + len(IM_START):].partition("\n")
                    current = {"role": role, "content": []}
                    messages.append(current)
                else:
                    k = text.find(IM_END)
                    add_text(text if k < 0 else text[:k])
                    if k < 0:
                        break
                    text, current = text[k + len(IM_END):], None
        if messages and messages[-1]["role"] == "assistant" and not messages[-1]["content"]:
            messages.pop()
        return messages

    def model_inputs(self, ctx: Context, screenshots: Sequence[Any]) -> dict[str, torch.Tensor]:
        """Batch-of-one tensors for the model: input_ids, attention_mask, mm_token_type_ids, and
        pixel_values / image_grid_thw for the screenshots shown at full resolution."""
        out = {"input_ids": torch.tensor([ctx.input_ids]),
               "attention_mask": torch.ones(1, len(ctx), dtype=torch.long),
               "mm_token_type_ids": torch.tensor([ctx.mm_token_type_ids])}
        if ctx.images:
            enc = [self.encode_image(i, screenshots[i]) for i in ctx.images]
            out["pixel_values"] = torch.cat([e[0] for e in enc])
            out["image_grid_thw"] = torch.stack([e[1] for e in enc])
        return out
