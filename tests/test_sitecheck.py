"""`python -m coursetools sitecheck` (and `make bench`) weigh a page by every file it loads, however it loads it,
and name what it loads from outside the site: read from the HTML and CSS, no browser."""

from __future__ import annotations

from coursetools import sitecheck

PAGE = """<html><head>
<script src="https://cdn.example.org/mathjax/tex-chtml.js"></script>
<script src="_static/local.js"></script>
<link rel="stylesheet" href="//fonts.example.org/css?family=Lato">
<link rel="stylesheet" href="_static/theme.css">
<link rel="icon" href="https://example.org/favicon.ico">
<link rel="next" href="https://example.org/next.html">
<style>@import url("https://example.org/theme.css"); body { background: url(img/back.png) }</style>
</head><body>
<img src="http://example.org/figure.png" srcset="img/a.png 1x, https://example.org/b.png 2x">
<div style="background-image: url('https://example.org/bg.png')"></div>
<div style="background-image: url('img/strip.png')"></div>
<a href="https://example.org/a-link-is-not-a-resource.html">link</a>
<img src="data:image/png;base64,AAAA">
</body></html>"""
THEME = '@import "https://a.example/x.css"; i { src: url(../fonts/x.woff2) } b { src: url(../fonts/x.woff) }'
LOCAL = ["_static/local.js", "_static/theme.css", "img/back.png", "img/a.png", "img/strip.png", "fonts/x.woff2"]


def test_a_page_weighs_every_file_it_loads_and_names_what_comes_from_outside(tmp_path):
    (tmp_path / "page.html").write_text(PAGE)
    for name in [*LOCAL, "fonts/x.woff"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * 1000)
    (tmp_path / "_static" / "theme.css").write_text(THEME)
    weight = sitecheck.page_weight(tmp_path, "page.html")
    # the page and each local file it loads, by a tag, srcset, <style>, a style attribute or its style sheet;
    # a font offered as woff2 too is fetched as woff2 only
    assert weight["files"] == 1 + len(LOCAL)
    assert weight["stored"] == len(PAGE.encode()) + 1000 * (len(LOCAL) - 1) + len(THEME)
    assert weight["outside"] == sorted(
        [
            "https://cdn.example.org/mathjax/tex-chtml.js",
            "//fonts.example.org/css?family=Lato",
            "https://example.org/favicon.ico",
            "https://example.org/theme.css",
            "http://example.org/figure.png",
            "https://example.org/b.png",
            "https://example.org/bg.png",
            "https://a.example/x.css",
        ]
    )
