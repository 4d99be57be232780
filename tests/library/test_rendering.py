"""Rendering Markdown: the extensions the library uses, and an XSS corpus that must come out harmless."""

from __future__ import annotations

import re

import pytest

from coe.library.rendering import Renderer, sanitize

KNOWN = {"templates/risk-register", "practices/risk-workshops", "methodologies/scrum"}


def render(source: str, doc_dir: str = "practices"):
    return Renderer(KNOWN).render(source, doc_dir)


def test_tables_fenced_code_admonitions_task_lists_and_toc():
    out = render(
        "## Plan\n\n| Step | Owner |\n|---|---|\n| Kickoff | PM |\n\n```\ncode <b>here</b>\n```\n\n"
        "!!! tip \"Do this\"\n    Inside.\n\n- [x] Charter signed\n- [ ] Budget approved\n\n### Detail\n\nText.\n")
    assert "<table>" in out.html and "<td>Kickoff</td>" in out.html
    assert "<pre><code>code &lt;b&gt;here&lt;/b&gt;\n</code></pre>" in out.html
    assert '<div class="admonition tip">' in out.html and '<p class="admonition-title">Do this</p>' in out.html
    assert "☑" in out.html and "☐" in out.html and "<input" not in out.html
    assert 'id="plan"' in out.html and 'href="#plan"' in out.toc_html and 'href="#detail"' in out.toc_html


def test_relative_links_resolve_to_document_pages():
    out = render("See the [register](../templates/risk-register.md#scoring) and [workshops](risk-workshops.md).")
    assert 'href="../templates/risk-register#scoring"' in out.html
    assert 'href="risk-workshops"' in out.html
    assert out.links == ["practices/risk-workshops", "templates/risk-register"]
    assert out.bad_links == []


def test_unknown_relative_links_are_reported_with_their_line():
    out = render("Intro.\n\nSee [gone](../templates/gone.md) and [image](chart.png).")
    assert out.bad_links == [("../templates/gone.md", 3), ("chart.png", 3)]


def test_external_links_are_kept_with_safe_rel():
    out = render("[Guide](https://example.org/guide)")
    assert 'href="https://example.org/guide"' in out.html and 'rel="noopener noreferrer"' in out.html


XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"javascript:alert(1)\">",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">click</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">encoded</a>",
    "<a href=\"&#x6A;avascript:alert(1)\">hex</a>",
    "<a href=\"java\tscript:alert(1)\">tab</a>",
    "<a href=\" javascript:alert(1)\">space</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data</a>",
    "<a href=\"vbscript:msgbox(1)\">vb</a>",
    "[md link](javascript:alert(1))",
    "[md encoded](javascript&#58;alert(1))",
    "[md data](data:text/html,<script>alert(1)</script>)",
    "![md image](javascript:alert(1))",
    "<div onmouseover=\"alert(1)\">hover</div>",
    "<p style=\"background:url(javascript:alert(1))\">styled</p>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<body onload=alert(1)>",
    "<form action=\"javascript:alert(1)\"><button>go</button></form>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<base href=\"javascript:alert(1)//\">",
    "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
    "<a href=\"#\" onclick=\"alert(1)\">hash</a>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<template><script>alert(1)</script></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "`<script>alert(1)</script>` in code stays text",
    "<div class=\"modal\" id=\"coe-main\">clobber</div>",
]


# Payloads that leave an element open on purpose: what follows them is swallowed, harmlessly.
LEFT_OPEN = {"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"}


def _dangerous(html: str) -> list[str]:
    found = []
    lowered = html.lower()
    for pattern in (r"<script", r"<iframe", r"<object", r"<embed", r"<svg", r"<math", r"<style", r"<link",
                    r"<meta", r"<base", r"<form", r"<input", r"<button", r"<template", r"<noscript"):
        if re.search(pattern, lowered):
            found.append(pattern)
    for match in re.finditer(r"<[^>]+>", lowered):
        tag = match.group(0)
        if re.search(r"\son[a-z]+\s*=", tag):
            found.append(f"event handler in {tag}")
        for attr in re.finditer(r"(href|src|action|background|xlink:href)\s*=\s*\"([^\"]*)\"", tag):
            # As a browser's URL parser does: trim C0 controls and spaces, drop tabs and newlines.
            url = re.sub(r"[\t\n\r]", "", attr.group(2).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f \t\n\r"))
            if url.startswith(("javascript:", "data:", "vbscript:")):
                found.append(f"{attr.group(1)}={attr.group(2)}")
        if "style=" in tag and "url(" in tag:
            found.append(f"style url in {tag}")
        if re.search(r'\bid="coe-main"|class="[^"]*modal', tag):
            found.append(f"page chrome in {tag}")
    return found


@pytest.mark.parametrize("payload", XSS)
def test_xss_payload_renders_harmless(payload):
    out = render(f"Before.\n\n{payload}\n\nAfter.")
    assert _dangerous(out.html) == [], out.html
    if payload not in LEFT_OPEN:
        assert "After." in out.html


def test_xss_corpus_has_at_least_thirty_payloads():
    assert len(XSS) >= 30


def test_code_spans_keep_script_as_visible_text():
    out = render("`<script>alert(1)</script>`")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out.html


def test_sanitize_keeps_the_markup_the_extensions_need():
    html = ('<h2 id="a"><a class="heading-link" href="#a">A</a></h2><div class="table-scroll" role="region" '
            'tabindex="0" aria-label="Table, scrolls sideways"><table><thead><tr><th style="text-align:left">x'
            '</th></tr></thead></table></div><div class="admonition note"><p class="admonition-title">N</p></div>'
            '<span class="task-box" aria-hidden="true">☐</span>')
    assert sanitize(html).replace(' rel="noopener noreferrer"', "") == html


def test_headings_read_as_their_text_and_tables_scroll_in_a_region():
    out = render("## Scope and exclusions\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] open\n")
    assert ('<h2 id="scope-and-exclusions"><a class="heading-link" href="#scope-and-exclusions" '
            'rel="noopener noreferrer">Scope and exclusions</a></h2>') in out.html
    assert '<div class="table-scroll" role="region" tabindex="0" aria-label="Table, scrolls sideways"><table>' in out.html
    assert '<span class="task-box" aria-hidden="true">☑</span>' in out.html
    assert out.text.splitlines()[:3] == ["Scope and exclusions", "a · b", "1 · 2"]
