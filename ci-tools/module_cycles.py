#!/usr/bin/env python3
"""Import circles among the modules of src/ (the library crate).

A module is a file (`src/a/b.rs` and `src/a/b/mod.rs` are `crate::a::b`).
An edge M -> N is any path in M's code that names N: `crate::…` (in `use`
trees and inline), `super::…` and `self::…` resolved from M, and the
parent -> child edge of every `mod child;`. So a child that takes an item
from its parent through `super::` while the parent declares the child is
a circle, as is any longer loop. `#[cfg(test)]` modules are left out (a
test module may reach anything it tests).

    ci-tools/module_cycles.py                 # list every circle, exit 0
    ci-tools/module_cycles.py --known FILE    # fail on a circle not in FILE
    ci-tools/module_cycles.py --write FILE    # record today's circles

FILE holds one circle per line (its modules, space-separated). `--known`
is a ratchet: a circle passes only when all its modules form a circle
recorded there (a circle that shrinks or goes away passes; a module that
joins one, or a new circle, fails). Issue #30 is to empty the file.
"""

import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.join(ROOT, "src")


def module_of(path):
    rel = os.path.relpath(path, SRC)[:-3].split(os.sep)
    if rel == ["lib"]:
        return "crate"
    if rel[-1] == "mod":
        rel = rel[:-1]
    return "::".join(["crate"] + rel)


def strip(code):
    code = re.sub(r"//[^\n]*", "", code)
    code = re.sub(r"/\*.*?\*/", "", code, flags=re.S)
    code = re.sub(r'(?<!\w)r(#*)"(?:.|\n)*?"\1', '""', code)
    code = re.sub(r'"(?:\\[\s\S]|[^"\\])*"', '""', code)
    # Test modules: `#[cfg(test)] mod x { … }` to its closing brace.
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{", code):
        if m.start() < i:
            continue
        out.append(code[i:m.start()])
        depth, j = 1, m.end()
        while j < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[j], 0)
            j += 1
        i = j
    out.append(code[i:])
    code = "".join(out)
    # `#[cfg(test)] mod x;` and `#[cfg(test)] use …;`
    return re.sub(r"#\[cfg\(test\)\]\s*[^;{]*;", "", code)


def expand(tree):
    """`a::{b, c::{d, e}}` -> ['a::b', 'a::c::d', 'a::c::e']."""
    tree = tree.strip()
    m = re.match(r"^([\w:]*?)(?:::)?\{(.*)\}$", tree, re.S)
    if not m:
        return [re.sub(r"\s+as\s+\w+$", "", tree)]
    prefix, inner = m.group(1), m.group(2)
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        cur += ch
    parts.append(cur)
    paths = []
    for part in filter(None, (p.strip() for p in parts)):
        for sub in expand(part):
            paths.append(f"{prefix}::{sub}" if prefix and sub != "self" else (prefix or sub))
    return paths


def resolve(path, here, is_dir_module, modules):
    segs = path.split("::")
    if segs[0] == "crate":
        base, rest = ["crate"], segs[1:]
    elif segs[0] in ("super", "self"):
        base = here.split("::")
        rest = segs
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                base = base[:-1]
            rest = rest[1:]
    else:
        return None
    best = None
    for k in range(len(rest) + 1):
        name = "::".join(base + rest[:k])
        if name in modules:
            best = name
    return best


def graph():
    files = {}
    for dirpath, _, names in os.walk(SRC):
        for name in names:
            if name.endswith(".rs") and name != "main.rs":
                path = os.path.join(dirpath, name)
                files[module_of(path)] = path
    modules = set(files)
    edges = {m: set() for m in modules}
    for module, path in files.items():
        code = strip(open(path, encoding="utf-8").read())
        is_dir = path.endswith("mod.rs") or module == "crate"
        for child in re.findall(r"\bmod\s+(\w+)\s*;", code):
            name = f"{module}::{child}" if module != "crate" else f"crate::{child}"
            if name in modules:
                edges[module].add(name)
        paths = []
        for tree in re.findall(r"\buse\s+([^;]+);", code):
            paths += expand(tree)
        # Inline paths, whole: `crate::a::{b, c}` names the children
        # (expanded above), not `crate::a` itself.
        paths += re.findall(r"\b((?:crate|super|self)(?:::\w+)+)(?!\w|::)", code)
        for p in paths:
            target = resolve(p, module, is_dir, modules)
            if target and target != module:
                edges[module].add(target)
    return edges


def circles(edges):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                out.append(sorted(scc))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(out)


def main(argv):
    found = circles(graph())
    if len(argv) == 3 and argv[1] == "--write":
        with open(argv[2], "w", encoding="utf-8") as f:
            f.write("".join(" ".join(c) + "\n" for c in found))
        print(f"{len(found)} circles written to {argv[2]}")
        return 0
    if len(argv) == 3 and argv[1] == "--known":
        known = [set(line.split()) for line in open(argv[2], encoding="utf-8") if line.strip()]
        new = [c for c in found if not any(set(c) <= k for k in known)]
        for c in new:
            print("new import circle: " + " -> ".join(c))
        print(f"{len(found)} circles among src/ modules, {len(new)} not in {os.path.basename(argv[2])}")
        return 1 if new else 0
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    for c in found:
        print(" ".join(c))
    print(f"{len(found)} circles, {sum(len(c) for c in found)} modules in them")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
