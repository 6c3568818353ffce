"""Showing text that came from data or users (file names, column names, errors) literally."""
import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
_JOINER = "\u2060"  # WORD JOINER: invisible, and not part of any link pattern
# Streamlit's Markdown (remark-gfm) turns bare addresses into links AFTER escapes are resolved, so
# escaping alone does not stop them: break each pattern it looks for with an invisible character.
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?<=@)")


def plain(text: object) -> str:
    """Escape Markdown (and the HTML-ish ``<``/``>``) so Streamlit shows ``text`` as typed: no links,
    no markup; ``https://...``, ``www....`` and ``name@host`` stay text, not live links."""
    unlinked = _AUTOLINK.sub(_JOINER, str(text))
    return _MARKDOWN.sub(r"\\\1", unlinked).replace("\n", " ")
