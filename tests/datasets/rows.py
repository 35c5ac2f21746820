"""Rows in the real formats of the benchmarks the loaders read, and a writer for their files."""

from __future__ import annotations

import json
from pathlib import Path

# Three rows of MBPP's original release (task ids 2-4), as the release's mbpp.jsonl has them: Windows line
# ends in the code, a trailing space in an assert, empty setup code and challenge tests.
MBPP_ROWS = [
    {"task_id": 2, "text": "Write a function to find the similar elements from the given two tuple lists.",
     "code": "def similar_elements(test_tup1, test_tup2):\r\n  res = tuple(set(test_tup1) & set(test_tup2))\r\n"
             "  return (res) ",
     "test_list": ["assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)",
                   "assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)",
                   "assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)"],
     "test_setup_code": "", "challenge_test_list": []},
    {"task_id": 3, "text": "Write a python function to identify non-prime numbers.",
     "code": "import math\r\ndef is_not_prime(n):\r\n    result = False\r\n    for i in range(2,int(math.sqrt(n)) + 1):"
             "\r\n        if n % i == 0:\r\n            result = True\r\n    return result",
     "test_list": ["assert is_not_prime(2) == False", "assert is_not_prime(10) == True",
                   "assert is_not_prime(35) == True"],
     "test_setup_code": "", "challenge_test_list": []},
    {"task_id": 4, "text": "Write a function to find the largest integers from a given list of numbers using heap "
                           "queue algorithm.",
     "code": "import heapq as hq\r\ndef heap_queue_largest(nums,n):\r\n  largest_nums = hq.nlargest(n, nums)\r\n"
             "  return largest_nums",
     "test_list": ["assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65] ",
                   "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75] ",
                   "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],5)==[85, 75, 65, 58, 35]"],
     "test_setup_code": "", "challenge_test_list": []},
]

# MultiPL-E's HumanEval_53_add as its dataset builder writes it for four languages (prepare_prompts_json.py:
# name, language, prompt, doctests, original, prompt_terminology, tests, stop_tokens).
_COMMON = {"name": "HumanEval_53_add", "doctests": "transform", "original": "../datasets/originals/HumanEval_53_add.py",
           "prompt_terminology": "reworded"}
_CASES = [((0, 1), 1), ((1, 0), 1), ((2, 3), 5), ((5, 7), 12), ((7, 5), 12)]
MULTIPLE_ROWS = {
    "py": {**_COMMON, "language": "py",
           "prompt": 'def add(x: int, y: int) -> int:\n    """Add two numbers x and y\n    >>> add(2, 3)\n    5\n'
                     '    >>> add(5, 7)\n    12\n    """\n',
           "tests": "def check(candidate):\n"
                    + "".join(f"    assert candidate({a}, {b}) == {r}\n" for (a, b), r in _CASES)
                    + "\ndef test_check():\n    check(add)\n\ntest_check()\n",
           "stop_tokens": ["\ndef", "\n#", "\nif", "\nclass"]},
    "js": {**_COMMON, "language": "js",
           "prompt": "//Add two numbers x and y\n// >>> add(2, 3)\n// 5\n// >>> add(5, 7)\n// 12\n"
                     "function add(x, y){\n",
           "tests": "const assert = require('node:assert');\n\n\nfunction test() {\n  let candidate = add;\n"
                    + "".join(f"  assert.deepEqual(candidate({a}, {b}),{r});\n" for (a, b), r in _CASES)
                    + "}\n\ntest();",
           "stop_tokens": ["\nfunction ", "\n/*", "\n//", "\nconsole.log"]},
    "cpp": {**_COMMON, "language": "cpp",
            "prompt": "#include<assert.h>\n#include<bits/stdc++.h>\n// Add two numbers x and y\n// >>> add((2), (3))\n"
                      "// (5)\n// >>> add((5), (7))\n// (12)\nlong add(long x, long y) {\n",
            "tests": "}\nint main() {\n    auto candidate = add;\n"
                     + "".join(f"    assert(candidate(({a}), ({b})) == ({r}));\n" for (a, b), r in _CASES) + "}\n",
            "stop_tokens": ["\n}"]},
    "java": {**_COMMON, "language": "java",
             "prompt": "import java.util.*;\nimport java.lang.reflect.*;\nimport org.javatuples.*;\n"
                       "import java.security.*;\nimport java.math.*;\nimport java.io.*;\nimport java.util.stream.*;\n"
                       "class Problem {\n"
                       "    // Add two numbers x and y\n    // >>> add((2l), (3l))\n    // (5l)\n"
                       "    public static long add(long x, long y) {\n",
             "tests": "    }\n    public static void main(String[] args) {\n"
                      + "".join(f"    assert(add(({a}l), ({b}l)) == ({r}l));\n" for (a, b), r in _CASES)
                      + "    }\n\n}\n",
             "stop_tokens": ["\n    }\n"]},
}
# What a model completes each prompt with: right, then wrong (the function closed, as codekiln runs it).
MULTIPLE_COMPLETIONS = {
    "py": ("    return x + y\n", "    return x - y\n"),
    "js": ("  return x + y;\n}\n", "  return x * y;\n}\n"),
    "cpp": ("    return x + y;\n}\n", "    return x - y;\n}\n"),
}


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows),
                    encoding="utf-8")
    return path
