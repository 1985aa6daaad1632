"""Text shown through Streamlit markdown: the one escaping of user and data text (no Streamlit import)."""

from __future__ import annotations

# Every character CommonMark lets a backslash escape that can start markup in Streamlit: emphasis,
# code, links and images, headings, lists, tables, HTML, strike-through, LaTeX ($) and the
# ":emoji:" / ":colour[...]" directives and autolinks (":").
MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()#+-.!|<>~$:")


def md_escape(text: object) -> str:
    """``text`` with every Markdown/HTML special character escaped, so it shows exactly as written.

    For names, notes, file names and messages passed to ``st.markdown``, ``st.subheader``,
    ``st.caption``, ``st.error`` ...: ``md_escape("[x](y)")`` shows "[x](y)", not a link.
    """
    return "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in str(text))
