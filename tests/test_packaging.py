"""pyproject.toml lists every package of the checkout, and its entry points name real callables."""
import importlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_folder_is_listed():
    found = {".".join(p.parent.relative_to(ROOT).parts) for top in ("engine", "vaegui")
             for p in (ROOT / top).rglob("__init__.py")}
    listed = set(PROJECT["tool"]["setuptools"]["packages"])
    mapped = set(PROJECT["tool"]["setuptools"]["package-dir"])
    assert found == listed - mapped, "pyproject.toml's [tool.setuptools] packages must list every package folder"
    for name, folder in PROJECT["tool"]["setuptools"]["package-dir"].items():
        assert (ROOT / folder).is_dir(), f"{name} maps to a missing folder {folder}"


def test_entry_points_name_callables():
    points = {**PROJECT["project"]["scripts"], **PROJECT["project"]["gui-scripts"]}
    assert set(points) == {"latent-lab", "latent-lab-cli"}
    for target in points.values():
        module, _, name = target.partition(":")
        assert callable(getattr(importlib.import_module(module), name))
