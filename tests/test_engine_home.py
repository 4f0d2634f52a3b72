"""The data directory: $LATENT_LAB_HOME first, else each platform's usual place."""
import sys

from engine.home import data_dir


def test_the_variable_moves_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_HOME", str(tmp_path / "lab"))
    assert data_dir() == tmp_path / "lab" and not (tmp_path / "lab").exists()
    assert data_dir(create=True).is_dir()


def test_each_platform_has_its_usual_place(tmp_path, monkeypatch):
    monkeypatch.delenv("LATENT_LAB_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    monkeypatch.setattr(sys, "platform", "linux")
    assert data_dir() == tmp_path / "xdg" / "latent-lab"
    monkeypatch.setattr(sys, "platform", "win32")
    assert data_dir() == tmp_path / "local" / "LatentLab"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert data_dir().parts[-3:] == ("Library", "Application Support", "LatentLab")
