"""equilin.io.archive: the file. The documented checksum, refusal of files that are not equilin models,
truncated, of a newer format, malformed or tampered with (any single byte flipped), deterministic bytes,
and atomic writes that survive an error or a SIGKILL at any moment."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from saved_models import (
    TWO_GENERATORS,
    assert_same_estimator,
    documented_checksum,
    make,
    rewrite,
    save_regression_model,
)

from equilin.io import FORMAT_VERSION, METADATA_KEY, PersistenceError, load
from equilin.io.archive import FORMAT, _atomic_write, _checksum, _read_verified, _write_archive
from equilin.models.closed_form import DenseAutoencoder, InvariantRegressor


@pytest.fixture
def saved(rng: np.random.Generator, tmp_path: Path) -> tuple[Path, dict[str, Any], dict[str, np.ndarray]]:
    """A saved invariant regression model, its metadata and its arrays (fresh copies for each test)."""
    return save_regression_model(rng, tmp_path)


# -- the archive alone ------------------------------------------------------------------------------
def test_an_archive_reads_back_without_any_model(tmp_path: Path) -> None:
    """Written and read by equilin.io.archive alone: the documented checksum, the same metadata and
    arrays after the verified read, and the same bytes from the same content."""
    arrays = {"a": np.arange(4.0), "b/c": np.eye(2, dtype=np.int8)}
    meta: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION, "library_version": "x",
                            "class": "Anything", "kind": "module", "params": None,
                            "arrays": {k: {"shape": list(a.shape), "dtype": a.dtype.str} for k, a in arrays.items()}}
    meta["checksum"] = {"algorithm": "sha256", "hexdigest": _checksum(meta, arrays)}
    assert meta["checksum"]["hexdigest"] == documented_checksum(meta, arrays)
    for name in ("first.npz", "second.npz"):
        _atomic_write(tmp_path / name, lambda fh: _write_archive(fh, meta, arrays))
    again, read = _read_verified(tmp_path / "first.npz")
    assert again == meta and list(read) == list(arrays)
    assert all(read[k].dtype == a.dtype and np.array_equal(read[k], a) for k, a in arrays.items())
    assert (tmp_path / "first.npz").read_bytes() == (tmp_path / "second.npz").read_bytes()


# -- verification on load: crafted files -----------------------------------------------------------
def test_the_documented_checksum_is_the_stored_one(saved: Any) -> None:
    path, meta, arrays = saved
    assert meta["checksum"] == {"algorithm": "sha256", "hexdigest": documented_checksum(meta, arrays)}
    assert meta["format"] == "equilin-model" and meta["format_version"] == FORMAT_VERSION == 4
    assert meta["class"] == "InvariantRegressor" and meta["kind"] == "estimator"
    assert meta["summary"] == {"dtype": "float64", "n": 9, "n_generators": 2, "ranks": 2}
    gens = arrays["params/group"]
    assert gens.dtype == np.int64 and gens.tolist() == [g.array.tolist() for g in TWO_GENERATORS.generators]
    rewrite(path, meta, arrays)  # the test's own writer produces a loadable file
    assert isinstance(load(path), InvariantRegressor)



@pytest.mark.parametrize("content, message", [
    (b"", "not a zip archive"),
    (b"\x93NUMPY garbage", "not a zip archive"),
    (b"PK\x03\x04" + bytes(100), "not a zip archive"),
])
def test_not_a_model_file(content: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    path.write_bytes(content)
    with pytest.raises(PersistenceError, match=message):
        load(path)



def test_plain_npz_and_pickled_members_are_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "plain.npz", a=np.arange(3))
    with pytest.raises(PersistenceError, match="no '__equilin__' metadata member"):
        load(tmp_path / "plain.npz")
    np.savez(tmp_path / "pickled.npz", **{METADATA_KEY: np.array([{"evil": 1}], dtype=object)})
    with pytest.raises(PersistenceError, match="corrupted: ValueError: Object arrays cannot be loaded"):
        load(tmp_path / "pickled.npz")



def test_truncated_files_are_refused(saved: Any) -> None:
    path, _, _ = saved
    content = path.read_bytes()
    for size in (len(content) // 2, len(content) - 1, 100):
        path.write_bytes(content[:size])
        with pytest.raises(PersistenceError, match="not a zip archive|corrupted"):
            load(path)



def test_newer_format_version_is_refused(saved: Any) -> None:
    path, meta, arrays = saved
    meta["format_version"] = FORMAT_VERSION + 1
    rewrite(path, meta, arrays)
    with pytest.raises(PersistenceError, match="format version 5 .*reads format versions up to 4: upgrade"):
        load(path)



@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(format="other"), "does not declare format 'equilin-model'"),
    (lambda m: m.update(format_version="1"), "invalid format_version"),
    (lambda m: m.update({"class": "os.system"}), "unknown class 'os.system'"),
    (lambda m: m.update(format_version=3), "unknown class 'InvariantRegressor'"),

    (lambda m: m.update(kind="other"), "unknown kind 'other'"),
    (lambda m: m.pop("checksum"), "lacks 'checksum'"),
])
def test_malformed_metadata_is_refused(change: Callable[[dict[str, Any]], Any], message: str,
                                       saved: Any) -> None:
    path, meta, arrays = saved
    change(meta)
    rewrite(path, meta, arrays)
    with pytest.raises(PersistenceError, match=message):
        load(path)



def test_manifest_shape_mismatch(saved: Any) -> None:
    path, meta, arrays = saved
    shape = list(arrays["fitted/weights_"].shape)
    meta["arrays"]["fitted/weights_"]["shape"] = [3, 3]
    rewrite(path, meta, arrays)
    with pytest.raises(PersistenceError, match=re.escape(f"shape mismatch: array 'fitted/weights_' is <f8 {shape}")):
        load(path)
    meta["arrays"]["fitted/weights_"]["shape"] = shape
    rewrite(path, meta, {**arrays, "smuggled": np.zeros(2)})
    with pytest.raises(PersistenceError, match="not in the manifest: \\['smuggled'\\]"):
        load(path)



def test_tampered_values_fail_the_checksum(saved: Any) -> None:
    path, meta, arrays = saved
    weights = arrays["fitted/weights_"].copy()
    weights[0, 0] = np.nextafter(weights[0, 0], 1.0)  # one ulp; same shape and dtype, valid zip CRCs
    rewrite(path, meta, {**arrays, "fitted/weights_": weights})
    with pytest.raises(PersistenceError, match="checksum mismatch"):
        load(path)
    assert meta["params"]["dict"][1] == ["rank", 2]
    meta["params"]["dict"][1][1] = 1  # rank 2 -> 1 in the metadata only
    rewrite(path, meta, arrays)
    with pytest.raises(PersistenceError, match="checksum mismatch"):
        load(path)



def test_a_member_that_is_not_npy_is_refused(saved: Any) -> None:
    path, _, _ = saved
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("notes.txt", b"hello")
    with pytest.raises(PersistenceError, match="the member 'notes.txt' is not a .npy array"):
        load(path)



def test_every_single_byte_flip_is_refused_or_harmless(rng: np.random.Generator, tmp_path: Path) -> None:
    """Flip one byte anywhere: load() raises PersistenceError or returns the very same model (bytes that
    nothing reads, such as zip timestamps), never a different model."""
    est, X, _ = make("equivariant-best", rng)
    path = est.fit(X).save(tmp_path / "m.npz")
    content = path.read_bytes()
    outcomes = {"refused": 0, "same": 0}
    for position in rng.choice(len(content), size=250, replace=False):
        flipped = bytearray(content)
        flipped[position] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(flipped))
        try:
            again = load(path)
        except PersistenceError:
            outcomes["refused"] += 1
            continue
        assert_same_estimator(est, again, X, None)
        outcomes["same"] += 1
    assert outcomes["refused"] > 200, outcomes


# -- atomic writes --------------------------------------------------------------------------------
def test_the_same_model_gives_the_same_bytes(rng: np.random.Generator, tmp_path: Path) -> None:
    est, X, _ = make("equivariant-best", rng)
    est.fit(X)
    assert est.save(tmp_path / "a.npz").read_bytes() == est.save(tmp_path / "b.npz").read_bytes()



def test_file_mode_follows_the_umask_or_the_replaced_file(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        path = DenseAutoencoder(2).save(tmp_path / "m.npz")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640
    path.chmod(0o600)
    DenseAutoencoder(3).save(path)
    assert path.stat().st_mode & 0o777 == 0o600



@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_save_leaves_the_previous_file(error: BaseException, rng: np.random.Generator,
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    est, X, _ = make("dense", rng)
    path = est.fit(X).save(tmp_path / "m.npz")
    before = path.read_bytes()
    write_array = np.lib.format.write_array
    calls = []

    def failing(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 3:  # in the middle of the archive
            raise error
        write_array(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing)
    with pytest.raises(type(error)):
        DenseAutoencoder(rank=1).fit(X).save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]  # the temporary file is gone



CHILD = textwrap.dedent("""
    import os, sys, time
    import numpy as np
    from equilin.models.closed_form import DenseAutoencoder

    target, point = sys.argv[1], sys.argv[2]
    model = DenseAutoencoder(rank=5).fit(np.random.default_rng(1).standard_normal((40, int(sys.argv[3]))))

    def hang(label):
        print(label, flush=True)
        time.sleep(600)

    if point == "fsync":  # the archive is complete in the temporary file, not yet renamed
        real_fsync = os.fsync
        os.fsync = lambda fd: hang("at fsync")
    elif point == "write":  # half of the arrays are written
        real = np.lib.format.write_array
        calls = []
        def write_array(*args, **kwargs):
            calls.append(1)
            if len(calls) == 4:
                hang("in write")
            real(*args, **kwargs)
        np.lib.format.write_array = write_array
    if point == "loop":  # save again and again: the kill lands wherever it lands
        print("ready", flush=True)
        while True:
            model.save(target)
    model.save(target)
    print("finished", flush=True)
