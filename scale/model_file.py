"""Writing a PyTorch-trained MLPVAE as a Latent Lab safetensors model file (engine/storage's format).

Tensors: the module's state_dict under its own names (encoder.0.weight ...; weights [out, in]),
and Adam's state as optimizer.m, optimizer.w (flat, in the engine's parameter order: each layer's
weight transposed to [in, out] and flattened, then its bias) and optimizer.t, so that
`python -m engine train --resume` continues the run.  The engine keeps Adam's second moment
scaled: w = exp_avg_sq * (1 - beta1)^2 / (1 - beta2); its first moment equals exp_avg.
The header's __metadata__ holds the engine's metadata JSON under "latent_lab".
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import safetensors.numpy
import torch

FORMAT, VERSION = "latent-lab-model", 1


def _flat(tensors: list[tuple[str, torch.Tensor]]) -> np.ndarray:
    """Per-parameter tensors, in registration order, as the engine's flat vector."""
    parts = [(t.T if name.endswith(".weight") else t).detach().cpu().float().contiguous().reshape(-1)
             for name, t in tensors]
    return torch.cat(parts).numpy()


def optimizer_arrays(module: torch.nn.Module, optimizer: torch.optim.Adam) -> dict[str, np.ndarray]:
    """Adam's moments and step in the engine's form; {} before the first step."""
    named = list(module.named_parameters())
    if any("conv" in name for name, _ in named):
        return {}      # conv kernels are laid out differently in the engine: a resume starts Adam afresh
    states = [optimizer.state.get(p) for _, p in named]
    if any(not s for s in states):
        return {}
    beta1, beta2 = optimizer.param_groups[0]["betas"]
    m = _flat([(n, s["exp_avg"]) for (n, _), s in zip(named, states)])
    w = _flat([(n, s["exp_avg_sq"]) for (n, _), s in zip(named, states)]) * ((1 - beta1) ** 2 / (1 - beta2))
    step = int(states[0]["step"])
    return {"optimizer.m": m.astype(np.float32), "optimizer.w": w.astype(np.float32),
            "optimizer.t": np.array(step, np.int64)}


def write(path: Path, module: torch.nn.Module, optimizer: torch.optim.Adam, model_config: dict,
          train_config: dict, history: list[dict], data) -> None:
    """Write the model atomically (a temporary file renamed over path)."""
    tensors = {k: v.detach().cpu().float().contiguous().numpy() for k, v in module.state_dict().items()}
    opt = optimizer_arrays(module, optimizer)
    meta = {"format": FORMAT, "version": VERSION, "model": model_config, "train": train_config,
            "history": history, "epochs_done": len(history),
            "dataset": {"name": data.name, "image_shape": data.image_shape, "class_names": data.class_names,
                        "source": data.source, "load_options": {}},
            "optimizer": "adam" if opt else None, "rng_state": None, "setting_changes": []}
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    safetensors.numpy.save_file(tensors | opt, tmp, metadata={"latent_lab": json.dumps(meta)})
    os.replace(tmp, path)
