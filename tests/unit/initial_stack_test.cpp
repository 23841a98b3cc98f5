// build_initial_stack: the stack is built into a heap buffer standing for the app
// addresses [top - size, top); the test reads it back through those addresses exactly as
// the app's _start and libc would (argc at %rsp, argv, envp, auxv, strings).
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "loader/initial_stack.hpp"

namespace {

using namespace eremite::loader;

constexpr uint64_t stack_top = 0x7ffffffff000;  // 16-byte aligned, as the kernel's

// The app's view of a buffer: translates app addresses to buffer bytes, with checks.
class AppStack {
public:
    explicit AppStack(uint64_t size, uint64_t top = stack_top)
        : size_(size), top_(top), memory_(new uint8_t[size ? size : 1]) {
        std::memset(memory_.get(), 0xa5, size ? size : 1);
    }

    uint8_t* memory() { return memory_.get(); }
    uint64_t size() const { return size_; }
    uint64_t top() const { return top_; }
    uint64_t bottom() const { return top_ - size_; }

    bool contains(uint64_t address, uint64_t length) const {
        return address >= bottom() && address <= top_ && length <= top_ - address;
    }
    uint64_t word(uint64_t address) const {
        EXPECT_TRUE(contains(address, 8)) << std::hex << address;
        if (!contains(address, 8)) return 0;
        uint64_t value;
        std::memcpy(&value, memory_.get() + (address - bottom()), 8);
        return value;
    }
    std::string string(uint64_t address) const {
        std::string s;
        for (;; ++address) {
            EXPECT_TRUE(contains(address, 1)) << "string runs off the stack at " << std::hex << address;
            if (!contains(address, 1)) return s;
            char c = static_cast<char>(memory_[address - bottom()]);
            if (!c) return s;
            s += c;
        }
    }
    std::vector<uint8_t> bytes(uint64_t address, uint64_t length) const {
        EXPECT_TRUE(contains(address, length));
        if (!contains(address, length)) return {};
        const uint8_t* p = memory_.get() + (address - bottom());
        return std::vector<uint8_t>(p, p + length);
    }

private:
    uint64_t size_, top_;
    std::unique_ptr<uint8_t[]> memory_;
};

const uint8_t random_bytes[16] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
                                  0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f};

struct Inputs {
    std::vector<std::string> argv, envp;
    std::vector<AuxEntry> aux;
    std::string execfn = "/bin/app";
    const char* platform = "x86_64";

    // Pointers into the strings above: valid while this object lives unchanged.
    std::vector<const char*> argv_pointers, envp_pointers;
    InitialStackSpec spec() {
        argv_pointers.clear();
        envp_pointers.clear();
        for (auto& s : argv) argv_pointers.push_back(s.c_str());
        for (auto& s : envp) envp_pointers.push_back(s.c_str());
        InitialStackSpec spec;
        spec.argv = argv_pointers.data();
        spec.argc = argv.size();
        spec.envp = envp_pointers.data();
        spec.envc = envp.size();
        spec.execfn = execfn.c_str();
        spec.platform = platform;
        spec.random = random_bytes;
        spec.aux = aux.data();
        spec.aux_count = aux.size();
        return spec;
    }
};

Inputs make_inputs(size_t argc, size_t envc, size_t auxc, bool platform) {
    Inputs in;
    for (size_t i = 0; i < argc; ++i) in.argv.push_back(i == 0 ? "/bin/app" : "arg" + std::string(i * 3, 'x'));
    for (size_t i = 0; i < envc; ++i) in.envp.push_back("VAR" + std::to_string(i) + "=" + std::string(i, 'v'));
    const AuxEntry extra[] = {{at_phdr, 0x400040},  {at_phent, 56}, {at_phnum, 9}, {at_pagesz, 4096},
                              {at_entry, 0x401000}, {at_uid, 1000}, {at_secure, 0}};
    for (size_t i = 0; i < auxc; ++i) in.aux.push_back(extra[i % std::size(extra)]);
    if (!platform) in.platform = nullptr;
    return in;
}

