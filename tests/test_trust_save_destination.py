"""Issue 25, class 3: a save that cannot succeed is found before training, and a save that still
fails at the end puts the trained model in the data directory instead of losing it."""
import errno
import tempfile
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest

from engine import VAE, ModelFileError, VAEConfig, load_model
from engine.cli import main
from engine.storage import destination, writer

DiskUsage = namedtuple("DiskUsage", "total used free")


@pytest.fixture
def model():
    return VAE(VAEConfig(image_shape=(4, 4), hidden=(8,), latent_dim=2))


@pytest.fixture
def tiny_data(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "tiny.npy"
    np.save(path, (rng.uniform(size=(60, 4, 4)) * 255).astype(np.uint8))
    return path


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "cache"))


def test_class3_a_good_destination_passes_even_in_folders_still_to_be_made(tmp_path, model):
    assert destination.check_save_destination(tmp_path / "m.npz", model, "adam") is None
    assert destination.check_save_destination(tmp_path / "new" / "deeper" / "m.safetensors", model) is None
    assert not (tmp_path / "new").exists()


def test_class3_a_folder_is_refused_naming_it(tmp_path, model):
    (tmp_path / "m.npz").mkdir()
    problem = destination.check_save_destination(tmp_path / "m.npz", model)
    assert problem == f"cannot save to {tmp_path / 'm.npz'}: it is a folder; give a file name ending in .npz"


def test_class3_a_parent_that_is_a_file_is_refused_naming_it(tmp_path, model):
    (tmp_path / "notes.txt").write_text("x")
    problem = destination.check_save_destination(tmp_path / "notes.txt" / "sub" / "m.npz", model)
    assert problem == f"cannot save to {tmp_path / 'notes.txt/sub/m.npz'}: {tmp_path / 'notes.txt'} is a file, not a folder"


def test_class3_an_unwritable_folder_is_refused_naming_it(tmp_path, model, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(destination.tempfile, "TemporaryFile", refuse)
    problem = destination.check_save_destination(tmp_path / "m.npz", model)
    assert problem == f"cannot save to {tmp_path / 'm.npz'}: the folder {tmp_path} is not writable (permission denied)"


def test_class3_a_real_read_only_folder_is_refused(tmp_path, model):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        try:
            with tempfile.TemporaryFile(dir=folder):
                writable = True          # root (the CI) writes whatever the permission bits say
        except OSError:
            writable = False
        if writable:
            pytest.skip("this user can write into a folder without write permission (root)")
        problem = destination.check_save_destination(folder / "m.npz", model)
        assert problem is not None and "is not writable" in problem and str(folder) in problem
    finally:
        folder.chmod(0o755)


def test_class3_a_real_unwritable_folder_is_refused_even_for_root(model):
    # /proc takes no new files whoever asks (so the CI's root too); nothing is written anywhere
    folder = Path("/proc")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pytest.skip("no folder that refuses files to this user is known here")
    except OSError:
        pass
    problem = destination.check_save_destination(folder / "m.npz", model)
    assert problem is not None and problem.startswith("cannot save to /proc/m.npz: the folder /proc is not writable")


def test_class3_a_disk_without_room_for_the_file_is_refused(tmp_path, model, monkeypatch):
    need = destination.estimated_file_bytes(model, "adam")
    assert need > 3 * 4 * model.n_params
    monkeypatch.setattr(destination.shutil, "disk_usage", lambda p: DiskUsage(10 ** 9, 10 ** 9 - 1000, 1000))
    problem = destination.check_save_destination(tmp_path / "m.npz", model, "adam")
    assert problem.startswith(f"cannot save to {tmp_path / 'm.npz'}: its disk has 0.0 MB free but the model needs")


@pytest.mark.parametrize("case", ["folder", "parent_file", "full_disk", "read_only"])
def test_class3_train_refuses_a_bad_destination_before_training(tmp_path, tiny_data, monkeypatch, capsys, case):
    target = tmp_path / "m.npz"
    if case == "folder":
        target.mkdir()
    elif case == "parent_file":
        (tmp_path / "f").write_text("x")
        target = tmp_path / "f" / "m.npz"
    elif case == "full_disk":
        monkeypatch.setattr(destination.shutil, "disk_usage", lambda p: DiskUsage(10 ** 9, 10 ** 9, 0))
    else:
        def refuse(*args, **kwargs):
            raise OSError(errno.EROFS, "Read-only file system")
        monkeypatch.setattr(destination.tempfile, "TemporaryFile", refuse)
    code = main(["train", "--data", str(tiny_data), "--hidden", "8", "--epochs", "3", "--save", str(target)])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("python -m engine: error:")]
    assert code == 2 and len(errors) == 1 and str(target) in errors[0], err
    assert "epoch" not in err                     # refused before the first epoch


def test_class3_a_save_failing_after_training_rescues_the_model(tmp_path, tiny_data, monkeypatch, capsys):
    target = tmp_path / "m.npz"
    real = writer.write_atomically

    def disk_full_for_target(path, write):
        if Path(path) == target:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, write)
    monkeypatch.setattr(writer, "write_atomically", disk_full_for_target)
    code = main(["train", "--data", str(tiny_data), "--hidden", "8", "--epochs", "2", "--save", str(target)])
    err = capsys.readouterr().err
    rescued = list((tmp_path / "home" / "rescued").glob("m-*.npz"))
    assert code == 1 and len(rescued) == 1 and not target.exists()
    assert (f"cannot save to {target} (no space left on device); the trained model was saved to {rescued[0]} "
            "instead") in err
    saved = load_model(rescued[0])
    assert saved.epochs_done == 2 and saved.optimizer_name == "adam"


def test_class3_rescue_save_for_the_window(tmp_path, model):
    path = destination.rescue_save(model, None, tmp_path / "gone" / "faces.safetensors",
                                   OSError(errno.ENOENT, "No such file or directory"))
    assert path.parent == tmp_path / "home" / "rescued" and path.name.startswith("faces-")
    np.testing.assert_array_equal(load_model(path).model.params, model.params)
    again = destination.rescue_save(model, None, tmp_path / "faces.npz", "disk full")
    assert again != path and again.exists()


def test_class3_a_failed_rescue_names_both_failures(tmp_path, model, monkeypatch):
    (tmp_path / "home").write_text("a file where the data directory should be")
    with pytest.raises(ModelFileError, match="cannot save to .*m.npz \\(no space left on device\\), and the "
                                             "rescue copy in .*home failed too"):
        destination.rescue_save(model, None, tmp_path / "m.npz", OSError(errno.ENOSPC, "No space left on device"))
