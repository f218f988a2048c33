"""Saving and loading fitted estimators and modules: :func:`save`, :func:`load`, :func:`read_metadata`,
:func:`check_save_path`.

:func:`save` writes an estimator of :mod:`equilin.models.closed_form` (its constructor parameters and
every fitted attribute) or a module of :mod:`equilin.models.nn` (its constructor arguments and its
``state_dict()``) to one ``.npz`` archive (:mod:`equilin.io.archive`): the arrays plus JSON metadata
(format version, library version, class, parameters with groups as 0-based ``int64`` generator arrays,
ranks, dtype, an array manifest and a checksum), values encoded by :mod:`equilin.io.codec`; a module
may go to a ``.safetensors`` file instead (:mod:`equilin.io.tensorfile`). :func:`load`
refuses anything it cannot verify with a :class:`~equilin.io.PersistenceError` that says what is wrong;
nothing is ever unpickled (and no ``torch.load`` at all). The format is in ``docs/persistence.md``.

The only classes a file may name are the public subclasses of the mixins :class:`PersistentEstimator`
and :class:`PersistentModule`, which register themselves under their class name when their package is
imported. So ``equilin.io`` imports neither torch nor any layer above it: the estimators and modules
come to it, and a module's hooks (:meth:`PersistentModule.persistent_state`, ...) are the only code that
touches torch.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Self

import numpy as np
from numpy.typing import NDArray

from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.io.archive import (
    FORMAT,
    FORMAT_VERSION,
    PersistenceError,
    _atomic_write,
    _checksum,
    _probe,
    _read_verified,
    _save_target,
    _write_archive,
)
from equilin.io.codec import _Decoder, _Encoder
from equilin.io.tensorfile import SUFFIX, _numpy_backend, read_safetensors, write_safetensors
from equilin.version import VERSION

__all__ = ["PersistentEstimator", "PersistentModule", "check_save_path", "load", "read_metadata", "save"]

# The only classes a file may name: the public subclasses of PersistentEstimator and PersistentModule,
# which register themselves when their module is imported (nothing else is ever constructed).
_REGISTRY: dict[str, tuple[type, str]] = {}

_READERS = (read_safetensors,)   # the formats besides .npz that load recognises by their first bytes


# -- public API -------------------------------------------------------------------------------------
def save(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write a fitted (or unfitted) estimator or module to ``path`` atomically; return the path.

    Parameters
    ----------
    obj : estimator of equilin.models.closed_form or module of equilin.models.nn
    path : str or os.PathLike
        The file to write, exactly as named (no suffix is added; ``.npz`` is customary). A name ending
        in ``.safetensors`` (any case) writes a torch module as a safetensors file: its ``state_dict``
        as the tensors, what else rebuilds it in the metadata (needs the ``safetensors`` package;
        estimators are refused there). Its directory must exist; an existing regular file is replaced
        only once the new one is complete. A symbolic link is written through: the file it points to is
        replaced atomically and the link stays a link; a dangling link creates the file it points to
        when that file's directory exists. A directory, device node, FIFO or socket at ``path`` is
        never touched.

    Raises
    ------
    TypeError
        ``obj`` is not one of equilin's estimators or modules, or ``path`` is not a path.
    PersistenceError
        An attribute cannot be stored (its name is in the message), or an estimator was given a
        ``.safetensors`` name.
    IsADirectoryError, FileExistsError, FileNotFoundError, NotADirectoryError, PermissionError, OSError
        ``path`` is a directory; a device, FIFO or socket; in a missing directory; a read-only file;
        or the write failed (no space, read-only file system): one message naming ``path``, nothing
        left behind, a previous file unchanged.

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
    kind = _registered_kind(obj)
    target = _save_target(path)
    safetensors = _is_safetensors(path)
    if safetensors:
        _check_safetensors_kind(kind, path)
    key = type(obj).__name__
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
    if safetensors:
        data = write_safetensors(meta, encoder.arrays)
        _atomic_write(target, lambda fh: _write_bytes(fh, data), os.fspath(path))
    else:
        _atomic_write(target, lambda fh: _write_archive(fh, meta, encoder.arrays), os.fspath(path))
    return Path(path)


def check_save_path(path: str | os.PathLike[str], obj: Any = None) -> Path:
    """Refuse now what :func:`save` would refuse at the end: call it before a long computation whose
    result goes to ``path``; returns ``Path(path)``.

    Checks what :func:`save` checks of ``path`` (a directory, device node, FIFO or socket there, a
    missing directory, a read-only file; with ``obj``, an estimator given a ``.safetensors`` name and
    the safetensors package for a module), and that a file can be created in its directory (a
    temporary file, removed at once: this catches read-only file systems, missing permissions and
    ``/proc``). Nothing is written at ``path``.

    Raises
    ------
    The errors of :func:`save` about paths, with the same messages.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     check_save_path(tmp)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    IsADirectoryError: [Errno 21] ... is a directory; pass a file name such as .../model.npz
    """
    target = _save_target(path)
    if obj is not None:
        kind = _registered_kind(obj)
        if _is_safetensors(path):
            _check_safetensors_kind(kind, path)
            _numpy_backend()
    _probe(target, os.fspath(path))
    return Path(path)


def _write_bytes(fh: IO[bytes], data: bytes) -> None:
    fh.write(data)


def _registered_kind(obj: Any) -> str:
    key = type(obj).__name__
    registered = _REGISTRY.get(key, (None,))[0]
    if registered is not type(obj):
        clash = "" if registered is None else (f"; the name {key} belongs to {registered.__module__}.{key}, and a "
                                               "file names its class by name only: rename this class")
        raise TypeError(f"cannot save a {type(obj).__module__}.{type(obj).__qualname__}: equilin saves only "
                        f"its estimators and modules ({', '.join(sorted(_REGISTRY))}){clash}")
    return _REGISTRY[key][1]


def _is_safetensors(path: str | os.PathLike[str]) -> bool:
    return os.fspath(path).lower().endswith(SUFFIX)


def _check_safetensors_kind(kind: str, path: str | os.PathLike[str]) -> None:
    if kind != "module":
        raise PersistenceError(f"cannot save an estimator to {os.fspath(path)}: a .safetensors file holds the "
                               "tensors of a torch module (its state_dict); save estimators as .npz, such as "
                               f"{Path(path).with_suffix('.npz')}")


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
    equilin.io.PersistenceError: .../bad.npz is not an equilin model file: not a zip archive (truncated, ...)
    """
    meta, arrays = _read_verified(path, _READERS)
    where = str(path)
    key = meta["class"]
    cls = _resolve(meta, where)
    if expected is not None and meta["kind"] != "estimator" and not issubclass(cls, expected):
        names = expected if isinstance(expected, tuple) else (expected,)
        raise TypeError(f"{where} holds {key}, expected {' or '.join(c.__name__ for c in names)}")
    decoder = _Decoder(arrays, where, meta["format_version"])
    if meta["kind"] == "estimator":
        obj = _decode_estimator(cls, meta, decoder)
        _check_loaded_class(obj, expected, key, where)
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
    meta, _ = _read_verified(path, _READERS)
    return meta