// Reads the whole initial stack as the app sees it and checks every part of it.
void check_stack(const AppStack& stack, const InitialStack& result, const Inputs& in) {
    ASSERT_TRUE(result.fits);
    const uint64_t sp = result.stack_pointer;
    EXPECT_EQ(sp % 16, 0u) << "%rsp must be 16-byte aligned at the entry point";
    ASSERT_TRUE(stack.contains(sp, 8));

    uint64_t p = sp;
    EXPECT_EQ(stack.word(p), in.argv.size()) << "argc";
    p += 8;
    uint64_t previous_string = 0;
    for (size_t i = 0; i < in.argv.size(); ++i, p += 8) {
        uint64_t s = stack.word(p);
        EXPECT_EQ(stack.string(s), in.argv[i]) << "argv[" << i << "]";
        EXPECT_GT(s, previous_string) << "argv strings ascend";
        previous_string = s;
    }
    EXPECT_EQ(stack.word(p), 0u) << "NULL after argv";
    p += 8;
    for (size_t i = 0; i < in.envp.size(); ++i, p += 8) {
        uint64_t s = stack.word(p);
        EXPECT_EQ(stack.string(s), in.envp[i]) << "envp[" << i << "]";
        EXPECT_GT(s, previous_string) << "envp strings follow argv strings";
        previous_string = s;
    }
    EXPECT_EQ(stack.word(p), 0u) << "NULL after envp";
    p += 8;

    for (size_t i = 0; i < in.aux.size(); ++i, p += 16) {
        EXPECT_EQ(stack.word(p), in.aux[i].type) << "aux[" << i << "]";
        EXPECT_EQ(stack.word(p + 8), in.aux[i].value) << "aux[" << i << "]";
    }
    // Then AT_RANDOM, AT_EXECFN, AT_PLATFORM (if any), AT_NULL.
    EXPECT_EQ(stack.word(p), uint64_t{at_random});
    uint64_t random = stack.word(p + 8);
    EXPECT_EQ(stack.bytes(random, 16), std::vector<uint8_t>(std::begin(random_bytes), std::end(random_bytes)));
    p += 16;
    EXPECT_EQ(stack.word(p), uint64_t{at_execfn});
    uint64_t execfn = stack.word(p + 8);
    EXPECT_EQ(stack.string(execfn), in.execfn);
    p += 16;
    uint64_t platform = 0;
    if (in.platform) {
        EXPECT_EQ(stack.word(p), uint64_t{at_platform});
        platform = stack.word(p + 8);
        EXPECT_EQ(stack.string(platform), in.platform);
        p += 16;
    }
    EXPECT_EQ(stack.word(p), uint64_t{at_null});
    EXPECT_EQ(stack.word(p + 8), 0u);
    p += 16;

    // Everything the vectors point at lies above them, inside the stack.
    EXPECT_GT(random, p - 1);
    if (platform) {
        EXPECT_GT(platform, p - 1);
    }
    EXPECT_GT(execfn, p - 1);
    // The random bytes must not overlap the strings.
    if (!in.argv.empty()) {
        EXPECT_LE(random + 16, stack.word(sp + 8));
    }
    // The very top holds a zero word (the end marker), then the executable name.
    EXPECT_EQ(stack.word(stack.top() - 8), 0u);
    EXPECT_EQ(execfn + in.execfn.size() + 1, stack.top() - 8);
}

TEST(InitialStack, TypicalProgram) {
    Inputs in;
    in.argv = {"/usr/bin/hello", "--name", "world"};
    in.envp = {"HOME=/home/user", "PATH=/usr/bin:/bin", "LANG=C.UTF-8"};
    in.aux = {{at_phdr, 0x400040}, {at_phent, 56}, {at_phnum, 10}, {at_pagesz, 4096}, {at_entry, 0x401bc0}};
    AppStack stack(64 * 1024);
    auto spec = in.spec();
    auto result = build_initial_stack(stack.memory(), stack.top(), stack.size(), spec);
    check_stack(stack, result, in);
}

// Odd and even counts of argv, envp and aux entries, with and without AT_PLATFORM: the
// padding word must go in exactly when the vector count is odd.
TEST(InitialStack, AlignmentForAllParities) {
    for (size_t argc = 0; argc <= 3; ++argc)
        for (size_t envc = 0; envc <= 3; ++envc)
            for (size_t auxc = 0; auxc <= 3; ++auxc)
                for (bool platform : {false, true}) {
                    SCOPED_TRACE(testing::Message() << "argc " << argc << " envc " << envc << " auxc " << auxc
                                                    << " platform " << platform);
                    Inputs in = make_inputs(argc, envc, auxc, platform);
                    AppStack stack(16 * 1024);
                    auto spec = in.spec();
                    auto result = build_initial_stack(stack.memory(), stack.top(), stack.size(), spec);
                    check_stack(stack, result, in);
                }
}

