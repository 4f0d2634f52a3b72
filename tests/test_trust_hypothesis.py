"""Issue 25, class 8: the property tests leave nothing in the folder they are run from (no .hypothesis,
and no .benchmarks from the pytest-benchmark plugin, which pytest.ini turns off)."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_class8_the_property_tests_write_no_hypothesis_folder(tmp_path):
    # hypothesis's default home is ./.hypothesis of the working directory: run from an empty one
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--basetemp", str(tmp_path / "basetemp"), str(ROOT / "tests" / "test_properties.py")],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["basetemp"]
