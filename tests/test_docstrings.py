"""The `>>>` examples in the package's docstrings run and print what they
say."""

import doctest
import importlib
import pkgutil

import keras
import numpy as np
import pytest

import gatedkeras
import recipes

MODULES = sorted(
    info.name
    for package in (gatedkeras, recipes)
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    if not info.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    # The names Keras's own docstring examples assume.
    globs = {"keras": keras, "gatedkeras": gatedkeras, "np": np}
    if name == "gatedkeras.torch_weights":
        globs["torch"] = pytest.importorskip("torch")
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module, globs=globs):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0
