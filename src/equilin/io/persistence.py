"""Saving and loading fitted estimators and modules: one ``.npz`` file, written atomically, checked on load.

:func:`save` writes an estimator of :mod:`equilin.fit` (its constructor parameters and every fitted
attribute) or a module of :mod:`equilin.nn` (its constructor arguments and its ``state_dict()``) to one
uncompressed ``.npz`` archive: the arrays as ``.npy`` members plus a JSON metadata member (format version,
library version, class, parameters with groups as 0-based ``int64`` generator arrays, ranks, dtype, an
array manifest and a SHA-256 checksum of the whole payload). :func:`load` refuses anything it cannot
verify with a :class:`PersistenceError` that says what is wrong; nothing is ever unpickled
(``numpy.load(..., allow_pickle=False)``, and no ``torch.load`` at all). The format, every key, the
atomic-write procedure and the error table are in ``docs/persistence.md``.

Library objects among the fitted attributes (``InvariantVariety``, ``EquivariantVariety``,
``EquivariantComponent``, groups, permutations) are stored as the data that defines them (generators,
ranks, ``r``) and built again on load. Every other attribute must be ``None``, a bool, int, float, str,
a numpy scalar or array (numeric or bool), or a list, tuple or str-keyed dict of those; anything else
is refused at save time with the attribute's name, so a model is never saved incompletely.

Writing is atomic: the archive goes to a temporary file in the target's directory, is flushed and
``fsync``-ed, then ``os.replace``-d onto the target, and the directory is ``fsync``-ed. A crash or a
``SIGKILL`` at any moment leaves either the previous complete file or no file under the target name
(at worst a stray ``.NAME.*.tmp`` file next to it).

This module depends on numpy only; torch is imported when a module is saved or loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Self

import numpy as np
from numpy.typing import NDArray

from equilin.equivariance import EquivariantComponent, EquivariantVariety, choose_method
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.geometry import InvariantVariety
from equilin.version import VERSION

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "METADATA_KEY",
    "PersistenceError",
    "PersistentEstimator",
    "PersistentModule",
    "load",
    "read_metadata",
    "save",
]

FORMAT = "equilin-model"
"""Value of the metadata key ``format``."""

FORMAT_VERSION = 4
"""Version of the file format written by :func:`save`; :func:`load` reads versions ``1..FORMAT_VERSION``.
Version 2: products of cyclic groups on grids (e.g. ``shift-xy``) and translations with a point group
on a torus (``p4``, ``p4m``) name and order their blocks by frequency (:mod:`equilin.abelian`,
:mod:`equilin.semidirect`); an equivariant model of such a group in a version-1 file has its ranks in
the former block order and is refused rather than loaded wrongly. Version 3: a cyclic group names and
orders its blocks as the talk (``r_{1,1}``, ..., ``r_{2,1}``) on every backend, so an equivariant model
of a cyclic group fitted with ``method="abelian"`` or ``"generic"`` in an older file is refused the same
way; :class:`equilin.nn.EquivariantLinearAutoencoder` stores ``group``, ``seed`` and ``method`` (older
files stored ``sigma`` and still load). Version 4: the class is named by its registered name
(``"DenseAutoencoder"``; older files named the module path ``"equilin.fit.DenseAutoencoder"``), the rank
budget is ``rank`` everywhere (older files stored ``r``, and an equivariant estimator's group as
``sigma``); each class maps the parameter names of older files in ``_renamed_params``."""

METADATA_KEY = "__equilin__"
"""Name of the archive member (``__equilin__.npy``, a ``uint8`` array) holding the UTF-8 JSON metadata."""

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: the same model gives the same bytes

# The only classes a file may name: the public subclasses of PersistentEstimator and PersistentModule,
# which register themselves when their module is imported (nothing else is ever constructed).
_REGISTRY: dict[str, tuple[type, str]] = {}

# Module paths under which format versions 1-3 named the classes ("equilin.fit.DenseAutoencoder").
_LEGACY_PREFIXES = ("equilin.fit.", "equilin.nn.")

_ARRAY_KINDS = "biufc"  # bool, signed and unsigned integers, floats, complex numbers


class PersistenceError(ValueError):
    """A file that :func:`load` cannot verify (not an equilin file, corrupted, truncated, tampered with,
    written by a newer format, inconsistent) or an object that :func:`save` cannot store completely."""


PersistenceError.__module__ = "equilin.io"  # its public home, as tracebacks name it


# -- public API -------------------------------------------------------------------------------------
def save(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write a fitted (or unfitted) estimator or module to ``path`` atomically; return the path.

    Parameters
    ----------
    obj : equilin.fit estimator or equilin.nn module
    path : str or os.PathLike
        The file to write, exactly as named (no suffix is added; ``.npz`` is customary). Its directory
        must exist; an existing file is replaced only once the new one is complete.

    Raises
    ------
    TypeError
        ``obj`` is not one of equilin's estimators or modules, or ``path`` is not a path.
    PersistenceError
        An attribute cannot be stored (its name is in the message).

    Examples
    --------
    >>> import tempfile
    >>> from equilin.models.closed_form import DenseAutoencoder
    >>> model = DenseAutoencoder(rank=2).fit(np.random.default_rng(0).standard_normal((20, 5)))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save(model, Path(tmp) / "dense.npz")
    ...     again = load(path)
    >>> bool(np.array_equal(again.predict(np.eye(5)), model.predict(np.eye(5))))
    True
    """
    target = _check_path(path)
    key = type(obj).__name__
    if _REGISTRY.get(key, (None,))[0] is not type(obj):
        raise TypeError(f"cannot save a {type(obj).__module__}.{type(obj).__qualname__}: equilin saves only "
                        f"its estimators and modules ({', '.join(sorted(_REGISTRY))})")
    kind = _REGISTRY[key][1]
    encoder = _Encoder()
    if kind == "estimator":
        body = _encode_estimator(obj, encoder)
    else:
        body = _encode_module(obj, encoder)
    meta: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library": "equilin",
        "library_version": VERSION,
        "numpy_version": np.__version__,
        "class": key,
        "kind": kind,
        **body,
        "arrays": {name: {"shape": list(a.shape), "dtype": a.dtype.str} for name, a in encoder.arrays.items()},
    }
    meta["checksum"] = {"algorithm": "sha256", "hexdigest": _checksum(meta, encoder.arrays)}
    _atomic_write(target, lambda fh: _write_archive(fh, meta, encoder.arrays))
    return target


