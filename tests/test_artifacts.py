"""core/artifacts.py is the one owner of a model folder's layout: its file names appear nowhere else."""
import ast
import re

import pytest

from core import artifacts
from core.artifacts import PublishedVersion, TrainedFolder, UnreadableModel, load_model
from core.paths import REPO

FOLDER_FILES = [artifacts.KERAS_MODEL, artifacts.TRAINING_FACTS, artifacts.METRICS, artifacts.CROSS_LAB,
                artifacts.LEARNING_CURVES, artifacts.CHECKPOINT_STATE, artifacts.BEST_EPOCH,
                artifacts.PUBLISHED_MODEL, artifacts.METADATA, artifacts.FOLDED_STATISTICS, artifacts.INDEX,
                artifacts.confusion_matrix_picture("")[:-len(".png")]]
NAMED = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(name) for name in FOLDER_FILES) + r")(?![\w-])")
RUNTIME = [path for path in REPO.rglob("*.py")
           if not {".venv", "tests", ".cache", "node_modules"} & set(path.relative_to(REPO).parts)
           and path != REPO / "core" / "artifacts.py"]


def strings_in_code(tree: ast.AST):
    """Every string constant of a module but its docstrings (which may well name the files they describe)."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


def test_no_model_folder_file_name_is_spelt_outside_core_artifacts():
    found = [f"{path.relative_to(REPO)}:{node.lineno}: {node.value!r}"
             for path in RUNTIME for node in strings_in_code(ast.parse(path.read_text()))
             if NAMED.search(node.value)]
    assert RUNTIME and not found, "\n".join(found)


def test_the_grep_sees_a_literal_where_there_is_one():
    tree = ast.parse('"""model.h5 in a docstring is fine"""\nPATH = folder / "model.h5"\n'
                     'NOTE = f"confusion_matrix_{name}.png"\nOTHER = "mymodel.h5x"\n')
    assert [node.value for node in strings_in_code(tree) if NAMED.search(node.value)] == ["model.h5", "confusion_matrix_"]


def test_a_folder_without_a_model_says_which_file_it_lacks(tmp_path):
    assert not TrainedFolder(tmp_path).has_model() and not PublishedVersion(tmp_path).has_model()
    with pytest.raises(FileNotFoundError, match=artifacts.TRAINING_FACTS):
        TrainedFolder(tmp_path).facts()
    (tmp_path / artifacts.KERAS_MODEL).write_bytes(b"not a model")
    with pytest.raises(UnreadableModel, match="cannot be read as a Keras model"):
        load_model(tmp_path)
