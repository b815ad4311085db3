#!/usr/bin/env python3
"""Fails on a broken relative link or anchor in the book (docs/) and the
README: every `[text](target)` whose target is not a URL must name a file or
folder that exists, and a `#fragment` must name a heading of the target page
(as mdbook and GitHub make ids from headings, includes expanded). Also checks
`{{#include FILE[:ANCHOR]}}` directives. When the book is built
(`mdbook build docs` → docs/book), its HTML is walked too: a relative link
inside the book must name a page that was built (a chapter of SUMMARY.md) and
an id on it; one that leaves the book must name a file of the repository.
Usage: python3 ci-tools/check_links.py
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP_DIRS = {os.path.join(ROOT, "docs", "book")}
LINK = re.compile(r"(?<!!)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
INCLUDE = re.compile(r"\{\{#include\s+([^}\s:]+)(?::([\w-]+))?\s*\}\}")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def strip_code(text):
    """Fenced blocks and inline code removed (links there are not links)."""
    out, fence = [], None
    for line in text.split("\n"):
        m = re.match(r"^\s*(```+|~~~+)", line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1).startswith(fence[0]) and len(m.group(1)) >= len(fence):
                fence = None
            out.append("")
            continue
        out.append("" if fence else re.sub(r"`+[^`]*`+", "``", line))
    return "\n".join(out)


def expand_includes(path, text, seen=()):
    def rep(m):
        target = os.path.normpath(os.path.join(os.path.dirname(path), m.group(1)))
        if target in seen or not os.path.isfile(target):
            return ""
        body = open(target, encoding="utf-8").read()
        if m.group(2):
            part = re.search(
                r"ANCHOR:\s*%s\b.*?\n(.*?)\n[^\n]*ANCHOR_END:\s*%s\b" % (m.group(2), m.group(2)),
                body,
                re.S,
            )
            body = part.group(1) if part else ""
        return expand_includes(target, body, seen + (path,))

    return INCLUDE.sub(rep, text)


def slug(title):
    title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)  # links: their text
    title = re.sub(r"<[^>]+>", "", title)
    title = title.replace("`", "").replace("*", "").strip().lower()
    kept = "".join(c for c in title if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


_anchors = {}


def anchors(path):
    if path not in _anchors:
        text = open(path, encoding="utf-8").read()
        text = strip_code(expand_includes(path, text))
        ids, counts = set(), {}
        for line in text.split("\n"):
            m = HEADING.match(line)
            if not m:
                continue
            base = slug(m.group(2))
            n = counts.get(base, 0)
            counts[base] = n + 1
            ids.add(base if n == 0 else f"{base}-{n}")
        ids.update(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", text))
        _anchors[path] = ids
    return _anchors[path]


def markdown_files():
    yield os.path.join(ROOT, "README.md")
    for base, dirs, files in os.walk(os.path.join(ROOT, "docs")):
        dirs[:] = [d for d in dirs if os.path.join(base, d) not in SKIP_DIRS]
        for name in sorted(files):
            if name.endswith(".md"):
                yield os.path.join(base, name)


def check(path):
    errors = []
    raw = open(path, encoding="utf-8").read()
    rel = os.path.relpath(path, ROOT)
    for m in INCLUDE.finditer(raw):
        target = os.path.normpath(os.path.join(os.path.dirname(path), m.group(1)))
        if not os.path.isfile(target):
            errors.append(f"{rel}: include of a missing file {m.group(1)}")
        elif m.group(2) and f"ANCHOR: {m.group(2)}" not in open(target, encoding="utf-8").read():
            errors.append(f"{rel}: include anchor {m.group(2)} not in {m.group(1)}")
    text = strip_code(raw)
    targets = [m.group(2) for m in LINK.finditer(text)] + IMAGE.findall(text)
    for target in targets:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            continue  # http:, https:, mailto:
        file_part, _, fragment = target.partition("#")
        if file_part:
            dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part))
            if not os.path.exists(dest):
                errors.append(f"{rel}: broken link {target}")
                continue
        else:
            dest = path
        if fragment and dest.endswith(".md") and fragment not in anchors(dest):
            errors.append(f"{rel}: no heading #{fragment} in {os.path.relpath(dest, ROOT)}")
    return errors


HREF = re.compile(r'\s(?:href|src)="([^"]*)"')
ID = re.compile(r'\sid="([^"]*)"')


def check_html(book):
    """The built book's relative links; returns (errors, pages)."""
    import html as htmllib

    errors, ids, pages = [], {}, []
    for base, _, files in os.walk(book):
        pages += [os.path.join(base, f) for f in files if f.endswith(".html")]

    def ids_of(page):
        if page not in ids:
            ids[page] = set(ID.findall(open(page, encoding="utf-8").read()))
        return ids[page]

    docs = os.path.dirname(book)
    for page in pages:
        if os.path.basename(page) in ("print.html", "toc.html", "404.html"):
            continue  # made by mdbook from the chapters checked here
        text = open(page, encoding="utf-8").read()
        rel = os.path.relpath(page, ROOT)
        for href in HREF.findall(text):
            href = htmllib.unescape(href)
            if not href or re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I) or href.startswith("//"):
                continue
            file_part, _, fragment = href.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(page), file_part)) if file_part else page
            if dest == book or dest.startswith(book + os.sep):
                if not os.path.exists(dest):
                    errors.append(f"{rel}: broken link {href} (no such page in the built book)")
                elif fragment and dest.endswith(".html") and fragment not in ids_of(dest):
                    errors.append(f"{rel}: no id #{fragment} in {os.path.relpath(dest, ROOT)}")
            else:
                # Out of the book: the same path from docs/ in the repository
                # (mdbook turned its .md into .html).
                source = os.path.normpath(os.path.join(docs, os.path.relpath(dest, book)))
                if not (os.path.exists(source) or os.path.exists(re.sub(r"\.html$", ".md", source))):
                    errors.append(f"{rel}: broken link {href} (leaves the book; no {os.path.relpath(source, ROOT)})")
    return errors, len(pages)


def main():
    errors, count = [], 0
    for path in markdown_files():
        count += 1
        errors += check(path)
    book = os.path.join(ROOT, "docs", "book")
    html_pages = 0
    if os.path.isdir(book):
        html_errors, html_pages = check_html(book)
        errors += html_errors
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"check_links: {len(errors)} broken link(s)", file=sys.stderr)
        return 1
    built = f" and {html_pages} built HTML pages" if html_pages else " (the book is not built: HTML not checked)"
    print(f"check_links: {count} Markdown pages{built}, every relative link and anchor resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main())