def load(path: str | os.PathLike[str], expected: type | tuple[type, ...] | None = None, *,
         group: Permutation | PermutationGroup | None = None, map_location: Any = None) -> Any:
    """Read an estimator or module written by :func:`save`, after verifying the whole file.

    Parameters
    ----------
    path : str or os.PathLike
    expected : class or tuple of classes, optional
        Refuse (``TypeError``) a file holding an object of another class.
    group : Permutation or PermutationGroup, optional
        Refuse (:class:`PersistenceError`) a model fitted for another group.
    map_location : str or torch.device, optional
        Device for a module's parameters (default: CPU). Ignored for estimators.

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        No file at ``path``.
    PersistenceError
        Not an equilin file, corrupted or truncated, checksum mismatch, newer format version, array
        shapes or dtypes that disagree with the manifest, inconsistent group, parameters or state.
    TypeError
        The file holds another class than ``expected``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     bad = Path(tmp) / "bad.npz"
    ...     _ = bad.write_bytes(b"not a model")
    ...     load(bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    equilin.io.PersistenceError: .../bad.npz is not an equilin model file: not a zip archive (truncated, or another format)
    """
    meta, arrays = _read_verified(path)
    where = str(path)
    key = meta["class"]
    cls = _resolve(meta, where)
    if expected is not None and not issubclass(cls, expected):
        names = expected if isinstance(expected, tuple) else (expected,)
        raise TypeError(f"{where} holds {key}, expected {' or '.join(c.__name__ for c in names)}")
    decoder = _Decoder(arrays, where, meta["format_version"])
    if meta["kind"] == "estimator":
        obj = _decode_estimator(cls, meta, decoder)
    else:
        obj = _decode_module(cls, meta, decoder, map_location)
    if group is not None:
        _check_expected_group(obj, as_group(group), where)
    return obj


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The verified metadata of a file written by :func:`save` (nothing is constructed).

    The whole file is verified first (CRCs, manifest, checksum), with the errors of :func:`load`.

    Examples
    --------
    >>> import tempfile
    >>> from equilin.models.closed_form import DenseAutoencoder
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     meta = read_metadata(save(DenseAutoencoder(rank=3), Path(tmp) / "m.npz"))
    >>> meta["class"], meta["format_version"], meta["params"]
    ('DenseAutoencoder', 4, {'dict': [['rank', 3], ['batch_size', 8192]]})
    """
    meta, _ = _read_verified(path)
    return meta


def _register(cls: type, kind: str) -> None:
    if cls.__name__.startswith("_"):
        return                                   # private bases are never written to a file
    known = _REGISTRY.get(cls.__name__)
    if known is not None and known[0] is not cls:
        raise TypeError(f"two persistent classes are named {cls.__name__}: {known[0].__module__} and "
                        f"{cls.__module__}; persistent classes need unique names")
    _REGISTRY[cls.__name__] = (cls, kind)


class PersistentEstimator:
    """Mixin giving the estimators ``save(path)`` and ``load(path)``; every public subclass registers
    itself under its class name, which is what a file names.

    A subclass may declare ``_renamed_params = {old: new}``: constructor parameters that files of
    format versions below 4 stored under another name.

    Examples
    --------
    >>> from equilin.models.closed_form import DenseAutoencoder
    >>> issubclass(DenseAutoencoder, PersistentEstimator)
    True
    """

    _renamed_params: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _register(cls, "estimator")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write this estimator (parameters and fitted state) to ``path`` atomically; see
        :func:`equilin.persistence.save`."""
        return save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """Read an estimator of this class written by :meth:`save`, verified; see
        :func:`equilin.persistence.load`."""
        obj: Self = load(path, expected=cls)
        return obj


