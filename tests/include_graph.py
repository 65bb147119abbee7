#!/usr/bin/env python3
"""Checks every #include of the library against the layer table.

Each file of include/zengen/, src/ and cuda/ belongs to a layer by its
folder (FOLDERS). An include may point at the file's own layer or at a layer
it knows about: the "knows about" column of docs/architecture.md (KNOWS),
followed through (nn knows ops, ops knows core, so nn may include core).
Anything else points up the table, or sideways, and is reported naming the
file, the include and both layers.

Includes are resolved as the build resolves them: "x" first beside the
including file, then (like <x>) in include/, src/ and cuda/. An include
that resolves to none of them (the standard library, Eigen, stb) is not
zengen's and is skipped.

usage: include_graph.py SOURCE_DIR
       include_graph.py --self-test SOURCE_DIR   (the check on a made-up tree)
"""
import contextlib
import io
import os
import re
import shutil
import sys
import tempfile

# The "knows about" column of docs/architecture.md ("Layers, bottom up"),
# row by row, bottom up; the test also checks that the page says the same.
KNOWS = {
    "core": [],
    "kernels": ["core"],
    "autograd": ["core"],
    "ops": ["core", "kernels", "autograd"],
    "autograd engine": ["core", "autograd", "ops"],
    "nn": ["ops"],
    "optim": ["ops"],
    "data": ["core"],
    "io": ["core", "nn"],
    "models": ["nn", "optim", "io"],
    "metrics": ["nn", "models"],
    "train": ["nn", "optim", "io", "data"],
    "distributed": ["nn", "optim", "data"],
    # include/zengen/zengen.hpp: the whole public API
    "umbrella": ["autograd engine", "models", "metrics", "train", "distributed", "data"],
}

# The edges the table does not allow and the page lists, with its reasons
# (docs/architecture.md, "Known exceptions"). Each must still exist: a
# stale entry is an error too, so the list only ever shrinks by a fix.
EXCEPTIONS = {
    ("src/core/cuda_module.cpp", "cuda/backend.hpp"):
        "core loads the CUDA module and checks its table (version, size), plain C++",
    ("src/core/cuda_bridge.cpp", "cuda/backend.hpp"):
        "Storage and Device reach the CUDA runtime (allocate, copy, count devices) through the table",
    ("src/io/image.cpp", "src/data/image_decode.hpp"):
        "io::read_image and data::load_image share one hardened decoder",
}

# Folder prefix -> layer; the longest prefix wins.
FOLDERS = {
    "include/zengen/zengen.hpp": "umbrella",
    "include/zengen/version.hpp": "core",  # generated from cmake/version.hpp.in
    "cmake/version.hpp.in": "core",
    "include/zengen/core/": "core",
    "src/core/": "core",
    "src/kernels/": "kernels",
    "src/cpu/": "kernels",
    "cuda/": "kernels",
    "include/zengen/autograd/": "autograd",
    "src/autograd/": "autograd engine",
    "include/zengen/ops/": "ops",
    "src/ops/": "ops",
}
for layer in ("nn", "optim", "data", "io", "models", "metrics", "train", "distributed"):
    FOLDERS[f"include/zengen/{layer}/"] = layer
    FOLDERS[f"src/{layer}/"] = layer

# Where <x> and "x" (after the including file's folder) are looked up.
INCLUDE_ROOTS = ["include", "src", "cuda"]
GENERATED = {"include/zengen/version.hpp": "cmake/version.hpp.in"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
SOURCES = (".hpp", ".h", ".cpp", ".cc", ".cu", ".cuh", ".inl")


def layer_of(path):
    best = None
    for prefix, layer in FOLDERS.items():
        if (path == prefix or path.startswith(prefix)) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, layer)
    return best[1] if best else None


def closure(layer):
    seen, todo = set(), list(KNOWS[layer])
    while todo:
        l = todo.pop()
        if l not in seen:
            seen.add(l)
            todo.extend(KNOWS[l])
    return seen


def resolve(root, including, quote, name):
    candidates = []
    if quote == '"':
        candidates.append(os.path.join(os.path.dirname(including), name))
    candidates += [os.path.join(r, name) for r in INCLUDE_ROOTS]
    for c in candidates:
        c = os.path.normpath(c)
        if c in GENERATED:
            return c
        if os.path.isfile(os.path.join(root, c)):
            return c
    return None


