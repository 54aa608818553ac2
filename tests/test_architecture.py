"""The package's layering, checked by walking every module's imports (no import-linter needed).

Rules (README, "Architecture"): a module imports only from its own layer or the layers below; no cycles; no
private names across modules; internal imports at module level; gmsh only in meshing/, matplotlib only in
plotting/, pyvista only in plotting/ and the VTU writer, dask only where sweeps and analysis distribute work.
"""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "amails_fem"

# layer rank: a module may import modules of equal or lower rank (equal rank: same folder or declared peers)
LAYERS = {
    "units": 0, "errors": 0, "validate": 0, "log": 0, "frames": 0, "memory": 0, "threads": 0,
    "io": 1, "specs": 2, "geometry": 2, "meshing": 3, "fem": 4, "linalg": 4,
    "rooms": 5, "cavities": 5, "environment": 6,
    "fields": 7, "testing": 7, "network": 8, "analysis": 9, "plotting": 10, "cli": 11, "__main__": 12,
}
PEERS_MAY_NOT_MIX = {"rooms", "cavities", "fem", "linalg"}  # same rank, separate worlds
HEAVY = {"gmsh": {"meshing"}, "matplotlib": {"plotting"}, "pyvista": {"plotting", "io"},
         "dask": {"cavities", "analysis", "cli"}, "distributed": {"cavities", "analysis", "cli"}}
LAZY_OK = set(HEAVY) | {"xarray", "h5py", "h5netcdf", "meshio", "vtk", "mne", "zarr", "IPython"}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(p for p in rel.parts if p != "__init__")
        yield name, path


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path):
    """(module imported, names, line, at module level?) for every import statement of a file."""
    tree = ast.parse(path.read_text())
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.name for a in node.names], node.lineno, id(node) in top
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, [], node.lineno, id(node) in top


def internal_edges():
    for name, path in modules():
        for mod, names, line, at_top in imports(path):
            if mod != "amails_fem" and not mod.startswith("amails_fem."):
                continue
            folder = PACKAGE.parent.joinpath(*mod.split("."))
            subs = [n for n in names if (folder / f"{n}.py").exists() or (folder / n / "__init__.py").exists()]
            for n in subs:  # `from amails_fem.network import sidereal` imports the submodule
                yield name, f"{mod}.{n}", [], line, at_top, path
            if len(subs) < len(names) and mod != "amails_fem":
                yield name, mod, [n for n in names if n not in subs], line, at_top, path


def check_layers(edges) -> list[str]:
    bad = []
    for src, dst, _names, line, _top, path in edges:
        a, b = layer_of(src), layer_of(dst)
        if a in ("__init__",) or a not in LAYERS or b not in LAYERS or a == b:
            continue
        if LAYERS[b] > LAYERS[a] or (LAYERS[b] == LAYERS[a] and {a, b} <= PEERS_MAY_NOT_MIX):
            bad.append(f"{path.name}:{line}: {src} ({a}) imports {dst} ({b}), a layer above or beside it")
    return bad


def find_cycles(edges) -> list[list[str]]:
    graph = {}
    for src, dst, *_ in edges:
        graph.setdefault(src, set()).add(dst)
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in list(graph):
        if node not in state:
            visit(node, [])
    return cycles


def test_every_layer_is_known():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    files = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert folders | files <= set(LAYERS), sorted((folders | files) - set(LAYERS))


def test_imports_only_go_down():
    assert check_layers(internal_edges()) == []


def test_no_import_cycles():
    assert find_cycles(list(internal_edges())) == []


def test_internal_imports_at_module_level_and_no_private_names():
    bad = []
    for src, dst, names, line, at_top, path in internal_edges():
        if not at_top and src != "amails_fem":
            bad.append(f"{path.name}:{line}: {dst} imported inside a function")
        bad += [f"{path.name}:{line}: private name {n} from {dst}" for n in names if n.startswith("_") and not n.startswith("__")]
    assert bad == []


def test_heavy_libraries_stay_in_their_rooms():
    bad = []
    for name, path in modules():
        for mod, _names, line, at_top in imports(path):
            root = mod.split(".")[0]
            if root in HEAVY and layer_of(name) not in HEAVY[root]:
                bad.append(f"{path.name}:{line}: {root} imported in {name}")
            if not at_top and root not in LAZY_OK and not mod.startswith(("amails_fem", "__future__")):
                if root in {"numpy", "scipy", "skfem", "pyamg"}:
                    bad.append(f"{path.name}:{line}: {mod} imported inside a function")
    assert bad == []


def test_the_checks_catch_a_cycle_and_an_upward_import():
    """The rules fail on a deliberately added cycle and on an import from a higher layer."""
    fake = Path("fake.py")
    edges = [("amails_fem.meshing.rooms", "amails_fem.rooms.perfect", [], 1, True, fake),
             ("amails_fem.rooms.perfect", "amails_fem.meshing.rooms", [], 1, True, fake)]
    assert find_cycles(edges)
    assert check_layers(edges[:1])


# citations of documents outside the repository (regular expressions, so that this file does not cite them itself)
OUTSIDE = [r"\.\./shared", r"perf-note[s]", r"\bissue [0-9]", r"\bseed 00[0-9]", r"[0-9]{3}_[0-9a-f]{16}\.txt"]


@pytest.mark.parametrize("rule", OUTSIDE)
def test_the_package_cites_only_papers_and_its_own_docs(rule):
    hits = [f"{p.name}" for _n, p in modules() if re.search(rule, p.read_text().lower())]
    assert hits == []
