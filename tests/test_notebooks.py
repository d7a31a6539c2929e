"""The Colab notebooks in notebooks/: valid, cleared, pointing at our
repository, and written with the public API only.

Executing them is `.ci/run`'s job (`pytest --nbmake notebooks/` with
`GATEDKERAS_NOTEBOOK_QUICK=1`, which each parameters cell reads to shrink
its settings); these checks read the files and run nothing.
"""

import ast
import os
import re

import pytest

nbformat = pytest.importorskip("nbformat")
try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(ROOT, "notebooks")
QUICK = "GATEDKERAS_NOTEBOOK_QUICK"
NAMES = sorted(
    name for name in os.listdir(NOTEBOOKS) if name.endswith(".ipynb")
)
# The first code that needs the backend chosen.
FIRST_IMPORTS = re.compile(
    r"^\s*(import keras|from keras|import gatedkeras|from gatedkeras"
    r"|from recipes|import recipes)\b",
    re.MULTILINE,
)
PIP = re.compile(r"^%pip install -q \"([^\"]+)\"$")


def _repository():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        url = tomllib.load(f)["project"]["urls"]["Repository"]
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)/?", url)
    assert match, f"Repository is not a GitHub URL: {url}"
    return url.rstrip("/"), match.group(1)


def _read(name):
    return nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)


def _badge(owner_name, name):
    return (
        f"https://colab.research.google.com/github/{owner_name}/blob/main/"
        f"notebooks/{name}"
    )


def _code_without_magics(source):
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line
        for line in source.splitlines()
    )


def _index(cells, predicate, what, name):
    for index, cell in enumerate(cells):
        if predicate(cell):
            return index
    pytest.fail(f"{name}: no {what}")


def test_the_notebooks_are_there():
    assert len(NAMES) >= 6, NAMES
    for name in NAMES:
        assert re.fullmatch(r"\d\d_[a-z_]+\.ipynb", name), name


@pytest.mark.parametrize("name", NAMES)
def test_valid_and_cleared(name):
    notebook = _read(name)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: outputs not cleared"
            assert cell.execution_count is None, name
    assert notebook.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", NAMES)
def test_opens_with_title_badge_install_backend_then_imports(name):
    url, owner_name = _repository()
    cells = _read(name).cells
    first = cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith("# "), f"{name}: no title first"
    assert "colab-badge.svg" in first.source
    assert f"({_badge(owner_name, name)})" in first.source, (
        f"{name}: the Open in Colab badge must point at "
        f"{_badge(owner_name, name)}"
    )
    assert "GPU" in first.source and "Change runtime type" in first.source

    install = _index(
        cells,
        lambda c: c.cell_type == "code" and "pip install" in c.source,
        "install cell",
        name,
    )
    source = cells[install].source.strip().splitlines()
    pip = [line for line in source if "pip install" in line]
    assert len(pip) == 1, f"{name}: one pip install line: {pip}"
    match = PIP.match(pip[0])
    assert match, f"{name}: install line not as expected: {pip[0]}"
    requirement = match.group(1)
    package, _, location = requirement.partition(" @ ")
    assert re.fullmatch(r"gatedkeras(\[[a-z,]+\])?", package), requirement
    assert location == f"git+{url}", (
        f"{name}: install from {location}, pyproject says {url}"
    )
    extras = re.findall(r"[a-z]+", package[len("gatedkeras") :])
    assert "torch" not in extras and "jax" not in extras, (
        f"{name}: leave Colab's own torch and jax alone: {requirement}"
    )
    assert "skip-execution" in cells[install].metadata.get("tags", []), (
        f"{name}: CI must skip the install cell"
    )

    backend = _index(
        cells,
        lambda c: c.cell_type == "code" and "KERAS_BACKEND" in c.source,
        "KERAS_BACKEND cell",
        name,
    )
    imports = _index(
        cells,
        lambda c: c.cell_type == "code" and FIRST_IMPORTS.search(c.source),
        "imports",
        name,
    )
    assert install < backend < imports, (name, install, backend, imports)


@pytest.mark.parametrize("name", NAMES)
def test_parameters_cell(name):
    cells = _read(name).cells
    tagged = [
        cell
        for cell in cells
        if cell.cell_type == "code"
        and "parameters" in cell.metadata.get("tags", [])
    ]
    assert len(tagged) == 1, f"{name}: one cell tagged 'parameters'"
    source = tagged[0].source
    comments = " ".join(
        line for line in source.splitlines() if line.startswith("#")
    )
    assert "reproduce" in comments, (
        f"{name}: say in a comment which values reproduce the published figures"
    )
    assert f'os.environ.get("{QUICK}")' in source, (
        f"{name}: CI's small settings come from {QUICK}"
    )
    ast.parse(source)


@pytest.mark.parametrize("name", NAMES)
def test_public_api_only(name):
    for cell in _read(name).cells:
        if cell.cell_type != "code":
            continue
        assert "keras.src" not in cell.source, f"{name}: keras.src"
        tree = ast.parse(_code_without_magics(cell.source))
        for node in ast.walk(tree):
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
                modules += [
                    f"{node.module}.{alias.name}" for alias in node.names
                ]
            for module in modules:
                private = [
                    part
                    for part in module.split(".")
                    if part.startswith("_") and not part.startswith("__")
                ]
                assert not private, f"{name}: private import {module}"
            if isinstance(node, ast.Attribute):
                attr = node.attr
                assert not (
                    attr.startswith("_") and not attr.startswith("__")
                ), f"{name}: private attribute .{attr}"


def test_readme_lists_every_notebook_with_its_badge():
    _, owner_name = _repository()
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for name in NAMES:
        assert f"({_badge(owner_name, name)})" in readme, (
            f"README.md: no Open in Colab badge for {name}"
        )
