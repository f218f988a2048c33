"""The estimator base of the closed forms: scikit-learn estimators (``BaseEstimator``), input checks,
``predict``, ``loss``, and ``fit = reset + partial_fit``; the two roles a model is used in.

The squared-error loss ``||X M^T - Y||_F^2`` (samples are ROWS of ``X`` and ``Y``, the scikit-learn
convention; ``M`` is the ``m x n`` function matrix) is minimized over the function space of the
network. A *model* class (dense, invariant, equivariant: ``_DenseModel`` ...) holds the solver: it adds
one batch's float64 Gram statistics to the fitted ones (``gram_inputs_``, ``gram_cross_``,
``sum_squares_``, ``n_samples_seen_``, ``scale_exponent_``, ``has_targets_``) and recomputes the solution,
so ``partial_fit`` over any split of the data equals ``fit`` on all of it up to rounding. Each model is
used in two roles, which choose the targets:

* :class:`_AutoencoderRole` (``DenseAutoencoder`` ...): a scikit-learn transformer; the targets are the
  inputs, ``fit(X, y=None)`` ignores ``y`` (so it can precede a classifier in a pipeline), ``transform``
  gives the codes, ``score`` is the negative reconstruction error.
* :class:`_RegressorRole` (``DenseRegressor`` ...): reduced-rank regression; ``fit(X, y)`` needs the
  targets, ``score`` is ``R^2`` as for every scikit-learn regressor.

``X`` (and ``y``) may be numpy arrays, anything ``numpy.asarray`` reads (lists, pandas DataFrames), a
``scipy.sparse`` matrix or array of inputs, or ``dask.array`` arrays chunked along samples
(:mod:`equilin.models.closed_form.statistics`).
"""

from __future__ import annotations

import inspect
import math
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    MultiOutputMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from equilin.io import PersistentEstimator
from equilin.models.closed_form.statistics import (
    _chunks,
    _collect,
    _dense,
    _float_rows,
    _Stats,
    _to_exponent,
    _unscale,
    is_dask_array,
)
from equilin.validation import check_int

__all__ = ["FUNCTION_MATRIX_LIMIT"]

FUNCTION_MATRIX_LIMIT = 4096 * 4096
"""Largest ``m * n`` for which :meth:`function_matrix` builds a dense matrix."""


# -- input checks ----------------------------------------------------------------------------------
_KINDS = {"U": "strings", "S": "bytes", "b": "booleans", "c": "complex numbers", "O": "Python objects",
          "M": "datetimes", "m": "timedeltas", "V": "structured records"}


def _describe_input(X: Any, dtype: np.dtype[Any]) -> str:
    """What the user passed, in words: "a list of strings", "a scipy.sparse matrix of dtype complex128"."""
    if sp.issparse(X):
        return f"a scipy.sparse {'array' if isinstance(X, sp.sparray) else 'matrix'} of dtype {dtype}"
    if isinstance(X, (list, tuple)):
        return f"a {type(X).__name__} of {_KINDS.get(dtype.kind, f'dtype {dtype}')}"
    if isinstance(X, np.ndarray):
        return f"an array of dtype {dtype}"
    return f"a {type(X).__module__.split('.')[0]}.{type(X).__name__} of dtype {dtype}"


def _check_dtype(X: Any, dtype: np.dtype[Any], name: str) -> None:
    """Refuse every dtype but real integers and floats, naming what was passed."""
    if dtype.kind in "iuf":
        return
    what = _describe_input(X, dtype)
    if dtype.kind == "c":  # (scikit-learn's wording, which its estimator checks expect)
        raise ValueError(f"Complex data not supported: {name} is {what}; pass the real and imaginary parts "
                         "as separate features")
    hint = "; convert it with .astype(float) if 0/1 is meant" if dtype.kind == "b" else ""
    raise ValueError(f"{name} must be a real numeric array, got {what}{hint}")


