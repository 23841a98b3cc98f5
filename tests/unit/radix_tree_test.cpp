// The radix tree behind tmpfs's page and cookie indexes, against std::map.
#include "fs/radix_tree.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>

namespace {

using eremite::fs::RadixTree;

void* item(uint64_t n) { return reinterpret_cast<void*>((n + 1) << 4); }

TEST(RadixTree, EmptyTree) {
    RadixTree tree;
    uint64_t key = 7;
    EXPECT_EQ(tree.get(0), nullptr);
    EXPECT_EQ(tree.get(~0ull), nullptr);
    EXPECT_EQ(tree.next(0, key), nullptr);
    EXPECT_EQ(tree.remove(5), nullptr);
    EXPECT_TRUE(tree.empty());
}

TEST(RadixTree, KeyZeroNeedsNoNode) {
    RadixTree tree;
    ASSERT_TRUE(tree.set(0, item(0)));
    EXPECT_EQ(tree.get(0), item(0));
    EXPECT_EQ(tree.get(1), nullptr);
    uint64_t key = 9;
    EXPECT_EQ(tree.next(0, key), item(0));
    EXPECT_EQ(key, 0u);
    EXPECT_EQ(tree.next(1, key), nullptr);
    EXPECT_EQ(tree.remove(0), item(0));
    EXPECT_TRUE(tree.empty());
}

TEST(RadixTree, GrowsAroundExistingItemsAndShrinksBack) {
    RadixTree tree;
    ASSERT_TRUE(tree.set(0, item(0)));
    ASSERT_TRUE(tree.set(1000, item(1000)));
    ASSERT_TRUE(tree.set(~0ull, item(3)));  // the largest key: the tallest tree
    EXPECT_EQ(tree.get(0), item(0));
    EXPECT_EQ(tree.get(1000), item(1000));
    EXPECT_EQ(tree.get(~0ull), item(3));
    EXPECT_EQ(tree.size(), 3u);
    uint64_t key;
    EXPECT_EQ(tree.next(1, key), item(1000));
    EXPECT_EQ(key, 1000u);
    EXPECT_EQ(tree.next(1001, key), item(3));
    EXPECT_EQ(key, ~0ull);
    EXPECT_EQ(tree.remove(~0ull), item(3));
    EXPECT_EQ(tree.remove(1000), item(1000));
    EXPECT_EQ(tree.get(0), item(0));
    EXPECT_EQ(tree.replace(0, item(5)), item(0));
    EXPECT_EQ(tree.get(0), item(5));
    EXPECT_EQ(tree.remove(0), item(5));
    EXPECT_TRUE(tree.empty());
}

TEST(RadixTree, SetReplaces) {
    RadixTree tree;
    ASSERT_TRUE(tree.set(77, item(1)));
    ASSERT_TRUE(tree.set(77, item(2)));
    EXPECT_EQ(tree.size(), 1u);
    EXPECT_EQ(tree.get(77), item(2));
    EXPECT_EQ(tree.remove(77), item(2));
}

TEST(RadixTree, RandomOperationsMatchAMap) {
    std::mt19937_64 random(42);
    for (int round = 0; round < 4; ++round) {
        RadixTree tree;
        std::map<uint64_t, void*> model;
        // Keys clustered (as pages of a file) and spread (as cookies after churn).
        uint64_t spread = round == 0 ? 64 : round == 1 ? 5000 : round == 2 ? (1ull << 40) : ~0ull;
        for (int step = 0; step < 20000; ++step) {
            uint64_t key = spread == ~0ull ? random() : random() % spread;
            switch (random() % 4) {
                case 0:
                case 1:
                    ASSERT_TRUE(tree.set(key, item(step)));
                    model[key] = item(step);
                    break;
                case 2: {
                    auto found = model.find(key);
                    void* expected = found == model.end() ? nullptr : found->second;
                    ASSERT_EQ(tree.remove(key), expected);
                    if (found != model.end()) model.erase(found);
                    break;
                }
                case 3: {
                    uint64_t got_key = 0;
                    void* got = tree.next(key, got_key);
                    auto found = model.lower_bound(key);
                    if (found == model.end()) {
                        ASSERT_EQ(got, nullptr);
                    } else {
                        ASSERT_EQ(got, found->second);
                        ASSERT_EQ(got_key, found->first);
                    }
                    break;
                }
            }
            ASSERT_EQ(tree.size(), model.size());
        }
        for (auto& [key, value] : model) ASSERT_EQ(tree.get(key), value);
        // Walks everything in order with next().
        uint64_t from = 0, key = 0, count = 0;
        auto expected = model.begin();
        while (void* found = tree.next(from, key)) {
            ASSERT_EQ(key, expected->first);
            ASSERT_EQ(found, expected->second);
            ++expected;
            ++count;
            if (key == ~0ull) break;
            from = key + 1;
        }
        EXPECT_EQ(count, model.size());
        for (auto& [key, value] : model) ASSERT_EQ(tree.remove(key), value);
        EXPECT_TRUE(tree.empty());
    }
}

TEST(RadixTree, SequentialMillion) {
    RadixTree tree;
    for (uint64_t i = 0; i < (1u << 20); ++i) ASSERT_TRUE(tree.set(i, item(i)));
    for (uint64_t i = 0; i < (1u << 20); i += 4099) ASSERT_EQ(tree.get(i), item(i));
    for (uint64_t i = (1u << 20); i-- > 0;) ASSERT_EQ(tree.remove(i), item(i));
    EXPECT_TRUE(tree.empty());
}

}  // namespace
