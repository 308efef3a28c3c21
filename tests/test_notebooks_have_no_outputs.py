"""Notebooks are committed clean: no outputs, no execution counts, one `parameters` cell, the project's
kernel, and code that imports km_assets instead of copying it (executed notebooks are artifacts)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from km_assets.reports import KERNEL_NAME, NOTEBOOKS

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"


def problems(book) -> list[str]:
    found = []
    for index, cell in enumerate(book.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            found.append(f"cell {index} has {len(cell.outputs)} output(s)")
        if cell.get("execution_count") is not None:
            found.append(f"cell {index} has execution_count {cell.execution_count}")
    return found


def test_every_notebook_is_there():
    assert sorted(p.stem for p in NOTEBOOK_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_without_outputs(name):
    book = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    nbformat.validate(book)
    assert problems(book) == [], f"{name}.ipynb was saved with outputs: clear them (Edit > Clear Outputs) first"
    tagged = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "one cell tagged `parameters` (papermill injects values after it)"
    assert book.metadata.kernelspec.name == KERNEL_NAME
    code = "\n".join(c.source for c in book.cells if c.cell_type == "code")
    assert "from km_assets" in code
    assert "def " not in code, "logic belongs in km_assets.reports, not in notebook cells"


def test_the_check_catches_a_notebook_with_outputs():
    executed = new_notebook(cells=[new_code_cell("print(1)", execution_count=1,
                                                 outputs=[new_output("stream", name="stdout", text="1\n")])])
    assert problems(executed) == ["cell 0 has 1 output(s)", "cell 0 has execution_count 1"]
