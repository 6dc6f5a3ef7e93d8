"""The import graph of the project's own packages: no cycles, and every edge points down the layers.

Layers, lowest first: the shared core modules (``longtail.errors``, ``longtail.validation``, ``longtail.device``),
``longtail.privacy`` (pseudonyms and differential privacy), ``longtail.data``, the domains (``longtail.language``
and ``longtail.demand``, which never import each other, then ``longtail.recommend``, which may use language's
sentiment), ``longtail.serving`` and ``longtail.spark`` (the Spark engine's jobs, which never import each other),
``resources``, ``data_quality``, ``assets``, ``orchestration``. Deferred imports
inside functions count: hiding an edge in a function does not remove it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("longtail", "resources", "data_quality", "assets", "orchestration")

# (prefix, rank): the longest matching prefix gives a module its layer. Equal ranks may not import each other
# unless they are the same layer.
LAYERS = (
    ("longtail", 0),
    ("longtail.privacy", 1),
    ("longtail.data", 2),
    ("longtail.language", 3),
    ("longtail.demand", 3),
    ("longtail.recommend", 4),
    ("longtail.serving", 5),
    ("longtail.spark", 5),
    ("resources", 6),
    ("data_quality", 7),
    ("assets", 8),
    ("orchestration", 9),
)


def layer_of(module: str) -> tuple[str, int]:
    matches = [(prefix, rank) for prefix, rank in LAYERS if module == prefix or module.startswith(prefix + ".")]
    return max(matches, key=lambda match: len(match[0]))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def imported_modules(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``path`` imports anywhere in its body, resolved to the deepest existing module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    graph = {}
    for name, path in modules.items():
        # A package's __init__ is imported on the way to each of its modules; edges to one's own parents are noise.
        graph[name] = {target for target in imported_modules(path, modules) if not name.startswith(target + ".")}
        graph[name].discard(name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_project_has_no_import_cycle():
    assert find_cycle(import_graph()) is None, " -> ".join(find_cycle(import_graph()))


def test_every_import_points_down_the_layers():
    backwards = []
    for source, targets in import_graph().items():
        source_layer, source_rank = layer_of(source)
        for target in sorted(targets):
            target_layer, target_rank = layer_of(target)
            if target_rank > source_rank or (target_rank == source_rank and target_layer != source_layer):
                backwards.append(f"{source} ({source_layer}) imports {target} ({target_layer})")
    assert not backwards, "\n".join(backwards)


def test_the_core_never_imports_dagster():
    offenders = []
    for name, path in project_modules().items():
        if name.split(".")[0] != "longtail":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            roots = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                roots = [node.module]
            offenders += [f"{name} imports {root}" for root in roots if root.split(".")[0].startswith("dagster")]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize(
    "graph, cycle",
    [({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]), ({"a": {"b"}, "b": set()}, None)],
)
def test_find_cycle_reports_the_loop(graph, cycle):
    assert find_cycle(graph) == cycle


def test_layer_of_takes_the_longest_prefix():
    assert layer_of("longtail.recommend.models.hybrid") == ("longtail.recommend", 4)
    assert layer_of("longtail.validation") == ("longtail", 0)