""")



def start_child(target: Path, point: str, n: int) -> subprocess.Popen[str]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(target), point, str(n)],
                            stdout=subprocess.PIPE, text=True, env=env)



def kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL



@pytest.mark.parametrize("point, label", [("write", "in write"), ("fsync", "at fsync")])
@pytest.mark.parametrize("previous", [True, False])
def test_sigkill_during_save_never_leaves_a_half_file(point: str, label: str, previous: bool,
                                                      rng: np.random.Generator, tmp_path: Path) -> None:
    """A process killed with SIGKILL in the middle of save() (inside the archive, or with the archive
    complete but not renamed) leaves the previous complete file, or no file, under the target name."""
    target = tmp_path / "model.npz"
    old, X, _ = make("dense", rng)
    if previous:
        old.fit(X).save(target)
        before = target.read_bytes()
    child = start_child(target, point, 300)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == label
    kill(child)
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".model.npz.")  # where the crash happened
    if previous:
        assert target.read_bytes() == before
        assert_same_estimator(old, DenseAutoencoder.load(target), X, None)
    else:
        assert not target.exists()



def test_sigkill_at_random_moments_of_repeated_saves(rng: np.random.Generator, tmp_path: Path) -> None:
    """No patching: a child saves a 5 MB model in a loop and is killed at random moments; each time the
    target is a complete, verified file."""
    import time

    target = tmp_path / "model.npz"
    for _ in range(3):
        child = start_child(target, "loop", 800)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(float(rng.uniform(0.05, 0.4)))
        kill(child)
        if target.exists():
            model = DenseAutoencoder.load(target)
            assert model.n_features_in_ == 800 and model.n_samples_seen_ == 40


# -- which file a save replaces ---------------------------------------------------------------------
def _left(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_a_directory_is_refused_with_the_users_path(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match=f"^\\[Errno 21\\] {re.escape(str(tmp_path))} is a directory; "):
        DenseAutoencoder(2).save(tmp_path)
    link = tmp_path / "to-dir"
    link.symlink_to(tmp_path)
    with pytest.raises(IsADirectoryError, match="to-dir \\(a symbolic link to .*\\) is a directory"):
        DenseAutoencoder(2).save(link)
    assert _left(tmp_path) == ["to-dir"] and link.is_symlink()


def test_a_fifo_is_left_alone(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(FileExistsError, match="pipe.npz is a FIFO \\(named pipe\\), not a regular file"):
        DenseAutoencoder(2).save(fifo)
    assert fifo.is_fifo() and _left(tmp_path) == ["pipe.npz"]
    with pytest.raises(PersistenceError, match="pipe.npz is not an equilin model file: it is a FIFO"):
        load(fifo)                                     # refused without opening it (which would block)


def test_a_device_node_is_left_alone(tmp_path: Path) -> None:
    """/dev/null (every system has it; as root /dev/full too): refused before anything is created."""
    devices = ["/dev/null"] + (["/dev/full"] if os.geteuid() == 0 and os.path.exists("/dev/full") else [])
    for device in devices:
        before = os.stat(device)
        with pytest.raises(FileExistsError, match=f"{device} is a character device, not a regular file"):
            DenseAutoencoder(2).save(device)
        after = os.stat(device)
        assert (after.st_mode, after.st_rdev, after.st_ino) == (before.st_mode, before.st_rdev, before.st_ino)
    link = tmp_path / "m.npz"
    link.symlink_to("/dev/null")
    with pytest.raises(FileExistsError, match="m.npz \\(a symbolic link to /dev/null\\) is a character device"):
        DenseAutoencoder(2).save(link)
    assert link.is_symlink() and _left(tmp_path) == ["m.npz"]


def test_a_socket_is_left_alone(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "s.npz"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(FileExistsError, match="s.npz is a socket"):
            DenseAutoencoder(2).save(path)
    assert path.is_socket()


def test_saving_through_a_symlink_replaces_its_target(rng: np.random.Generator, tmp_path: Path) -> None:
    est, X, Y = make("dense", rng)
    est.fit(X, Y)
    (tmp_path / "models").mkdir()
    target = tmp_path / "models" / "real.npz"
    DenseAutoencoder(1).fit(X).save(target)
    target.chmod(0o640)
    link = tmp_path / "latest.npz"
    link.symlink_to(Path("models") / "real.npz")       # a relative link
    chain = tmp_path / "chain.npz"
    chain.symlink_to(link)                              # a link to the link
    assert est.save(chain) == chain
    assert link.is_symlink() and chain.is_symlink() and os.readlink(link) == "models/real.npz"
    assert_same_estimator(load(target), est, X, Y)     # the target is the new model, not stale
    assert target.stat().st_mode & 0o777 == 0o640
    assert _left(tmp_path) == ["chain.npz", "latest.npz", "models"] and _left(tmp_path / "models") == ["real.npz"]


def test_a_dangling_symlink_creates_its_target_when_its_directory_exists(tmp_path: Path) -> None:
    link = tmp_path / "m.npz"
    link.symlink_to(tmp_path / "later" / "m.npz")
    with pytest.raises(FileNotFoundError, match="m.npz is a dangling symbolic link to .*later/m.npz, whose "
                                                "directory .*later does not exist"):
        DenseAutoencoder(2).save(link)
    (tmp_path / "later").mkdir()
    DenseAutoencoder(2).save(link)
    assert link.is_symlink() and load(tmp_path / "later" / "m.npz").rank == 2
    loop = tmp_path / "loop.npz"
    loop.symlink_to(loop)
    with pytest.raises(OSError, match="loop.npz: too many levels of symbolic links"):
        DenseAutoencoder(2).save(loop)


def test_paths_through_files_and_empty_paths(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="file/m.npz: a part of the path before the file name is a file"):
        DenseAutoencoder(2).save(tmp_path / "file" / "m.npz")
    with pytest.raises(ValueError, match="the path is empty"):
        DenseAutoencoder(2).save("")
    with pytest.raises(IsADirectoryError, match="new/ ends with '/', so it names a directory"):
        DenseAutoencoder(2).save(f"{tmp_path}/new/")
    assert _left(tmp_path) == ["file"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_places_are_refused_and_nothing_is_left(tmp_path: Path) -> None:  # pragma: no cover - root
    path = DenseAutoencoder(1).save(tmp_path / "m.npz")
    path.chmod(0o444)
    with pytest.raises(PermissionError, match="m.npz is read-only \\(mode 0444\\)"):
        DenseAutoencoder(2).save(path)
    path.chmod(0o644)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match=f"cannot save to {re.escape(str(path))}: cannot create a file"):
            DenseAutoencoder(2).save(path)
    finally:
        tmp_path.chmod(0o755)
    assert _left(tmp_path) == ["m.npz"] and load(path).rank == 1


def test_a_read_only_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a non-root user sees for a file without write permission (os.access stubbed, as root may write)."""
    path = DenseAutoencoder(1).save(tmp_path / "m.npz")
    path.chmod(0o444)
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(PermissionError, match="m.npz is read-only \\(mode 0444\\): not replacing it"):
        DenseAutoencoder(2).save(path)
    assert load(path).rank == 1


