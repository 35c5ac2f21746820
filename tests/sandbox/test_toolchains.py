"""Each language's toolchain works inside the ``namespaces`` level, and running out of memory is reported."""

from __future__ import annotations

import shutil

import pytest

from codekiln.sandbox import Limits, run
from codekiln.sandbox._limits import limit_evident

from .conftest import REAL_PYTHON

JAVA = """
public class Main {
    public static void main(String[] args) {
        if (args.length > 0) {
            long[] big = new long[Integer.parseInt(args[0]) * 131072];  // megabytes
            System.out.println(big.length);
        }
        System.out.println("hello from java");
    }
}
"""

CPP = """
#include <iostream>
#include <string>
#include <vector>
int main(int argc, char** argv) {
    if (argc > 1) {
        std::vector<char> big(std::stoll(argv[1]) << 20, 1);
        std::cout << big.size() << std::endl;
    }
    std::cout << "hello from c++" << std::endl;
}
"""

# The JVM and V8 reserve more address space than any sensible RLIMIT_AS: they need memory_kind="data".
RUNTIME_LIMITS = Limits(memory_mb=512, memory_kind="data", wall_time_s=60.0, cpu_time_s=60.0)


def needs(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")


def test_python_from_its_own_prefix():
    # The interpreter lies under /root (mode 700 on this host): its prefix is bound read-only by itself.
    result = run([REAL_PYTHON, "-I", "-c", "import sys, json; print(sys.version_info[:2], json.dumps([1]))"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == b"(3, 11) [1]\n"


def test_node():
    needs("node")
    result = run(["node", "-e", "console.log(6 * 7)"], limits=RUNTIME_LIMITS)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == b"42\n"


def test_node_refuses_to_start_under_an_address_space_limit():
    needs("node")
    result = run(["node", "-e", "console.log(1)"], limits=Limits(memory_mb=512))
    assert result.exit_code != 0
    assert b"Fatal process OOM" in result.stderr
    assert result.limit_hit == "memory"


def test_node_out_of_memory():
    needs("node")
    hog = "const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))"
    result = run(["node", "-e", hog], limits=RUNTIME_LIMITS)
    assert result.signal is not None
    assert result.limit_hit == "memory"


def test_node_refused_allocation_is_evidence_of_memory():
    # Under RLIMIT_DATA, one allocation the kernel refuses far below V8's own heap limit (new Array(2 ** 28)
    # under 256 MB) ends in this line, or, as often, in a SIGSEGV with no message at all (measured).
    stderr = b"FATAL ERROR: NewArray Allocation failed - process out of memory\n"
    assert limit_evident(RUNTIME_LIMITS, exit_code=None, sig=6, cpu_time_s=0.2, stderr=stderr) == "memory"


def test_javac_then_java():
    needs("javac")
    compiled = run(["javac", "-J-XX:MaxRAM=512m", "Main.java"], files={"Main.java": JAVA},
                   limits=RUNTIME_LIMITS, collect=["Main.class"])
    assert compiled.exit_code == 0, compiled.stderr
    classes = {"Main.class": compiled.files["Main.class"]}
    result = run(["java", "-XX:MaxRAM=512m", "Main"], files=classes, limits=RUNTIME_LIMITS)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == b"hello from java\n"
    # With its heap capped below the limit, the JVM throws instead of crashing.
    result = run(["java", "-XX:MaxRAM=512m", "Main", "2000"], files=classes, limits=RUNTIME_LIMITS)
    assert result.exit_code == 1
    assert b"java.lang.OutOfMemoryError" in result.stderr
    assert result.limit_hit == "memory"


def test_gxx_compile_then_run():
    needs("g++")
    result = run(["sh", "-c", "g++ -O1 -o main main.cpp && ./main"], files={"main.cpp": CPP},
                 limits=Limits(wall_time_s=60.0, cpu_time_s=60.0), collect=["main"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == b"hello from c++\n"
    binary = result.files["main"]
    # The collected binary runs again in a fresh sandbox; too big an allocation ends in std::bad_alloc.
    result = run(["sh", "-c", "chmod +x main && ./main 2000"], files={"main": binary})
    assert result.signal == 6  # SIGABRT
    assert b"std::bad_alloc" in result.stderr
    assert result.limit_hit == "memory"