def _register(cls: type, kind: str) -> None:
    if cls.__name__.startswith("_"):
        return                                   # private bases are never written to a file
    # the first class of a name keeps it: a file names its class by name only, so a later class of the
    # same name (a user's subclass, say) cannot be saved; save says so, defining it stays harmless
    _REGISTRY.setdefault(cls.__name__, (cls, kind))


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
        :func:`equilin.io.save`."""
        return save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """Read an estimator of this class written by :meth:`save`, verified; see
        :func:`equilin.io.load`."""
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
        """Write this module (constructor arguments and ``state_dict()``) to ``path`` atomically: an
        ``.npz`` file, or a safetensors file when ``path`` ends in ``.safetensors``; see
        :func:`equilin.io.save`."""
        return save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str], map_location: Any = None) -> Self:
        """Read a module of this class written by :meth:`save`, verified; its parameters go to
        ``map_location`` (default CPU). See :func:`equilin.io.load`."""
        obj: Self = load(path, expected=cls, map_location=map_location)
        return obj


# -- paths, classes, versions -------------------------------------------------------------------------
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
    out = {}
    for name, value in params.items():
        new = renames.get(name, name)
        out[name if new in params else new] = value       # a file that has both names keeps them as they are
    return out


# -- estimators ---------------------------------------------------------------------------------------
def _encode_estimator(est: Any, encoder: _Encoder) -> dict[str, Any]:
    params = est.get_params()
    fitted: dict[str, Any] = {}
    output = _output_config(est)
    for name, value in vars(est).items():
        if name in params or name == _OUTPUT_CONFIG:
            continue
        if name.startswith("_") or not name.endswith("_"):
            raise PersistenceError(
                f"cannot save attribute {name!r} of {type(est).__name__}: it is neither a constructor parameter "
                f"({', '.join(params)}) nor a fitted attribute (a public name ending in '_'), so "
                "equilin.io cannot tell whether the model needs it")
        fitted[name] = value
    return {
        "params": encoder.encode(dict(params), "params"),
        "fitted": encoder.encode(fitted, "fitted") if fitted else None,
        "summary": _summary(params.get("group"), fitted.get("ranks_"), "float64",
                            fitted.get("n_features_in_")),
        **({"output": output} if output else {}),
    }


_OUTPUT_CONFIG = "_sklearn_output_config"  # where scikit-learn's set_output keeps its choice


def _output_config(est: Any) -> dict[str, str]:
    """What ``est.set_output(...)`` chose (``{"transform": "pandas"}``), kept so a loaded model outputs
    the same container; only scikit-learn's string settings are accepted."""
    config = getattr(est, _OUTPUT_CONFIG, None) or {}
    if not isinstance(config, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in config.items()):
        raise PersistenceError(f"cannot save the set_output configuration {config!r} of {type(est).__name__}: "
                               "only string settings such as set_output(transform='pandas') can be stored")
    return dict(config)


