"""Attribute directions in the latent space, and editing an image along one.

A direction is a unit vector v (L,) built from two groups of posterior means, group A ("from")
and group B ("to"), so that moving along +v turns A-like codes into B-like ones:

- "mean": the difference of the group means, mean(B) - mean(A), normalised;
- "logistic": the normal of an L2-regularised logistic regression separating B from A (the
  linear-classifier direction of InterFaceGAN, which uses a linear SVM), fitted by Newton's
  method (IRLS) with the two groups weighted equally, so a class against the rest is not
  swamped by the rest.

"Keep this fixed" (InterFaceGAN's conditional editing) removes from v its components along
one or two other directions (Gram-Schmidt), so that moving along v leaves the codes'
projections on them unchanged.

The step size is in units of sigma_d, the spread of the aggregate posterior q(z) = mean_x
q(z|x) along v: sigma_d^2 = Var_x(v . mu(x)) + mean_x(v^T diag(exp(logvar(x))) v), the
variance of the codes the decoder was trained on, projected on v (the law of total variance,
as planes.aggregate_extent uses for the map).  So t = +-3 reaches the edge of where the data
lies along v, whatever the direction's scale; the spread of the means alone would shrink to
nothing along a direction the encoder barely uses.

Shapes: mu, logvar (n, L); v (L,).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import ConfigError
from .vae import VAE

METHODS = ("mean", "logistic")
MAX_KEEP = 2                 # directions a new one can be made orthogonal to
MAX_DIRECTIONS = 1000        # directions a model can hold (each is saved in its metadata)
MAX_STEPS = 101
MAX_RANGE = 10.0


@dataclass(frozen=True, eq=False)
class Direction:
    """A named unit direction of the latent space and how it was built.

    vector (L,) unit float64; spread: sigma_d, the aggregate posterior's standard deviation
    along it when it was built; method "mean", "logistic" (or "imported"); source: what the
    groups were, e.g. "3 -> 8" or "selection of 40 -> selection of 25"; keep: names of the
    directions it was made orthogonal to.
    """

    name: str
    vector: np.ndarray
    spread: float
    method: str = "mean"
    source: str = ""
    keep: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        v = np.array(self.vector, np.float64).reshape(-1)
        norm = float(np.linalg.norm(v)) if v.size and np.all(np.isfinite(v)) else 0.0
        if norm == 0.0:
            raise ConfigError("a direction needs a finite, non-zero vector")
        object.__setattr__(self, "vector", v if abs(norm - 1.0) < 1e-12 else v / norm)   # a saved one reads back bit for bit
        if not (isinstance(self.name, str) and self.name.strip()):
            raise ConfigError("a direction needs a name")
        if not (np.isfinite(self.spread) and self.spread > 0):
            raise ConfigError(f"a direction's spread must be a positive number, got {self.spread}")
        object.__setattr__(self, "spread", float(self.spread))
        object.__setattr__(self, "keep", tuple(self.keep))

    @property
    def latent_dim(self) -> int:
        return len(self.vector)

    def to_dict(self) -> dict:
        """The JSON form a model file stores (storage/directions_meta.py reads it back)."""
        return {"name": self.name, "vector": self.vector.tolist(), "spread": self.spread,
                "method": self.method, "source": self.source, "keep": list(self.keep)}


@dataclass
class DirectionSet:
    """A model's named directions, in the order they were added."""

    items: list[Direction] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def names(self) -> list[str]:
        return [d.name for d in self.items]

    def get(self, name: str) -> Direction:
        for d in self.items:
            if d.name == name:
                return d
        raise ConfigError(f"no direction named {name!r}" + (f"; the model has {', '.join(self.names())}"
                                                            if self.items else "; the model has none"))

    def add(self, direction: Direction, replace: bool = False) -> None:
        """Add a direction; ConfigError if its name is taken (unless replace) or its size differs."""
        if self.items and direction.latent_dim != self.items[0].latent_dim:
            raise ConfigError(f"a {direction.latent_dim}-D direction cannot join {self.items[0].latent_dim}-D ones")
        if direction.name in self.names():
            if not replace:
                raise ConfigError(f"a direction named {direction.name!r} exists already")
            self.items = [direction if d.name == direction.name else d for d in self.items]
            return
        if len(self.items) >= MAX_DIRECTIONS:
            raise ConfigError(f"a model holds at most {MAX_DIRECTIONS} directions")
        self.items.append(direction)

    def delete(self, name: str) -> Direction:
        """Remove and return the named direction (ConfigError if there is none)."""
        found = self.get(name)
        self.items = [d for d in self.items if d is not found]
        return found


