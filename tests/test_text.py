"""Tests of lib.io.text.md_escape, the one escaping of text shown through Streamlit markdown."""

from __future__ import annotations

import pytest

from lib.io.text import MARKDOWN_SPECIAL, md_escape


@pytest.mark.parametrize(
    "text, escaped",
    [
        ("*Xã* <b>[x](y)</b>", r"\*Xã\* \<b\>\[x\]\(y\)\</b\>"),
        ("[bấm vào](https://evil.example)", "\\[bấm vào\\]\\(https\\://\u2060evil\\.example\\)"),
        ("![ảnh](http://x/y.png)", "\\!\\[ảnh\\]\\(http\\://\u2060x/y\\.png\\)"),
        ("www.evil.example a@b.vn", "www\u2060\\.evil\\.example a@\u2060b\\.vn"),
        ('<img src=x onerror="alert(1)">', r'\<img src=x onerror="alert\(1\)"\>'),
        ("<script>alert(1)</script>", r"\<script\>alert\(1\)\</script\>"),
        ("# Tiêu đề", r"\# Tiêu đề"),
        (":red[đỏ] :smile: $x$", r"\:red\[đỏ\] \:smile\: \$x\$"),
        ("Phường Phúc Xá", "Phường Phúc Xá"),
        (12, "12"),
    ],
)
def test_md_escape_neutralises_links_images_html_and_directives(text, escaped):
    assert md_escape(text) == escaped


def test_every_special_character_is_escaped_once():
    for ch in MARKDOWN_SPECIAL:
        assert md_escape(ch) == "\\" + ch
    assert md_escape("\\*") == "\\\\\\*"
