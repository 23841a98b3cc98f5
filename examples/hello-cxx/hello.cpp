// A C++ program: iostream, an exception thrown and caught, and the command line.
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    std::vector<std::string> args(argv, argv + argc);
    std::cout << "Hello from Eremite, in C++!\n";
    try {
        throw std::runtime_error("an exception, thrown and caught");
    } catch (const std::exception& e) {
        std::cout << "caught: " << e.what() << '\n';
    }
    std::cout << "argc = " << args.size() << '\n';
    for (size_t i = 0; i < args.size(); ++i) std::cout << "argv[" << i << "] = " << args[i] << '\n';
    return 0;
}