class PersistentModule:
    """Mixin giving the torch modules ``save(path)`` and ``load(path, map_location)``; every public
    subclass registers itself under its class name and says how it is built again with
    :meth:`constructor_args` (plus ``dtype``), its weights coming from the ``state_dict``.

    Examples
    --------
    >>> PersistentModule.load.__doc__.split(";")[0]
    'Read a module of this class written by :meth:`save`, verified'
    """

    _renamed_params: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _register(cls, "module")

    def constructor_args(self) -> dict[str, Any]:
        """The keyword arguments (all but ``dtype``) that build this module again."""
        raise NotImplementedError(f"{type(self).__name__} does not say how to build it again")

    def persistent_state(self) -> tuple[str, dict[str, NDArray[Any]]]:
        """The dtype name (``"float32"`` or ``"float64"``) and the ``state_dict`` as numpy arrays;
        ``ValueError`` when the module cannot be stored as it is."""
        raise NotImplementedError

    @classmethod
    def from_constructor_args(cls, args: dict[str, Any], dtype: str) -> Self:
        """A new module built from :meth:`constructor_args` and a dtype name."""
        raise NotImplementedError

    def load_persistent_state(self, state: dict[str, NDArray[Any]], training: bool) -> None:
        """Load the arrays of :meth:`persistent_state` (``ValueError`` when they do not fit)."""
        raise NotImplementedError

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write this module (constructor arguments and ``state_dict()``) to ``path`` atomically; see
        :func:`equilin.persistence.save`."""
        return save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str], map_location: Any = None) -> Self:
        """Read a module of this class written by :meth:`save`, verified; its parameters go to
        ``map_location`` (default CPU). See :func:`equilin.persistence.load`."""
        obj: Self = load(path, expected=cls, map_location=map_location)
        return obj


# -- paths, classes, versions -------------------------------------------------------------------------
def _check_path(path: Any) -> Path:
    if isinstance(path, (bytes, bytearray)) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a directory; pass a file name such as {target / 'model.npz'}")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"the directory {target.parent} does not exist; create it first")
    return target


def _resolve(meta: Mapping[str, Any], where: str) -> type:
    """The registered class a file names (its kind checked too)."""
    key, kind = meta["class"], meta["kind"]
    if meta["format_version"] < 4:               # "equilin.fit.DenseAutoencoder" -> "DenseAutoencoder"
        key = key.rpartition(".")[2]
    found = _REGISTRY.get(key)
    if found is None:
        hint = (" (torch modules register when equilin.models.nn is imported; equilin.load does that)"
                if kind == "module" else "")
        raise PersistenceError(f"{where}: unknown class {key!r}; equilin loads only "
                               f"{', '.join(sorted(_REGISTRY))}{hint}")
    if found[1] != kind:
        raise PersistenceError(f"{where}: {key} is an {found[1]}, but the file says {kind!r}")
    return found[0]


def _renamed(cls: type, params: Any, version: int) -> Any:
    """Constructor parameters of an older file under today's names (the class's ``_renamed_params``)."""
    if version >= 4 or not isinstance(params, dict):
        return params
    renames: dict[str, str] = getattr(cls, "_renamed_params", {})
    return {renames.get(k, k) if renames.get(k, k) not in params else k: v for k, v in params.items()}


# -- encoding values: JSON nodes plus named arrays -------------------------------------------------------
class _Encoder:
    """Turns a value into a JSON node; arrays go to :attr:`arrays` under a path-like name."""

    def __init__(self) -> None:
        self.arrays: dict[str, NDArray[Any]] = {}
        self.objects: dict[int, tuple[Any, Any]] = {}  # id -> (object, node): a shared object is stored once

    def array(self, value: NDArray[Any], name: str) -> str:
        if value.dtype.kind not in _ARRAY_KINDS or value.dtype.hasobject:
            raise PersistenceError(f"cannot save {name!r}: arrays must be numeric or bool, got dtype {value.dtype}")
        if name in self.arrays:
            raise PersistenceError(f"cannot save {name!r}: two values would share one array name")
        self.arrays[name] = value
        return name

    def encode(self, value: Any, name: str) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return value if math.isfinite(value) else {"float": repr(value)}
        if isinstance(value, complex):
            return {"complex": [self.encode(value.real, name), self.encode(value.imag, name)]}
        if isinstance(value, np.ndarray):
            return {"array": self.array(value, name)}
        if isinstance(value, np.generic):
            return {"scalar": self.array(np.asarray(value), name)}
        if isinstance(value, list):
            return [self.encode(v, f"{name}/{i}") for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return {"tuple": [self.encode(v, f"{name}/{i}") for i, v in enumerate(value)]}
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value):
                return {"dict": [[k, self.encode(v, f"{name}/{k}")] for k, v in value.items()]}
            # other keys (ints, tuples such as (l, m) block keys): key nodes, which must decode hashable
            return {"items": [[self.key(k, f"{name}/<key {i}>"), self.encode(v, f"{name}/<value {i}>")]
                              for i, (k, v) in enumerate(value.items())]}
        return self.encode_object(value, name)

    def key(self, key: Any, name: str) -> Any:
        if isinstance(key, (list, dict, np.ndarray)) or not isinstance(
                key, (str, int, float, complex, tuple, type(None), np.generic, Permutation, PermutationGroup)):
            raise PersistenceError(f"cannot save {name!r}: dict keys must be None, bool, int, float, complex, "
                                   f"str, numpy scalars, tuples of those or permutations, got "
                                   f"{type(key).__module__}.{type(key).__qualname__}")
        return self.encode(key, name)

    def encode_object(self, value: Any, name: str) -> Any:
        if id(value) in self.objects:
            return self.objects[id(value)][1]
        node = self._object_node(value, name)
        self.objects[id(value)] = (value, node)
        return node

    def _object_node(self, value: Any, name: str) -> Any:
        if isinstance(value, Permutation):
            return {"permutation": self.array(value.array.astype(np.int64), name)}
        if isinstance(value, PermutationGroup):
            gens = np.stack([g.array.astype(np.int64) for g in value.generators])
            return {"group": self.array(gens, name)}
        if isinstance(value, InvariantVariety):
            return {"invariant_variety": {"group": self.encode(value.group, f"{name}/group"),
                                          "m": int(value.m), "rank": int(value.rank)}}
        if isinstance(value, EquivariantVariety):
            seed = value.decomposition.seed if value.method == "generic" else 0
            return {"equivariant_variety": {"group": self.encode(value.group, f"{name}/group"),
                                            "rank": int(value.rank), "method": value.method, "seed": int(seed)}}
        if isinstance(value, EquivariantComponent):
            return {"equivariant_component": {"variety": self.encode(value.variety, f"{name}/variety"),
                                              "ranks": [int(k) for k in value.ranks]}}
        raise PersistenceError(
            f"cannot save {name!r}: values of type {type(value).__module__}.{type(value).__qualname__} are "
            "not supported (supported: None, bool, int, float, complex, str, numpy scalars and numeric "
            "arrays, lists, tuples, str-keyed dicts, Permutation, PermutationGroup, InvariantVariety, "
            "EquivariantVariety, EquivariantComponent)")


class _Decoder:
    """Inverse of :class:`_Encoder`; every array must be used exactly once; library objects that were
    encoded identically come back as one object (a component shares its variety with ``variety_``)."""

    def __init__(self, arrays: dict[str, NDArray[Any]], where: str, version: int = FORMAT_VERSION) -> None:
        self.arrays = arrays
        self.where = where
        self.version = version
        self.used: set[str] = set()
        self.objects: dict[str, Any] = {}
        self.rank_key = "rank" if version >= 4 else "r"   # a variety's rank budget, as the file names it

    def fail(self, message: str) -> PersistenceError:
        return PersistenceError(f"{self.where}: {message}")

    def check_block_order(self, group: Any, method: Any) -> None:
        """Refuse block ranks written in an older block order: version 1 for a group whose blocks are now
        named by frequency (a product of cyclic groups on grids, translations with a point group on a
        torus), versions 1-2 for a cyclic group on the abelian or generic path (now the talk's order)."""
        if not isinstance(group, (Permutation, PermutationGroup)):
            return                                   # (the constructor refuses it with its own message)
        group = as_group(group)
        if self.version < 2 and choose_method(group) in ("abelian", "torus"):
            raise self.fail("this file (format version 1) holds an equivariant model of a product of cyclic "
                            "groups or of translations with a point group, whose blocks have since been renamed "
                            "and reordered by frequency; fit the model again and save it with this equilin")
        if self.version < 3 and group.cyclic_generator() is not None and method in ("abelian", "generic"):
            raise self.fail(f"this file (format version {self.version}) holds an equivariant model of a cyclic "
                            f"group on the {method} path, whose blocks have since been renamed and reordered as "
                            "the talk's r_{l,m}; fit the model again and save it with this equilin")

    def array(self, name: Any) -> NDArray[Any]:
        if not isinstance(name, str) or name not in self.arrays:
            raise self.fail(f"the metadata refers to a missing array {name!r}")
        if name in self.used:
            raise self.fail(f"the metadata refers twice to the array {name!r}")
        self.used.add(name)
        return self.arrays[name]

    def check_all_used(self) -> None:
        unused = sorted(set(self.arrays) - self.used)
        if unused:
            raise self.fail(f"the file holds arrays that the metadata never uses: {', '.join(unused)}")

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or len(node) != 1:
            raise self.fail(f"malformed metadata node {str(node)[:80]}")
        ((tag, body),) = node.items()
        if tag == "float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "complex" and isinstance(body, list) and len(body) == 2:
            return complex(self.decode(body[0]), self.decode(body[1]))
        if tag == "array":
            return self.array(body)
        if tag == "scalar":
            scalar = self.array(body)
            if scalar.ndim != 0:
                raise self.fail(f"the scalar {body!r} has shape {scalar.shape}, expected ()")
            return scalar[()]
        if tag == "tuple" and isinstance(body, list):
            return tuple(self.decode(v) for v in body)
        if tag == "dict" and isinstance(body, list):
            if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in body):
                raise self.fail("malformed dict node in the metadata")
            return {k: self.decode(v) for k, v in body}
        if tag == "items" and isinstance(body, list):
            if not all(isinstance(p, list) and len(p) == 2 for p in body):
                raise self.fail("malformed items node in the metadata")
            out = {}
            for k, v in body:
                key = self.decode(k)
                try:
                    out[key] = self.decode(v)
                except TypeError as exc:  # an unhashable key (list) cannot come from save()
                    raise self.fail(f"unhashable dict key {key!r} in the metadata") from exc
            return out
        return self.decode_object(tag, body)

    def decode_object(self, tag: str, body: Any) -> Any:
        cache_key = json.dumps({tag: body}, sort_keys=True)
        if cache_key in self.objects:  # arrays of a repeated object are used once (first decoding)
            return self.objects[cache_key]
        try:
            obj = self._build(tag, body)
        except PersistenceError:
            raise
        except (ValueError, TypeError, KeyError) as exc:
            raise self.fail(f"invalid {tag} in the metadata: {exc}") from exc
        self.objects[cache_key] = obj
        return obj

    def _build(self, tag: str, body: Any) -> Any:
        if tag == "permutation":
            images = self.array(body)
            if images.ndim != 1 or images.dtype != np.int64:
                raise self.fail(f"the permutation {body!r} must be a 1-D int64 array, got {images.dtype} "
                                f"{images.shape}")
            return Permutation(images)
        if tag == "group":
            gens = self.array(body)
            if gens.ndim != 2 or gens.shape[0] < 1 or gens.dtype != np.int64:
                raise self.fail(f"the group {body!r} must be a (generators, n) int64 array, got {gens.dtype} "
                                f"{gens.shape}")
            return PermutationGroup.from_arrays(list(gens))
        if tag == "invariant_variety" and isinstance(body, dict):
            return InvariantVariety(self.decode(body["group"]), body["m"], body[self.rank_key])
        if tag == "equivariant_variety" and isinstance(body, dict):
            group = self.decode(body["group"])
            self.check_block_order(group, body["method"])
            return EquivariantVariety(group, body[self.rank_key], method=body["method"], seed=body["seed"])
        if tag == "equivariant_component" and isinstance(body, dict):
            variety = self.decode(body["variety"])
            if not isinstance(variety, EquivariantVariety):
                raise self.fail("an equivariant component must refer to an equivariant variety")
            return variety.component(tuple(body["ranks"]))
        raise self.fail(f"unknown metadata node {tag!r} (a newer equilin may have written this file)")