@pytest.mark.parametrize("errno_", [28, 30, 13])   # ENOSPC, EROFS, EACCES
def test_a_failing_write_names_the_users_path_and_leaves_no_temp_file(
        errno_: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = DenseAutoencoder(1).save(tmp_path / "m.npz")
    before = path.read_bytes()
    write_array = np.lib.format.write_array
    calls = []

    def failing(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 1:                                 # the first member: the metadata
            raise OSError(errno_, os.strerror(errno_), str(tmp_path / ".m.npz.abc123.tmp"))
        write_array(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing)
    with pytest.raises(OSError) as info:
        DenseAutoencoder(2).save(path)
    message = str(info.value)
    assert info.value.errno == errno_ and isinstance(info.value, PermissionError) == (errno_ == 13)
    assert message == (f"[Errno {errno_}] cannot save to {path}: {os.strerror(errno_)}; nothing was written "
                       "(a previous file there is unchanged)")
    assert ".tmp" not in message and info.value.__cause__ is None and info.value.__suppress_context__
    assert path.read_bytes() == before and _left(tmp_path) == ["m.npz"]


def test_a_directory_where_no_file_can_be_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc refuses new files even to root; the error names the user's path and the directory."""
    import tempfile

    from equilin.io import check_save_path

    if os.path.isdir("/proc/self"):
        with pytest.raises(OSError, match="cannot save to /proc/x.npz: cannot create a file in /proc"):
            DenseAutoencoder(2).save("/proc/x.npz")
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError(30, "Read-only file system", str(tmp_path / ".m.npz.x.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(OSError, match="cannot save to .*m.npz: cannot create a file in .* \\(Read-only file system"):
        check_save_path(tmp_path / "m.npz")
    assert _left(tmp_path) == []
