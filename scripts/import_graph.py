"""Print the import graph of assetsvc by area (top-level module or package) and any module-level cycle.

    .venv/bin/python scripts/import_graph.py            # area -> area (number of module imports)
    .venv/bin/python scripts/import_graph.py tickets    # ... and the module imports behind tickets' edges

The figures behind the diagrams in docs/architecture.md; lint-imports (pyproject.toml) enforces them.
"""

from __future__ import annotations

import collections
import sys

import grimp


def area(module: str) -> str:
    parts = module.split(".")
    return parts[0] if parts[0] != "assetsvc" else (parts[1] if len(parts) > 1 else "assetsvc")


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def main() -> None:
    graph = grimp.build_graph("assetsvc", "probes", include_external_packages=False, cache_dir=None)
    edges: collections.Counter[tuple[str, str]] = collections.Counter()
    behind: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            pair = (area(module), area(imported))
            if pair[0] != pair[1]:
                edges[pair] += 1
                behind[pair].append(f"{module} -> {imported}")
    for (a, b), count in sorted(edges.items()):
        print(f"{a:>14} -> {b:<14} {count}")
        if a in sys.argv[1:]:
            print("".join(f"{'':>18}{line}\n" for line in sorted(behind[(a, b)])), end="")
    found = cycles(graph)
    for component in found:
        print("cycle:", " ".join(component))
    print(f"{len(found)} module cycle(s)")


if __name__ == "__main__":
    main()
