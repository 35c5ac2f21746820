// What both runtimes of codekiln-cpp share, kiln_runtime.hpp (signature tests) and kiln_native.hpp (native
// benchmark tests): the one JSON string writer, and how an exception is described.
#ifndef KILN_COMMON_HPP
#define KILN_COMMON_HPP

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <typeinfo>

namespace kiln {

// A JSON string literal of `value`'s bytes: quotes, backslashes and control characters escaped, everything
// else (UTF-8 included) as it is. Invalid UTF-8 passes through; Python reads it back with U+FFFD.
inline void write_json_string(std::string& out, std::string_view value) {
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (unsigned char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
}

inline std::string demangle(const char* name) {
    int status = 0;
    char* readable = abi::__cxa_demangle(name, nullptr, nullptr, &status);
    std::string text = status == 0 && readable != nullptr ? readable : name;
    std::free(readable);
    return text;
}

// "Type: message" for the exception being handled; std::bad_alloc reads as the verifier's MemoryError.
inline std::string describe_current_exception() {
    const std::type_info* type = abi::__cxa_current_exception_type();
    std::string name = type != nullptr ? demangle(type->name()) : "unknown exception";
    try {
        throw;
    } catch (const std::bad_alloc&) {
        return "MemoryError: " + name;
    } catch (const std::exception& error) {
        const char* what = error.what();
        return what != nullptr && *what != '\0' ? name + ": " + what : name;
    } catch (...) {
        return name;
    }
}

}  // namespace kiln

#endif  // KILN_COMMON_HPP