def files(root):
    for top in ("include/zengen", "src", "cuda"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in sorted(names):
                if n.endswith(SOURCES):
                    yield os.path.relpath(os.path.join(dirpath, n), root)


def known_in_doc(cell):
    """`core, kernels` / `core only; never autograd` / `nothing above it` -> a set of layers."""
    first = cell.split(";")[0].strip()
    if first.startswith("nothing"):
        return set()
    return {w.strip().removesuffix(" only").strip("` ") for w in first.split(",") if w.strip()}


def check_docs(root):
    """docs/architecture.md's layer table must carry the same column."""
    doc = open(os.path.join(root, "docs/architecture.md"), encoding="utf-8").read()
    rows = {}
    for line in doc.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[3] != "knows about":
            name = cells[0].split(":")[0].strip()
            if name in KNOWS:
                rows[name] = cells[3]
    problems = []
    for layer, known in KNOWS.items():
        if layer == "umbrella":
            continue
        if layer not in rows:
            problems.append(f"docs/architecture.md: the layer table has no row for {layer} "
                            "(or no fourth column, \"knows about\")")
        elif known_in_doc(rows[layer]) != set(known):
            problems.append(f"docs/architecture.md: {layer} knows about {rows[layer]!r}, "
                            f"tests/include_graph.py says {', '.join(known) or 'nothing'}")
    for (path, target), _ in EXCEPTIONS.items():
        if f"`{path}`" not in doc or f"`{target}`" not in doc:
            problems.append(f"docs/architecture.md: the known exception {path} -> {target} is not listed")
    return problems


def self_test(root):
    """The check on a made-up tree must fail, naming each kind of problem."""
    files_ = {
        "include/zengen/core/tensor.hpp": "#pragma once\n",
        "include/zengen/ops/elementwise.hpp": '#include "zengen/core/tensor.hpp"\n',
        "src/core/tensor.cpp": '#include "zengen/core/tensor.hpp"\n#include "zengen/ops/elementwise.hpp"\n',
        "src/cpu/copy.cpp": '#include "zengen/core/tensor.hpp"\n#include <vector>\n#include "stb_image.h"\n',
        "src/data/idx.cpp": '#include "cpu/copy.hpp"\n',
        "src/cpu/copy.hpp": "#pragma once\n",
        "include/zengen/nowhere/a.hpp": "#pragma once\n",
    }
    expected = [
        "src/core/tensor.cpp:2: core includes ops: #include \"zengen/ops/elementwise.hpp\"",
        "src/data/idx.cpp:1: data includes kernels: #include \"cpu/copy.hpp\" (src/cpu/copy.hpp); "
        "data knows about core",
        "include/zengen/nowhere/a.hpp: in no layer's folder",
        "src/core/cuda_module.cpp no longer includes cuda/backend.hpp",
    ]
    with tempfile.TemporaryDirectory() as d:
        for path, text in files_.items():
            os.makedirs(os.path.join(d, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(d, path), "w", encoding="utf-8") as f:
                f.write(text)
        os.makedirs(os.path.join(d, "docs"))
        shutil.copy(os.path.join(root, "docs/architecture.md"), os.path.join(d, "docs"))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = main(["include_graph.py", d])
    text = out.getvalue()
    missing = [e for e in expected if e not in text]
    stray = [line for line in text.splitlines() if "copy.cpp" in line]  # down, or not zengen's: no problem
    if rc != 1 or missing or stray:
        print(text)
        print(f"self-test: exit {rc} (expected 1); not reported: {missing}; reported wrongly: {stray}")
        return 1
    print("self-test: an upward include, a sideways one, a file in no layer and a stale exception are all named")
    return 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "--self-test":
        return self_test(argv[2])
    if len(argv) < 2:
        print(__doc__)
        return 2
    root = argv[1]
    problems = check_docs(root)
    checked = 0
    used = set()
    for path in files(root):
        layer = layer_of(path)
        if layer is None:
            problems.append(f"{path}: in no layer's folder (add its folder to FOLDERS)")
            continue
        allowed = closure(layer) | {layer}
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = resolve(root, path, m.group(1), m.group(2))
                if target is None:
                    continue
                checked += 1
                target_layer = layer_of(target)
                if target_layer is None:
                    problems.append(f"{path}:{number}: includes {m.group(2)} ({target}), which is in no layer")
                elif (path, target) in EXCEPTIONS:
                    used.add((path, target))
                elif target_layer not in allowed:
                    close = '"' if m.group(1) == '"' else ">"
                    known = ", ".join(sorted(closure(layer))) or "nothing"
                    problems.append(f"{path}:{number}: {layer} includes {target_layer}: #include "
                                    f"{m.group(1)}{m.group(2)}{close} ({target}); {layer} knows about {known}")
    for edge in EXCEPTIONS:
        if edge not in used:
            problems.append(f"{edge[0]} no longer includes {edge[1]}: remove the known exception "
                            "from tests/include_graph.py and docs/architecture.md")
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} include(s) break the layer table (docs/architecture.md)")
        return 1
    print(f"{checked} includes of zengen's own files checked against the layer table: all point down "
          f"(known exceptions: {len(EXCEPTIONS)}, docs/architecture.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
