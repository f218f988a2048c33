"""The metadata codec: values and library objects as JSON nodes plus named arrays, and back.

:class:`_Encoder` turns a value into a JSON node; its arrays go to a dict under path-like names
(``"fitted/variety_"``). Library objects (``Permutation``, ``PermutationGroup``, ``InvariantVariety``,
``EquivariantVariety``, ``EquivariantComponent``) are stored as the data that defines them (generator
arrays, ``m``, ``rank``, ``method``, ``seed``, block ranks) and built again by :class:`_Decoder`, which
uses every array exactly once and refuses malformed nodes. Every other value must be ``None``, a bool,
int, float, complex, str, a numpy scalar or array (numeric or bool), or a list, tuple or dict of those;
anything else is refused with the value's name, so a model is never saved incompletely.

Files of older format versions are read with their names (``r`` for a rank budget before version 4);
:meth:`_Decoder.check_block_order` refuses equivariant models whose blocks were written in a former
order (see :data:`equilin.io.FORMAT_VERSION`).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilin.equivariance import EquivariantComponent, EquivariantVariety, choose_method
from equilin.geometry import InvariantVariety
from equilin.groups import Permutation, PermutationGroup, as_group
from equilin.io.archive import FORMAT_VERSION, PersistenceError

__all__: list[str] = []   # the codec is private to equilin.io

_ARRAY_KINDS = "biufc"  # bool, signed and unsigned integers, floats, complex numbers


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
