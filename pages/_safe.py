"""Showing text that came from data or users (file names, column names, errors) literally."""
import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: object) -> str:
    """Escape Markdown (and the HTML-ish ``<``/``>``) so Streamlit shows ``text`` as typed: no links, no markup."""
    return _MARKDOWN.sub(r"\\\1", str(text)).replace("\n", " ")
