"""`make mutants` (tools/mutants.py) breaks code in a scratch copy, never in the working tree."""

import importlib.util
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK = '''import os
import pathlib


def test_value():
    here = pathlib.Path(__file__).resolve().parents[1]
    seen = pathlib.Path(os.environ["WORKING_TREE"], "code.py").read_text()
    pathlib.Path(os.environ["SEEN"]).write_text(seen)
    assert (here / "code.py").read_text() == "VALUE = 1\\n"
'''


def load_mutants():
    spec = importlib.util.spec_from_file_location("mutants", ROOT / "tools" / "mutants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_mutant_is_made_in_a_scratch_copy_and_the_working_tree_is_never_edited(tmp_path, monkeypatch, capsys):
    tree = tmp_path / "tree"
    (tree / "tests").mkdir(parents=True)
    (tree / "code.py").write_text("VALUE = 1\n")
    (tree / "tests" / "test_code.py").write_text(CHECK)
    (tree / "uncommitted.txt").write_text("work in progress\n")
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    subprocess.run(["git", "-C", str(tree), "add", "code.py", "tests"], check=True)
    mutants = load_mutants()
    monkeypatch.setattr(mutants, "ROOT", tree)
    monkeypatch.setattr(mutants, "MUTANTS", [mutants.Mutant("value", "code.py", "VALUE = 1", "VALUE = 2",
                                                            "tests/test_code.py")])
    monkeypatch.setenv("WORKING_TREE", str(tree))
    monkeypatch.setenv("SEEN", str(tmp_path / "seen"))
    assert mutants.main() == 0
    assert "1 of 1 mutants killed" in capsys.readouterr().out
    assert (tmp_path / "seen").read_text() == "VALUE = 1\n"  # while the mutant ran
    assert (tree / "code.py").read_text() == "VALUE = 1\n"


def test_the_scratch_copy_has_uncommitted_and_untracked_sources_and_links_what_is_installed(tmp_path):
    mutants = load_mutants()
    copy = mutants.scratch_copy(ROOT, tmp_path)
    assert (copy / "program" / "ml_edge" / "api.py").read_text() == (ROOT / "program/ml_edge/api.py").read_text()
    assert (copy / "tools" / "mutants.py").is_file()
    assert (copy / ".venv").is_symlink() and not (copy / ".git").exists()
