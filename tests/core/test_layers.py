"""Imports point down the layers: every import in the package, module-level or inside a function.

Layers, lowest first (a module may import its own layer's unit and any lower layer):

    core      cuagym/ top-level modules (actions, browser, config, configbase, httpjson, ...) and cuagym/modeling/
    gspo  scaffold                 (peers: neither imports the other)
    hub   data                     (peers: data may use the hub client, the hub never uses data)
    rollout
    synth train                    (peers: neither imports the other)
    commands  cuagym/commands/, cuagym/cli.py, cuagym/config_cli.py (the command-line entry modules)

The repository's top-level folders are installed as ``cuagym.<folder>`` (setup.py), so
``rollout/pool.py`` is ``cuagym.rollout.pool``. A bare ``import rollout`` works only from the
repository root and is refused too.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Lowest first. Units on one line are peers: they may not import each other, except as below.
LAYERS: list[tuple[str, ...]] = [
    ("core",),
    ("gspo", "scaffold"),
    ("hub", "data"),
    ("rollout",),
    ("synth", "train"),
    ("commands",),
]
# (importer, imported) peer imports that exist by design.
PEER_IMPORTS: set[tuple[str, str]] = {
    ("data", "hub"),  # data.validate runs tuple scripts against hub sessions through cuagym.hub.client
}
# Repository folders installed as cuagym.<name> (setup.py SUBPACKAGES).
SUBPACKAGES = ("gspo", "scaffold", "hub", "data", "rollout", "synth", "train")
# Modules under cuagym/ that are command-line entry points rather than core.
COMMAND_MODULES = ("cuagym.cli", "cuagym.config_cli")
# Known upward imports in files being changed elsewhere, to be removed there (then drop the
# entry): {(repo-relative file, imported module): why}. None today.
PENDING: dict[tuple[str, str], str] = {}

LAYER_OF = {unit: i for i, units in enumerate(LAYERS) for unit in units}


def unit_of(module: str) -> str | None:
    """The layer unit of a ``cuagym...`` module name (None for anything outside the package)."""
    parts = module.split(".")
    if parts[0] != "cuagym":
        return None
    if len(parts) > 1 and parts[1] in SUBPACKAGES:
        return parts[1]
    if (len(parts) > 1 and parts[1] == "commands") or module in COMMAND_MODULES \
            or any(module.startswith(m + ".") for m in COMMAND_MODULES):
        return "commands"
    return "core"


def package_files() -> list[tuple[Path, str]]:
    """(file, dotted module name) of every .py file that setup.py installs."""
    out = []
    roots = [("cuagym", REPO / "cuagym")] + [(f"cuagym.{s}", REPO / s) for s in SUBPACKAGES]
    for prefix, root in roots:
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root).with_suffix("").parts
            if rel[-1] == "__init__":
                rel = rel[:-1]
            out.append((path, ".".join((prefix,) + rel)))
    return out


def imports(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, at any depth, relative ones resolved;
    ``importlib.import_module("literal")`` calls count too."""
    tree = ast.parse(path.read_text(), str(path))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            # `from cuagym import synth` imports the sub-package cuagym.synth.
            if name == "cuagym":
                found += [(node.lineno, f"cuagym.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, name))
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__")))):
            found.append((node.lineno, node.args[0].value))
    return found


def violations() -> list[str]:
    problems = []
    for path, module in package_files():
        rel = str(path.relative_to(REPO))
        src = unit_of(module)
        for line, target in imports(path, module):
            top = target.split(".")[0]
            if top in SUBPACKAGES:
                problems.append(f"{rel}:{line}: imports {target}, which resolves only from the repository root "
                                f"(import cuagym.{target})")
                continue
            if top == "tests":
                problems.append(f"{rel}:{line}: the package imports the tests ({target})")
                continue
            dst = unit_of(target)
            if dst is None or dst == src or (rel, target) in PENDING:
                continue
            if LAYER_OF[dst] > LAYER_OF[src]:
                problems.append(f"{rel}:{line}: {src} imports {target} from the higher layer {dst}")
            elif LAYER_OF[dst] == LAYER_OF[src] and (src, dst) not in PEER_IMPORTS:
                problems.append(f"{rel}:{line}: {src} imports {target} from its peer {dst}")
    return problems


def test_imports_point_down_the_layers():
    problems = violations()
    order = " < ".join(" | ".join(units) for units in LAYERS)
    assert not problems, f"imports against the layer order ({order}):\n" + "\n".join(problems)


def test_every_package_folder_has_a_layer():
    assert set(SUBPACKAGES) | {"core", "commands"} == set(LAYER_OF)
    setup_py = (REPO / "setup.py").read_text()
    for sub in SUBPACKAGES:
        assert f'"{sub}"' in setup_py, f"{sub} is not installed as cuagym.{sub} by setup.py"
    for path in REPO.iterdir():        # a new top-level package folder must be given a layer here
        if (path / "__init__.py").exists() and path.name != "tests":
            assert path.name in SUBPACKAGES or path.name == "cuagym", f"{path.name}/ has no layer"


def test_the_checker_sees_function_level_relative_and_dynamic_imports(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("import os\n"
                 "def f():\n"
                 "    from cuagym.commands.train_cli import main\n"
                 "    from ..data import format\n"
                 "    from . import prompts\n"
                 "    importlib.import_module('cuagym.train.driver')\n"
                 "from cuagym import synth\n")
    assert sorted(imports(f, "cuagym.rollout.m")) == [
        (1, "os"), (3, "cuagym.commands.train_cli"), (4, "cuagym.data"), (5, "cuagym.rollout"),
        (6, "cuagym.train.driver"), (7, "cuagym.synth")]
    assert [unit_of(m) for m in ("cuagym", "cuagym.config", "cuagym.modeling.tiny", "cuagym.cli",
                                 "cuagym.config_cli", "cuagym.commands.rollout_cli", "cuagym.hub.core.diff",
                                 "torch")] == ["core", "core", "core", "commands", "commands", "commands", "hub", None]


def test_every_command_module_has_a_main():
    from cuagym.cli import COMMANDS

    for name, (module, _) in COMMANDS.items():
        assert unit_of(module) in ("commands", "hub"), f"cuagym {name}: {module} is neither a command nor the hub's CLI"
        path = next((p for p, m in package_files() if m == module), None)
        assert path is not None, f"cuagym {name}: no module {module} in the package"
        tree = ast.parse(path.read_text())
        assert any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body), f"{module} has no main()"
