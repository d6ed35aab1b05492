"""A Qwen-style tokenizer built offline, for the tiny policy.

A real Qwen tokenizer needs files from the model hub, which this project never downloads.
The tiny policy instead gets a byte-level BPE trained here, in well under a second, on
the built-in corpus (:mod:`cuagym.modeling.corpus`), with:

* Qwen's pre-tokenizer split (letters, single digits, punctuation runs, newlines) and a
  byte-level alphabet, so any UTF-8 string encodes and decodes back to itself exactly.
  Qwen also NFC-normalises; the tiny tokenizer does not, because rollout and training
  must be able to re-tokenize decoded text to the very same string;
* Qwen's control tokens appended after the learned vocabulary (as in Qwen checkpoints),
  each a single id: chat markers and vision placeholders are *special* (dropped by
  ``skip_special_tokens``), tool-call and thinking tags are plain added tokens (kept, so
  decoded text can still be parsed for tool calls);
* the Qwen-style chat template of :mod:`cuagym.modeling.chat_template`.

Training is deterministic: the same arguments give the same vocabulary and merges.
"""

from __future__ import annotations

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from cuagym.modeling.chat_template import CHAT_TEMPLATE
from cuagym.modeling.corpus import build_corpus

# Qwen2/Qwen3 pre-tokenization rule: contractions, words with an optional leading
# non-letter, one digit at a time, punctuation runs, newline runs, whitespace.
QWEN_SPLIT_PATTERN = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}|"""
    r""" ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
VISION_START = "<|vision_start|>"
VISION_END = "<|vision_end|>"
IMAGE_PAD = "<|image_pad|>"
VIDEO_PAD = "<|video_pad|>"

# Dropped by decode(skip_special_tokens=True): chat scaffolding and vision placeholders.
SPECIAL_TOKENS = (ENDOFTEXT, IM_START, IM_END, VISION_START, VISION_END, IMAGE_PAD, VIDEO_PAD)
# Single ids but ordinary text on decode, so tool calls and thoughts survive decoding.
TAG_TOKENS = ("<tool_call>", "</tool_call>", "<think>", "</think>", "<tool_response>", "</tool_response>")

DEFAULT_VOCAB_SIZE = 3072
MODEL_MAX_LENGTH = 32768


def train_byte_level_bpe(vocab_size: int = DEFAULT_VOCAB_SIZE, seed: int = 0) -> Tokenizer:
    """Train the raw byte-level BPE (learned vocabulary, no added tokens yet).

    ``vocab_size`` is the upper bound of the *whole* tokenizer; the learned part gets what
    the added tokens leave. The small corpus may run out of merges first, so the result can
    be smaller.
    """
    added = len(SPECIAL_TOKENS) + len(TAG_TOKENS)
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    if vocab_size < len(alphabet) + added:
        raise ValueError(
            f"vocab_size={vocab_size} is too small: expected at least {len(alphabet) + added} "
            f"({len(alphabet)} byte symbols + {added} special/tag tokens)"
        )
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_SPLIT_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - added,
        min_frequency=2,
        initial_alphabet=alphabet,
        show_progress=False,
    )
    tok.train_from_iterator(build_corpus(seed=seed), trainer=trainer)
    return tok


def build_tokenizer(vocab_size: int = DEFAULT_VOCAB_SIZE, seed: int = 0) -> PreTrainedTokenizerFast:
    """Build the tiny policy's tokenizer: trained BPE + Qwen control tokens + chat template."""
    tok = train_byte_level_bpe(vocab_size=vocab_size, seed=seed)
    # Added in this order so their ids follow the learned vocabulary, Qwen's layout.
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in TAG_TOKENS])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=IM_END,
        pad_token=ENDOFTEXT,
        unk_token=None,
        bos_token=None,
        model_max_length=MODEL_MAX_LENGTH,
        clean_up_tokenization_spaces=False,
        chat_template=CHAT_TEMPLATE,
        extra_special_tokens={
            "image_token": IMAGE_PAD,
            "video_token": VIDEO_PAD,
            "vision_start_token": VISION_START,
            "vision_end_token": VISION_END,
        },
    )


def special_token_ids(tokenizer) -> dict[str, int]:
    """The ids a Qwen-VL config must agree on, read from ``tokenizer`` (one id per token)."""
    names = {
        "endoftext": ENDOFTEXT, "im_start": IM_START, "im_end": IM_END,
        "vision_start": VISION_START, "vision_end": VISION_END,
        "image": IMAGE_PAD, "video": VIDEO_PAD,
    }
    ids = {}
    for key, token in names.items():
        found = tokenizer.convert_tokens_to_ids(token)
        if found is None or found == tokenizer.unk_token_id:
            raise ValueError(f"tokenizer has no single id for {token!r}; a Qwen-style tokenizer is expected")
        ids[key] = found
    return ids
