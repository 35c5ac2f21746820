// A boost::any between the two programs of a native run (codekiln-cpp): HumanEval-X's CPP/22 and CPP/137
// take and return them. It travels as ["type", value] for the types benchmarks put in one, [] when empty;
// any other type is an error of the side that writes it.
//
// Both programs include this header after the prompt, so it defines something only where the prompt included
// <boost/any.hpp> (whose include guard is BOOST_ANY_INCLUDED): other programs never need Boost.
#if defined(BOOST_ANY_INCLUDED) && !defined(KILN_ANY_HPP)
#define KILN_ANY_HPP

#include <stdexcept>
#include <string>
#include <typeinfo>

#include "kiln_native.hpp"

#define KILN_ANY_TYPES(X) X(int) X(long) X(long long) X(unsigned) X(double) X(float) X(bool) X(char) X(std::string)

namespace kiln {

template <> struct Codec<boost::any> {
    static void write(std::string& out, const boost::any& value) {
        if (value.empty()) {
            out += "[]";
            return;
        }
#define KILN_ANY_WRITE(T)                                        \
    if (value.type() == typeid(T)) {                             \
        out += "[\"" #T "\",";                                   \
        Codec<T>::write(out, boost::any_cast<const T&>(value));  \
        out += ']';                                              \
        return;                                                  \
    }
        KILN_ANY_TYPES(KILN_ANY_WRITE)
#undef KILN_ANY_WRITE
        throw std::invalid_argument("a boost::any holding " + demangle(value.type().name()) +
                                    " cannot be passed between the programs");
    }
    static boost::any read(Reader& in) {
        in.expect('[');
        if (in.peek(']')) {
            ++in.pos;
            return boost::any();
        }
        std::string type = Codec<std::string>::read(in);
        in.expect(',');
        boost::any value;
#define KILN_ANY_READ(T) if (type == #T) value = Codec<T>::read(in); else
        KILN_ANY_TYPES(KILN_ANY_READ) malformed();
#undef KILN_ANY_READ
        in.expect(']');
        return value;
    }
};

}  // namespace kiln

#undef KILN_ANY_TYPES

#endif  // KILN_ANY_HPP
