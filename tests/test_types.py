"""The type vocabulary: parsing, JSON checks, and comparison that untrusted values cannot game."""

from __future__ import annotations

import pytest

from codekiln.typespec import check_value, from_json, parse_type, to_json, values_equal


@pytest.mark.parametrize(
    "text", ["int", "list[int]", "dict[str, list[float]]", "optional[tuple[int, str, bool]]", "dict[int, str]"]
)
def test_parse_and_print(text):
    assert str(parse_type(text)) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty type"),
        ("integer", "unknown type 'integer'"),
        ("list", "type 'list' needs arguments"),
        ("list[int", "missing ']'"),
        ("dict[float, int]", "dict keys must be str or int"),
        ("dict[str]", "dict takes 2 type argument(s), got 1"),
        ("int]", "unexpected ']'"),
        ("list[int]$", "cannot read type"),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        parse_type(text)


def test_check_value():
    spec = parse_type("dict[int, list[optional[float]]]")
    assert check_value({"1": [1, None, 2.5]}, spec) is None
    assert check_value({"x": []}, spec) == "key 'x': expected int key, got 'x'"
    assert check_value({"1": [True]}, spec) == "value of '1': item 0: expected float, got bool True"
    assert check_value(True, parse_type("int")) == "expected int, got bool True"


def test_from_json_and_back():
    spec = parse_type("dict[int, tuple[str, float]]")
    value = from_json({"3": ["a", 1]}, spec)
    assert value == {3: ("a", 1.0)} and isinstance(value[3], tuple) and isinstance(value[3][1], float)
    assert to_json(value) == {"3": ["a", 1.0]}


def test_values_equal_is_strict_about_types_and_tolerant_about_floats():
    assert values_equal(0.1 + 0.2, 0.3, parse_type("float"))
    assert not values_equal(0.31, 0.3, parse_type("float"))
    assert not values_equal(True, 1, parse_type("int"))
    assert not values_equal(1, True, parse_type("bool"))
    assert values_equal((1, "a"), (1, "a"), parse_type("tuple[int, str]"))
    assert not values_equal([1, 2], [1, 2, 3], parse_type("list[int]"))
    assert values_equal(None, None, parse_type("optional[int]"))
    assert not values_equal(0, None, parse_type("optional[int]"))
    assert values_equal({1: [2.0]}, {1: [2.0000000001]}, parse_type("dict[int, list[float]]"))


def test_an_object_that_equals_everything_does_not_pass():
    class Liar(int):
        def __eq__(self, other):
            return True

        __hash__ = int.__hash__

    class AlwaysEqual(list):
        def __eq__(self, other):
            return True

    assert not values_equal(Liar(5), 3, parse_type("int"))
    assert not values_equal(AlwaysEqual(), [1], parse_type("list[int]"))
