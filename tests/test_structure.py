"""The code layout stays what DESIGN.md ("Code layout") says: folders are the stages.

Each assertion reads the source as text (``ast``), so it holds for imports inside functions
too, and fails the moment a change breaks the layout.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from factpack.core.errors import Code

SRC = Path(__file__).resolve().parents[1] / "src" / "factpack"
MAX_LINES = 500
# A stage may import itself, the shared foundations and the stages to its left.
FOUNDATIONS = ("core", "spec")
STAGES = ("descriptors", "validation", "build", "release", "access", "site")
FRONT = ("cli", "commands", "__init__", "__main__")  # the command line may import any stage


def modules() -> dict[str, Path]:
    """Dotted module name (without ``factpack.``) -> file."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """Every factpack module ``name`` imports, at module level or inside a function."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    known = modules()
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("factpack"):
                target = node.module.removeprefix("factpack").lstrip(".")
            else:
                continue
            for alias in node.names:  # `from . import x` may name a module
                sub = f"{target}.{alias.name}" if target else alias.name
                out.add(sub if sub in known else target)
        elif isinstance(node, ast.Import):
            out |= {a.name.removeprefix("factpack.") for a in node.names
                    if a.name.startswith("factpack.")}
    return {m for m in out if m in known and m != name}


def stage(module: str) -> str:
    return module.split(".")[0]


def test_no_module_is_longer_than_the_limit():
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_there_is_no_import_cycle():
    graph = {name: imports(name, path) for name, path in modules().items()}
    # A package's __init__ importing its own submodules lazily is not a cycle of stages;
    # every other path back to the start is.
    cycles = []
    for start in graph:
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    cycles.append(" -> ".join([*trail, nxt]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
    assert not cycles, "import cycles:\n" + "\n".join(sorted(set(cycles))[:10])


def test_a_stage_imports_only_earlier_stages_and_the_foundations():
    order = {s: i for i, s in enumerate(STAGES)}
    wrong = []
    for name, path in modules().items():
        here = stage(name)
        if here in FRONT:
            continue
        for target in imports(name, path):
            there = stage(target)
            if there == here:
                continue
            if here in FOUNDATIONS:
                ok = there in FOUNDATIONS and FOUNDATIONS.index(there) < FOUNDATIONS.index(here)
            else:
                ok = there in FOUNDATIONS or (there in order and order[there] < order[here])
            if not ok:
                wrong.append(f"{name} imports {target}")
    assert not wrong, "imports against the flow:\n" + "\n".join(wrong)


def test_no_import_guards():
    guarded = []
    for name, path in modules().items():
        if name == "cli":  # turns a missing extra into an error that names it: nothing skipped
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                names = [n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)]
                if {"ImportError", "ModuleNotFoundError"} & set(names):
                    guarded.append(f"{name}:{node.lineno}")
    assert not guarded, f"`except ImportError` guards skip work silently: {guarded}"


def test_only_the_command_line_imports_typer():
    users = []
    for name, path in modules().items():
        if stage(name) in ("cli", "commands"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(m == "typer" or m.startswith("typer.") for m in mods):
                users.append(name)
    assert not users, f"typer imported outside cli.py and commands/: {users}"


def test_error_codes_are_named_not_repeated_as_text():
    codes = {c.value for c in Code}
    literal = []
    for name, path in modules().items():
        if name == "core.errors":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in codes:
                literal.append(f"{name}:{node.lineno} {node.value!r}")
    assert not literal, "use factpack.core.errors.Code, not the text:\n" + "\n".join(literal)


@pytest.mark.parametrize("package", [*FOUNDATIONS, *STAGES, "commands"])
def test_every_stage_is_a_package_that_says_what_it_is(package):
    init = SRC / package / "__init__.py"
    assert init.is_file(), f"{package}/ is not a package"
    assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), \
        f"{package}/__init__.py has no docstring"
