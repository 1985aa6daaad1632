"""Text shown through Streamlit markdown: the one escaping of user and data text (no Streamlit import)."""

from __future__ import annotations

import re

# Every character CommonMark lets a backslash escape that can start markup in Streamlit: emphasis,
# code, links and images, headings, lists, tables, HTML, strike-through, LaTeX ($) and the
# ":emoji:" / ":colour[...]" directives and autolinks (":").
MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()#+-.!|<>~$:")


# Streamlit's Markdown (remark-gfm) also turns bare "https://…", "www.…" and "a@b.c" into links after
# parsing, where backslashes no longer count: an invisible WORD JOINER (U+2060) breaks those patterns.
_WJ = "\u2060"
_AUTOLINK = re.compile(r"(?i)(://|www(?=\.)|@)")


def md_escape(text: object) -> str:
    """``text`` with every Markdown/HTML special character escaped, so it shows exactly as written.

    For names, notes, file names and messages passed to ``st.markdown``, ``st.subheader``,
    ``st.caption``, ``st.error`` ...: ``md_escape("[x](y)")`` shows "[x](y)", not a link; a bare
    web or mail address is not made a link either (an invisible word joiner follows "://", "www"
    and "@").
    """
    text = _AUTOLINK.sub(lambda m: m.group(1) + _WJ, str(text))
    return "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in text)
