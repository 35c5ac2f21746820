"""The value codec between code under test and the verifier: plain JSON plus a few tags.

Tags keep what JSON loses: ``{"$tuple": [...]}``, ``{"$dict": [[key, value], ...]}`` (any key type),
``{"$set": [...]}``, ``{"$float": "nan"}``. Harnesses in every language emit this; the verifier decodes
it and compares with :func:`codekiln.typespec.values_equal`.

This module imports nothing at all (not even the standard library, whose imports cost milliseconds at every
start of a harness): language plugins copy it into the sandbox next to their harness, so both sides run
the same code.

>>> decode(encode({(1, 2): [1.5, float("inf")]}))
{(1, 2): [1.5, inf]}
"""

__all__ = ["UnsupportedValue", "decode", "encode"]


class UnsupportedValue(TypeError):
    pass


def encode(value):
    """Plain built-in values to tagged JSON data.

    Scalars must be of the exact built-in type: a subclass could carry an ``__eq__`` that always says yes. A
    container may be a subclass of a built-in one (a ``Counter``, a ``defaultdict``, a namedtuple), as correct
    answers often return: it is sent as the plain container it holds, read through the built-in type's own
    methods, so that an overriding ``items`` or ``__iter__`` cannot change what is sent, and what arrives is a
    plain value with the built-in ``__eq__``. NumPy's values are sent as what their ``tolist()`` returns.

    >>> from collections import Counter, namedtuple
    >>> decode(encode([Counter("aab"), namedtuple("P", "x y")(1, 2)]))
    [{'a': 2, 'b': 1}, (1, 2)]
    """
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if value - value == 0.0 else {"$float": repr(value)}  # inf - inf and nan - nan are nan
    if issubclass(kind, list):
        return [encode(v) for v in list.__iter__(value)]
    if issubclass(kind, tuple):
        return {"$tuple": [encode(v) for v in tuple.__iter__(value)]}
    if issubclass(kind, dict):
        return {"$dict": [[encode(k), encode(v)] for k, v in dict.items(value)]}
    if issubclass(kind, set):
        return {"$set": [encode(v) for v in set.__iter__(value)]}
    if issubclass(kind, frozenset):
        return {"$set": [encode(v) for v in frozenset.__iter__(value)]}
    if getattr(kind, "__module__", None) == "numpy" and hasattr(value, "tolist"):
        # NumPy's scalars and arrays (np.int64, np.float64, ndarray), as answers that use NumPy return them:
        # sent as the built-in values their tolist() gives, checked again here like any other value.
        return encode(value.tolist())
    raise UnsupportedValue(f"returned a value of unsupported type {kind.__name__}")


def decode(data):
    """Tagged JSON data back to Python values; a plain JSON object becomes a dict with string keys.

    The data comes from code under test: a malformed tag raises ValueError.
    """
    if isinstance(data, list):
        return [decode(v) for v in data]
    if isinstance(data, dict):
        if len(data) == 1:
            ((tag, inner),) = data.items()
            if tag in _TAGS and type(inner) is not (str if tag == "$float" else list):
                raise ValueError(f"malformed {tag} value")
            if tag == "$tuple":
                return tuple(decode(v) for v in inner)
            if tag == "$dict":
                if any(type(pair) is not list or len(pair) != 2 for pair in inner):
                    raise ValueError("malformed $dict entry")
                return {_hashable(decode(k)): decode(v) for k, v in inner}
            if tag == "$set":
                return {_hashable(decode(v)) for v in inner}
            if tag == "$float":
                if inner not in ("inf", "-inf", "nan"):
                    raise ValueError("malformed $float value")
                return float(inner)
        return {k: decode(v) for k, v in data.items()}
    return data


_TAGS = ("$tuple", "$dict", "$set", "$float")


def _hashable(value):
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value
