// Native benchmark tests (HumanEval-X) in two processes, each in a sandbox of its own (codekiln-cpp), on
// the core relay's protocol (codekiln.verifier.relay): each program writes its rows on fd 3 and reads what is
// relayed to it on stdin, one JSON line each, and says {"ready":true} first, from a .preinit_array hook.
//
// The solver (the solution's program) serves calls: `kiln::serve(signature, call)` reads one argument list
// per line, calls the function and answers {"value":...} or {"error":"Type: message"}.
// The tester is the benchmark's test code, compiled with the entry function's body replaced by
// `return kiln::call_remote(signature, params...);`: each call goes out as a line and its answer comes back.
// The tester ends with its verdict row, {"check": "passed" | "failed" | "error", ...}: passed from an atexit
// handler when the test's main returns, failed from a failed assert (our __assert_fail) or an abort, error
// when the solution answered with an exception, gave no answer, or an answer the tester cannot read. The
// solution never holds the test code, its expected values, or any descriptor of the test program.
//
// `signature` is a null pointer of the declaration's function type (a typedef the plugin generates from the
// declaration), so neither side ever takes the address of the entry function: its name may be overloaded, a
// std name under `using namespace std`, or a macro.
//
// Values travel as JSON, typed on both ends by the C++ types of the declaration (the Codec templates):
// integers (char included) as numbers, floating point in its shortest exact form (NaN, Infinity,
// -Infinity), strings, vectors, lists, sets, maps (as [key, value] pairs), pairs, tuples, optionals.
//
// The first part is what the solver's translation unit needs, and that unit includes it after the solution
// (or in the precompiled header, when that compiles): so it includes no C header, whose global names (<cmath>'s
// y1, <cstring>'s index, <unistd.h>'s dup) could collide with a solution's. The second part, the descriptors,
// the ready row and the test program's side, is compiled only where KILN_NATIVE_MAIN is defined: in the
// programs' own objects (the solver's start object and the test program), never beside the solution.
#ifndef KILN_NATIVE_HPP
#define KILN_NATIVE_HPP

#include <charconv>
#include <deque>
#include <exception>
#include <limits>
#include <list>
#include <map>
#include <new>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "kiln_common.hpp"

namespace kiln {

[[noreturn]] inline void malformed() { throw std::runtime_error("malformed value"); }

struct Reader {
    const std::string& text;
    std::size_t pos = 0;
    bool read_nan = false;  // whether a NaN was read: an answer holding one fails the test (see call_remote)

    void skip() {
        while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    }
    bool peek(char c) {
        skip();
        return pos < text.size() && text[pos] == c;
    }
    void expect(char c) {
        if (!peek(c)) malformed();
        ++pos;
    }
    bool word(const char* w) {
        skip();
        std::size_t n = std::char_traits<char>::length(w);
        if (text.compare(pos, n, w) != 0) return false;
        pos += n;
        return true;
    }
    std::string_view token() {  // a number's characters
        skip();
        std::size_t start = pos;
        while (pos < text.size() && std::string_view("+-.0123456789eE").find(text[pos]) != std::string_view::npos) {
            ++pos;
        }
        if (start == pos) malformed();
        return std::string_view(text).substr(start, pos - start);
    }
    // Calls item() for each element of an array.
    template <class F> void array(F item) {
        expect('[');
        if (peek(']')) {
            ++pos;
            return;
        }
        for (;;) {
            item();
            if (peek(',')) {
                ++pos;
                continue;
            }
            expect(']');
            return;
        }
    }
};

template <class T, class = void> struct Codec;  // no specialisation: a type that cannot cross (compile error)

template <> struct Codec<bool> {
    static void write(std::string& out, bool value) { out += value ? "true" : "false"; }
    static bool read(Reader& in) {
        if (in.word("true")) return true;
        if (in.word("false")) return false;
        malformed();
    }
};

template <class T> struct Codec<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
    static void write(std::string& out, T value) {
        char buffer[32];
        out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
    }
    static T read(Reader& in) {
        std::string_view digits = in.token();
        T value{};
        auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (error != std::errc() || end != digits.data() + digits.size()) malformed();
        return value;
    }
};

template <class T> struct Codec<T, std::enable_if_t<std::is_floating_point_v<T>>> {
    static void write(std::string& out, T value) {
        if (value != value) {
            out += "NaN";
        } else if (value == std::numeric_limits<T>::infinity() || value == -std::numeric_limits<T>::infinity()) {
            out += value > 0 ? "Infinity" : "-Infinity";
        } else {
            char buffer[64];
            out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
        }
    }
    static T read(Reader& in) {
        if (in.word("NaN")) {
            in.read_nan = true;
            return std::numeric_limits<T>::quiet_NaN();
        }
        if (in.word("Infinity")) return std::numeric_limits<T>::infinity();
        if (in.word("-Infinity")) return -std::numeric_limits<T>::infinity();
        std::string_view digits = in.token();
        T value{};
        auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (error != std::errc() || end != digits.data() + digits.size()) malformed();
        return value;
    }
};