# -- estimators ---------------------------------------------------------------------------------------
def _encode_estimator(est: Any, encoder: _Encoder) -> dict[str, Any]:
    params = est.get_params()
    fitted: dict[str, Any] = {}
    for name, value in vars(est).items():
        if name in params:
            continue
        if name.startswith("_") or not name.endswith("_"):
            raise PersistenceError(
                f"cannot save attribute {name!r} of {type(est).__name__}: it is neither a constructor parameter "
                f"({', '.join(params)}) nor a fitted attribute (a public name ending in '_'), so "
                "equilin.persistence cannot tell whether the model needs it")
        fitted[name] = value
    return {
        "params": encoder.encode(dict(params), "params"),
        "fitted": encoder.encode(fitted, "fitted") if fitted else None,
        "summary": _summary(params.get("group"), fitted.get("ranks_"), "float64",
                            fitted.get("n_features_in_")),
    }


def _decode_estimator(cls: type, meta: Mapping[str, Any], decoder: _Decoder) -> Any:
    params = _renamed(cls, decoder.decode(meta["params"]), decoder.version)
    fitted = decoder.decode(meta["fitted"]) if meta["fitted"] is not None else {}
    decoder.check_all_used()
    if not isinstance(params, dict) or not isinstance(fitted, dict):
        raise decoder.fail("params and fitted must be dicts")
    try:
        est = cls(**params)
    except (TypeError, ValueError) as exc:
        raise decoder.fail(f"the stored parameters {sorted(params)} do not fit {cls.__name__} of equilin "
                           f"{VERSION} (file written by equilin {meta['library_version']}): {exc}") from exc
    for name, value in fitted.items():
        if name.startswith("_") or not name.endswith("_"):
            raise decoder.fail(f"{name!r} is not a fitted attribute name")
        setattr(est, name, value)
    if fitted:
        _check_estimator(est, params, decoder)
    return est


