"""Search snippets as clients receive them: HTML-escaped text with matches in <b>...</b>.

PostgreSQL's ts_headline marks matches with whatever strings it is given and does not
escape the text around them. It is given two private-use characters instead of tags
(removed from the text beforehand), so that the text can be escaped first and the marks
turned into tags last: a document containing "<script>" comes back as "&lt;script&gt;".

    >>> render("a <b> & \\ue000réseaux\\ue001", fallback="")
    'a &lt;b&gt; &amp; <b>réseaux</b>'
"""

from __future__ import annotations

import html

MATCH_START = "\ue000"
MATCH_END = "\ue001"
FALLBACK_CHARS = 200


def render(raw: str | None, *, fallback: str) -> str:
    """The snippet for a client; the start of `fallback` (the passage) when there is none."""
    if raw is None or not raw.strip():
        text = " ".join(fallback[:FALLBACK_CHARS].split())
        return html.escape(text.replace(MATCH_START, "").replace(MATCH_END, ""), quote=False)
    escaped = html.escape(raw.strip(), quote=False)
    return escaped.replace(MATCH_START, "<b>").replace(MATCH_END, "</b>")