def _check_shape(shape: tuple[int, ...], name: str, n: int | None, owner: str, why: str = "") -> None:
    if len(shape) != 2:
        raise ValueError(f"{name} must be 2-D (samples x features), got shape {shape}. "
                         "Reshape your data: a single sample with x.reshape(1, -1)")
    if shape[0] == 0:
        raise ValueError(f"{name} has no samples (shape {shape})")
    if shape[1] == 0 and n != 0:  # (scikit-learn's wording, which its estimator checks expect)
        raise ValueError(f"{name} has 0 feature(s) (shape={shape}) while a minimum of 1 is required: a linear "
                         "model needs at least one input feature")
    if n is not None and shape[1] != n:
        raise ValueError(f"{name} has {shape[1]} features, but {owner} is expecting {n} features as input{why}")


def _as_rows(X: Any, name: str, n: int | None, owner: str, why: str = "") -> Any:
    """``X`` as checked row samples: a numpy array, a CSR sparse matrix, or a dask array (entries are
    checked to be finite later, batch by batch, except for the array kinds checked here)."""
    if is_dask_array(X):
        return _check_dask(X, name, n, owner, why)
    if sp.issparse(X):
        _check_dtype(X, np.dtype(X.dtype), name)
        _check_shape(tuple(int(v) for v in X.shape), name, n, owner, why)
        return X.tocsr()
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a 2-D array of numbers; numpy cannot read the {type(X).__name__} "
                         f"passed as one: {exc}") from exc
    if arr.dtype.kind == "O":  # numbers held as Python objects are numbers; anything else is refused
        try:
            arr = arr.astype(np.float64)
        except TypeError as exc:
            raise TypeError(f"{name} has an entry that is not a number ({exc})") from exc
        except ValueError as exc:
            raise ValueError(f"{name} must be a real numeric array, got {_describe_input(X, arr.dtype)} "
                             f"with an entry that is not a number: {exc}") from exc
    _check_dtype(X, arr.dtype, name)
    _check_shape(arr.shape, name, n, owner, why)
    return arr


def _check_dask(X: Any, name: str, n: int | None, owner: str, why: str = "") -> Any:
    """A dask array of row samples: whole rows per chunk, known chunk sizes (entries are checked per chunk)."""
    _check_dtype(X, np.dtype(X.dtype), name)
    if X.ndim == 2 and len(X.chunks[1]) > 1:
        raise ValueError(f"{name} is a dask array chunked along features ({len(X.chunks[1])} chunks of "
                         f"columns); the Gram statistics need whole rows: pass {name}.rechunk({{1: -1}})")
    if X.ndim == 2 and any(math.isnan(c) for c in X.chunks[0]):  # unknown chunk sizes
        raise ValueError(f"{name} is a dask array with unknown chunk sizes; call "
                         f"{name}.compute_chunk_sizes() first")
    _check_shape(tuple(int(v) for v in X.shape), name, n, owner, why)
    return X


def _check_batch(X: Any, Y: Any, n: int | None, m: int | None, owner: str, why: str = "") -> tuple[Any, Any]:
    """Validated ``X`` and ``Y`` (numpy, sparse or dask; finiteness is checked batch by batch later)."""
    if is_dask_array(Y) and not is_dask_array(X):
        raise TypeError("Y is a dask array but X is not; pass X as a dask array too "
                        "(dask.array.from_array(X, chunks=(rows, -1)))")
    X = _as_rows(X, "X", n, owner, why)
    if Y is None:
        return X, None
    Y = _as_rows(Y, "y", m, owner, " outputs")
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must have the same number of samples, got {X.shape[0]} and {Y.shape[0]}")
    return X, Y


