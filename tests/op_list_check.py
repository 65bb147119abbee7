#!/usr/bin/env python3
"""Every public op is in the op list, and every entry of the list is an op.

Reads the functions declared at the start of a line in include/zengen/ops/
(returning Tensor, or an op's result struct: MaxResult, BatchNormOutput)
and the entries X(name, ...) of ZENGEN_OPS (include/zengen/ops/op_list.hpp),
and fails naming each op missing from the list and each entry naming no
declared op. Overloads share an entry; the comparisons (eq, ne, lt, le, gt,
ge) are the entry `compare`; factory.hpp holds factories, not ops.

usage: op_list_check.py SOURCE_DIR
"""
import os
import re
import sys

NOT_OPS = {"factory.hpp", "op_list.hpp", "ops.hpp"}
ALIASES = {name: "compare" for name in ("eq", "ne", "lt", "le", "gt", "ge")}
DECLARATION = re.compile(r"^(?:inline\s+)?(?:Tensor|\w+Result|\w+Output)\s+([a-z_0-9]+)\(", re.M)
ENTRY = re.compile(r"\bX\(\s*([a-z_0-9]+)\s*,")


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    folder = os.path.join(argv[1], "include/zengen/ops")
    declared = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".hpp") and name not in NOT_OPS:
            text = open(os.path.join(folder, name), encoding="utf-8").read()
            for op in DECLARATION.findall(text):
                declared.setdefault(ALIASES.get(op, op), name)
    listing = open(os.path.join(folder, "op_list.hpp"), encoding="utf-8").read()
    body = listing[listing.index("#define ZENGEN_OPS(X)"):listing.index("namespace zengen::ops")]
    listed = ENTRY.findall(body)
    problems = [f"include/zengen/ops/{header}: {op} is a public op missing from ZENGEN_OPS "
                "(include/zengen/ops/op_list.hpp)" for op, header in sorted(declared.items()) if op not in listed]
    problems += [f"include/zengen/ops/op_list.hpp: {op} is listed but no header of include/zengen/ops/ "
                 "declares it" for op in listed if op not in declared]
    problems += [f"include/zengen/ops/op_list.hpp: {op} is listed twice" for op in sorted(set(listed))
                 if listed.count(op) > 1]
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"the {len(listed)} entries of ZENGEN_OPS are the public ops of include/zengen/ops/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
