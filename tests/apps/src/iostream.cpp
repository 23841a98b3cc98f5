// iostream: std::cout with strings, containers and stream formatting.
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

int main()
{
    std::cout << "iostream: hello" << std::endl;
    std::string s = "Eremite";
    s += " differential";
    std::cout << "string: " << s << " (length " << s.size() << ")\n";
    std::cout << "substr: " << s.substr(0, 7) << " find: " << s.find("diff") << '\n';

    std::vector<int> v;
    for (int i = 1; i <= 10; ++i)
        v.push_back(i * i);
    std::cout << "vector:";
    for (int x : v)
        std::cout << ' ' << x;
    std::cout << '\n';

    std::map<std::string, int> m{{"three", 3}, {"one", 1}, {"two", 2}, {"ten", 10}};
    m["zero"] = 0;
    for (const auto& [k, val] : m)
        std::cout << "map[" << k << "] = " << val << '\n';

    std::cout << "setw: [" << std::setw(8) << 42 << "] [" << std::left << std::setw(8) << 42 << "]" << std::right << '\n';
    std::cout << "fill: [" << std::setfill('*') << std::setw(6) << 7 << "]" << std::setfill(' ') << '\n';
    std::cout << "hex: " << std::hex << 255 << ' ' << std::showbase << 255 << ' ' << std::uppercase << 3054
              << std::nouppercase << std::noshowbase << std::dec << " dec: " << 255 << '\n';
    std::cout << "oct: " << std::oct << 64 << std::dec << '\n';
    std::cout << "fixed: " << std::fixed << std::setprecision(3) << 3.14159265 << ' ' << 2.0 << '\n';
    std::cout << "scientific: " << std::scientific << std::setprecision(2) << 123456.789 << '\n';
    std::cout << std::defaultfloat << std::setprecision(6);
    std::cout << "bool: " << true << ' ' << std::boolalpha << true << ' ' << false << std::noboolalpha << '\n';

    std::ostringstream os;
    os << "ostringstream " << 1 << '+' << 1 << '=' << 2;
    std::cout << os.str() << '\n';
    std::istringstream is("10 20 30");
    int a, b, c;
    is >> a >> b >> c;
    std::cout << "istringstream sum: " << a + b + c << '\n';
    std::cerr << "iostream: to cerr (not compared)\n";
    return 0;
}