def _check_estimator(est: Any, params: Mapping[str, Any], decoder: _Decoder) -> None:
    """The group of the fitted variety is the parameter's, and the restored state computes outputs of the
    right shape (catches state that disagrees with the parameters)."""
    param_group = params.get("group")
    variety = getattr(est, "variety_", None)
    if param_group is not None and variety is not None and variety.group != as_group(param_group):
        raise decoder.fail(f"group mismatch: the fitted variety's group {variety.group!r} differs from the "
                           f"parameter {param_group!r}")
    try:
        n, m = est.n_features_in_, est.n_outputs_
        out = est.predict(np.zeros((1, n)))
    except Exception as exc:  # any failure means the restored state is inconsistent
        raise decoder.fail(f"the restored {type(est).__name__} is inconsistent: {type(exc).__name__}: {exc}") from exc
    if out.shape != (1, m):
        raise decoder.fail(f"the restored {type(est).__name__} predicts shape {out.shape}, expected (1, {m})")


def _summary(group: Any, ranks: Any, dtype: str, n: Any) -> dict[str, Any]:
    """Human-readable facts (checked against the parameters on load where they overlap)."""
    out: dict[str, Any] = {"dtype": dtype}
    if group is not None:
        G = as_group(group)
        out.update(n=G.n, n_generators=len(G.generators))
    elif n is not None:
        out["n"] = int(n)
    if isinstance(ranks, Mapping):
        out["ranks"] = [[str(k), int(v)] for k, v in ranks.items()]  # [label, rank] in block order
    elif isinstance(ranks, (tuple, list)):
        out["ranks"] = [int(k) for k in ranks]
    elif isinstance(ranks, (int, np.integer)):
        out["ranks"] = int(ranks)
    return out