// The string area's length also varies the alignment: each extra byte moves it.
TEST(InitialStack, AlignmentForAllStringLengths) {
    for (size_t extra = 0; extra < 32; ++extra) {
        SCOPED_TRACE(testing::Message() << "extra " << extra);
        Inputs in = make_inputs(2, 1, 1, true);
        in.argv[1] += std::string(extra, 'y');
        AppStack stack(8 * 1024);
        auto spec = in.spec();
        auto result = build_initial_stack(stack.memory(), stack.top(), stack.size(), spec);
        check_stack(stack, result, in);
    }
}

TEST(InitialStack, EmptyStringsAndNoExecfn) {
    Inputs in;
    in.argv = {"", "x", ""};
    in.envp = {""};
    AppStack stack(4096);
    auto spec = in.spec();
    spec.execfn = nullptr;  // becomes ""
    in.execfn = "";
    auto result = build_initial_stack(stack.memory(), stack.top(), stack.size(), spec);
    check_stack(stack, result, in);
}

TEST(InitialStack, NoRandomBytesGivesZeros) {
    Inputs in = make_inputs(1, 0, 0, false);
    AppStack stack(4096);
    auto spec = in.spec();
    spec.random = nullptr;
    auto result = build_initial_stack(stack.memory(), stack.top(), stack.size(), spec);
    ASSERT_TRUE(result.fits);
    // auxv: AT_RANDOM is first (no extra aux entries), after argc, argv[0], NULL, NULL.
    uint64_t aux = result.stack_pointer + 4 * 8;
    ASSERT_EQ(stack.word(aux), uint64_t{at_random});
    EXPECT_EQ(stack.bytes(stack.word(aux + 8), 16), std::vector<uint8_t>(16, 0));
}

TEST(InitialStack, NothingIsWrittenOutsideTheStack) {
    // A larger buffer with guard areas on both sides of the stack region.
    Inputs in = make_inputs(3, 3, 3, true);
    constexpr uint64_t guard = 256, size = 4096;
    std::vector<uint8_t> buffer(guard + size + guard, 0x5a);
    auto spec = in.spec();
    auto result = build_initial_stack(buffer.data() + guard, stack_top, size, spec);
    ASSERT_TRUE(result.fits);
    for (uint64_t i = 0; i < guard; ++i) {
        ASSERT_EQ(buffer[i], 0x5a) << "below the stack, byte " << i;
        ASSERT_EQ(buffer[guard + size + i], 0x5a) << "above the stack, byte " << i;
    }
}

// Every size below what the stack needs fails cleanly (E2BIG) and writes nothing outside
// the buffer: each buffer is an exactly sized heap block, so ASan reports any stray write.
TEST(InitialStack, TooSmallBuffersDoNotFit) {
    for (bool platform : {false, true}) {
        SCOPED_TRACE(testing::Message() << "platform " << platform);
        Inputs in = make_inputs(3, 2, 3, platform);
        auto spec = in.spec();
        AppStack large(64 * 1024);
        auto reference = build_initial_stack(large.memory(), large.top(), large.size(), spec);
        ASSERT_TRUE(reference.fits);
        const uint64_t needed = stack_top - reference.stack_pointer;

        for (uint64_t size = 0; size < needed; ++size) {
            AppStack stack(size);
            auto result = build_initial_stack(stack.memory(), stack.top(), stack.size(), spec);
            EXPECT_FALSE(result.fits) << "size " << size << " of " << needed;
        }
        // Exactly enough is enough, and gives the same layout.
        AppStack exact(needed);
        auto result = build_initial_stack(exact.memory(), exact.top(), exact.size(), spec);
        EXPECT_EQ(result.stack_pointer, reference.stack_pointer);
        check_stack(exact, result, in);
    }
}

TEST(InitialStack, HugeArgumentDoesNotFit) {
    Inputs in;
    in.argv = {"/bin/app", std::string(100000, 'a')};
    AppStack stack(64 * 1024);
    auto spec = in.spec();
    EXPECT_FALSE(build_initial_stack(stack.memory(), stack.top(), stack.size(), spec).fits);
}

TEST(InitialStack, ManyArgumentsDoNotFitInTheVectors) {
    // The strings fit, but the pointer vectors do not.
    std::vector<std::string> many(500, "");
    Inputs in;
    in.argv = many;
    AppStack stack(4096);
    auto spec = in.spec();
    EXPECT_FALSE(build_initial_stack(stack.memory(), stack.top(), stack.size(), spec).fits);
}

}  // namespace
