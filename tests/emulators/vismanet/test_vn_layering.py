"""The Visma.net emulator's modules import one another one way only: no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import vismasync.emulators.vismanet as package

PACKAGE = package.__name__
PACKAGE_DIR = Path(package.__file__).parent


def _module_name(path: Path) -> str:
    return PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}"


def _imported(tree: ast.Module, module: str, is_package: bool) -> set[str]:
    """Every module named by an import statement anywhere in the tree (local imports too)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                parts = module.split(".")
                base = parts if is_package else parts[:-1]
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            names.add(origin)
            # `from package import module` imports the submodule.
            names.update(f"{origin}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (the package itself excluded)."""
    files = {_module_name(path): path for path in PACKAGE_DIR.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imported = _imported(tree, module, path.stem == "__init__")
        graph[module] = {m for m in imported if m in files and m not in (module, PACKAGE)}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path that returns to its start, or None."""
    done: set[str] = set()
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> list[str] | None:
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target in on_stack:
                return [*stack[stack.index(target) :], target]
            if target not in done and (cycle := visit(target)):
                return cycle
        stack.pop()
        on_stack.discard(node)
        done.add(node)
        return None

    for node in sorted(graph):
        if node not in done and (cycle := visit(node)):
            return cycle
    return None


def test_graph_sees_the_package_imports() -> None:
    graph = import_graph()
    assert f"{PACKAGE}.routes" in graph[f"{PACKAGE}.server"]
    assert f"{PACKAGE}.state" in graph[f"{PACKAGE}.backend"]


def test_no_import_cycle_within_the_package() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(m.rsplit(".", 1)[-1] for m in cycle or [])


def test_only_callers_import_the_server() -> None:
    importers = [m for m, targets in import_graph().items() if f"{PACKAGE}.server" in targets]
    assert importers == [f"{PACKAGE}.cli"]


def test_cycle_finder_reports_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
