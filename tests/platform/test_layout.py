"""The layout holds: no import cycles in server/, the platform imports no surface, no id()-keyed caches.

Read from the source (ast), so a violation anywhere fails here, whether or not
a test happens to import that module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"
# What the platform must not import: the surfaces, and the composition root that lists them.
ABOVE_PLATFORM = ("server.surfaces", "server.app", "server.schema", "server.cli", "server.workers")
_CONTAINERS = frozenset(
    {"dict", "set", "list", "defaultdict", "OrderedDict", "WeakKeyDictionary", "WeakValueDictionary"}
)


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module


def modules(root: Path = SERVER) -> dict[str, Module]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = Module(name, path, ast.parse(path.read_text(), str(path)))
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run at import: the body, its ifs, trys and class bodies, but not
    functions' bodies nor `if TYPE_CHECKING:` blocks."""
    for node in body:
        yield node
        if isinstance(node, ast.If):
            if not _is_type_checking(node):
                yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _module_level(block)
        elif isinstance(node, (ast.ClassDef, ast.With)):
            yield from _module_level(node.body)


def _imported(module: Module, node: ast.stmt | ast.expr, known: dict[str, Module]) -> Iterator[str]:
    """The modules of server/ an import statement loads (a `from pkg import mod` loads pkg.mod)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = module.name.split(".")
            if module.path.name != "__init__.py":
                package = package[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            yield submodule if submodule in known else base


def import_graph(known: dict[str, Module]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in known}
    for module in known.values():
        for node in _module_level(module.tree.body):
            for target in _imported(module, node, known):
                if target in known and target != module.name:
                    graph[module.name].add(target)
    return graph


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the sets of modules that import each other, directly or around a loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for target in graph[name]:
            if target not in index:
                visit(target)
                low[name] = min(low[name], low[target])
            elif target in stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == name:
                    break
            components.append(component)

    for name in graph:
        if name not in index:
            visit(name)
    return components


def import_cycles(root: Path = SERVER) -> list[list[str]]:
    components = _strongly_connected(import_graph(modules(root)))
    return sorted(sorted(cycle) for cycle in components if len(cycle) > 1)


def platform_imports_above(root: Path = SERVER) -> list[str]:
    """Every import, at any depth (functions and TYPE_CHECKING too), from platform/ into what builds on it."""
    known = modules(root)
    found = []
    for module in known.values():
        if not module.name.startswith("server.platform"):
            continue
        for node in ast.walk(module.tree):
            for target in _imported(module, node, known) if isinstance(node, (ast.Import, ast.ImportFrom)) else ():
                if target.startswith(ABOVE_PLATFORM):
                    found.append(f"{module.name}:{node.lineno} imports {target}")
    return found


def id_keyed_caches(root: Path = SERVER) -> list[str]:
    """Functions that call id() and touch a module-level container: a cache keyed by
    object identity, which outlives (and so can be handed a reused id of) its objects."""
    found = []
    for module in modules(root).values():
        containers = set()
        for node in module.tree.body:
            targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
            value = getattr(node, "value", None)
            is_container = isinstance(value, (ast.Dict, ast.Set, ast.List, ast.DictComp, ast.SetComp)) or (
                isinstance(value, ast.Call)
                and isinstance(value.func, (ast.Name, ast.Attribute))
                and (value.func.id if isinstance(value.func, ast.Name) else value.func.attr) in _CONTAINERS
            )
            if is_container:
                containers |= {t.id for t in targets if isinstance(t, ast.Name)}
        for function in ast.walk(module.tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            names = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
            calls_id = any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "id"
                for n in ast.walk(function)
            )
            if calls_id and names & containers:
                found.append(f"{module.name}.{function.name} keys {', '.join(sorted(names & containers))} by id()")
    return found


def test_server_has_no_import_cycles() -> None:
    assert import_cycles() == []


def test_the_platform_imports_no_surface() -> None:
    assert platform_imports_above() == []


def test_no_caches_keyed_by_id() -> None:
    assert id_keyed_caches() == []


def test_the_checks_see_what_they_look_for(tmp_path: Path) -> None:
    """Each check finds a planted violation (so an empty answer above means something)."""
    package = tmp_path / "server"
    for folder in ("platform", "surfaces/demo"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "platform/a.py").write_text(
        "from typing import TYPE_CHECKING\nfrom server.platform import b\n"
        "if TYPE_CHECKING:\n    from server.platform import c\n"
    )
    (package / "platform/b.py").write_text("from . import a\n")
    (package / "platform/c.py").write_text("from server.platform import a\n")
    (package / "platform/d.py").write_text("def f():\n    from server.surfaces.demo import e\n")
    (package / "surfaces/demo/e.py").write_text(
        "_seen: dict[int, object] = {}\n\ndef remember(x):\n    return _seen.setdefault(id(x), x)\n"
    )
    assert import_cycles(package) == [["server.platform.a", "server.platform.b"]]
    assert platform_imports_above(package) == ["server.platform.d:2 imports server.surfaces.demo.e"]
    assert id_keyed_caches(package) == ["server.surfaces.demo.e.remember keys _seen by id()"]
