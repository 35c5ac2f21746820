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

    Only exact built-in types are accepted: a subclass could carry an ``__eq__`` that always says yes.
    """
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if value - value == 0.0 else {"$float": repr(value)}  # inf - inf and nan - nan are nan
    if kind is list:
        return [encode(v) for v in value]
    if kind is tuple:
        return {"$tuple": [encode(v) for v in value]}
    if kind is dict:
        return {"$dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if kind in (set, frozenset):
        return {"$set": [encode(v) for v in value]}
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
