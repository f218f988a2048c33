"""equilin.equivariance.weight_sharing: the templates of a component's autoencoder parameterize it (the
Jacobian has the component's dimension)."""

from __future__ import annotations

import numpy as np

from equilin.equivariance import EquivariantComponent, EquivariantVariety
from equilin.groups import Permutation, talk_rotation


def param_vector(C: EquivariantComponent, lefts: list[np.ndarray], rights: list[np.ndarray]) -> np.ndarray:
    """Weights of C.weight_sharing() for block factors Z_b = L_b R_b^H (encoder R^H, decoder L)."""
    params = []
    for b, R in zip(C.blocks, rights):  # encoder: r_b x d_b per block, row-major
        E = R.conj().T
        params.extend(E.ravel() if b.kind == "real" else np.column_stack([E.real.ravel(), E.imag.ravel()]).ravel())
    for b, L in zip(C.blocks, lefts):  # decoder: d x k per block
        params.extend(L.ravel() if b.kind == "real" else np.column_stack([L.real.ravel(), L.imag.ravel()]).ravel())
    return np.array(params, dtype=np.float64)


def svd_factors(C: EquivariantComponent, blocks: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    lefts, rights = [], []
    for k, a in zip(C.ranks, blocks):
        u, s, vh = np.linalg.svd(a)
        root = np.sqrt(s[:k])
        lefts.append(u[:, :k] * root)
        rights.append(vh[:k].conj().T * root)
    return lefts, rights


def tangent_vectors(C: EquivariantComponent, params: np.ndarray, Q: np.ndarray, rng: np.random.Generator,
                    count: int) -> list[np.ndarray]:
    """Directional derivatives of theta -> Q D(theta) E(theta) Q^T at params, in original coordinates."""
    W = C.weight_sharing()
    D, E = W.fill(params)
    out = []
    for _ in range(count):
        dD, dE = W.fill(rng.standard_normal(params.size))
        out.append(Q @ (dD @ E + D @ dE) @ Q.T)
    return out


def test_weight_sharing_parameterizes_the_component(rng: np.random.Generator) -> None:
    """Filling the templates with random weights gives generic points; the Jacobian rank is dim."""
    for sigma, r in [(talk_rotation(3), 3), (Permutation.from_cycles("(1 2 3 4 5 6)(7 8 9)", 10), 6),
                     (Permutation.from_cycles("(1 2 3 4 5)(6 7)", 8), 5)]:
        E = EquivariantVariety(sigma, r)
        Q = E.Q()
        for C in E.components():
            W = C.weight_sharing()
            assert W.n_params == C.n_params
            assert len(set(W.encoder_ids[W.encoder_ids >= 0].tolist())
                       | set(W.decoder_ids[W.decoder_ids >= 0].tolist())) == C.n_params
            params = rng.standard_normal(C.n_params)
            D, Enc = W.fill(params)
            M = Q @ D @ Enc @ Q.T
            assert C.contains(M)
            assert np.linalg.matrix_rank(M) == C.max_rank
            J = np.column_stack([t.ravel() for t in tangent_vectors(C, params, Q, rng, C.n_params)])
            # Jacobian rank = dimension (docs/math.md: real dim 2 s (2d - s) on a complex block)
            jac = np.column_stack([
                (Q @ (W.fill(np.eye(C.n_params)[i])[0] @ Enc + D @ W.fill(np.eye(C.n_params)[i])[1]) @ Q.T).ravel()
                for i in range(C.n_params)]) if C.n_params else np.zeros((sigma.n ** 2, 0))
            assert np.linalg.matrix_rank(jac, tol=1e-8) == C.dim
            assert np.linalg.matrix_rank(J, tol=1e-8) == C.dim
