"""equilin.io.persistence: exact round trips of every estimator and module, the checks of load (class,
group, state behind a valid checksum, files of older versions under the former names), and
reproducibility of fits and data shifts."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from saved_models import (
    ESTIMATORS,
    SIGMA,
    TWO_GENERATORS,
    as_version,
    assert_same,
    assert_same_estimator,
    fitted,
    make,
    members,
    metadata,
    rewrite,
    save_regression_model,
)

from equilin.data import load as load_data
from equilin.data import shift_images
from equilin.groups import Permutation, PermutationGroup, image_shift
from equilin.io import METADATA_KEY, PersistenceError, load, read_metadata, save
from equilin.models.closed_form import DenseAutoencoder, EquivariantAutoencoder, InvariantAutoencoder
from equilin.models.nn import DenseLinearAutoencoder, EquivariantLinearAutoencoder, InvariantLinearAutoencoder

from conftest import groups


@pytest.fixture
def saved(rng: np.random.Generator, tmp_path: Path) -> tuple[Path, dict[str, Any], dict[str, np.ndarray]]:
    """A saved invariant regression model, its metadata and its arrays (fresh copies for each test)."""
    return save_regression_model(rng, tmp_path)


# -- estimators --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_estimator_round_trip_is_exact(name: str, rng: np.random.Generator, tmp_path: Path) -> None:
    est, X, Y = make(name, rng)
    est.fit(X, Y)
    path = est.save(tmp_path / "model.npz")
    assert path == tmp_path / "model.npz"
    again = type(est).load(path)
    assert_same_estimator(est, again, X, Y)
    assert_same_estimator(est, load(path), X, Y)  # the module-level function gives the same
    if hasattr(again, "component_"):  # library objects are re-created, shared as before
        assert again.component_.variety is again.variety_



@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_estimator_round_trip_after_partial_fit(name: str, rng: np.random.Generator, tmp_path: Path) -> None:
    """Every estimator saves after partial_fit (new fitted statistics included), and a loaded model goes
    on accumulating exactly as the original."""
    est, X, Y = make(name, rng)
    if not hasattr(est, "partial_fit"):
        pytest.skip("no partial_fit")
    batches = np.array_split(np.arange(len(X)), 4)
    for rows in batches[:3]:
        est.partial_fit(X[rows], None if Y is None else Y[rows])
    again = type(est).load(est.save(tmp_path / "model.npz"))
    assert_same_estimator(est, again, X, Y)
    last = batches[3]
    for model in (est, again):
        model.partial_fit(X[last], None if Y is None else Y[last])
    assert_same_estimator(est, again, X, Y)



@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_unfitted_estimator_round_trip(name: str, tmp_path: Path) -> None:
    est = ESTIMATORS[name][0]()
    again = type(est).load(est.save(tmp_path / "model.npz"))
    assert_same(est.get_params(), again.get_params(), "params")
    assert fitted(again) == {}
    with pytest.raises(ValueError, match="not fitted"):
        again.predict(np.zeros((1, 9)))



@settings(max_examples=12)
@given(group=groups(min_n=2, max_n=7), rank=st.integers(1, 3), seed=st.integers(0, 2 ** 32 - 1))
def test_round_trip_property(group: PermutationGroup, rank: int, seed: int, tmp_path_factory: Any) -> None:
    """For random groups (any number of generators) the loaded model is the fitted one, bit for bit."""
    X = np.random.default_rng(seed).standard_normal((30, group.n))
    path = tmp_path_factory.mktemp("prop") / "m.npz"
    for est in (InvariantAutoencoder(group, rank), EquivariantAutoencoder(group, "best", rank=rank)):
        est.fit(X)
        assert_same_estimator(est, type(est).load(est.save(path)), X, None)


# -- modules --------------------------------------------------------------------------------
MODULES = {
    "dense": lambda dtype: DenseLinearAutoencoder(9, 3, m=5, dtype=dtype),
    "invariant": lambda dtype: InvariantLinearAutoencoder(TWO_GENERATORS, 2, m=4, dtype=dtype),
    "equivariant": lambda dtype: EquivariantLinearAutoencoder(SIGMA, (1, 1, 0), dtype=dtype),
    "equivariant-shift": lambda dtype: EquivariantLinearAutoencoder(image_shift(6, 6), {"r_{6,5}": 2, "r_{1,1}": 1},
                                                                    dtype=dtype),
}



@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_round_trip_is_exact(name: str, dtype: torch.dtype, tmp_path: Path) -> None:
    torch.manual_seed(0)
    module = MODULES[name](dtype)
    with torch.no_grad():  # non-trivial weights everywhere (padding stays masked)
        for p in module.parameters():
            p.add_(torch.randn_like(p))
    module.eval()
    path = module.save(tmp_path / "module.npz")
    rng_state = torch.get_rng_state()
    again = type(module).load(path, map_location="cpu")
    assert torch.equal(torch.get_rng_state(), rng_state)  # loading leaves the global RNG alone
    assert type(again) is type(module) and not again.training
    x = torch.randn(5, module.n_features, dtype=dtype)
    assert torch.equal(module(x), again(x))
    assert torch.equal(module.encode(x), again.encode(x))
    state, loaded = module.state_dict(), again.state_dict()
    assert list(state) == list(loaded)
    for key in state:
        assert state[key].dtype == loaded[key].dtype and torch.equal(state[key], loaded[key]), key
    meta = read_metadata(path)
    assert meta["dtype"] == str(dtype).removeprefix("torch.") and meta["training"] is False



@pytest.mark.parametrize("name", ["dense", "invariant", "equivariant-best"])
def test_module_from_closed_form_round_trip(name: str, rng: np.random.Generator, tmp_path: Path) -> None:
    est, X, _ = make(name, rng)
    est.fit(X)
    cls = {"dense": DenseLinearAutoencoder, "invariant": InvariantLinearAutoencoder,
           "equivariant-best": EquivariantLinearAutoencoder}[name]
    module = cls.from_closed_form(est)
    again = cls.load(module.save(tmp_path / "module.npz"))
    x = torch.from_numpy(X)
    assert torch.equal(module(x), again(x))
    assert again.training  # the training flag is kept


# -- the checks of save and load -------------------------------------------------------------------
def test_load_checks_the_class(rng: np.random.Generator, tmp_path: Path) -> None:
    est, X, _ = make("invariant", rng)
    path = est.fit(X).save(tmp_path / "inv.npz")
    with pytest.raises(TypeError, match="holds InvariantAutoencoder, expected DenseAutoencoder"):
        DenseAutoencoder.load(path)
    with pytest.raises(TypeError, match="expected InvariantLinearAutoencoder"):
        InvariantLinearAutoencoder.load(path)
    assert isinstance(load(path, expected=(DenseAutoencoder, InvariantAutoencoder)), InvariantAutoencoder)
    module_path = DenseLinearAutoencoder(9, 2).save(tmp_path / "dense.npz")
    with pytest.raises(TypeError, match="holds DenseLinearAutoencoder"):
        DenseAutoencoder.load(module_path)



def test_load_checks_an_expected_group(rng: np.random.Generator, tmp_path: Path) -> None:
    est, X, _ = make("equivariant-best", rng)
    path = est.fit(X).save(tmp_path / "eq.npz")
    assert load(path, group=SIGMA).variety_.group == PermutationGroup([SIGMA])
    other = Permutation.from_cycles("(1 2 3)", 9)
    with pytest.raises(PersistenceError, match="group mismatch"):
        load(path, group=other)
    module_path = InvariantLinearAutoencoder(SIGMA, 2).save(tmp_path / "mod.npz")
    load(module_path, group=SIGMA)
    with pytest.raises(PersistenceError, match="group mismatch"):
        load(module_path, group=other)
    with pytest.raises(PersistenceError, match="no group"):
        load(DenseAutoencoder(2).save(tmp_path / "d.npz"), group=SIGMA)



def test_save_refuses_bad_objects_and_paths(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="cannot save a builtins.dict"):
        save({"a": 1}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="cannot save a torch.nn.modules.linear.Linear"):
        save(torch.nn.Linear(2, 2), tmp_path / "x.npz")
    with pytest.raises(TypeError, match="path must be a str or os.PathLike, got int"):
        save(DenseAutoencoder(2), 3)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save(DenseAutoencoder(2), tmp_path / "missing" / "x.npz")
    with pytest.raises(IsADirectoryError):
        save(DenseAutoencoder(2), tmp_path)
    with pytest.raises(FileNotFoundError, match="no model file"):
        load(tmp_path / "absent.npz")
    with pytest.raises(IsADirectoryError):
        load(tmp_path)
    with pytest.raises(PersistenceError, match="dtype torch.bfloat16"):
        save(DenseLinearAutoencoder(3, 1).to(torch.bfloat16), tmp_path / "x.npz")



def test_a_class_of_another_kind_is_refused(saved: Any) -> None:
    path, meta, arrays = saved
    meta["kind"] = "module"
    rewrite(path, meta, arrays, reseal=True)
    with pytest.raises(PersistenceError, match="InvariantRegressor is an estimator, but the file says 'module'"):
        load(path)



def test_inconsistent_group_behind_a_valid_checksum(saved: Any) -> None:
    """A forger who recomputes the checksum still cannot pair a model with another group."""
    path, meta, arrays = saved
    fitted_nodes = dict(meta["fitted"]["dict"])
    assert fitted_nodes["variety_"]["invariant_variety"]["group"] == {"group": "params/group"}  # stored once
    fitted_nodes["variety_"]["invariant_variety"]["group"] = {"group": "fitted/variety_/group"}
    meta["fitted"]["dict"] = [[k, v] for k, v in fitted_nodes.items()]
    other = {**arrays, "fitted/variety_/group": arrays["params/group"][::-1].copy()}  # other presentation
    rewrite(path, meta, other, reseal=True)
    with pytest.raises(PersistenceError, match="group mismatch: the fitted variety's group"):
        load(path)
    other["fitted/variety_/group"] = np.array([[0, 1, 2, 3, 4, 5, 6, 7, 9]])  # not a permutation of 0..8
    rewrite(path, meta, other, reseal=True)
    with pytest.raises(PersistenceError, match="invalid group"):
        load(path)



def test_inconsistent_state_behind_a_valid_checksum(saved: Any) -> None:
    path, meta, arrays = saved
    rewrite(path, meta, {**arrays, "fitted/decoder_": np.zeros((3, 5))}, reseal=True)  # rank 2, 5 columns
    with pytest.raises(PersistenceError, match="the restored InvariantRegressor is inconsistent"):
        load(path)
    meta["params"]["dict"].append(["learning_rate", 0.1])
    rewrite(path, meta, arrays, reseal=True)
    with pytest.raises(PersistenceError, match="do not fit InvariantRegressor"):
        load(path)



def test_module_state_that_does_not_fit_is_refused(tmp_path: Path) -> None:
    path = DenseLinearAutoencoder(6, 2).save(tmp_path / "m.npz")
    arrays = members(path)
    meta = metadata(arrays)
    del arrays[METADATA_KEY]
    arrays["state/encoder.weight"] = np.zeros((3, 6), dtype=np.float32)
    rewrite(path, meta, arrays, reseal=True)
    with pytest.raises(PersistenceError, match="state_dict does not fit DenseLinearAutoencoder.*size mismatch"):
        load(path)



@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_version_3_files_load_under_the_former_names(name: str, rng: np.random.Generator, tmp_path: Path) -> None:
    """Format version 3 named the class by its module path, the rank budget ``r`` and the equivariant
    estimator's group ``sigma``: such files load into the same model."""
    est, X, Y = make(name, rng)
    est.fit(X, Y)
    path = as_version(est.save(tmp_path / "m.npz"), 3)
    assert metadata(members(path))["class"].startswith("equilin.fit.")
    again = load(path)
    assert type(again) is type(est) and again.get_params().keys() == est.get_params().keys()
    assert np.array_equal(again.predict(X), est.predict(X))



