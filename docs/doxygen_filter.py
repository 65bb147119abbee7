#!/usr/bin/env python3
"""Doxygen input filter for zengen's headers (docs/CMakeLists.txt).

zengen's headers are written to be read as plain C++: each opens with a
paragraph of `//` comments saying what it holds, and a `//` block directly
above a class or struct describes it. Doxygen reads only `///` comments, so
this filter hands Doxygen a copy in which
  - the opening comment block becomes the file's documentation (@file), and
  - a `//` block directly above a class, struct or its template line becomes
    that declaration's documentation,
and leaves every other line as it is (same line count, so Doxygen's line
numbers still point into the real file).
"""
import re
import sys

DECLARATION = re.compile(r"^\s*(template\s*<.*|(class|struct)\s+\w+.*)$")
COMMENT = re.compile(r"^(\s*)//(?!/)(.*)$")


def filtered(lines):
    out = list(lines)
    # The opening block: the file's summary. `@file` goes at the end of its
    # last line (with nothing after it, so Doxygen takes no file name).
    i = 0
    while i < len(lines) and COMMENT.match(lines[i]):
        i += 1
    for k in range(i):
        out[k] = "///" + COMMENT.match(lines[k]).group(2)
    if i > 0:
        out[i - 1] += " @file"
    # Blocks right above a declaration.
    k = i
    while k < len(lines):
        if COMMENT.match(lines[k]):
            start = k
            while k < len(lines) and COMMENT.match(lines[k]):
                k += 1
            if k < len(lines) and DECLARATION.match(lines[k]):
                for j in range(start, k):
                    indent, text = COMMENT.match(lines[j]).groups()
                    out[j] = indent + "///" + text
        else:
            k += 1
    return out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.read().split("\n")
    sys.stdout.write("\n".join(filtered(lines)))


if __name__ == "__main__":
    main()