# -- modules --------------------------------------------------------------------------------------------
def _encode_module(module: Any, encoder: _Encoder) -> dict[str, Any]:
    try:
        dtype, arrays = module.persistent_state()
    except ValueError as exc:
        raise PersistenceError(f"cannot save this {type(module).__name__}: {exc}") from exc
    params = module.constructor_args()
    state = [[key, {"array": encoder.array(np.ascontiguousarray(array), f"state/{key}")}]
             for key, array in arrays.items()]
    ranks = params.get("ranks", params.get("rank"))
    return {
        "params": encoder.encode(params, "params"),
        "dtype": dtype,
        "training": bool(module.training),
        "state": state,
        "summary": _summary(params.get("group"), ranks, dtype, params.get("n")),
    }


def _decode_module(cls: Any, meta: Mapping[str, Any], decoder: _Decoder, map_location: Any) -> Any:
    params = _renamed(cls, decoder.decode(meta["params"]), decoder.version)
    if isinstance(params, dict) and "ranks" in params:   # an equivariant module: blocks in today's order?
        # (the cyclic-only module of older files ran "fourier", the block-kernel class "generic" or its method)
        default = "generic" if meta["class"].endswith("IsotypicLinearAutoencoder") else "fourier"
        decoder.check_block_order(params.get("group"), params.get("method", default))
    if meta.get("dtype") not in ("float32", "float64") or not isinstance(meta.get("state"), list):
        raise decoder.fail(f"a module's dtype must be float32 or float64, got {meta.get('dtype')!r}")
    if not isinstance(params, dict):
        raise decoder.fail("a module's parameters must be a dict")
    state = {}
    for entry in meta["state"]:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            raise decoder.fail("malformed state entry in the metadata")
        state[entry[0]] = np.array(decoder.decode(entry[1]))
    decoder.check_all_used()
    try:
        module = cls.from_constructor_args(params, meta["dtype"])
    except (TypeError, ValueError) as exc:
        raise decoder.fail(f"the stored arguments do not fit {cls.__name__} of equilin {VERSION} "
                           f"(file written by equilin {meta['library_version']}): {exc}") from exc
    try:
        module.load_persistent_state(state, bool(meta.get("training", False)))
    except ValueError as exc:
        raise decoder.fail(f"the stored state_dict does not fit {cls.__name__} of equilin {VERSION} "
                           f"(file written by equilin {meta['library_version']}): {_one_line(exc)}") from exc
    if map_location is not None:
        module = module.to(map_location)
    return module


