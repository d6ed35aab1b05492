"""The offline Qwen-style tokenizer: single-id control tokens, exact round trips, chat template."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuagym.modeling.tokenizer import SPECIAL_TOKENS, TAG_TOKENS, build_tokenizer, train_byte_level_bpe


@pytest.fixture(scope="module")
def tok():
    return build_tokenizer()


def test_vocabulary_is_small_and_training_is_deterministic(tok):
    assert 2048 <= len(tok) <= 4096
    assert train_byte_level_bpe().to_str() == train_byte_level_bpe().to_str()


def test_control_tokens_are_single_ids_after_the_learned_vocabulary(tok):
    ids = []
    for token in SPECIAL_TOKENS + TAG_TOKENS:
        encoded = tok.encode(token, add_special_tokens=False)
        assert encoded == [tok.convert_tokens_to_ids(token)], token
        ids.append(encoded[0])
    # Qwen layout: the 13 added tokens take the last ids, in declaration order.
    assert ids == list(range(len(tok) - len(ids), len(tok)))
    assert tok.eos_token == "<|im_end|>" and tok.pad_token == "<|endoftext|>"
    assert tok.image_token == "<|image_pad|>" and tok.image_token_id == ids[SPECIAL_TOKENS.index("<|image_pad|>")]


def test_skip_special_tokens_keeps_tool_call_and_think_tags(tok):
    text = '<|im_start|>assistant\n<think>\nok\n</think>\n\n<tool_call>\n{"name": "x"}\n</tool_call><|im_end|>'
    ids = tok.encode(text, add_special_tokens=False)
    assert tok.decode(ids) == text
    assert tok.decode(ids, skip_special_tokens=True) == 'assistant\n<think>\nok\n</think>\n\n<tool_call>\n{"name": "x"}\n</tool_call>'


def test_common_words_are_merged(tok):
    # A trained BPE, not a byte map: frequent UI words are one token each.
    assert tok.tokenize(" click the button") == ["Ġclick", "Ġthe", "Ġbutton"]


def _roundtrips(tok, text: str) -> bool:
    return tok.decode(tok.encode(text, add_special_tokens=False)) == text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_any_unicode_text_round_trips(tok, text):
    assert _roundtrips(tok, text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=300))
def test_any_ascii_text_round_trips(tok, text):
    assert _roundtrips(tok, text)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=JSON, ensure_ascii=st.booleans())
def test_json_tool_calls_round_trip(tok, args, ensure_ascii):
    call = json.dumps({"name": "computer_use", "arguments": args}, ensure_ascii=ensure_ascii)
    text = f"<tool_call>\n{call}\n</tool_call>"
    ids = tok.encode(text, add_special_tokens=False)
    assert tok.decode(ids) == text
    assert ids[0] == tok.convert_tokens_to_ids("<tool_call>") and ids[-1] == tok.convert_tokens_to_ids("</tool_call>")


def test_chat_template_renders_a_two_turn_chat_with_an_image(tok):
    messages = [
        {"role": "system", "content": "You operate a web browser."},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Open the inbox."}]},
        {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {
            "name": "computer_use", "arguments": {"action": "left_click", "coordinate": [12, 34]}}}]},
        {"role": "tool", "content": [{"type": "image"}]},
        {"role": "assistant", "content": "Done."},
    ]
    expected = (
        "<|im_start|>system\nYou operate a web browser.<|im_end|>\n"
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Open the inbox.<|im_end|>\n"
        "<|im_start|>assistant\n<tool_call>\n"
        '{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [12, 34]}}\n'
        "</tool_call><|im_end|>\n"
        "<|im_start|>user\n<tool_response>\n<|vision_start|><|image_pad|><|vision_end|>\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\nDone.<|im_end|>\n"
    )
    assert tok.apply_chat_template(messages, tokenize=False) == expected
    assert tok.apply_chat_template(messages[:2], tokenize=False, add_generation_prompt=True) == (
        expected.split("<|im_start|>assistant")[0] + "<|im_start|>assistant\n"
    )


def test_chat_template_puts_tools_in_the_system_turn_and_thoughts_before_calls(tok):
    tool = {"type": "function", "function": {"name": "computer_use", "description": "Mouse and keyboard.",
                                             "parameters": {"type": "object", "properties": {}}}}
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Clicking.", "reasoning_content": "The OK button.", "tool_calls": [
            {"type": "function", "function": {"name": "computer_use", "arguments": '{"action": "wait"}'}},
            {"type": "function", "function": {"name": "computer_use", "arguments": {"action": "terminate"}}},
        ]},
        {"role": "tool", "content": "ok"},
        {"role": "tool", "content": "done"},
    ]
    text = tok.apply_chat_template(messages, tools=[tool], tokenize=False)
    system, rest = text.split("<|im_end|>\n", 1)
    assert system.startswith("<|im_start|>system\n# Tools\n")
    assert f"<tools>\n{json.dumps(tool)}\n</tools>" in system
    assert rest == (
        "<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\n<think>\nThe OK button.\n</think>\n\nClicking.\n"
        '<tool_call>\n{"name": "computer_use", "arguments": {"action": "wait"}}\n</tool_call>\n'
        '<tool_call>\n{"name": "computer_use", "arguments": {"action": "terminate"}}\n</tool_call><|im_end|>\n'
        "<|im_start|>user\n<tool_response>\nok\n</tool_response>\n<tool_response>\ndone\n</tool_response><|im_end|>\n"
    )
    # The rendered chat survives tokenization unchanged.
    assert _roundtrips(tok, text)


def test_chat_template_rejects_unknown_roles(tok):
    with pytest.raises(Exception, match="unknown chat role robot"):
        tok.apply_chat_template([{"role": "robot", "content": "x"}], tokenize=False)


def test_too_small_vocab_is_refused():
    with pytest.raises(ValueError, match="vocab_size=100 is too small"):
        train_byte_level_bpe(vocab_size=100)
