"""Showing text that came from data or users (file names, column names, errors) literally."""
import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
_JOINER = "\u2060"  # WORD JOINER: invisible, and not part of any link pattern
# Streamlit's Markdown (remark-gfm) turns bare addresses into links AFTER escapes are resolved, so
# escaping alone does not stop them: break each pattern it looks for with an invisible character.
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?<=@)")
# Streamlit also reads ``:name:`` emoji shortcodes, ``:material/name:`` icons (it rewrites the source's
# ``:material/`` before parsing, so an escaped colon does not stop them) and ``:red[text]`` colour
# directives: the word joiner after a colon that opens one breaks each of them.
_SHORTCODE = re.compile(r":(?=[\w+-])")


def plain(text: object) -> str:
    """Escape Markdown (and the HTML-ish ``<``/``>``) so Streamlit shows ``text`` as typed: no links,
    no markup, no icons; ``https://...``, ``www....``, ``name@host``, ``:rocket:``, ``:material/home:``
    and ``:red[...]`` stay text (an invisible word joiner breaks each pattern)."""
    unlinked = _SHORTCODE.sub(":" + _JOINER, _AUTOLINK.sub(_JOINER, str(text)))
    return _MARKDOWN.sub(r"\\\1", unlinked).replace("\n", " ")
