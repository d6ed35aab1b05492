"""Reading model replies: file blocks, JSON answers, DONE and DISPUTE; each bad reply is named."""

from __future__ import annotations

import pytest

from cuagym.synth.replies import ReplyError, dispute_reason, is_done, parse_files, parse_json

ALLOWED = ("initial_setup.py", "golden_patch.py")


def test_file_blocks_with_headings_and_near_misses():
    text = ("Plan first.\n\n**FILE: initial_setup.py**\n```python\nx = 1\n```\n"
            "### FILE: `near_miss/wrong_one.py`\n```\ny = 2\n```\n")
    assert parse_files(text, ALLOWED, near_miss=True) == {"initial_setup.py": "x = 1\n",
                                                          "near_miss/wrong_one.py": "y = 2\n"}


@pytest.mark.parametrize("text, message", [
    ("no files here", "no file found"),
    ("FILE: reward.py\n```python\nx=1\n```", "unexpected file 'reward.py'"),
    ("FILE: near_miss/../x.py\n```python\nx=1\n```", "unexpected file"),
    ("FILE: golden_patch.py\n```python\ndef f(:\n```", "golden_patch.py does not compile: line 1"),
    ("FILE: golden_patch.py\n```python\nx=1\n```\nFILE: golden_patch.py\n```python\nx=2\n```", "appears twice"),
])
def test_bad_file_replies_are_named(text, message):
    with pytest.raises(ReplyError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_files(text, ALLOWED, near_miss=True)


def test_json_answers():
    assert parse_json('blah ```json\n{"a": 1}\n``` blah') == {"a": 1}
    assert parse_json('Sure: [{"a": 1}, {"b": 2}] hope it helps', list) == [{"a": 1}, {"b": 2}]
    with pytest.raises(ReplyError, match="invalid JSON"):
        parse_json('{"a": 1,,}')
    with pytest.raises(ReplyError, match="expected a JSON array, got dict"):
        parse_json('```json\n{"a": 1}\n```', list)


def test_done_and_dispute():
    assert is_done(" DONE.") and is_done("done") and not is_done("DONE, but also FILE: x")
    assert dispute_reason("DISPUTE: the golden state pins two notes") == "the golden state pins two notes"
    assert dispute_reason("Fine.\nFILE: reward.py\n```python\nx=1\n```") is None
    assert dispute_reason("no dispute") is None