template <> struct Codec<std::string> {
    static void write(std::string& out, const std::string& value) { write_json_string(out, value); }
    static std::string read(Reader& in) {
        in.expect('"');
        std::string value;
        const std::string& text = in.text;
        while (in.pos < text.size() && text[in.pos] != '"') {
            char c = text[in.pos++];
            if (c != '\\') {
                value += c;
                continue;
            }
            if (in.pos >= text.size()) malformed();
            char escape = text[in.pos++];
            switch (escape) {
                case '"': case '\\': case '/': value += escape; break;
                case 'n': value += '\n'; break;
                case 't': value += '\t'; break;
                case 'r': value += '\r'; break;
                case 'b': value += '\b'; break;
                case 'f': value += '\f'; break;
                case 'u': {
                    if (in.pos + 4 > text.size()) malformed();
                    unsigned code = 0;
                    auto [end, error] = std::from_chars(text.data() + in.pos, text.data() + in.pos + 4, code, 16);
                    if (error != std::errc() || end != text.data() + in.pos + 4 || code > 0x7f) malformed();
                    value += static_cast<char>(code);  // the writer escapes control characters only
                    in.pos += 4;
                    break;
                }
                default: malformed();
            }
        }
        in.expect('"');
        return value;
    }
};

template <class C, class T> struct SequenceCodec {
    static void write(std::string& out, const C& value) {
        out += '[';
        bool first = true;
        for (const auto& item : value) {
            if (!first) out += ',';
            first = false;
            Codec<T>::write(out, static_cast<const T&>(item));
        }
        out += ']';
    }
    static C read(Reader& in) {
        C value;
        in.array([&] { value.insert(value.end(), Codec<T>::read(in)); });
        return value;
    }
};

template <class T> struct Codec<std::vector<T>> : SequenceCodec<std::vector<T>, T> {};
template <class T> struct Codec<std::list<T>> : SequenceCodec<std::list<T>, T> {};
template <class T> struct Codec<std::deque<T>> : SequenceCodec<std::deque<T>, T> {};
template <class T> struct Codec<std::set<T>> : SequenceCodec<std::set<T>, T> {};
template <class T> struct Codec<std::unordered_set<T>> : SequenceCodec<std::unordered_set<T>, T> {};

template <class C, class K, class V> struct MappingCodec {
    static void write(std::string& out, const C& value) {
        out += '[';
        bool first = true;
        for (const auto& [key, item] : value) {
            if (!first) out += ',';
            first = false;
            out += '[';
            Codec<K>::write(out, key);
            out += ',';
            Codec<V>::write(out, item);
            out += ']';
        }
        out += ']';
    }
    static C read(Reader& in) {
        C value;
        in.array([&] {
            in.expect('[');
            K key = Codec<K>::read(in);
            in.expect(',');
            V item = Codec<V>::read(in);
            in.expect(']');
            value.emplace(std::move(key), std::move(item));
        });
        return value;
    }
};

template <class K, class V> struct Codec<std::map<K, V>> : MappingCodec<std::map<K, V>, K, V> {};
template <class K, class V> struct Codec<std::unordered_map<K, V>> : MappingCodec<std::unordered_map<K, V>, K, V> {};

template <class... T> struct Codec<std::tuple<T...>> {
    static void write(std::string& out, const std::tuple<T...>& value) {
        out += '[';
        std::apply([&out](const T&... items) {
            bool first = true;
            ((out += first ? "" : ",", first = false, Codec<T>::write(out, items)), ...);
        }, value);
        out += ']';
    }
    static std::tuple<T...> read(Reader& in) {
        in.expect('[');
        std::tuple<T...> value = read_items(in, std::index_sequence_for<T...>());
        in.expect(']');
        return value;
    }
    template <std::size_t... I> static std::tuple<T...> read_items(Reader& in, std::index_sequence<I...>) {
        std::tuple<T...> value;
        ((I == 0 ? void() : in.expect(','), std::get<I>(value) = Codec<T>::read(in)), ...);
        return value;
    }
};

template <class A, class B> struct Codec<std::pair<A, B>> {
    static void write(std::string& out, const std::pair<A, B>& value) {
        Codec<std::tuple<A, B>>::write(out, std::tuple<A, B>(value.first, value.second));
    }
    static std::pair<A, B> read(Reader& in) {
        auto [a, b] = Codec<std::tuple<A, B>>::read(in);
        return {std::move(a), std::move(b)};
    }
};

template <class T> struct Codec<std::optional<T>> {
    static void write(std::string& out, const std::optional<T>& value) {
        if (value) {
            Codec<T>::write(out, *value);
        } else {
            out += "null";
        }
    }
    static std::optional<T> read(Reader& in) {
        if (in.word("null")) return std::nullopt;
        return Codec<T>::read(in);
    }
};

template <class T> using Plain = std::remove_cv_t<std::remove_reference_t<T>>;

// -- lines on descriptors: defined in the second part, in the programs' own objects ---------------------

inline constexpr int channel = 3;  // where rows go; the relay holds the other end

