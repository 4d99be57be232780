"""Markdown to safe HTML. The only module that imports markdown and the sanitizer."""

from __future__ import annotations

import html as htmllib
import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# Bump when rendering changes, so that an unchanged file is rendered again at the next sync.
RENDERER_VERSION = "6"

ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "caption", "hr", "br", "div", "span",
    "img", "del", "ins", "sup", "sub", "dl", "dt", "dd", "abbr", "kbd", "mark",
}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# "class" is governed by ALLOWED_CLASSES, never listed here.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "th": {"style", "scope"},
    "td": {"style"},
    # The checklist glyph is decoration, read out as "Done:" by the text beside it.
    "span": {"aria-hidden"},
    # A wide table scrolls inside its own region, which a keyboard can reach.
    "div": {"tabindex", "role", "aria-label"},
    **{tag: {"id"} for tag in HEADINGS},
}
ALLOWED_CLASSES = {
    "a": {"heading-link"},
    "div": {"admonition", "note", "tip", "warning", "danger", "important", "info", "toc", "table-scroll"},
    "p": {"admonition-title"},
    "ul": {"task-list"},
    "li": {"task-list-item"},
    "span": {"task-box", "visually-hidden"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Content that must go entirely, not just lose its tags.
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript", "textarea",
                     "select", "button", "form", "frame", "frameset"}


_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=DROP_WITH_CONTENT,
    attributes=ALLOWED_ATTRIBUTES,
    allowed_classes=ALLOWED_CLASSES,
    filter_style_properties={"text-align"},
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer",
)


def sanitize(html: str) -> str:
    """Return ``html`` with everything outside the allow-list removed."""
    return _cleaner.clean(html)


@dataclass
class Rendered:
    html: str
    toc_html: str
    text: str
    word_count: int
    links: list[str] = field(default_factory=list)
    # (href, line) of relative links that do not name a library document
    bad_links: list[tuple[str, int | None]] = field(default_factory=list)


class _LinkResolver(Treeprocessor):
    """Rewrite relative links to .md files into page URLs, and note each one."""

    def __init__(self, md, renderer: Renderer):
        super().__init__(md)
        self.renderer = renderer

    def run(self, root):
        for element in root.iter("a"):
            href = element.get("href", "")
            resolved = self.renderer.resolve(href)
            if resolved is not None:
                element.set("href", resolved)


class _LinkExtension(Extension):
    def __init__(self, renderer: Renderer):
        super().__init__()
        self.renderer = renderer

    def extendMarkdown(self, md):
        # After inline parsing (priority 20) so links exist; before the TOC (5) is irrelevant.
        md.treeprocessors.register(_LinkResolver(md, self.renderer), "coe_links", 15)


class Renderer:
    """Render library Markdown; one instance per sync (it is not thread-safe)."""

    def __init__(self, known_refs: set[str]):
        self.known_refs = known_refs
        self._doc_dir = ""
        self._links: list[str] = []
        self._bad: list[str] = []
        self.md = markdown.Markdown(
            extensions=[
                "tables", "fenced_code", "admonition", "sane_lists", "toc", "pymdownx.tasklist",
                _LinkExtension(self),
            ],
            extension_configs={
                # The heading's own text links to it: a screen reader reads the heading and nothing more.
                "toc": {"anchorlink": True, "anchorlink_class": "heading-link", "toc_depth": "2-3"},
                "pymdownx.tasklist": {"custom_checkbox": False},
            },
            output_format="html",
        )

    def resolve(self, href: str) -> str | None:
        """Return the site URL for a relative .md link, or None to leave the link alone."""
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith(("/", "#")) or not parts.path:
            return None
        target = posixpath.normpath(posixpath.join(self._doc_dir, parts.path))
        if not target.endswith(".md"):
            self._bad.append(href)
            return None
        ref = target[: -len(".md")]
        if ref not in self.known_refs:
            self._bad.append(href)
            return None
        self._links.append(ref)
        # Page URLs mirror the folders (/library/<kind>/<slug>), so a relative link without
        # ".md" reaches the page wherever the site is mounted.
        return posixpath.relpath(ref, self._doc_dir) + (f"#{parts.fragment}" if parts.fragment else "")

    def render(self, source: str, doc_dir: str, line_offset: int = 0) -> Rendered:
        """Render ``source`` (the body after front matter) of a document in ``doc_dir``."""
        self._doc_dir, self._links, self._bad = doc_dir, [], []
        self.md.reset()
        raw = _TABLE_START.sub(_TABLE_REGION, _TABLE_END.sub("</table></div>", _TASK_BOX.sub(_task_box, self.md.convert(source))))
        toc = self.md.toc if getattr(self.md, "toc_tokens", None) else ""
        safe = sanitize(raw)
        text = plain_text(safe)
        return Rendered(
            html=safe,
            toc_html=sanitize(toc),
            text=text,
            word_count=count_words(text),
            links=sorted(set(self._links)),
            bad_links=[(href, _line_of(source, href, line_offset)) for href in self._bad],
        )


_TABLE_START = re.compile(r"<table>")
_TABLE_END = re.compile(r"</table>")
_TABLE_REGION = '<div class="table-scroll" role="region" tabindex="0" aria-label="Table, scrolls sideways"><table>'
_TASK_BOX = re.compile(r'<input type="checkbox" disabled( checked)?\s*/?>')


def _task_box(match: re.Match) -> str:
    """A checklist box as a printable glyph, not a form control that would need a label."""
    if match.group(1):
        return '<span class="task-box" aria-hidden="true">☑</span><span class="visually-hidden">Done: </span>'
    return '<span class="task-box" aria-hidden="true">☐</span>'


_TAG = re.compile(r"<[^>]+>")
_CELL_END = re.compile(r"</t[dh]>", re.IGNORECASE)
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|tr|div|blockquote|pre|dt|dd|caption)>|<br\s*/?>", re.IGNORECASE)
CELL_SEPARATOR = " · "


def plain_text(html: str) -> str:
    """Return the readable text of sanitized HTML, for search and its snippets.

    Blocks (paragraphs, list items, headings, table rows) end in a new line and table cells are
    separated by " · ", so that a snippet never runs a heading into a paragraph or one cell into
    the next.
    """
    marked = _BLOCK_END.sub("\n", _CELL_END.sub(CELL_SEPARATOR, html.replace("\n", " ")))
    lines = (" ".join(line.split()) for line in htmllib.unescape(_TAG.sub(" ", marked)).split("\n"))
    return "\n".join(line.strip(" ·") for line in lines if line.strip(" ·"))


def count_words(text: str) -> int:
    return len(re.findall(r"\w+(?:[-'’]\w+)*", text))


def _line_of(source: str, needle: str, offset: int) -> int | None:
    index = source.find(needle)
    return source.count("\n", 0, index) + 1 + offset if index >= 0 else None
