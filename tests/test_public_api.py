"""Stages meet through declared APIs: the bench imports train's PUBLIC names (train/__init__.py), never its modules."""
import ast
import subprocess
import sys

import pytest

import train
from core.paths import REPO


def imports_of(path) -> list:
    tree = ast.parse(path.read_text())
    found = [(node.lineno, node.module) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
    return found + [(node.lineno, alias.name) for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names]


def test_the_bench_imports_no_module_of_train():
    private = [f"{path.relative_to(REPO)}:{line}: {module}" for path in sorted((REPO / "bench").glob("*.py"))
               for line, module in imports_of(path) if module.startswith("train.")]
    assert private == []


@pytest.mark.parametrize("name", train.__all__)
def test_every_public_name_resolves(name):
    assert getattr(train, name) is not None


def test_importing_the_package_loads_none_of_its_modules():
    loaded = subprocess.run([sys.executable, "-c", "import sys, train; "
                             "print(sorted(name for name in sys.modules if name.startswith(('train.', 'tensorflow'))))"], capture_output=True, text=True, cwd=REPO, check=True)
    assert loaded.stdout.strip() == "[]"