bool write_all(int fd, const std::string& data);
bool read_line(int fd, std::string& line);

// -- the solution's side ---------------------------------------------------------------------------------

template <class R, class... A, class F> int serve(R (*)(A...), F call) {
    std::string line;
    while (read_line(0, line)) {
        std::string answer;
        try {
            Reader in{line};
            std::tuple<Plain<A>...> args = Codec<std::tuple<Plain<A>...>>::read(in);
            answer = "{\"value\":";
            if constexpr (std::is_void_v<R>) {
                std::apply(call, args);
                answer += "null";
            } else {
                Plain<R> result = std::apply(call, args);
                Codec<Plain<R>>::write(answer, result);
            }
            answer += "}\n";
        } catch (...) {
            answer = "{\"error\":";
            write_json_string(answer, describe_current_exception());
            answer += "}\n";
        }
        if (!write_all(channel, answer)) return 1;
    }
    return 0;
}

}  // namespace kiln

#endif  // KILN_NATIVE_HPP

// -- the second part: the programs' own objects ------------------------------------------------------------
// Not wholly inside one include guard, so that g++ reads this file again after the precompiled header that
// holds the first part.
#if defined(KILN_NATIVE_MAIN) && !defined(KILN_NATIVE_MAIN_DONE)
#define KILN_NATIVE_MAIN_DONE

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <string_view>

namespace kiln {

// -- lines on descriptors ------------------------------------------------------------------------------
// Not inline: a definition of the same name in the solution is a link error, never a silent replacement.

bool write_all(int fd, const std::string& data) {
    const char* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    return true;
}

bool read_line(int fd, std::string& line) {
    static std::string buffer;
    for (;;) {
        std::size_t end = buffer.find('\n');
        if (end != std::string::npos) {
            line.assign(buffer, 0, end);
            buffer.erase(0, end + 1);
            return true;
        }
        char chunk[65536];
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        buffer.append(chunk, static_cast<std::size_t>(n));
    }
}

// -- both sides -----------------------------------------------------------------------------------------

// The .preinit_array hook of both programs: runs before any static initialiser of the code they hold.
// Internal linkage, so that a definition of the same name in the solution cannot take its place (that of
// a libc function it calls still can: the plugin's probe then decides whose failure a missing row is).
static void say_ready(int, char**, char**) { write_all(channel, "{\"ready\":true}\n"); }

// -- the test program's side -----------------------------------------------------------------------------

// Writes the verdict row and ends the test program at once (nothing of the tests runs after a verdict).
[[noreturn]] inline void verdict(const char* check, std::string_view message) {
    std::string row = "{\"check\":\"";
    row += check;
    row += "\",\"message\":";
    std::string text(message.substr(0, 1000));
    for (char& c : text) {
        if (static_cast<unsigned char>(c) >= 0x80) c = '?';  // the row must stay valid UTF-8 JSON
    }
    write_json_string(row, text);
    row += "}\n";
    write_all(channel, row);
    std::_Exit(0);
}

inline void say_passed() { write_all(channel, "{\"check\":\"passed\"}\n"); }

inline void on_abort(int) { verdict("failed", "the test program aborted (an uncaught exception in the tests?)"); }

// The tester's start: ready, then the handlers that turn how the tests end into a verdict row.
inline void start_tester(int argc, char** argv, char** env) {
    say_ready(argc, argv, env);
    std::atexit(say_passed);  // the test's main returned
    struct sigaction action {};
    action.sa_handler = on_abort;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGABRT, &action, nullptr);
}

inline void assertion_failed(const char* assertion, unsigned line) {
    verdict("failed", "assertion failed (line " + std::to_string(line) + "): " + assertion);
}

template <class R, class... A, class... P> R call_remote(R (*)(A...), const P&... params) {
    std::string request;
    Codec<std::tuple<Plain<A>...>>::write(request, std::tuple<Plain<A>...>(params...));
    request += '\n';
    std::string answer;
    if (!write_all(channel, request) || !read_line(0, answer)) verdict("error", "the relay ended");
    Reader in{answer};
    if (in.word("{\"gone\":true}")) verdict("error", "the solution's process ended before answering");
    try {
        if (in.word("{\"error\":")) {
            std::string message = Codec<std::string>::read(in);
            verdict("error", message);
        }
        if (!in.word("{\"value\":")) malformed();
        if constexpr (std::is_void_v<R>) {
            if (!in.word("null")) malformed();
            in.expect('}');
            return;
        } else {
            Plain<R> value = Codec<Plain<R>>::read(in);
            in.expect('}');
            if (in.pos != answer.size()) malformed();
            // NaN compares false with everything: a benchmark's own `abs(a - b) > 1e-4` would pass it.
            if (in.read_nan) {
                verdict("failed", "the solution returned NaN, which the test's float comparisons cannot judge");
            }
            return value;
        }
    } catch (const std::exception&) {
        verdict("error", "the solution's answer could not be read");
    }
}

}  // namespace kiln

#endif  // KILN_NATIVE_MAIN
