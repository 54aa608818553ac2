"""The README's Python example runs as printed and gives the numbers the README states."""

from pathlib import Path

import numpy as np

from amails_fem import units

README = Path(__file__).parents[1] / "README.md"


def test_readme_python_example_runs():
    text = README.read_text()
    start = text.index("```python") + len("```python")
    code = text[start:text.index("```", start)]
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    # wall-centre field of the 2 m cube for p = z: ~0.333 mu0 J L (README figure caption)
    b = np.linalg.norm(scope["b"][0]) / (units.MU0_H_M * 2.0)
    assert 0.325 < b < 0.34
    assert scope["R"].shape == (1, 3, 3) and scope["s"].shape == (1, 3)
