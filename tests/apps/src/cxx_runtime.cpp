// cxx_runtime: static construction/destruction order, algorithms, smart pointers,
// std::function, std::string_view and std::unordered_map.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

struct Announce {
    const char* name;
    explicit Announce(const char* n) : name(n) { std::printf("static ctor %s\n", name); }
    ~Announce() { std::printf("static dtor %s\n", name); }
};

Announce first("first");
Announce second("second");

Announce& function_local()
{
    static Announce local("function-local");
    return local;
}

struct Node {
    int value;
    explicit Node(int v) : value(v) { std::printf("Node %d created\n", value); }
    ~Node() { std::printf("Node %d destroyed\n", value); }
};

int call_with(const std::function<int(int)>& f, int x) { return f(x); }

int count_words(std::string_view text)
{
    int words = 0;
    bool in_word = false;
    for (char c : text) {
        bool space = c == ' ';
        if (!space && !in_word)
            ++words;
        in_word = !space;
    }
    return words;
}

} // namespace

Announce third("third");

int main()
{
    std::printf("main starts\n");
    function_local();

    std::vector<int> v;
    unsigned x = 12345;
    for (int i = 0; i < 20; ++i) {
        x = x * 1103515245u + 12345u;
        v.push_back(static_cast<int>((x >> 16) % 1000));
    }
    std::sort(v.begin(), v.end());
    std::printf("sorted:");
    for (int i : v)
        std::printf(" %d", i);
    std::printf("\n");
    std::sort(v.begin(), v.end(), std::greater<int>());
    std::printf("max=%d min=%d sum=%d\n", v.front(), v.back(), std::accumulate(v.begin(), v.end(), 0));
    auto it = std::unique(v.begin(), v.end());
    std::printf("unique count=%d\n", static_cast<int>(it - v.begin()));

    {
        auto u = std::make_unique<Node>(1);
        std::unique_ptr<Node> moved = std::move(u);
        std::printf("unique_ptr moved: %s, value %d\n", u ? "source still set" : "source empty", moved->value);
    }
    {
        std::shared_ptr<Node> a = std::make_shared<Node>(2);
        std::weak_ptr<Node> w = a;
        {
            std::shared_ptr<Node> b = a;
            std::printf("use_count=%ld\n", a.use_count());
        }
        std::printf("use_count=%ld expired=%d\n", a.use_count(), w.expired());
        a.reset();
        std::printf("after reset expired=%d\n", w.expired());
    }

    int base = 10;
    std::function<int(int)> add = [base](int y) { return base + y; };
    std::function<int(int)> square = [](int y) { return y * y; };
    std::printf("function: %d %d %d\n", call_with(add, 5), call_with(square, 7), call_with(std::negate<int>(), 3));
    std::vector<std::function<int(int)>> pipeline{add, square, add};
    int acc = 1;
    for (auto& f : pipeline)
        acc = f(acc);
    std::printf("pipeline: %d\n", acc);

    std::string owner = "the quick brown fox jumps over the lazy dog";
    std::string_view sv = owner;
    std::printf("string_view: words=%d prefix='%.*s' find(fox)=%zu\n", count_words(sv), 9,
                sv.substr(0, 9).data(), sv.find("fox"));
    sv.remove_prefix(4);
    sv.remove_suffix(4);
    std::printf("trimmed: '%.*s'\n", static_cast<int>(sv.size()), sv.data());

    std::unordered_map<std::string, int> counts;
    for (std::string_view rest = owner; !rest.empty();) {
        auto space = rest.find(' ');
        std::string word(rest.substr(0, space));
        ++counts[word];
        if (space == std::string_view::npos)
            break;
        rest.remove_prefix(space + 1);
    }
    std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [word, n] : sorted)
        std::printf("count[%s]=%d\n", word.c_str(), n);
    std::printf("unordered_map size=%zu\n", counts.size());

    std::printf("main ends\n");
    return 0;
}
