// The harness half of a C++ signature-test program (codekiln-cpp).
//
// The generated harness (kiln_harness.cpp) includes this header; it is compiled in a translation unit of
// its own, apart from the solution, and linked before it. So nothing the solution #defines, overloads or
// specialises reaches the code that builds the arguments and writes the results.
//
// stdout (through a private descriptor) gets one JSON line per event, each written whole by one write(2):
//   {"ready":true}                                 from the .preinit_array hook below, which runs before
//                                                  every static initialiser of the solution
//   {"value":WIRE,"time":SECONDS} or {"error":"Type: message"}    one per test, in order
//   {"done":true}
// Values are written by their declared C++ type (overloads chosen at compile time), never through an
// operator of the solution's. After "done" the program ends with _exit(0): the solution's destructors and
// atexit handlers do not run. The expected values are not in the program: the verifier compares outside.
#pragma once

#include <cxxabi.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <typeinfo>
#include <utility>
#include <vector>

#include "kiln_common.hpp"

namespace kiln {
// Internal linkage for all of the harness: a definition of the same name in the solution cannot take the place
// of the ready hook or of what it calls (that of a libc function it calls still can: then the backend's probe
// decides whose failure a missing ready row is).
namespace {

inline int results_fd = -1;
inline volatile sig_atomic_t in_test = 0;

inline void send(const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t written = ::write(results_fd, data, size);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return;
        data += written;
        size -= static_cast<std::size_t>(written);
    }
}

inline void send(const std::string& row) { send(row.data(), row.size()); }

inline void open_results(int, char**, char**) {
    // Rows go to a private copy of stdout, and fd 1 then leads to stderr: nothing the solution prints,
    // closes or unlinks can forge, break or take back a row, and once "ready" is in the pipe it stays there.
    results_fd = ::fcntl(1, F_DUPFD_CLOEXEC, 10);
    ::dup2(2, 1);
    static const char ready[] = "{\"ready\":true}\n";
    send(ready, sizeof ready - 1);
}

// -- values to wire JSON, by declared type -------------------------------------------------------------

inline void put(std::string& out, long long value) {
    char buffer[24];
    auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    out.append(buffer, end);
}

inline void put(std::string& out, bool value) { out += value ? "true" : "false"; }

inline void put(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "{\"$float\":\"nan\"}";
        return;
    }
    if (std::isinf(value)) {
        out += value > 0 ? "{\"$float\":\"inf\"}" : "{\"$float\":\"-inf\"}";
        return;
    }
    char buffer[64];
    auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;  // the shortest exact form
    std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
    out.append(text);
    if (text.find_first_of(".e") == std::string_view::npos) out += ".0";  // 2.0 must not read back as int 2
}

inline void put(std::string& out, const std::string& value) { write_json_string(out, value); }

template <class T> void put(std::string& out, const std::vector<T>& value);
template <class K, class V> void put(std::string& out, const std::map<K, V>& value);
template <class T> void put(std::string& out, const std::optional<T>& value);
template <class... T> void put(std::string& out, const std::tuple<T...>& value);

template <class T> void put(std::string& out, const std::vector<T>& value) {
    out += '[';
    bool first = true;
    for (const auto& item : value) {  // std::vector<bool> yields plain bools here
        if (!first) out += ',';
        first = false;
        put(out, static_cast<const T&>(item));
    }
    out += ']';
}

template <class K, class V> void put(std::string& out, const std::map<K, V>& value) {
    out += "{\"$dict\":[";
    bool first = true;
    for (const auto& [key, item] : value) {
        if (!first) out += ',';
        first = false;
        out += '[';
        put(out, key);
        out += ',';
        put(out, item);
        out += ']';
    }
    out += "]}";
}

template <class T> void put(std::string& out, const std::optional<T>& value) {
    if (value.has_value()) {
        put(out, *value);
    } else {
        out += "null";
    }
}

template <class... T> void put(std::string& out, const std::tuple<T...>& value) {
    out += '[';
    std::apply([&out](const T&... items) {
        bool first = true;
        ((out += first ? "" : ",", first = false, put(out, items)), ...);
    }, value);
    out += ']';
}

// -- rows --------------------------------------------------------------------------------------------

template <class T> void send_value(const T& value, double seconds) {
    std::string row = "{\"value\":";
    put(row, value);
    row += ",\"time\":";
    put(row, seconds);
    row += "}\n";
    send(row);
}

inline void send_error(const std::string& message) {
    std::string row = "{\"error\":";
    put(row, message.size() > 1000 ? message.substr(0, 1000) : message);
    row += "}\n";
    send(row);
}

class Timer {
public:
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

template <class Test> void run(Test test) {
    in_test = 1;
    try {
        test();
    } catch (...) {
        std::string message = "unknown exception";
        try {
            message = describe_current_exception();
        } catch (...) {
        }
        send_error(message);
    }
    in_test = 0;
}

// -- crashes -----------------------------------------------------------------------------------------

inline const char* crash_row(int signal_number) {
    switch (signal_number) {
        case SIGSEGV: return "{\"error\":\"SIGSEGV: segmentation fault (invalid memory access or stack overflow)\"}\n";
        case SIGFPE: return "{\"error\":\"SIGFPE: arithmetic error (integer division by zero?)\"}\n";
        case SIGABRT: return "{\"error\":\"SIGABRT: aborted (a failed assert, or std::terminate)\"}\n";
        case SIGBUS: return "{\"error\":\"SIGBUS: bus error\"}\n";
        default: return "{\"error\":\"SIGILL: illegal instruction\"}\n";
    }
}

// Reports the test that crashed, then dies of the same signal (SA_RESETHAND restored the default action).
inline void on_crash(int signal_number) {
    if (in_test) {
        const char* row = crash_row(signal_number);
        send(row, std::strlen(row));
    }
    ::raise(signal_number);
}

inline void start() {
    static char alternate_stack[1 << 16];  // a stack overflow is reported too
    stack_t stack{};
    stack.ss_sp = alternate_stack;
    stack.ss_size = sizeof alternate_stack;
    ::sigaltstack(&stack, nullptr);
    struct sigaction action {};
    action.sa_handler = on_crash;
    action.sa_flags = SA_ONSTACK | SA_RESETHAND | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    for (int signal_number : {SIGSEGV, SIGFPE, SIGABRT, SIGBUS, SIGILL}) ::sigaction(signal_number, &action, nullptr);
}

[[noreturn]] inline void finish() {
    try {
        std::cout.flush();  // the solution's own output, in case it unsynchronised iostreams
    } catch (...) {
    }
    std::fflush(nullptr);
    static const char done[] = "{\"done\":true}\n";
    send(done, sizeof done - 1);
    ::_exit(0);
}

}  // namespace
}  // namespace kiln

// The first entry of .preinit_array (the harness object is linked first, and the section is not sorted):
// "ready" is written before any constructor of the solution can run.
__attribute__((section(".preinit_array"), used)) static void (*kiln_preinit)(int, char**, char**) = kiln::open_results;
