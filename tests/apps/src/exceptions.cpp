// exceptions: throw/catch of several types, nesting, rethrow, unwinding, exception_ptr.
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

namespace {

struct Guard {
    const char* name;
    explicit Guard(const char* n) : name(n) { std::printf("Guard %s constructed\n", name); }
    ~Guard() { std::printf("Guard %s destroyed\n", name); }
};

struct MyError : std::runtime_error {
    int code;
    MyError(const std::string& what, int c) : std::runtime_error(what), code(c) {}
};

[[gnu::noinline]] void thrower(int kind)
{
    Guard g("in thrower");
    switch (kind) {
    case 0: throw 42;
    case 1: throw std::string("a std::string");
    case 2: throw std::out_of_range("out of range");
    case 3: throw MyError("custom error", 7);
    case 4: throw 3.5;
    default: throw "a C string";
    }
}

[[gnu::noinline]] int deep(int depth)
{
    Guard g(depth % 2 ? "deep odd" : "deep even");
    if (depth == 0)
        throw std::logic_error("bottom reached");
    return deep(depth - 1) + 1;
}

} // namespace

int main()
{
    for (int kind = 0; kind < 6; ++kind) {
        try {
            thrower(kind);
        } catch (int i) {
            std::printf("caught int %d\n", i);
        } catch (const std::string& s) {
            std::printf("caught std::string '%s'\n", s.c_str());
        } catch (const MyError& e) {
            std::printf("caught MyError '%s' code %d\n", e.what(), e.code);
        } catch (const std::exception& e) {
            std::printf("caught std::exception '%s'\n", e.what());
        } catch (double d) {
            std::printf("caught double %.1f\n", d);
        } catch (...) {
            std::printf("caught something else\n");
        }
    }

    try {
        deep(4);
    } catch (const std::logic_error& e) {
        std::printf("caught from recursion: %s\n", e.what());
    }

    // Nested try blocks and rethrow.
    try {
        try {
            thrower(3);
        } catch (const std::runtime_error& e) {
            std::printf("inner caught '%s', rethrowing\n", e.what());
            throw;
        }
    } catch (const MyError& e) {
        std::printf("outer caught MyError code %d\n", e.code);
    }

    // Throwing a new exception from a catch handler.
    try {
        try {
            throw std::invalid_argument("first");
        } catch (const std::invalid_argument& e) {
            std::printf("caught '%s', throwing second\n", e.what());
            throw std::runtime_error("second");
        }
    } catch (const std::exception& e) {
        std::printf("caught '%s'\n", e.what());
    }

    // std::exception_ptr.
    std::exception_ptr p;
    try {
        thrower(2);
    } catch (...) {
        p = std::current_exception();
    }
    std::printf("exception_ptr is %s\n", p ? "set" : "null");
    try {
        std::rethrow_exception(p);
    } catch (const std::out_of_range& e) {
        std::printf("rethrown exception_ptr: %s\n", e.what());
    }
    auto q = std::make_exception_ptr(MyError("made", 99));
    try {
        std::rethrow_exception(q);
    } catch (const MyError& e) {
        std::printf("make_exception_ptr: %s %d\n", e.what(), e.code);
    }

    // Nested exceptions.
    try {
        try {
            throw std::runtime_error("inner cause");
        } catch (...) {
            std::throw_with_nested(std::logic_error("outer wrapper"));
        }
    } catch (const std::logic_error& e) {
        std::printf("nested outer: %s\n", e.what());
        try {
            std::rethrow_if_nested(e);
        } catch (const std::runtime_error& inner) {
            std::printf("nested inner: %s\n", inner.what());
        }
    }
    std::printf("exceptions: done\n");
    return 0;
}
