#!/usr/bin/env python3
"""Checks docs/asvs.md, the OWASP ASVS 5.0.0 L1+L2 conformance statement.

  python3 ci-tools/asvs_check.py [--root DIR]

1. Every requirement id of ci-tools/asvs-5.0-ids.txt has exactly one row in
   the statement, with the level the list gives it, and no row names an id
   the list does not hold.
2. Every status is one of: `met`, `met when configured: <setting>`,
   `partly: <why>`, `not met: <why>`, `not applicable: <why>`.
3. Every `met` and `met when configured` row names at least one test.
4. Every named test exists. A test is named in the proof column as a
   backticked `path::name`:
     tests/…/*.rs::name     a `fn name` (or `async fn name`) under a test
                            attribute (#[test], #[actix_web::test], …),
                            anywhere in the file (mod blocks included)
     src/…/*.rs::name       the same, for a unit test
     …/*.mjs|*.js|*.ts::T   a node:test `test("T", …)` / `it("T", …)`
                            whose title is exactly T
     …/*.py::name           a pytest `def name(` with name starting test_
   Backticked text without `::` (settings, files, commands) is not a test.
5. The summary's counts, when the statement gives them, match the rows.

Exit 0 with a count summary, or 1 naming every problem. Python 3 stdlib only.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

STATEMENT = "docs/asvs.md"
ID_LIST = "ci-tools/asvs-5.0-ids.txt"

ROW = re.compile(r"^\|\s*(\d+\.\d+\.\d+)\s*\|(.*)\|\s*$")
STATUS_KINDS = ("met when configured", "not applicable", "not met", "partly", "met")
TEST_ATTR = re.compile(r"#\[\s*(?:[A-Za-z_][A-Za-z0-9_]*::)*test\s*(?:\(.*\))?\s*\]")
CODE_SPAN = re.compile(r"`([^`]+)`")


def load_ids(path: Path) -> dict[str, str]:
    ids: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2 or not re.fullmatch(r"\d+\.\d+\.\d+", parts[0]) or parts[1] not in ("1", "2"):
            sys.exit(f"{path}:{n}: malformed line (want id<TAB>level<TAB>section): {line!r}")
        if parts[0] in ids:
            sys.exit(f"{path}:{n}: {parts[0]} listed twice")
        ids[parts[0]] = parts[1]
    return ids


def split_cells(rest: str) -> list[str]:
    # Split on | that is not inside a code span and not escaped (\|).
    cells, cur, in_code, i = [], [], False, 0
    while i < len(rest):
        c = rest[i]
        if c == "\\" and i + 1 < len(rest) and rest[i + 1] == "|":
            cur.append("|")
            i += 2
            continue
        if c == "`":
            in_code = not in_code
        if c == "|" and not in_code:
            cells.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    cells.append("".join(cur).strip())
    return cells


def status_kind(status: str) -> str | None:
    s = status.strip()
    if s == "met":
        return "met"
    for kind in STATUS_KINDS:
        if kind == "met":
            continue
        prefix = kind + ":"
        if s.startswith(prefix) and s[len(prefix):].strip():
            return kind
    return None


class TestIndex:
    """Test names per file, read once."""

    def __init__(self, root: Path):
        self.root = root
        self.cache: dict[str, set[str] | None] = {}

    def names(self, rel: str) -> set[str] | None:
        if rel not in self.cache:
            path = self.root / rel
            if not path.is_file():
                self.cache[rel] = None
            else:
                self.cache[rel] = self._scan(rel, path.read_text(encoding="utf-8", errors="replace"))
        return self.cache[rel]

    @staticmethod
    def _scan(rel: str, text: str) -> set[str]:
        found: set[str] = set()
        if rel.endswith(".rs"):
            # A fn counts when a test attribute precedes it with only other
            # attributes, comments or blank lines in between.
            pending = False
            for line in text.splitlines():
                s = line.strip()
                if TEST_ATTR.search(s):
                    pending = True
                    m = re.search(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)", s)
                    if m:
                        found.add(m.group(1))
                        pending = False
                    continue
                if pending:
                    m = re.match(r"(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)", s)
                    if m:
                        found.add(m.group(1))
                        pending = False
                    elif not (s == "" or s.startswith("#[") or s.startswith("//")):
                        pending = False
        elif rel.endswith((".mjs", ".js", ".ts", ".cjs")):
            for m in re.finditer(r"""\b(?:it|test)(?:\.only|\.skip)?\(\s*(["'`])((?:\\.|(?!\1).)*)\1""", text, re.S):
                found.add(m.group(2).replace("\\" + m.group(1), m.group(1)))
        elif rel.endswith(".py"):
            for m in re.finditer(r"^\s*(?:async\s+)?def\s+(test_[A-Za-z0-9_]*)\s*\(", text, re.M):
                found.add(m.group(1))
        return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--root", default=str(Path(__file__).resolve().parent.parent),
                    help="repository root (default: the one this script lives in)")
    args = ap.parse_args()
    root = Path(args.root)

    ids = load_ids(root / ID_LIST)
    statement = root / STATEMENT
    if not statement.is_file():
        print(f"asvs_check: FAILED: {STATEMENT} does not exist", file=sys.stderr)
        return 1
    lines = statement.read_text(encoding="utf-8").splitlines()

    problems: list[str] = []
    seen: dict[str, int] = {}
    counts: Counter[str] = Counter()
    index = TestIndex(root)
    tests_named = 0

    for n, line in enumerate(lines, 1):
        m = ROW.match(line)
        if not m:
            continue
        rid = m.group(1)
        where = f"{STATEMENT}:{n}: {rid}"
        if rid not in ids:
            problems.append(f"{where}: not an ASVS 5.0.0 L1/L2 requirement id (not in {ID_LIST})")
            continue
        if rid in seen:
            problems.append(f"{where}: listed again (first at line {seen[rid]})")
            continue
        seen[rid] = n
        cells = split_cells(m.group(2))
        if len(cells) != 4:
            problems.append(f"{where}: want 5 columns (id | level | requirement | status | proof), found {len(cells) + 1}")
            continue
        level, _text, status, proof = cells
        if level.lstrip("L") != ids[rid]:
            problems.append(f"{where}: level {level!r}, ASVS says L{ids[rid]}")
        kind = status_kind(status)
        if kind is None:
            problems.append(f"{where}: status {status!r} is not one of `met`, `met when configured: <setting>`, "
                            "`partly: <why>`, `not met: <why>`, `not applicable: <why>`")
            continue
        counts[kind] += 1
        named = [s for s in CODE_SPAN.findall(proof) if "::" in s]
        if kind in ("met", "met when configured") and not named:
            problems.append(f"{where}: status `{kind}` names no test (documentation alone is not proof)")
        for ref in named:
            tests_named += 1
            path, _, name = ref.partition("::")
            path, name = path.strip(), name.strip()
            if not path.startswith(("tests/", "src/", "clients/", "examples/")):
                problems.append(f"{where}: `{ref}`: a test lives under tests/, src/, clients/ or examples/")
                continue
            names = index.names(path)
            if names is None:
                problems.append(f"{where}: `{ref}`: no file {path}")
            elif name not in names:
                what = "test title" if path.endswith((".mjs", ".js", ".ts", ".cjs")) else "test function"
                problems.append(f"{where}: `{ref}`: no {what} {name!r} in {path}")

    for rid in ids:
        if rid not in seen:
            problems.append(f"{STATEMENT}: {rid} (L{ids[rid]}) has no row")

    # The summary: "| `met` | 12 |"-style lines, when present, must match.
    for n, line in enumerate(lines, 1):
        m = re.match(r"^\|\s*`?(met|met when configured|partly|not met|not applicable)`?\s*\|\s*(\d+)\s*\|", line)
        if m and int(m.group(2)) != counts[m.group(1)]:
            problems.append(f"{STATEMENT}:{n}: summary says {m.group(2)} `{m.group(1)}`, the rows say {counts[m.group(1)]}")
        m = re.match(r"^\|\s*\*\*total\*\*\s*\|\s*\*\*(\d+)\*\*\s*\|", line)
        if m and int(m.group(1)) != sum(counts.values()):
            problems.append(f"{STATEMENT}:{n}: summary total {m.group(1)}, the rows say {sum(counts.values())}")

    if problems:
        print(f"asvs_check: FAILED: {len(problems)} problem(s) in {STATEMENT}:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1

    total = sum(counts.values())
    order = ("met", "met when configured", "partly", "not met", "not applicable")
    summary = ", ".join(f"{counts[k]} {k}" for k in order)
    print(f"asvs_check: OK: {total} of {len(ids)} ASVS 5.0.0 L1+L2 requirements mapped: {summary}; "
          f"{tests_named} test references, all found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
