"""equilin.geometry.fields: the three division algebras, against their defining relations and the determinantal
degree computed independently."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilin.geometry import (
    COMPLEX,
    FIELDS,
    QUATERNIONIC,
    REAL,
    determinantal_degree,
    field_degree,
    field_of,
    quaternion_to_complex,
)


def test_units_satisfy_the_algebra_relations() -> None:
    one, i = COMPLEX.units()
    assert np.array_equal(one, np.eye(2)) and np.array_equal(i @ i, -np.eye(2))
    e, qi, qj, qk = QUATERNIONIC.units()
    for u in (qi, qj, qk):
        assert np.array_equal(u @ u, -np.eye(4)) and np.array_equal(u.T @ u, np.eye(4))
    assert np.array_equal(qi @ qj, qk) and np.array_equal(qj @ qk, qi) and np.array_equal(qk @ qi, qj)
    assert np.array_equal(qi @ qj, -(qj @ qi)) and np.array_equal(e, np.eye(4))
    assert np.array_equal(REAL.units(), np.ones((1, 1, 1)))


@settings(max_examples=30)
@given(m=st.integers(1, 6), k=st.integers(0, 6))
def test_rules(m: int, k: int) -> None:
    k = min(k, m)
    # degrees: over R the determinantal degree, over C its square, over H the doubled complex one
    assert field_degree(REAL, m, k) == determinantal_degree(m, m, k)
    assert field_degree(COMPLEX, m, k) == determinantal_degree(m, m, k) ** 2
    assert field_degree(QUATERNIONIC, m, k) == determinantal_degree(2 * m, 2 * m, 2 * k)
    for F in FIELDS.values():
        assert F.dim_of(m, k) == F.dim * (m * m - (m - k) * (m - k))   # codimension (m - k)^2 over D
        assert F.n_params_of(m, k) == 2 * F.dim * m * k


@settings(max_examples=20)
@given(delta=st.sampled_from([4, 8]), m=st.integers(1, 4), seed=st.integers(0, 100))
def test_folding_and_frobenius_weight(delta: int, m: int, seed: int) -> None:
    """A quaternionic block operator's complex adjoint has twice the rows (vector_size) and, realized
    on the delta / 4 repetitions, frobenius_weight times the squared norm."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((4, m, m))
    chi = quaternion_to_complex(Z)
    assert chi.shape[0] == QUATERNIONIC.vector_size(m)
    realized = np.einsum("tab,tuv->aubv", Z, QUATERNIONIC.units()).reshape(4 * m, 4 * m)
    total = (delta // 4) * np.sum(realized ** 2)
    assert total == pytest.approx(QUATERNIONIC.frobenius_weight(delta) * np.sum(np.abs(chi) ** 2))
    assert QUATERNIONIC.copies(delta) == delta // 2 and REAL.copies(delta) == delta


def test_a_field_read_back_is_the_same_constant() -> None:
    """Fields are compared by identity: pickling (another process) and copying keep the constant."""
    import copy
    import pickle
    import subprocess
    import sys

    for F in (REAL, COMPLEX, QUATERNIONIC):
        assert pickle.loads(pickle.dumps(F)) is F and copy.deepcopy(F) is F and copy.copy(F) is F
    code = ("import pickle, sys; from equilin.geometry.fields import COMPLEX; "
            "sys.exit(0 if pickle.loads(sys.stdin.buffer.read()) is COMPLEX else 1)")
    assert subprocess.run([sys.executable, "-c", code], input=pickle.dumps(COMPLEX)).returncode == 0


def test_field_of() -> None:
    assert field_of("complex") is COMPLEX and repr(QUATERNIONIC) == "QUATERNIONIC"
    with pytest.raises(ValueError, match="kind must be one of"):
        field_of("octonionic")


@settings(max_examples=20)
@given(m=st.integers(1, 3), k=st.integers(1, 3), seed=st.integers(0, 100))
def test_parts_round_trip(m: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((m, k))
    assert np.array_equal(REAL.from_parts(REAL.parts(Z)), Z) and REAL.dtype() is np.float64
    W = Z + 1j * rng.standard_normal((m, k))
    assert np.array_equal(COMPLEX.from_parts(COMPLEX.parts(W)), W) and COMPLEX.dtype() is np.complex128
    chi = quaternion_to_complex(rng.standard_normal((4, m, k)))
    assert np.allclose(QUATERNIONIC.from_parts(QUATERNIONIC.parts(chi, tol=1e-12)), chi)
    # without tol, a matrix that is not a complex adjoint is projected onto the adjoints
    noisy = chi + 1e-3 * rng.standard_normal(chi.shape)
    assert np.abs(QUATERNIONIC.from_parts(QUATERNIONIC.parts(noisy)) - chi).max() < 1e-2
    with pytest.raises(ValueError, match="not the complex adjoint"):
        QUATERNIONIC.parts(noisy, tol=1e-9)