# ------------------------------------------------------------------------- building
def mean_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """mean(b) - mean(a) of two groups of codes (na, L), (nb, L); not normalised."""
    a, b = _group(a, "from"), _group(b, "to")
    return b.mean(axis=0) - a.mean(axis=0)


def logistic_normal(a: np.ndarray, b: np.ndarray, l2: float = 1e-2, max_iter: int = 50,
                    tol: float = 1e-8) -> tuple[np.ndarray, float, bool]:
    """(w, bias, converged): the L2-regularised logistic regression p(B | z) = sigmoid(w . z + bias).

    Minimises the weighted mean log-loss (each group weighs 1/2 in total) + l2/2 |w|^2 by
    Newton's method (IRLS) on centred codes, stopping when the Newton decrement falls below tol;
    the bias is not penalised.  Cost: O(n L^2) a step; a few ms for 10,000 codes of L = 16.
    """
    a, b = _group(a, "from"), _group(b, "to")
    if not l2 > 0:
        raise ConfigError(f"the L2 penalty must be positive (it keeps separable groups finite), got {l2}")
    z = np.concatenate([a, b])
    centre = z.mean(axis=0)
    X = np.concatenate([z - centre, np.ones((len(z), 1))], axis=1)          # (n, L+1), bias last
    y = np.concatenate([np.zeros(len(a)), np.ones(len(b))])
    weight = np.concatenate([np.full(len(a), 0.5 / len(a)), np.full(len(b), 0.5 / len(b))])
    penalty = np.full(X.shape[1], l2)
    penalty[-1] = 0.0
    theta = np.zeros(X.shape[1])
    converged = False
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-np.clip(X @ theta, -50, 50)))
        grad = X.T @ (weight * (p - y)) + penalty * theta
        hess = (X * (weight * p * (1 - p))[:, None]).T @ X + np.diag(penalty + 1e-12)
        step = np.linalg.solve(hess, grad)
        theta -= step
        if float(grad @ step) < tol:
            converged = True
            break
    w = theta[:-1]
    return w, float(theta[-1] - w @ centre), converged


def orthogonalise(v: np.ndarray, keep: list[np.ndarray]) -> np.ndarray:
    """v with its components along the span of `keep` removed (Gram-Schmidt), normalised.

    ConfigError if v lies (almost) inside that span: nothing would be left to move along.
    """
    v = np.asarray(v, np.float64).copy()
    basis: list[np.ndarray] = []
    for k in keep:
        k = np.asarray(k, np.float64) - sum((np.asarray(k) @ e) * e for e in basis)
        norm = np.linalg.norm(k)
        if norm > 1e-12:
            basis.append(k / norm)
    scale = np.linalg.norm(v)
    for e in basis:
        v -= (v @ e) * e
    for e in basis:            # a second pass: classical Gram-Schmidt loses orthogonality in floats
        v -= (v @ e) * e
    if np.linalg.norm(v) <= 1e-6 * scale:
        raise ConfigError("the direction lies in the span of the directions to keep fixed; nothing is left")
    return v / np.linalg.norm(v)


def aggregate_spread(v: np.ndarray, mu: np.ndarray, logvar: np.ndarray) -> float:
    """sigma_d: the standard deviation of the aggregate posterior along unit v (see the module doc)."""
    v = np.asarray(v, np.float64)
    mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    return float(np.sqrt((mu @ v).var() + (np.exp(logvar) @ (v * v)).mean()))