def _check_padding(rank: int, rows: int, cols: int) -> None:
    """Refuse a bottleneck whose zero-padded factors (``rank x cols`` and ``rows x rank``) would be huge:
    ranks above ``min(rows, cols)`` add only zeros. Called before any statistics are updated."""
    kept = min(rows, cols)
    if rank > kept and rank * (rows + cols) > FUNCTION_MATRIX_LIMIT:
        raise ValueError(f"rank={rank} is too large: the encoder and decoder would hold rank * {rows + cols} = "
                         f"{rank * (rows + cols):,} entries (at most {FUNCTION_MATRIX_LIMIT:,}), and ranks above "
                         f"{kept} add only zeros; use rank <= {kept}")


def _sum_squares_safe(residual: NDArray[np.float64]) -> float:
    """The sum of squares of finite entries, scaled by a power of two when their squares would overflow
    (``inf`` only when the sum itself exceeds the float range)."""
    if residual.size == 0:
        return 0.0
    exponent = math.frexp(float(np.max(np.abs(residual))))[1]
    if exponent < 500:
        return float(np.sum(residual ** 2))
    with np.errstate(over="ignore"):
        return float(np.ldexp(np.sum(np.ldexp(residual, -exponent) ** 2), 2 * exponent))


# -- the base class ----------------------------------------------------------------------------------
class _ClosedFormBase(PersistentEstimator, BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """The plumbing shared by the estimators: input checks, ``predict``, ``function_matrix``, the Gram
    statistics, ``save(path)`` / ``load(path)`` from :class:`equilin.io.PersistentEstimator`;
    ``get_params`` / ``set_params`` / ``clone`` from scikit-learn's ``BaseEstimator`` (the parameters are
    those of ``__init__``).

    A model subclass implements :meth:`_partial_fit` (one batch of inputs and targets, ``Y=None``
    meaning ``Y = X``), :meth:`_predict_checked`, :meth:`_transform_checked` and :attr:`_code_width`.
    """

    # set by the constructor of every subclass
    batch_size: int
    # fitted attributes (absent before the first fit)
    n_features_in_: int
    n_outputs_: int
    train_loss_: float
    n_params_: int
    gram_inputs_: Any      # one matrix (dense, invariant) or a list of them, one per block (equivariant)
    gram_cross_: Any       # the same, or None for an autoencoder
    sum_squares_: float
    n_samples_seen_: int
    scale_exponent_: int
    has_targets_: bool

    _single_block: ClassVar[bool] = True  # one Gram matrix (dense, invariant) or a list, one per block
    _regression_class: ClassVar[type | None] = None   # an autoencoder's regressor (for older files)
    _dropped_params: ClassVar[tuple[str, ...]] = ()   # parameters of older files, implied by the state

    # scikit-learn's ``feature_names_in_`` (an object array of str, set and deleted by ``validate_data``)
    # is kept as a list of str, ``input_feature_names_``, which equilin.io can write to a file
    @property
    def feature_names_in_(self) -> NDArray[Any]:
        """The names of the input features when fitted on a DataFrame (absent otherwise)."""
        names = self.__dict__.get("input_feature_names_")
        if names is None:
            raise AttributeError(f"this {type(self).__name__} was not fitted on named features")
        return np.asarray(names, dtype=object)

    @feature_names_in_.setter
    def feature_names_in_(self, names: Any) -> None:
        self.input_feature_names_ = [str(name) for name in names]

    @feature_names_in_.deleter
    def feature_names_in_(self) -> None:
        self.__dict__.pop("input_feature_names_", None)

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The parameters in the order of ``__init__`` (scikit-learn sorts them by name; keeping the
        constructor's order keeps ``get_params`` and the files of :func:`equilin.io.save` as before)."""
        names = set(super()._get_param_names())
        return [name for name in inspect.signature(cls.__init__).parameters if name in names]

    @classmethod
    def _stored_class(cls, params: dict[str, Any], fitted: dict[str, Any]) -> tuple[type, dict[str, Any]]:
        """The class and parameters a stored estimator loads as (the hook :func:`equilin.io.load` calls).

        Files of equilin 0.1 hold regressions as autoencoders fitted with targets (``has_targets_``): they
        load as the matching regressor; parameters that are now implied by the fitted state are dropped."""
        params = {k: v for k, v in params.items() if k not in cls._dropped_params}
        if fitted.get("has_targets_") and cls._regression_class is not None:
            return cls._regression_class, params
        return cls, params

    # -- checks ------------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        check_is_fitted(self, "n_features_in_")

    def _check_input(self, X: Any, name: str = "X") -> Any:
        """Checked rows of a fitted model's inputs (their feature names compared with those of fit)."""
        self._check_fitted()
        arr = _as_rows(X, name, self.n_features_in_, type(self).__name__)
        self._check_names(X, arr, reset=False)
        return arr

    def _check_names(self, X: Any, arr: Any, reset: bool) -> None:
        """scikit-learn's ``feature_names_in_`` (a DataFrame's columns) and ``n_features_in_``; ``arr``
        is ``X`` already checked."""
        validate_data(self, X if hasattr(X, "columns") else arr, reset=reset, skip_check_array=True)

    def _batch_size(self) -> int:
        return check_int(self.batch_size, "batch_size", 1)

    def _map_rows(self, arr: Any, fn: Any) -> NDArray[np.float64]:
        """``fn`` applied to ``batch_size`` rows at a time (sparse rows densified one batch at a time)."""
        parts = [fn(_float_rows(_dense(arr[s]), "X")) for s in _chunks(arr.shape[0], self._batch_size())]
        out: NDArray[np.float64] = np.concatenate(parts)
        return out

    # -- the model's interface ---------------------------------------------------------------------
    def _predict_checked(self, X: NDArray[np.float64]) -> NDArray[np.float64]:  # pragma: no cover - abstract
        """The outputs ``X M^T`` of checked float64 row samples (``N x m``)."""
        raise NotImplementedError

    def _transform_checked(self, X: NDArray[np.float64]) -> NDArray[np.float64]:  # pragma: no cover
        """The codes of checked float64 row samples."""
        raise NotImplementedError

    def _partial_fit(self, X: Any, Y: Any) -> None:  # pragma: no cover - abstract
        """Add the statistics of one batch (targets ``Y``, or ``None`` for ``Y = X``) and recompute."""
        raise NotImplementedError

    @property
    def _code_width(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def _n_features_out(self) -> int:
        """The number of codes of :meth:`transform` (scikit-learn's ``get_feature_names_out``)."""
        self._check_fitted()
        return self._code_width

    # -- outputs -----------------------------------------------------------------------------------
    def _outputs(self, X: Any) -> NDArray[np.float64]:
        return self._map_rows(self._check_input(X), self._predict_checked)

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """The network's output ``X M^T`` for row samples ``X`` (``N x m``)."""
        return self._outputs(X)

    def _transform(self, X: Any) -> NDArray[np.float64]:
        return self._map_rows(self._check_input(X), self._transform_checked)

    def _squared_error(self, X: Any, Y: Any) -> float:
        """``||X M^T - Y||^2 / (N m)``, ``batch_size`` rows at a time (``Y = None``: ``Y = X``)."""
        arr = self._check_input(X)
        target = arr if Y is None else _as_rows(Y, "y", self.n_outputs_, type(self).__name__, " outputs")
        if target.shape[0] != arr.shape[0]:
            raise ValueError(f"X and y must have the same number of samples, got {arr.shape[0]} and "
                             f"{target.shape[0]}")
        total = 0.0
        for s in _chunks(arr.shape[0], self._batch_size()):
            rows = _float_rows(_dense(arr[s]), "X")
            total += _sum_squares_safe(self._predict_checked(rows) - _float_rows(_dense(target[s]), "y"))
        return total / float(arr.shape[0] * self.n_outputs_)

    def function_matrix(self) -> NDArray[np.float64]:
        """The dense ``m x n`` function matrix ``M`` (refused above :data:`FUNCTION_MATRIX_LIMIT`)."""
        self._check_fitted()
        if self.n_outputs_ * self.n_features_in_ > FUNCTION_MATRIX_LIMIT:
            raise ValueError(f"the function matrix would be {self.n_outputs_} x {self.n_features_in_}; "
                             "use predict() / transform() instead")
        return self._map_rows(np.eye(self.n_features_in_), self._predict_checked).T

    # -- fit = reset + accumulate + finalize ------------------------------------------------------
    @property
    def _started(self) -> bool:
        return hasattr(self, "n_samples_seen_")

    def _reset(self) -> None:
        """Forget the fit: every fitted attribute (a public name ending in ``_``)."""
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, name)

    def _update(self, X: Any, Y: Any) -> None:
        """One batch: checked, its feature names compared with the earlier batches', its statistics added
        and the solution recomputed; the feature names of the first batch are kept once its fit succeeded."""
        started = self._started
        arr = _as_rows(X, "X", self.n_features_in_ if started else None, type(self).__name__)
        if started:
            self._check_names(X, arr, reset=False)
        self._partial_fit(arr, Y)
        if not started:
            self._check_names(X, arr, reset=True)

    def _merge(self, stats: _Stats, has_targets: bool) -> _Stats:
        """Add one batch's statistics to the fitted ones (kept as plain float64/complex128 arrays, at the
        larger of the two scale exponents)."""
        if self._started:  # the batch's arrays are ours: add the earlier sums into them
            inputs = [self.gram_inputs_] if self._single_block else list(self.gram_inputs_)
            cross = None if self.gram_cross_ is None else (
                [self.gram_cross_] if self._single_block else list(self.gram_cross_))
            earlier = _Stats([a.copy() for a in inputs], None if cross is None else [a.copy() for a in cross],
                             self.sum_squares_, self.n_samples_seen_, getattr(self, "scale_exponent_", 0))
            top = max(stats.exponent, earlier.exponent)
            stats, earlier = _to_exponent(stats, top), _to_exponent(earlier, top)
            stats = _collect(stats, earlier.inputs, earlier.cross, earlier.sum_squares, earlier.samples)
        if self._single_block:
            self.gram_inputs_ = stats.inputs[0]
            self.gram_cross_ = None if stats.cross is None else stats.cross[0]
        else:
            self.gram_inputs_ = list(stats.inputs)
            self.gram_cross_ = None if stats.cross is None else list(stats.cross)
        self.sum_squares_ = float(stats.sum_squares)
        self.n_samples_seen_ = int(stats.samples)
        self.scale_exponent_ = int(stats.exponent)
        self.has_targets_ = bool(has_targets)
        return stats

    def _set_train_loss(self, stats: _Stats, gain: float) -> None:
        loss = max(stats.sum_squares - gain, 0.0) / (stats.samples * self.n_outputs_)
        self.train_loss_ = float(_unscale(loss, stats.exponent))


class _LinearDecoderModel(_ClosedFormBase):
    """A model whose decoder is one real matrix ``decoder_`` (``m x r``, the dense and the invariant
    models): codes are :meth:`_transform_checked`, outputs are codes times ``decoder_^T``."""

    decoder_: NDArray[np.float64]

    @property
    def _code_width(self) -> int:
        return int(self.decoder_.shape[1])

    def inverse_transform(self, X: Any) -> NDArray[np.float64]:
        """Decoded outputs ``Z A^T`` (``N x m``) of codes ``X`` (``Z``, ``N x r``)."""
        self._check_fitted()
        codes = _as_rows(X, "Z", self._code_width, type(self).__name__, " codes")
        return self._map_rows(codes, lambda z: z @ self.decoder_.T)

    def _predict_checked(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        out: NDArray[np.float64] = self._transform_checked(X) @ self.decoder_.T
        return out


# -- the two roles ---------------------------------------------------------------------------------
class _AutoencoderRole(ClassNamePrefixFeaturesOutMixin, TransformerMixin):  # type: ignore[misc]  # sklearn is untyped
    """A model as an autoencoder: a scikit-learn transformer whose targets are its inputs.

    ``fit(X, y=None)`` and ``partial_fit(X, y=None)`` ignore ``y`` (as every transformer does, so that a
    classifier can follow in a pipeline); ``transform`` gives the codes (``set_output`` applies),
    ``get_feature_names_out`` one name per code column, ``score`` the negative reconstruction error.
    """

    def fit(self, X: ArrayLike, y: Any = None) -> Self:
        """Fit on row samples ``X``: forget earlier batches, then :meth:`partial_fit`. ``y`` is ignored
        (the targets are ``X``; for regression use the matching ``...Regressor``)."""
        self._reset()
        return self.partial_fit(X)

    def partial_fit(self, X: ArrayLike, y: Any = None) -> Self:
        """Add the Gram statistics of one batch of row samples ``X`` and recompute the solution from all
        batches seen since the last :meth:`fit`. ``y`` is ignored."""
        self._update(X, None)
        return self

    def transform(self, X: ArrayLike) -> Any:
        """The codes of row samples ``X`` (``N x`` :meth:`get_feature_names_out` columns)."""
        return self._transform(X)

    def loss(self, X: ArrayLike, y: Any = None) -> float:
        """Mean squared reconstruction error per entry, ``||X M^T - X||^2 / (N n)`` (``y`` is ignored)."""
        return float(self._squared_error(X, None))

    def score(self, X: ArrayLike, y: Any = None) -> float:
        """Negative :meth:`loss` (greater is better, as scikit-learn's model selection expects)."""
        return -self.loss(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.required = False
        return tags


class _RegressorRole(MultiOutputMixin, RegressorMixin):  # type: ignore[misc]  # sklearn is untyped
    """A model as reduced-rank regression: ``fit(X, y)`` needs the targets; ``score`` is ``R^2``.

    ``y`` may be 1-D when the model allows one output (``predict`` then returns 1-D, as scikit-learn's
    regressors do).
    """

    _one_output_ok: ClassVar[bool] = True
    y_ndim_: int

    def _targets(self, y: Any) -> tuple[Any, bool]:
        """The targets as rows (a 1-D ``y`` as one column) and whether ``y`` was 1-D."""
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None; to "
                             f"reconstruct X use {type(self).__name__.replace('Regressor', 'Autoencoder')}")
        if not (is_dask_array(y) or sp.issparse(y)):
            y = np.asarray(y)
        ndim = len(y.shape)
        if ndim == 1:
            if not self._one_output_ok:
                raise ValueError(f"y is 1-D, but {type(self).__name__} predicts in R^n: pass y of shape "
                                 "(N, n)")
            return y.reshape(-1, 1), True
        return y, False

    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Fit on row samples ``X`` and targets ``y``: forget earlier batches, then :meth:`partial_fit`."""
        self._reset()
        return self.partial_fit(X, y)

    def partial_fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Add the Gram statistics of one batch (row samples ``X``, targets ``y``) and recompute the
        solution from all batches seen since the last :meth:`fit`."""
        started = self._started
        targets, one_d = self._targets(y)
        self._update(X, targets)
        if not started:
            self.y_ndim_ = 1 if one_d else 2
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """The predictions ``X M^T`` (``N x m``; 1-D when fitted on 1-D ``y``)."""
        out = self._outputs(X)
        result: NDArray[np.float64] = out.ravel() if getattr(self, "y_ndim_", 2) == 1 else out
        return result

    def loss(self, X: ArrayLike, y: ArrayLike) -> float:
        """Mean squared error per output entry, ``||X M^T - y||^2 / (N m)``."""
        return float(self._squared_error(X, self._targets(y)[0]))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.single_output = self._one_output_ok
        return tags
