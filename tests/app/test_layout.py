"""The house's layout holds: one package per domain in services/, no import circle,
renderers that import no service, and pure statistics and questionnaire code."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "sipas"
#: The single modules DESIGN §2 allows directly under sipas/services/.
SERVICE_MODULES = {
    "__init__",
    "accounts",
    "audit",
    "clock",
    "demo",
    "rate_limits",
    "uploads",
}
SERVICE_PACKAGES = {
    "backup",
    "jobs",
    "paper",
    "questionnaires",
    "responses",
    "results",
    "synthetic",
    "units",
    "waves",
}
#: What sipas/stats and sipas/questionnaire may import besides the standard library.
PURE_THIRD_PARTY = {"numpy", "scipy", "pyarrow", "yaml", "openpyxl", "threadpoolctl"}
#: The app's own modules they may import: plain code with no framework either.
PURE_SIPAS = {"sipas.spreadsheets"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``name`` imports, anywhere in its code (the
    most specific module an import names: a submodule, not its package)."""
    found = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".")[
                    : len(name.split(".")) - node.level + is_package
                ]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if child in known else base)
    return {module for module in found if module in known and module != name}


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imported(name, path, known) for name, path in found.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_anywhere_in_sipas():
    assert circles(import_graph()) == []


def test_the_circle_check_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]


def test_renderers_import_no_service():
    graph = import_graph()
    offending = {
        name: sorted(m for m in imports if m.startswith("sipas.services"))
        for name, imports in graph.items()
        if name.startswith("sipas.reports")
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_statistics_and_questionnaires_are_pure():
    """No web framework, database or service: plain values in, dataclasses out.

    The statistics may read a questionnaire (pure too) to learn its index tree."""
    for folder in ("stats", "questionnaire"):
        for path in (PACKAGE / folder).rglob("*.py"):
            if path.name == "__main__.py":  # the command's entry point, not code
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level:
                    names = [node.module or ""]
                for imported_name in names:
                    top = imported_name.split(".")[0]
                    allowed = (
                        imported_name.startswith(f"sipas.{folder}")
                        or imported_name in PURE_SIPAS
                        or folder == "stats"
                        and imported_name.startswith("sipas.questionnaire")
                        or top in PURE_THIRD_PARTY
                        or top != "sipas"
                        and _standard(top)
                    )
                    assert allowed, f"{path.relative_to(ROOT)} imports {imported_name}"


def _standard(top: str) -> bool:
    return top in sys.stdlib_module_names or top == "__future__"


def test_services_are_packages_per_domain_and_a_few_single_modules():
    folder = PACKAGE / "services"
    singles = {path.stem for path in folder.glob("*.py")}
    packages = {
        path.name for path in folder.iterdir() if (path / "__init__.py").exists()
    }
    assert singles == SERVICE_MODULES
    assert packages == SERVICE_PACKAGES


def test_commands_live_in_the_cli_package():
    assert sorted(path.name for path in PACKAGE.glob("cli_*.py")) == []
    assert not (PACKAGE / "stats_command.py").exists()