def _decode_estimator(cls: type, meta: Mapping[str, Any], decoder: _Decoder) -> Any:
    params = _renamed(cls, decoder.decode(meta["params"]), decoder.version)
    fitted = decoder.decode(meta["fitted"]) if meta["fitted"] is not None else {}
    decoder.check_all_used()
    if not isinstance(params, dict) or not isinstance(fitted, dict):
        raise decoder.fail("params and fitted must be dicts")
    cls, params = _stored_class(cls, params, fitted)
    try:
        est = cls(**params)
    except (TypeError, ValueError) as exc:
        raise decoder.fail(f"the stored parameters {sorted(params)} do not fit {cls.__name__} of equilin "
                           f"{VERSION} (file written by equilin {meta['library_version']}): {exc}") from exc
    for name, value in fitted.items():
        if name.startswith("_") or not name.endswith("_"):
            raise decoder.fail(f"{name!r} is not a fitted attribute name")
        setattr(est, name, value)
    output = meta.get("output")
    if output is not None:
        valid = isinstance(output, dict) and set(output) <= {"transform"}
        if not valid or not all(isinstance(v, str) for v in output.values()):
            raise decoder.fail(f"the stored set_output configuration {output!r} is not {{'transform': str}}")
        est.set_output(**output)
    if fitted:
        _check_estimator(est, params, decoder)
    return est


def _stored_class(cls: type, params: dict[str, Any], fitted: dict[str, Any]) -> tuple[type, dict[str, Any]]:
    """The class (and parameters) an older file's estimator loads as: the class's ``_stored_class`` hook
    (equilin 0.1 wrote regressions as autoencoders fitted with targets; they load as regressors)."""
    hook = getattr(cls, "_stored_class", None)
    if hook is None:
        return cls, params
    stored: tuple[type, dict[str, Any]] = hook(params, fitted)
    new_cls, new_params = stored
    if _REGISTRY.get(new_cls.__name__, (None,))[0] is not new_cls:  # only registered classes are built
        raise PersistenceError(f"{cls.__name__} loads as the unregistered class {new_cls.__name__}")
    return new_cls, new_params


def _check_loaded_class(obj: Any, expected: type | tuple[type, ...] | None, key: str, where: str) -> None:
    """``expected`` checked again when an older file's estimator loads as another class."""
    if expected is not None and not isinstance(obj, expected):
        names = " or ".join(c.__name__ for c in (expected if isinstance(expected, tuple) else (expected,)))
        if type(obj).__name__ == key:
            raise TypeError(f"{where} holds {key}, expected {names}")
        raise TypeError(f"{where} holds a {key} fitted with targets, which loads as {type(obj).__name__}, "
                        f"expected {names}; load it with {type(obj).__name__}.load or equilin.load")


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
        with warnings.catch_warnings():   # (a model fitted on named features warns of an unnamed input)
            warnings.simplefilter("ignore", UserWarning)
            out = np.reshape(est.predict(np.zeros((1, n))), (1, -1))   # (fitted on a 1-D y: 1-D outputs)
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


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
