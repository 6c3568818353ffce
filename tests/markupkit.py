"""What Streamlit's Markdown would render as markup in a string: links, emoji, icons, colours. The
oracle of the tests that names from data and users are shown as text (tests/test_safe.py and the
AppTest modules)."""
from __future__ import annotations

import re

# The patterns Streamlit's Markdown (remark-gfm's autolink literals) turns into links, applied to the
# text after Markdown escapes are resolved, which is where remark-gfm applies them.
_BARE_URL = re.compile(r"(?i)(https?://|www(?=\.))[-.\w]+")
_BARE_EMAIL = re.compile(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+")

#: What else Streamlit's Markdown renders in text, after escapes are resolved: ``:name:`` emoji
#: shortcodes, ``:material/name:`` icons and ``:colour[...]`` directives.
_SHORTCODE = re.compile(r":[\w+-]+:|:material/|:[\w-]+\[")


def live_links(markdown: str) -> list[str]:
    """The bare addresses Streamlit would turn into links in ``markdown``."""
    text = re.sub(r"\\(.)", r"\1", markdown)
    return _BARE_URL.findall(text) + _BARE_EMAIL.findall(text)


def markup(markdown: str) -> list[str]:
    """The links, emoji, icons and colours Streamlit would render in ``markdown``."""
    return live_links(markdown) + _SHORTCODE.findall(re.sub(r"\\(.)", r"\1", markdown))