@pytest.mark.parametrize("name", ["dense", "invariant", "equivariant"])
def test_version_3_module_files_load_under_the_former_names(name: str, tmp_path: Path) -> None:
    group = Permutation.from_cycles("(1 2 3 4)(5 6)", 7)
    module = {"dense": lambda: DenseLinearAutoencoder(7, 2, dtype=torch.float64),
              "invariant": lambda: InvariantLinearAutoencoder(group, 2, dtype=torch.float64),
              "equivariant": lambda: EquivariantLinearAutoencoder(group, (1, 1, 0), dtype=torch.float64)}[name]()
    path = as_version(module.save(tmp_path / "m.npz"), 3)
    again = load(path)
    x = torch.randn(3, 7, dtype=torch.float64)
    assert type(again) is type(module) and torch.equal(again(x), module(x))



def test_io_imports_neither_torch_nor_a_higher_layer() -> None:
    """equilin.io imports numpy and the layers below it only; the models register themselves when their
    package is imported, and torch comes in with equilin.models.nn."""
    code = textwrap.dedent("""
        import importlib.util, sys, types
        package = types.ModuleType("equilin")   # the package without its __init__ (which imports everything)
        package.__path__ = list(importlib.util.find_spec("equilin").submodule_search_locations)
        sys.modules["equilin"] = package
        import equilin.io
        print(sorted(m for m in sys.modules if m == "torch" or m.split(".")[:2] in
                     [["equilin", layer] for layer in ("models", "data", "plots", "experiments", "cli")]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    code = "import sys, equilin.io, equilin.models.closed_form; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- reproducibility -------------------------------------------------------------------------------
def shifted_digits(seed: int = 0) -> np.ndarray:
    ds = load_data("digits", seed=seed)
    images, _ = shift_images(ds.x_train.astype(np.float64), seed=seed)
    return images.reshape(len(images), -1)



REPRO = {
    "dense": lambda b: DenseAutoencoder(10, batch_size=b),
    "invariant": lambda b: InvariantAutoencoder(image_shift(8, 8), 4, batch_size=b),
    "equivariant": lambda b: EquivariantAutoencoder(image_shift(8, 8), "best", rank=10, batch_size=b),
}



@pytest.mark.parametrize("name", sorted(REPRO))
def test_same_data_same_settings_give_bit_identical_fits(name: str, tmp_path: Path) -> None:
    X = shifted_digits()
    first, second = REPRO[name](8192).fit(X), REPRO[name](8192).fit(X)
    assert_same_estimator(first, second, X, None)
    assert first.save(tmp_path / "a.npz").read_bytes() == second.save(tmp_path / "b.npz").read_bytes()



@pytest.mark.parametrize("name", sorted(REPRO))
def test_another_batch_size_agrees_to_rounding_only(name: str) -> None:
    """The Gram matrices are summed batch by batch, so another batch_size adds in another order: the
    results agree to about 1e-13 relative, not bit for bit (documented)."""
    X = shifted_digits()
    reference = REPRO[name](8192).fit(X)
    for batch_size in (100, 7):
        other = REPRO[name](batch_size).fit(X)
        assert other.ranks_ == reference.ranks_
        difference = np.abs(other.predict(X) - reference.predict(X)).max() / np.abs(reference.predict(X)).max()
        assert difference < 1e-12
        assert abs(other.train_loss_ - reference.train_loss_) < 1e-12 * reference.train_loss_



def test_same_seed_gives_identical_data_and_shifts() -> None:
    a, b, c = load_data("digits", seed=3), load_data("digits", seed=3), load_data("digits", seed=4)
    for field in ("x_train", "y_train", "x_test", "y_test"):
        assert_same(getattr(a, field), getattr(b, field), field)
    assert not np.array_equal(a.y_train, c.y_train)
    images = a.x_train[:200].astype(np.float64)
    (s1, o1), (s2, o2), (_, o3) = (shift_images(images, seed=5), shift_images(images, seed=5),
                                    shift_images(images, seed=6))
    assert_same(s1, s2, "shifted")
    assert_same(o1, o2, "offsets")
    assert not np.array_equal(o1, o3)
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)  # a Generator works as a seed too
    assert_same(shift_images(images, seed=g1)[0], shift_images(images, seed=g2)[0], "generator")
    assert_same(a.shifted(0.2, seed=1).x_test, b.shifted(0.2, seed=1).x_test, "dataset shift")


def test_a_public_subclass_registers_itself_and_round_trips(tmp_path: Path) -> None:
    class ShiftAutoencoder(DenseAutoencoder):           # a user's estimator: saved under its own name
        pass

    X = np.random.default_rng(0).standard_normal((20, 5))
    path = save(ShiftAutoencoder(2).fit(X), tmp_path / "m.npz")
    assert read_metadata(path)["class"] == "ShiftAutoencoder"
    again = load(path)
    assert type(again) is ShiftAutoencoder and np.array_equal(again.predict(X), ShiftAutoencoder(2).fit(X).predict(X))


def test_a_class_that_reuses_a_registered_name_can_be_defined_but_not_saved(tmp_path: Path) -> None:
    namespace: dict[str, Any] = {"base": DenseAutoencoder}
    exec("class DenseAutoencoder(base):\n    pass", namespace)   # another module's class of the same name
    twin = namespace["DenseAutoencoder"](2).fit(np.eye(5))
    with pytest.raises(TypeError, match="the name DenseAutoencoder belongs to equilin.models.closed_form"):
        save(twin, tmp_path / "twin.npz")
    assert type(load(save(DenseAutoencoder(2).fit(np.eye(5)), tmp_path / "ours.npz"))) is DenseAutoencoder


def test_the_set_output_choice_is_saved_and_restored(tmp_path: Path) -> None:
    """A model set to pandas output loads set to pandas output, with its input feature names."""
    pd = pytest.importorskip("pandas")
    X = np.random.default_rng(0).standard_normal((30, 4))
    frame = pd.DataFrame(X, columns=list("abcd"))
    model = DenseAutoencoder(2).set_output(transform="pandas").fit(frame)
    loaded = load(save(model, tmp_path / "m.npz"))
    codes = loaded.transform(frame)
    assert isinstance(codes, pd.DataFrame)
    assert list(codes.columns) == ["denseautoencoder0", "denseautoencoder1"]
    np.testing.assert_array_equal(codes.to_numpy(), model.transform(frame).to_numpy())
    plain = load(save(DenseAutoencoder(2).fit(X), tmp_path / "plain.npz"))
    assert isinstance(plain.transform(X), np.ndarray)
