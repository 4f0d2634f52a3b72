"""Time-lapse snapshots of a training run, and the animated GIF made of them."""
import os

import numpy as np
import pytest
from PIL import Image

from engine import ConfigError, TimeLapse, make_map_frame, write_timelapse_gif


def snap(epoch, n=5, value=0.5):
    positions = np.stack([np.linspace(-1, 1, n), np.zeros(n)], axis=1)
    return make_map_frame(epoch, np.full((8, 8), value), (-2, 2, -2, 2), positions, np.ones(3))


def test_snapshots_are_compact_copies():
    mosaic, positions = np.full((8, 8), 0.5), np.zeros((5, 2))
    s = make_map_frame(0.5, mosaic, (-2, 2, -2, 2), positions, np.ones(3))
    mosaic[...] = 1.0
    positions[...] = 9.0
    assert s.mosaic.dtype == np.uint8 and s.mosaic[0, 0] == 128
    assert s.positions.dtype == np.float32 and s.positions.max() == 0.0


def test_time_lapse_schedule_first_epoch_points_then_every_epoch():
    lapse = TimeLapse()
    taken = []
    for step in range(1, 301):                 # 3 epochs of 100 batches
        epoch = step / 100
        if lapse.due(epoch):
            lapse.add(snap(epoch))
            taken.append(epoch)
    assert taken == [0.01, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 2.0, 3.0]


def test_time_lapse_thins_evenly_and_stays_bounded():
    lapse = TimeLapse(max_snapshots=10)
    for epoch in range(1, 101):
        if lapse.due(float(epoch), final=epoch == 100):
            lapse.add(snap(float(epoch)))
    assert len(lapse) <= 10
    epochs = [lapse[i].epoch for i in range(len(lapse))]
    assert epochs[0] == 1.0 and epochs[-1] == 100.0 and epochs == sorted(epochs)
    assert lapse.stride > 1
    gaps = np.diff(epochs[1:-1])
    assert gaps.max() == gaps.min()             # evenly spaced after the first, apart from the final state
    assert not lapse.due(100.0, final=True)


def test_time_lapse_keeps_large_colour_manifolds_within_its_byte_budget():
    mosaic = np.zeros((1280, 1280, 3))                 # 20x20 tiles of 64x64 colour images
    mosaic[:, 640:, 0] = 1.0                           # right half red
    frame = make_map_frame(1.0, mosaic, (-3, 3, -3, 3), np.zeros((3000, 2)), np.ones(2))
    assert frame.mosaic.shape == (640, 640, 3) and frame.extent == (-3.0, 3.0, -3.0, 3.0)
    assert frame.mosaic[:, 330:, 0].min() == 255 and frame.mosaic[:, :310].max() == 0   # the same picture
    lapse = TimeLapse(max_bytes=8 * 1024 ** 2)
    for epoch in range(1, 101):
        if lapse.due(float(epoch), final=epoch == 100):
            lapse.add(make_map_frame(float(epoch), mosaic, (-3, 3, -3, 3), np.zeros((3000, 2)), np.ones(2)))
        assert lapse.nbytes <= lapse.max_bytes
    assert len(lapse) >= 3 and lapse[0].epoch == 1.0 and lapse[len(lapse) - 1].epoch == 100.0


def test_continuing_after_a_stop_replaces_the_discarded_snapshots():
    lapse = TimeLapse()
    for e in (0.5, 1.0, 1.6):
        lapse.add(snap(e))
    lapse.add(snap(1.2))       # the run continued from the end of epoch 1, not from 1.6
    assert [lapse[i].epoch for i in range(len(lapse))] == [0.5, 1.0, 1.2]


def test_gif_has_one_frame_per_snapshot_with_the_scatter_drawn(tmp_path):
    lapse = TimeLapse()
    for e, v in ((0.5, 0.0), (1.0, 0.5), (2.0, 1.0)):
        lapse.add(snap(e, value=v))
    colours = np.tile([[255, 0, 0]], (5, 1)).astype(np.uint8)
    path = write_timelapse_gif(tmp_path / "run.gif", lapse, colours, width=80)
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and gif.info["loop"] == 0
        gif.seek(1)
        frame = np.asarray(gif.convert("RGB"))
    assert frame.shape == (80, 80, 3)
    # the centre point (0, 0) sits at pixel (40, 40) and is red over a grey manifold
    assert tuple(frame[40, 40]) == pytest.approx((255, 0, 0), abs=30)
    assert abs(int(frame[70, 10, 0]) - 128) < 10 and abs(int(frame[70, 10, 0]) - int(frame[70, 10, 2])) < 10
    assert sorted(os.listdir(tmp_path)) == ["run.gif"]          # no temporary debris


def test_gif_export_refuses_an_empty_time_lapse_and_leaves_nothing(tmp_path):
    with pytest.raises(ConfigError):
        write_timelapse_gif(tmp_path / "none.gif", TimeLapse())
    assert os.listdir(tmp_path) == []