def build_direction(name: str, mu: np.ndarray, logvar: np.ndarray, from_rows: np.ndarray, to_rows: np.ndarray,
                    method: str = "mean", keep: list[Direction] | tuple = (), source: str = "",
                    l2: float = 1e-2) -> Direction:
    """A direction from group A = mu[from_rows] to group B = mu[to_rows], made orthogonal to `keep`.

    mu, logvar (n, L): the posteriors of the data set (the spread is measured on all of them).
    """
    if method not in METHODS:
        raise ConfigError(f"unknown direction method {method!r}; choose {' or '.join(METHODS)}")
    if len(keep) > MAX_KEEP:
        raise ConfigError(f"a direction can be kept orthogonal to at most {MAX_KEEP} others, not {len(keep)}")
    mu = np.asarray(mu, np.float64)
    a, b = mu[np.asarray(from_rows)], mu[np.asarray(to_rows)]
    if len(np.intersect1d(from_rows, to_rows)):
        raise ConfigError("the two groups share images; a direction needs two separate groups")
    v = mean_difference(a, b) if method == "mean" else logistic_normal(a, b, l2)[0]
    if not np.linalg.norm(v) > 0:
        raise ConfigError("the two groups have the same mean code; there is no direction between them")
    v = orthogonalise(v, [d.vector for d in keep]) if keep else v / np.linalg.norm(v)
    return Direction(name, v, aggregate_spread(v, mu, logvar), method, source, tuple(d.name for d in keep))


def class_groups(labels: np.ndarray | None, class_names: list[str] | None, from_class: str,
                 to_class: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Rows (from, to) of two classes by name (or number), or of a class and "rest"; and the source text.

    to_class "rest" means every image not of from_class; from_class "rest" likewise.
    """
    if labels is None:
        raise ConfigError("the data set is unlabelled; directions between classes need class labels")
    labels = np.asarray(labels)

    def rows(name: str, other: str) -> np.ndarray:
        if name == "rest":
            return np.flatnonzero(labels != class_label(class_names, other, labels))
        return np.flatnonzero(labels == class_label(class_names, name, labels))

    if from_class == to_class or from_class == to_class == "rest":
        raise ConfigError("a direction needs two different groups")
    a, b = rows(from_class, to_class), rows(to_class, from_class)
    return a, b, f"{from_class} -> {to_class}"


def class_label(class_names: list[str] | None, name: str, labels: np.ndarray) -> int:
    """The label number of a class given by name (or by its number when that is not a name)."""
    names = list(class_names) if class_names else [str(i) for i in range(int(labels.max()) + 1)]
    if name in names:
        return names.index(name)
    raise ConfigError(f"no class named {name!r}; the classes are {', '.join(names[:20])}"
                      + (", ..." if len(names) > 20 else ""))


def _group(codes: np.ndarray, which: str) -> np.ndarray:
    codes = np.asarray(codes, np.float64)
    if codes.ndim != 2 or len(codes) == 0:
        raise ConfigError(f"the {which!r} group holds no images")
    return codes


# ------------------------------------------------------------------------- editing
@dataclass(frozen=True, eq=False)
class EditStrip:
    """Decodes of one image's code moved along a direction: t (steps,), codes (steps, L), images (steps, D)."""

    t: np.ndarray
    codes: np.ndarray
    images: np.ndarray


def edit_codes(mu: np.ndarray, direction: Direction, t: np.ndarray) -> np.ndarray:
    """Codes mu + t_i * sigma_d * v for each t_i: (len(t), L) from one code mu (L,)."""
    mu = np.asarray(mu, np.float64).reshape(-1)
    if len(mu) != direction.latent_dim:
        raise ConfigError(f"a {direction.latent_dim}-D direction cannot move a {len(mu)}-D code")
    t = np.asarray(t, np.float64).reshape(-1)
    return mu + (t * direction.spread)[:, None] * direction.vector


def edit_strip(model: VAE, image: np.ndarray, direction: Direction, steps: int = 7, span: float = 3.0) -> EditStrip:
    """Encode one image (D,), move its posterior mean from -span to +span sigma_d along the
    direction in `steps` even steps, and decode each: the strip the slider shows.

    Cost: one encode and `steps` decodes (under 1 ms for an MLP on 28x28).
    """
    if not 1 <= steps <= MAX_STEPS:
        raise ConfigError(f"steps must be from 1 to {MAX_STEPS}, got {steps}")
    if not 0 < span <= MAX_RANGE:
        raise ConfigError(f"the range must be above 0 and at most {MAX_RANGE:g} spreads, got {span}")
    mu, _ = model.encode(np.asarray(image)[None] if np.asarray(image).ndim == 1 else image)
    if len(mu) != 1:
        raise ConfigError(f"edit_strip edits one image, got {len(mu)}")
    t = np.linspace(-span, span, steps) if steps > 1 else np.zeros(1)
    codes = edit_codes(mu[0], direction, t)
    return EditStrip(t, codes, model.decode(codes))
