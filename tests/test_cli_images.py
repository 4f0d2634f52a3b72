"""`python -m engine` edit, rank, mislabels and export-codes on a generated labelled folder."""
import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.bench_ranking import train_model
from engine import load_folder, load_mnist, load_model, save_model
from engine.cli import main
from engine.codes_export import encode_dataset, image_paths, map_coordinates, write_codes_csv

CLASSES = (0, 1, 7)


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    """The commands load folders with the default cache: keep it under pytest's tmp folder."""
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def folder_model(tmp_path_factory):
    """(folder, model path, dataset): 450 MNIST digits of classes 0, 1, 7 as PNGs in class folders,
    plus one blank image, and a small VAE trained on them and saved as .npz with its data set."""
    root = tmp_path_factory.mktemp("cli") / "digits"
    mnist = load_mnist()
    keep = np.flatnonzero(np.isin(mnist.y_train, CLASSES))[:450]
    for i in keep:
        folder = root / str(int(mnist.y_train[i]))
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(mnist.x_train[i].reshape(28, 28)).save(folder / f"{i:05d}.png")
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(root / "0" / "blank.png")
    data = load_folder(root, workers=1, cache_dir=root.parent / "cache").dataset
    model = train_model(data, latent=4, epochs=15, hidden=64)
    path = save_model(root.parent / "model.npz", model, dataset=data)
    return root, path, data


def _lines(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_a_folder_dataset_keeps_each_images_file(folder_model):
    root, _, data = folder_model
    paths = image_paths(data)
    assert len(paths) == len(data.x_train) + len(data.x_test) == 451 and len(set(paths)) == 451
    for i in (0, 100, len(data.x_train)):
        split, row = ("train", i) if i < len(data.x_train) else ("test", i - len(data.x_train))
        stored = (data.x_train if split == "train" else data.x_test)[row]
        assert np.array_equal(np.asarray(Image.open(paths[i])).reshape(-1), stored)
        assert Path(paths[i]).parent.name == data.class_names[(data.y_train if split == "train" else data.y_test)[row]]
    assert data.subset(5, 2).paths_train == data.paths_train[:5]


def test_rank_prints_json_lines_most_atypical_first(folder_model, capsys):
    root, model, _ = folder_model
    assert main(["rank", str(model), "--iw", "4", "--json"]) == 0
    rows = _lines(capsys)
    assert len(rows) == 451 and {"path", "label", "score"} <= set(rows[0])
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    top3 = [r["path"] for r in rows[:3]]
    assert str(root / "0" / "blank.png") in top3                      # the too-simple image near the top
    assert main(["rank", str(model), "--data", str(root), "--score", "nll", "--top", "5", "--json"]) == 0
    top = _lines(capsys)
    assert len(top) == 5 and all(Path(r["path"]).is_file() for r in top)


def test_mislabels_prints_path_label_suggestion_and_agreement(folder_model, capsys, tmp_path):
    root, model, data = folder_model
    moved = tmp_path / "digits"
    moved.mkdir()
    for name in ("0", "1", "7"):
        (moved / name).mkdir()
        for f in (root / name).glob("*.png"):
            (moved / name / f.name).write_bytes(f.read_bytes())
    ones = sorted((moved / "1").glob("*.png"))[:3]
    for f in ones:                                      # three 1s filed as 0
        f.rename(moved / "0" / f.name)
    assert main(["mislabels", str(model), "--data", str(moved), "--k", "8", "--json"]) == 0
    rows = _lines(capsys)
    assert rows and {"path", "label", "suggested", "agreement"} <= set(rows[0])
    found = {r["path"]: r for r in rows}
    for f in ones:
        hit = found[str(moved / "0" / f.name)]
        assert hit["label"] == "0" and hit["suggested"] == "1" and hit["agreement"] >= 0.5


def test_export_codes_writes_every_image_with_its_codes(folder_model, tmp_path):
    root, model, data = folder_model
    out = tmp_path / "codes.csv"
    assert main(["export-codes", str(model), "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 451
    assert list(rows[0])[:7] == ["split", "index", "path", "label", "class", "x", "y"]
    assert {f"mu_{d}" for d in range(4)} | {f"logvar_{d}" for d in range(4)} <= set(rows[0])
    saved = load_model(model)
    codes = encode_dataset(saved.model, data)
    xy, _ = map_coordinates(codes, "pca")
    first = rows[0]
    assert first["path"] == codes.paths[0] and first["class"] == codes.label_name(int(codes.labels[0]))
    assert np.allclose([float(first[f"mu_{d}"]) for d in range(4)], codes.mu[0])
    assert np.allclose([float(first["x"]), float(first["y"])], xy[0])
    assert not list(tmp_path.glob(".*partial"))       # written atomically, nothing left beside it


def test_write_codes_csv_refuses_positions_of_the_wrong_shape(folder_model, tmp_path):
    _, model, data = folder_model
    codes = encode_dataset(load_model(model).model, data)
    with pytest.raises(Exception, match="map positions"):
        write_codes_csv(tmp_path / "c.csv", codes, np.zeros((3, 2)))
    assert not (tmp_path / "c.csv").exists()


@pytest.mark.parametrize("ext", ["npz", "safetensors"])
def test_edit_writes_a_strip_and_saves_the_direction_with_the_model(folder_model, tmp_path, ext, capsys):
    root, model, data = folder_model
    copy = save_model(tmp_path / f"m.{ext}", load_model(model).model, source=load_model(model))
    out = tmp_path / "strip.png"
    assert main(["edit", str(copy), "test:0", "--from", "1", "--to", "7", "--steps", "5", "--keep", "0:rest",
                 "--method", "logistic", "--save", "one to seven", "--out", str(out)]) == 0
    strip = np.asarray(Image.open(out))
    assert strip.shape == (28, 5 * 28) and strip.std() > 0
    saved = load_model(copy).directions.get("one to seven")
    assert saved.method == "logistic" and saved.keep == ("0:rest",) and saved.source == "1 -> 7"
    file_image = sorted((root / "1").glob("*.png"))[0]
    again = tmp_path / "again.png"
    assert main(["edit", str(copy), str(file_image), "--direction", "one to seven", "--out", str(again)]) == 0
    assert np.asarray(Image.open(again)).shape == (28, 7 * 28)


def test_edit_reports_bad_input_in_one_line(folder_model, tmp_path, capsys):
    _, model, _ = folder_model
    out = tmp_path / "s.png"
    assert main(["edit", str(model), "test:0", "--from", "1", "--out", str(out)]) == 2
    assert main(["edit", str(model), "test:0", "--from", "1", "--to", "9", "--out", str(out)]) == 1
    assert "no class named '9'" in capsys.readouterr().err
    assert main(["edit", str(model), "test:99999", "--from", "1", "--to", "7", "--out", str(out)]) == 2
    assert main(["edit", str(model), "nothing.png", "--from", "1", "--to", "7", "--out", str(out)]) == 2
    assert main(["edit", str(model), "test:0", "--direction", "none", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "no such image file" in err and "no direction named 'none'" in err and "Traceback" not in err
    assert not out.exists()
