"""The package's shape, read from its source (AST: nothing is imported): layers, no cycles, small units.

Data flows one way: core, runtime, publish, inputs, model, experiment,
report, verify, pdf, pipeline, preview, then the command line. A module imports
only from its own layer and the layers before it. The check (verify) is
trusted because it does not share the code that wrote the pages: it imports
nothing of report, except the three steps it re-runs to reproduce the
build's own bytes, and those only inside a function, where they run when a
check needs them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "generator"
LAYERS = ("core", "runtime", "publish", "inputs", "model", "experiment", "report", "verify", "pdf", "pipeline", "preview",
          "")
# What the check may run of the writer's side, lazily, to reproduce the build's bytes: the compute step
# (the facts a notebook's kernel and the figures start from), the notebook's cells, the figures' pixels and the
# notebook's picture.
REPRODUCTION = frozenset({"generator.report.compute", "generator.report.notebook", "generator.report.figures",
                          "generator.report.channel_picture"})
MODULE_LINES = 500
FUNCTION_LINES = 60


@dataclass(frozen=True)
class Import:
    importer: str  # generator.verify.gate
    imported: str  # generator.report.figures
    line: int
    lazy: bool  # inside a function: runs only when that function does


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(root: Path) -> list[Import]:
    """Every import of the package's own modules, each resolved to the module it loads."""
    modules = {module_name(root, path): path for path in root.rglob("*.py")}
    found = []
    for importer, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        lazy = {id(node) for function in ast.walk(tree) if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
                for node in ast.walk(function)}
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                # `from package import module` loads the module; `from module import name` loads the module
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            for target in targets:
                if target.partition(".")[0] == root.name and target != root.name:
                    found.append(Import(importer, target, node.lineno, id(node) in lazy))
    return found


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1] if len(parts) > 2 else "")


def against_the_flow(found: list[Import]) -> list[str]:
    """Each import that reaches a later layer, or reaches from the check into the writer's side."""
    wrong = []
    for edge in found:
        where = f"{edge.importer}:{edge.line} imports {edge.imported}"
        if layer(edge.imported) > layer(edge.importer):
            wrong.append(f"{where}, a later layer")
        elif edge.importer.startswith("generator.verify.") and edge.imported.startswith("generator.report."):
            if edge.imported not in REPRODUCTION:
                wrong.append(f"{where}: the check must derive this itself")
            elif not edge.lazy:
                wrong.append(f"{where} at import time: the check reproduces with it only inside a function")
    return wrong


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected groups of more than one node (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for start, end in edges:
        graph.setdefault(start, set()).add(end)
        graph.setdefault(end, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def subpackage(module: str) -> str:
    return ".".join(module.split(".")[:2]) if module.count(".") > 1 else "generator"


def test_every_import_follows_the_layers_and_the_check_derives_its_own_values() -> None:
    assert against_the_flow(imports_of(PACKAGE)) == []


def test_there_are_no_import_cycles_between_modules_or_subpackages() -> None:
    found = imports_of(PACKAGE)
    assert cycles({(edge.importer, edge.imported) for edge in found}) == []
    assert cycles({(subpackage(edge.importer), subpackage(edge.imported)) for edge in found
                   if subpackage(edge.importer) != subpackage(edge.imported)}) == []


def test_every_subpackage_is_a_layer_and_its_init_is_empty() -> None:
    """An empty __init__ imports nothing: `generator.cli` loads no torch, and a test's patch reaches the module."""
    folders = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert folders == set(LAYERS) - {""}
    assert [path for path in PACKAGE.rglob("__init__.py") if path.read_bytes()] == []


def test_no_module_and_no_function_is_too_long_to_read() -> None:
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MODULE_LINES:
            long.append(f"{path.relative_to(PACKAGE)}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if length > FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}: {length} lines")
    assert long == []


# ------------------------------------------------------------ the rules catch what they are for


def planted(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "generator"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in [root, *(path for path in root.rglob("*") if path.is_dir())]:
        (folder / "__init__.py").touch()
    return root


@pytest.mark.parametrize(("files", "complaint"), [
    ({"core/config.py": "from ..report import facts\n", "report/facts.py": ""},
     "generator.core.config:1 imports generator.report.facts, a later layer"),
    ({"model/resnet.py": "def f():\n    from generator.pipeline.stamp import code_digest\n", "pipeline/stamp.py": ""},
     "generator.model.resnet:2 imports generator.pipeline.stamp, a later layer"),
    ({"verify/family.py": "from ..report.family import meta_model\n", "report/family.py": ""},
     "generator.verify.family:1 imports generator.report.family: the check must derive this itself"),
    ({"verify/gate.py": "from ..report import figures\n", "report/figures.py": ""},
     "generator.verify.gate:1 imports generator.report.figures at import time: the check reproduces with it only "
     "inside a function"),
])
def test_a_planted_back_import_is_named(tmp_path: Path, files: dict[str, str], complaint: str) -> None:
    assert against_the_flow(imports_of(planted(tmp_path, files))) == [complaint]


def test_lazy_reproduction_and_forward_imports_pass(tmp_path: Path) -> None:
    root = planted(tmp_path, {
        "verify/gate.py": "def again():\n    from ..report import compute, figures\n",
        "report/compute.py": "from ..model import resnet\nfrom . import figures\n",
        "report/figures.py": "", "model/resnet.py": "from ..core import errors\n", "core/errors.py": "",
    })
    found = imports_of(root)
    assert {(edge.importer, edge.imported) for edge in found} == {
        ("generator.verify.gate", "generator.report.compute"), ("generator.verify.gate", "generator.report.figures"),
        ("generator.report.compute", "generator.model.resnet"), ("generator.report.compute", "generator.report.figures"),
        ("generator.model.resnet", "generator.core.errors")}
    assert against_the_flow(found) == []


def test_a_cycle_is_found_between_modules_and_between_subpackages(tmp_path: Path) -> None:
    root = planted(tmp_path, {"verify/gate.py": "from . import explorer\n",
                              "verify/explorer.py": "from .expected import X\n",
                              "verify/expected.py": "from .gate import Y\n"})
    edges = {(edge.importer, edge.imported) for edge in imports_of(root)}
    assert cycles(edges) == [["generator.verify.expected", "generator.verify.explorer", "generator.verify.gate"]]
    assert cycles({("generator.core", "generator.model"), ("generator.model", "generator.core")}) == [
        ["generator.core", "generator.model"]]
