#!/usr/bin/env python3
"""The shape of lib/: which library's headers each library includes, checked.

Usage: tests/layering.py [--dot]   (from the repository root)

Reads every lib/<library>/*.[ch], maps each `#include "vk_x.h"` to the library that holds
vk_x.h, and fails (exit 1) when
  - the libraries include each other in a cycle;
  - a library includes a library its CMake target does not link (lib/CMakeLists.txt);
  - base includes another library, or domain includes a Kafka, Avro or PostgreSQL header.
Prints the graph (each library and the ones it includes); --dot prints it for Graphviz.
"""
import os
import re
import sys

LIB = "lib"
FORBIDDEN = {  # third-party headers a library must not see
    "base": ("librdkafka/", "avro.h", "libpq-fe.h", "jansson.h", "curl/"),
    "domain": ("librdkafka/", "avro.h", "libpq-fe.h", "jansson.h", "curl/"),
    "contract": ("librdkafka/", "avro.h", "libpq-fe.h", "jansson.h", "curl/"),
}


def libraries():
    return sorted(d for d in os.listdir(LIB) if os.path.isdir(os.path.join(LIB, d)))


def includes(path):
    with open(path, encoding="utf-8") as f:
        return re.findall(r'^#include [<"]([^>"]+)[>"]', f.read(), re.M)


def linked():
    """library -> the vaksin_* libraries its target links (public or private)."""
    text = open(os.path.join(LIB, "CMakeLists.txt"), encoding="utf-8").read()
    out = {}
    for m in re.finditer(r"target_link_libraries\(vaksin_(\w+)([^)]*)\)", text):
        out[m.group(1)] = set(re.findall(r"vaksin_(\w+)", m.group(2)))
    return out


def transitive(links, lib):
    seen, todo = set(), [lib]
    while todo:
        for d in links.get(todo.pop(), ()):
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def main():
    libs = libraries()
    home = {}
    for lib in libs:
        for name in os.listdir(os.path.join(LIB, lib)):
            if name.endswith(".h"):
                home[name] = lib
    home["vk_schemas.h"] = "contract"
    graph = {lib: set() for lib in libs}
    problems = []
    for lib in libs:
        for name in sorted(os.listdir(os.path.join(LIB, lib))):
            if not name.endswith((".c", ".h")):
                continue
            for inc in includes(os.path.join(LIB, lib, name)):
                if inc.startswith(FORBIDDEN.get(lib, ())):
                    problems.append(f"{lib}/{name} includes <{inc}>")
                other = home.get(inc)
                if other and other != lib:
                    graph[lib].add(other)
    links = linked()
    for lib in libs:
        if lib == "base" and graph[lib]:
            problems.append(f"base includes {sorted(graph[lib])}: it must stand alone")
        missing = graph[lib] - transitive(links, lib)
        if missing:
            problems.append(f"{lib} includes {sorted(missing)} but its target does not link them")
    # cycles: depth-first search
    state = {}

    def visit(lib, path):
        state[lib] = 1
        for d in sorted(graph[lib]):
            if state.get(d) == 1:
                problems.append("cycle: " + " -> ".join(path[path.index(d):] + [d]))
            elif d not in state:
                visit(d, path + [d])
        state[lib] = 2

    for lib in libs:
        if lib not in state:
            visit(lib, [lib])
    if "--dot" in sys.argv:
        print("digraph vaksin_libraries {")
        for lib in libs:
            for d in sorted(graph[lib]):
                print(f'  "{lib}" -> "{d}";')
        print("}")
    else:
        for lib in libs:
            print(f"{lib:11} -> {', '.join(sorted(graph[lib])) or '(nothing)'}")
    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
