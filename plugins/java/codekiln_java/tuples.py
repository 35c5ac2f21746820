"""Java sources of the tuple classes that stand for the vocabulary's ``tuple[...]``.

They reproduce the core of the `javatuples <https://www.javatuples.org>`_ API (package ``org.javatuples``:
``Pair.with(a, b)``, ``getValue0()``, ``getValue1()``, ``setAt0(x)``, ``getSize()``, ``getValue(i)``,
``toList()``, ``toArray()``, value ``equals``/``hashCode``, ``compareTo``, ``toString`` as ``[a, b]``),
which is what MultiPL-E's Java prompts use for tuples, so models have seen it. Classes by arity: Unit,
Pair, Triplet, Quartet, Quintet, Sextet, Septet, Octet, Ennead, Decade.

>>> print(tuple_sources()["org/javatuples/Pair.java"].splitlines()[2])
public final class Pair<A, B> extends Tuple {
"""

from __future__ import annotations

__all__ = ["TUPLE_CLASSES", "tuple_sources"]

#: Class name by arity - 1.
TUPLE_CLASSES = ("Unit", "Pair", "Triplet", "Quartet", "Quintet", "Sextet", "Septet", "Octet", "Ennead", "Decade")
_LETTERS = "ABCDEFGHIJ"

_TUPLE = """\
package org.javatuples;

import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/** The base of the tuple classes: an immutable, ordered list of values (nulls allowed). */
public abstract class Tuple implements Iterable<Object>, Comparable<Tuple> {
    private final Object[] values;

    Tuple(Object... values) {
        this.values = values;
    }

    public abstract int getSize();

    public final Object getValue(int pos) {
        if (pos < 0 || pos >= values.length) {
            throw new IllegalArgumentException("Cannot retrieve position " + pos + " in "
                    + getClass().getSimpleName() + ". Positions for this class start with 0 and end with "
                    + (values.length - 1));
        }
        return values[pos];
    }

    public final List<Object> toList() {
        return Collections.unmodifiableList(Arrays.asList(values.clone()));
    }

    public final Object[] toArray() {
        return values.clone();
    }

    @Override
    public final Iterator<Object> iterator() {
        return toList().iterator();
    }

    public final boolean contains(Object value) {
        return toList().contains(value);
    }

    public final int indexOf(Object value) {
        return toList().indexOf(value);
    }

    @Override
    public final boolean equals(Object other) {
        return other != null && other.getClass() == getClass() && Arrays.equals(values, ((Tuple) other).values);
    }

    @Override
    public final int hashCode() {
        return Arrays.hashCode(values);
    }

    @Override
    public final String toString() {
        return Arrays.toString(values);
    }

    /** Item by item (each must be Comparable), then the shorter first, as javatuples compares. */
    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public final int compareTo(Tuple other) {
        int common = Math.min(values.length, other.values.length);
        for (int i = 0; i < common; i++) {
            int order = ((Comparable) values[i]).compareTo(other.values[i]);
            if (order != 0) {
                return order;
            }
        }
        return Integer.compare(values.length, other.values.length);
    }
}
"""


def _tuple_class(arity: int) -> str:
    name = TUPLE_CLASSES[arity - 1]
    letters = _LETTERS[:arity]
    generics = ", ".join(letters)
    params = ", ".join(f"{letter} value{i}" for i, letter in enumerate(letters))
    values = ", ".join(f"value{i}" for i in range(arity))
    lines = [
        "package org.javatuples;",
        "",
        f"public final class {name}<{generics}> extends Tuple {{",
        *(f"    private final {letter} val{i};" for i, letter in enumerate(letters)),
        "",
        f"    public static <{generics}> {name}<{generics}> with({params}) {{",
        f"        return new {name}<>({values});",
        "    }",
        "",
        f"    public {name}({params}) {{",
        f"        super({values});",
        *(f"        this.val{i} = value{i};" for i in range(arity)),
        "    }",
        "",
        "    @Override",
        "    public int getSize() {",
        f"        return {arity};",
        "    }",
    ]
    for i, letter in enumerate(letters):
        replaced = ", ".join("X" if j == i else other for j, other in enumerate(letters))
        args = ", ".join("value" if j == i else f"val{j}" for j in range(arity))
        lines += [
            "",
            f"    public {letter} getValue{i}() {{",
            f"        return val{i};",
            "    }",
            "",
            f"    public <X> {name}<{replaced}> setAt{i}(X value) {{",
            f"        return new {name}<>({args});",
            "    }",
        ]
    return "\n".join([*lines, "}", ""])


def tuple_sources() -> dict[str, str]:
    """Path (below the class-path root) to Java source, for ``Tuple`` and each arity's class."""
    sources = {"org/javatuples/Tuple.java": _TUPLE}
    for arity in range(1, len(TUPLE_CLASSES) + 1):
        sources[f"org/javatuples/{TUPLE_CLASSES[arity - 1]}.java"] = _tuple_class(arity)
    return sources
