"""Text for the pages: Markdown from the metadata (never raw HTML) and human-readable sizes."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

SIZE_UNITS = ("kB", "MB", "GB", "TB")


def human_size(n: int) -> str:
    """Bytes in SI units, as file managers show them: 1234 → '1.2 kB'."""
    if n < 1000:
        return f"{n} B"
    size = float(n)
    for unit in SIZE_UNITS:
        size /= 1000
        if size < 1000 or unit == SIZE_UNITS[-1]:
            break
    return f"{size:.1f} {unit}"


def _markdown() -> MarkdownIt:
    # Raw HTML off: changelogs and descriptions are text, never markup that runs in the page.
    return MarkdownIt("commonmark", {"html": False, "typographer": False})


def render_markdown(text: str | None, top: int | None = None) -> Markup:
    """Markdown to HTML; with ``top``, its largest heading becomes ``<h{top}>``, and the
    others follow, so the text's headings sit under the page's own."""
    if not text:
        return Markup("")
    md = _markdown()
    tokens = md.parse(text)
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    shift = top - min(levels) if top and levels else 0
    for tok in tokens:
        if tok.type in ("heading_open", "heading_close"):
            tok.tag = f"h{min(6, int(tok.tag[1]) + shift)}"
    # Safe to mark as HTML: raw HTML in the text was escaped by the parser.
    return Markup(md.renderer.render(tokens, md.options, {}))


def render_inline(text: str | None) -> Markup:
    """One line of Markdown (no paragraph) to HTML."""
    return Markup(_markdown().renderInline(text or ""))
