"""A benchmark's own Java tests (HumanEval-X), run where the solution cannot reach them.

HumanEval-X's Java test is a ``public class Main`` whose ``main`` calls ``new Solution().f(...)`` and throws
``AssertionError`` when a result is wrong: it holds the expected values, so it must not share a JVM with
the solution (which could ``System.exit(0)``, or find the values by reflection). So two JVMs run, each in a
sandbox of its own (own uid, own pid namespace):

- the solution's: the prompt and the completion (Solution.java, compiled as the compile stage did) with
  ``kiln.Serve``, which answers one call per line;
- the tests': the benchmark's ``Main`` compiled against a proxy ``Solution`` made from the prompt's
  declaration (:func:`proxy_source`), whose methods send each call to the solution and read the answer
  back as their declared return type (``kiln.Check``, ``kiln.Remote``). It is trusted and the same for
  every sample of a problem, so it is compiled once per problem and process.

The core's relay (:mod:`codekiln.verifier.relay`) carries each call from the tests to the solution and the
answer back. The verdict is the tests' own last line, on a channel the solution has no access to.
"""

from __future__ import annotations

from codekiln.problem import NativeTests

from .source import java_parser

__all__ = ["proxy_source", "test_sources"]

_BOXED = {"int": "Integer", "long": "Long", "double": "Double", "float": "Float", "boolean": "Boolean",
          "char": "Character", "short": "Short", "byte": "Byte"}


def proxy_source(prompt: str) -> str:
    """Solution.java for the tests' JVM: the prompt's imports and, for each method the prompt's class
    ``Solution`` declares (the entry point and any helpers), the same declaration with a body that calls
    the solution through ``kiln.Remote``.

    >>> print(proxy_source("import java.util.*;\\n\\nclass Solution {\\n"
    ...                    "    public List<Integer> evens(List<Integer> xs, int n) {\\n"))
    import java.util.*;
    <BLANKLINE>
    @SuppressWarnings({"unchecked", "rawtypes"})
    class Solution {
        public List<Integer> evens(List<Integer> xs, int n) {
            return (List<Integer>) kiln.Remote.call(Solution.class, "evens", new Object[] {xs, n});
        }
    }
    <BLANKLINE>
    """
    text = (prompt + "\n}\n}\n").encode("utf-8")  # the prompt stops inside the entry point's body
    root = java_parser().parse(text).root_node
    imports = [node.text.decode("utf-8") for node in root.named_children if node.type == "import_declaration"]
    solution = next((node for node in root.named_children if node.type == "class_declaration"
                     and node.child_by_field_name("name").text == b"Solution"), None)
    if solution is None:
        raise ValueError("the benchmark's prompt declares no class Solution")
    methods = []
    for method in solution.child_by_field_name("body").named_children:
        if method.type != "method_declaration":
            continue
        body = method.child_by_field_name("body")
        header = text[method.start_byte:body.start_byte].decode("utf-8").strip()
        name = method.child_by_field_name("name").text.decode("utf-8")
        returns = method.child_by_field_name("type").text.decode("utf-8")
        params = [p.child_by_field_name("name").text.decode("utf-8")
                  for p in method.child_by_field_name("parameters").named_children
                  if p.type == "formal_parameter"]
        call = f'kiln.Remote.call(Solution.class, "{name}", new Object[] {{{", ".join(params)}}})'
        statement = f"{call};" if returns == "void" else f"return ({_BOXED.get(returns, returns)}) {call};"
        methods += [f"    {header} {{", f"        {statement}", "    }"]
    lines = [*imports, "", '@SuppressWarnings({"unchecked", "rawtypes"})', "class Solution {", *methods, "}", ""]
    return "\n".join(lines)


def test_sources(native: NativeTests) -> dict[str, str]:
    """The tests' JVM's sources: the benchmark's ``Main`` (after the prompt's imports, as the benchmark
    puts it in the prompt's file) and the proxy ``Solution``."""
    proxy = proxy_source(native.prompt)
    imports = proxy.split("\n\n", 1)[0] if proxy.startswith("import") else ""
    return {"Main.java": f"{imports}\n\n{native.test}\n", "Solution.java": proxy}
