"""The package's layering holds: imports point down, no cycles, and tasks speak through connectors.

Pure and fast: every module of ``vismasync/`` is read with :mod:`ast`, never imported. Imports
anywhere in a module count (module level and inside functions), both ``import x`` and
``from x import y``, relative ones resolved against the importing module. The layers, top down::

    __main__ -> deployments -> flows -> tasks -> engine
             -> {connectors, mappings, store, config} -> {paths, vismasync/__init__}

``emulators`` sits beside all of them: it imports only itself, and only the modules in
``EMULATOR_IMPORTERS`` import it. The checkers take the sources as a mapping, so the tests at the
end run them on small in-memory packages to prove that each rule can fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "vismasync"
REPO_ROOT = Path(__file__).resolve().parents[1]

# Layer -> rank; a module may import modules of its own layer or of a lower rank.
RANKS = {
    "__main__": 6,
    "deployments": 5,
    "flows": 4,
    "tasks": 3,
    "engine": 2,
    "connectors": 1,
    "mappings": 1,
    "store": 1,
    "config": 1,
    "paths": 0,
    PACKAGE: 0,  # vismasync/__init__.py
}
BOTTOM = frozenset(layer for layer, rank in RANKS.items() if rank == 1)
# The only imports between two different bottom layers (today's truth): configuration checks
# mapping expressions, article fields and value maps. connectors and store never import each
# other; connectors and mappings import no other bottom layer.
BOTTOM_ALLOWED = frozenset({("config", "mappings")})

EMULATORS = "emulators"
# The production modules that import the emulators: the CLI's `emulator` command group, and the
# demo, which starts both emulators in-process (function-level imports in `start_emulators`).
EMULATOR_IMPORTERS = frozenset(
    {
        f"{PACKAGE}.deployments.cli_emulator",
        f"{PACKAGE}.deployments.demo",
    }
)

TASKS = f"{PACKAGE}.tasks"
RAW_PATH_PREFIXES = (
    "/v1/",
    "/v2/",
    "/customers",
    "/articles",
    "/orders",
    "/customerinvoices",
    "/api/",
)
ODATA_MARKERS = ("$filter", "$orderby", "$page")
CONNECTOR_INTERNALS = frozenset({"transport", "http"})


@dataclass(frozen=True)
class Source:
    module: str
    is_package: bool
    path: str  # shown in failure messages
    text: str


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # the most specific module of the package the statement names
    path: str
    line: int
    module_level: bool  # False when inside a function body

    def where(self) -> str:
        return f"{self.path}:{self.line}"


def package_sources(root: Path = REPO_ROOT) -> dict[str, Source]:
    """Module name -> its source, for every ``.py`` file of the package.

    Directories without ``__init__.py`` (namespace packages) are listed as empty packages so that
    ``from vismasync.emulators.eaccounting import server`` resolves like a regular package.
    """
    sources: dict[str, Source] = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        module = ".".join(parts)
        sources[module] = Source(module, is_package, str(path.relative_to(root)), path.read_text())
        for depth in range(1, len(parts)):
            package = ".".join(parts[:depth])
            if package not in sources:
                directory = root.joinpath(*parts[:depth])
                if not (directory / "__init__.py").exists():
                    sources[package] = Source(package, True, "/".join(parts[:depth]) + "/", "")
    return sources


def _import_nodes(
    node: ast.AST, in_function: bool = False
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement under ``node``, with whether it runs at module level."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, not in_function
        nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        yield from _import_nodes(child, nested)


def _in_package(name: str) -> bool:
    return name == PACKAGE or name.startswith(f"{PACKAGE}.")


def _resolve(name: str, modules: dict[str, Source]) -> str | None:
    """The longest prefix of ``name`` that is a module (``pkg.mod.Class`` -> ``pkg.mod``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _origin(source: Source, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` statement imports from."""
    if not node.level:
        return node.module or ""
    parts = source.module.split(".")
    base = parts if source.is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def collect_imports(sources: dict[str, Source]) -> list[Import]:
    """Every import of a package module by a package module, self-imports left out."""
    found: list[Import] = []
    for source in sources.values():
        tree = ast.parse(source.text, filename=source.path)
        for node, module_level in _import_nodes(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                origin = _origin(source, node)
                for alias in node.names:
                    submodule = f"{origin}.{alias.name}"
                    # `from package import module` imports the submodule, else the package itself.
                    names.append(submodule if submodule in sources else origin)
            for name in dict.fromkeys(names):
                target = _resolve(name, sources) if _in_package(name) else None
                if target and target != source.module:
                    found.append(
                        Import(source.module, target, source.path, node.lineno, module_level)
                    )
    return found


def layer_of(module: str) -> str:
    """``vismasync.tasks.stock`` -> ``tasks``; ``vismasync`` -> ``vismasync``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def layer_violations(imports: list[Import]) -> list[str]:
    """Imports that point up, sideways between bottom layers, or into or out of the emulators."""
    problems: list[str] = []
    for imp in imports:
        source, target = layer_of(imp.importer), layer_of(imp.target)
        what = f"{imp.where()} imports {imp.target}"
        if source == target:
            continue
        if EMULATORS in (source, target):
            if source == EMULATORS:
                problems.append(f"{what}: emulators import nothing outside emulators")
            elif imp.importer not in EMULATOR_IMPORTERS:
                problems.append(
                    f"{what}: only {sorted(EMULATOR_IMPORTERS)} may import the emulators"
                )
            continue
        unknown = [layer for layer in (source, target) if layer not in RANKS]
        if unknown:
            problems.append(f"{what}: layer {unknown[0]!r} has no place in RANKS")
        elif RANKS[target] > RANKS[source]:
            problems.append(f"{what}: {source} may not import {target} (imports point down only)")
        elif source in BOTTOM and target in BOTTOM and (source, target) not in BOTTOM_ALLOWED:
            problems.append(f"{what}: {source} may not import {target} (bottom layers)")
    return problems


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a path back to its start) per strongly connected component that has one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(node: str) -> None:  # Tarjan
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_cycle_in(component, graph) for component in components]


def _cycle_in(component: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest path from the component's first module back to itself, inside the component."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for target in sorted(graph.get(node, set()) & component):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # unreachable for a real component


def module_graph(imports: list[Import]) -> dict[str, set[str]]:
    """Module -> the modules it imports when it is imported (function-level imports left out)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.module_level:
            graph.setdefault(imp.importer, set()).add(imp.target)
    return graph


def task_leaks(sources: dict[str, Source]) -> list[str]:
    """Raw API paths, OData query options and connector internals in ``vismasync.tasks``."""
    problems: list[tuple[str, int, str]] = []
    for source in sources.values():
        if not (source.module == TASKS or source.module.startswith(f"{TASKS}.")):
            continue
        for node in ast.walk(ast.parse(source.text, filename=source.path)):
            found: list[str] = []
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if text.startswith(RAW_PATH_PREFIXES):
                    found.append(f"raw API path {text!r} (call a connector method)")
                found += [
                    f"OData {marker} in {text!r} (connectors build it)"
                    for marker in ODATA_MARKERS
                    if marker in text
                ]
            elif isinstance(node, ast.Attribute) and node.attr in CONNECTOR_INTERNALS:
                found.append(f".{node.attr} reaches into a connector's internals")
            problems += [(source.path, node.lineno, message) for message in found]
    return [f"{path}:{line}: {message}" for path, line, message in sorted(problems)]


def _fail(problems: list[str]) -> str:
    return "\n".join(["", *problems])


# -- the package as it is ---------------------------------------------------------------------

SOURCES = package_sources()
IMPORTS = collect_imports(SOURCES)


def test_the_checker_sees_the_package() -> None:
    edges = {(imp.importer, imp.target, imp.module_level) for imp in IMPORTS}
    assert (f"{PACKAGE}.__main__", f"{PACKAGE}.deployments.cli", True) in edges
    # A function-level import, and one through a namespace package (no __init__.py).
    demo = f"{PACKAGE}.deployments.demo"
    assert (demo, f"{PACKAGE}.emulators.eaccounting.server", False) in edges
    assert {layer_of(module) for module in SOURCES} == {*RANKS, EMULATORS}


def test_imports_point_down_only() -> None:
    problems = layer_violations(IMPORTS)
    assert not problems, _fail(problems)


def test_every_allowed_emulator_importer_still_imports_them() -> None:
    importers = {imp.importer for imp in IMPORTS if layer_of(imp.target) == EMULATORS}
    importers = {module for module in importers if layer_of(module) != EMULATORS}
    assert importers == EMULATOR_IMPORTERS, "update EMULATOR_IMPORTERS to the modules that do"


def test_no_import_cycles() -> None:
    cycles = find_cycles(module_graph(IMPORTS))
    assert not cycles, _fail(["import cycle: " + " -> ".join(cycle) for cycle in cycles])


def test_tasks_hold_no_api_paths_or_connector_internals() -> None:
    problems = task_leaks(SOURCES)
    assert not problems, _fail(problems)


# -- the checkers can fail --------------------------------------------------------------------


def _synthetic(files: dict[str, str]) -> dict[str, Source]:
    """``{"vismasync/engine/a.py": "..."}`` -> sources, as package_sources reads a tree."""
    sources: dict[str, Source] = {}
    for path, text in files.items():
        parts = path.removesuffix(".py").split("/")
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        sources[module] = Source(module, is_package, path, text)
    return sources


def test_layer_checker_reports_upward_sideways_and_emulator_imports() -> None:
    sources = _synthetic(
        {
            "vismasync/engine/__init__.py": "",
            "vismasync/engine/run.py": (
                "from ..tasks import stock\n"  # relative, module level
                "def f():\n"
                "    import vismasync.flows.stock\n"  # inside a function
            ),
            "vismasync/tasks/__init__.py": "",
            "vismasync/tasks/stock.py": "from vismasync.engine.run import Run\n",
            "vismasync/flows/stock.py": "",
            "vismasync/connectors/http.py": "from vismasync.store import tokens\n",
            "vismasync/store/tokens.py": "",
            "vismasync/config/model.py": "from vismasync.mappings import hashing\n",
            "vismasync/mappings/hashing.py": "from vismasync.config.model import X\n",
            "vismasync/deployments/cli_run.py": "from vismasync.emulators import server\n",
            "vismasync/deployments/demo.py": "def f():\n    from ..emulators import server\n",
            "vismasync/emulators/server.py": "from vismasync.connectors.http import ApiError\n",
            "vismasync/widgets/x.py": "",
            "vismasync/paths.py": "import vismasync.widgets.x\n",
        }
    )
    problems = layer_violations(collect_imports(sources))
    assert problems == [
        "vismasync/engine/run.py:1 imports vismasync.tasks.stock: "
        "engine may not import tasks (imports point down only)",
        "vismasync/engine/run.py:3 imports vismasync.flows.stock: "
        "engine may not import flows (imports point down only)",
        "vismasync/connectors/http.py:1 imports vismasync.store.tokens: "
        "connectors may not import store (bottom layers)",
        "vismasync/mappings/hashing.py:1 imports vismasync.config.model: "
        "mappings may not import config (bottom layers)",
        "vismasync/deployments/cli_run.py:1 imports vismasync.emulators.server: only "
        f"{sorted(EMULATOR_IMPORTERS)} may import the emulators",
        "vismasync/emulators/server.py:1 imports vismasync.connectors.http: "
        "emulators import nothing outside emulators",
        "vismasync/paths.py:1 imports vismasync.widgets.x: layer 'widgets' has no place in RANKS",
    ]


def test_cycle_finder_reports_module_level_cycles_only() -> None:
    sources = _synthetic(
        {
            "vismasync/store/__init__.py": "from . import a\n",
            "vismasync/store/a.py": "from .b import B\n",
            "vismasync/store/b.py": "import vismasync.store.c\n",
            "vismasync/store/c.py": "from vismasync.store import a\n",
            "vismasync/store/d.py": "from .e import E\n",
            "vismasync/store/e.py": "def f():\n    from .d import D\n",  # runs late: no cycle
        }
    )
    cycles = find_cycles(module_graph(collect_imports(sources)))
    assert cycles == [
        ["vismasync.store.a", "vismasync.store.b", "vismasync.store.c", "vismasync.store.a"]
    ]
    assert find_cycles({"x": {"y"}, "y": set()}) == []


def test_task_checker_reports_paths_odata_and_connector_internals() -> None:
    sources = _synthetic(
        {
            "vismasync/tasks/customers.py": (
                "def read(client, since):\n"
                "    client.transport.get('/v2/customers')\n"
                "    return client.http.get(f'/customer?$filter=changed gt {since}')\n"
            ),
            "vismasync/engine/run.py": "PATH = '/v2/customers'\n",  # not a task: allowed
        }
    )
    assert task_leaks(sources) == [
        "vismasync/tasks/customers.py:2: .transport reaches into a connector's internals",
        "vismasync/tasks/customers.py:2: raw API path '/v2/customers' (call a connector method)",
        "vismasync/tasks/customers.py:3: .http reaches into a connector's internals",
        "vismasync/tasks/customers.py:3: OData $filter in '/customer?$filter=changed gt ' "
        "(connectors build it)",
    ]
