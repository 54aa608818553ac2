"""Every notebook in notebooks/ runs top to bottom (executed in a temporary copy of the folder)."""

import os
import shutil
from pathlib import Path
from unittest.mock import patch

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
# text a notebook's outputs must contain (its story reached the end with numbers)
EXPECT = {"sensor_network": ("eps gain", "eps2_hat"), "room_field_maps": ("max |B_t|", "AMAILS eq. (1) estimate"),
          "real_walls": ("full solves for 40 frequencies",), "cavity_modes": ("TM010", "G_B"),
          "room_environment": ("own field dominates at every sensor above", "pair (95 %"),
          "haloscope_reach": ("eps(100 s)", "MHz/day", "eps toroid", "paper formula"),
          "recorded_data": ("global candidates: [(25.0", "eps_hat", "non-finite samples")}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path):
    work = tmp_path / "notebooks"
    shutil.copytree(path.parent, work)
    shutil.copytree(path.parents[1] / "geometries", tmp_path / "geometries")
    nb = nbformat.read(work / path.name, as_version=4)
    # the kernel draws inline, as in Jupyter (a headless MPLBACKEND=Agg from the test environment would hide figures)
    env = dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline")
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    with patch.dict(os.environ, env):
        client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    for expected in EXPECT.get(path.stem, ()):
        assert expected in text
    figures = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if "image/png" in o.get("data", {})]
    assert figures, f"{path.name} drew no figure"


def test_there_are_notebooks():
    assert any(p.stem == "room_field_maps" for p in NOTEBOOKS)