def _check_expected_group(obj: Any, group: PermutationGroup, where: str) -> None:
    found: Any = getattr(obj, "variety_", None)
    if found is not None:
        found = found.group
    else:
        value = getattr(obj, "group", None)
        if isinstance(value, (Permutation, PermutationGroup)):
            found = as_group(value)
        variety = getattr(obj, "variety", None)
        if found is None and variety is not None:
            found = variety.group
    if found is None:
        raise PersistenceError(f"{where}: the {type(obj).__name__} it holds has no group to compare with {group!r}")
    if found != group:
        raise PersistenceError(f"{where}: group mismatch: the model is for {found!r}, expected {group!r}")


# -- the archive ----------------------------------------------------------------------------------------
def _canonical(meta: Mapping[str, Any]) -> bytes:
    return json.dumps(meta, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True).encode()


def _checksum(meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> str:
    """SHA-256 of the canonical JSON of the metadata without ``checksum``, then for every array in
    sorted name order: its name, NUL, dtype string, NUL, shape as JSON, NUL, its C-order bytes."""
    digest = hashlib.sha256(_canonical({k: v for k, v in meta.items() if k != "checksum"}))
    for name in sorted(arrays):
        a = arrays[name]
        digest.update(b"\0".join([name.encode(), a.dtype.str.encode(), json.dumps(list(a.shape)).encode(), b""]))
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name + ".npy", date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _write_archive(fh: IO[bytes], meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> None:
    text = np.frombuffer(_canonical(meta), dtype=np.uint8)
    with zipfile.ZipFile(fh, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in [(METADATA_KEY, text), *arrays.items()]:
            with zf.open(_member(name), mode="w", force_zip64=True) as out:
                np.lib.format.write_array(out, array, allow_pickle=False)


def _umask() -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def _atomic_write(target: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Temp file in the same directory, write, flush, fsync, ``os.replace``, fsync the directory; the temp
    file is removed if anything fails before the rename."""
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":  # pragma: no cover - Windows cannot open directories
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_verified(path: Any) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """Metadata and arrays of a file, after every check that needs no library object."""
    if isinstance(path, (bytes, bytearray)) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    where = str(path)
    if Path(path).is_dir():
        raise IsADirectoryError(f"{where} is a directory, not a model file")
    if not Path(path).exists():
        raise FileNotFoundError(f"no model file at {where}")

    def fail(message: str) -> PersistenceError:
        return PersistenceError(f"{where} is not an equilin model file: {message}")

    if not zipfile.is_zipfile(path):
        raise fail("not a zip archive (truncated, or another format)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            names = list(npz.files)
            if METADATA_KEY not in names:
                raise fail(f"no {METADATA_KEY!r} metadata member (a plain .npz?)")
            meta = _parse_metadata(npz[METADATA_KEY], fail)
            arrays = {name: npz[name] for name in names if name != METADATA_KEY}
            for name, array in arrays.items():
                if not isinstance(array, np.ndarray):
                    raise fail(f"the member {name!r} is not a .npy array")
    except PersistenceError:
        raise
    except Exception as exc:  # zipfile.BadZipFile (CRC), ValueError (bad .npy header, pickled data), EOFError...
        raise PersistenceError(f"{where} is corrupted: {type(exc).__name__}: {exc}") from exc
    _check_manifest(meta, arrays, where)
    if _checksum(meta, arrays) != meta["checksum"]["hexdigest"]:
        raise PersistenceError(f"{where}: checksum mismatch: the arrays or metadata were changed after saving "
                               "(corruption or tampering); refusing to load")
    return meta, arrays


def _parse_metadata(raw: NDArray[Any], fail: Callable[[str], PersistenceError]) -> dict[str, Any]:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise fail(f"the metadata member must be a 1-D uint8 array, got {raw.dtype} {raw.shape}")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"the metadata is not valid JSON ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise fail(f"the metadata does not declare format {FORMAT!r}")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail(f"invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise PersistenceError(
            f"the file has format version {version} (written by equilin {meta.get('library_version')}); this "
            f"equilin {VERSION} reads format versions up to {FORMAT_VERSION}: upgrade equilin")
    required = {"class": str, "kind": str, "library_version": str, "params": object, "arrays": dict,
                "checksum": dict}
    for key, kind in required.items():
        if key not in meta or not isinstance(meta[key], kind):
            raise fail(f"the metadata lacks {key!r} (or it has the wrong type)")
    if meta["kind"] not in ("estimator", "module"):
        raise fail(f"unknown kind {meta['kind']!r}; expected 'estimator' or 'module'")
    legacy = version < 4 and meta["class"].startswith(_LEGACY_PREFIXES)  # older files: the module path
    if not (legacy or (version >= 4 and meta["class"].isidentifier())):
        raise fail(f"unknown class {meta['class']!r}")
    if meta["kind"] == "estimator" and "fitted" not in meta:
        raise fail("the metadata lacks 'fitted'")
    checksum = meta["checksum"]
    if checksum.get("algorithm") != "sha256" or not isinstance(checksum.get("hexdigest"), str):
        raise fail("the checksum must be {'algorithm': 'sha256', 'hexdigest': ...}")
    return meta


def _check_manifest(meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]], where: str) -> None:
    manifest = meta["arrays"]
    missing = sorted(set(manifest) - set(arrays))
    extra = sorted(set(arrays) - set(manifest))
    if missing or extra:
        raise PersistenceError(f"{where}: the arrays disagree with the manifest (missing: {missing or 'none'}; "
                               f"not in the manifest: {extra or 'none'})")
    for name, entry in _items(manifest):
        array = arrays[name]
        if not isinstance(entry, dict) or entry.get("shape") != list(array.shape) \
                or entry.get("dtype") != array.dtype.str:
            raise PersistenceError(f"{where}: shape mismatch: array {name!r} is {array.dtype.str} "
                                   f"{list(array.shape)}, the manifest says {entry}")


def _items(mapping: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    yield from sorted(mapping.items())


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
