// The futex table's per-bucket waiter lists (kernel/linux/futex_queue.hpp): what
// FUTEX_WAKE, the bitset variants and (CMP_)REQUEUE do to them.
#include "linux/futex_queue.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace eremite::linux;

namespace {

std::vector<void*> woken;
void record(void* thread) { woken.push_back(thread); }

int threads[8];  // their addresses stand for threads
void* thread(int i) { return &threads[i]; }

}  // namespace

class FutexQueueTest : public ::testing::Test {
protected:
    void SetUp() override { woken.clear(); }
    uint32_t word_a = 0, word_b = 0;
};

TEST_F(FutexQueueTest, WakesOldestFirstUpToTheCount) {
    FutexQueue queue;
    FutexWaiter w[3] = {{thread(0), &word_a, ~0u}, {thread(1), &word_a, ~0u}, {thread(2), &word_a, ~0u}};
    for (auto& waiter : w) queue.add(&waiter);
    EXPECT_EQ(queue.wake(&word_a, 2, ~0u, record), 2u);
    EXPECT_EQ(woken, (std::vector<void*>{thread(0), thread(1)}));
    EXPECT_FALSE(queue.contains(&w[0]));
    EXPECT_TRUE(queue.contains(&w[2]));
    EXPECT_EQ(queue.wake(&word_a, 10, ~0u, record), 1u);
    EXPECT_EQ(queue.wake(&word_a, 10, ~0u, record), 0u);  // nobody left
}

TEST_F(FutexQueueTest, OnlyWaitersOnTheSameWord) {
    FutexQueue queue;  // two words hashed to one bucket
    FutexWaiter on_a{thread(0), &word_a, ~0u}, on_b{thread(1), &word_b, ~0u};
    queue.add(&on_a);
    queue.add(&on_b);
    EXPECT_EQ(queue.wake(&word_b, 5, ~0u, record), 1u);
    EXPECT_EQ(woken, (std::vector<void*>{thread(1)}));
    EXPECT_TRUE(queue.contains(&on_a));
}

TEST_F(FutexQueueTest, BitsetsMustIntersect) {
    FutexQueue queue;
    FutexWaiter low{thread(0), &word_a, 0x1}, high{thread(1), &word_a, 0x2}, any{thread(2), &word_a, ~0u};
    queue.add(&low);
    queue.add(&high);
    queue.add(&any);
    EXPECT_EQ(queue.wake(&word_a, 10, 0x2, record), 2u);  // FUTEX_WAKE_BITSET with bit 1
    EXPECT_EQ(woken, (std::vector<void*>{thread(1), thread(2)}));
    EXPECT_TRUE(queue.contains(&low));
}

TEST_F(FutexQueueTest, CountZeroWakesNobody) {
    FutexQueue queue;
    FutexWaiter w{thread(0), &word_a, ~0u};
    queue.add(&w);
    EXPECT_EQ(queue.wake(&word_a, 0, ~0u, record), 0u);
    EXPECT_TRUE(woken.empty());
}

TEST_F(FutexQueueTest, RemoveATimedOutWaiter) {
    FutexQueue queue;
    FutexWaiter w[3] = {{thread(0), &word_a, ~0u}, {thread(1), &word_a, ~0u}, {thread(2), &word_a, ~0u}};
    for (auto& waiter : w) queue.add(&waiter);
    queue.remove(&w[1]);
    queue.remove(&w[1]);  // twice is harmless
    EXPECT_EQ(queue.wake(&word_a, 10, ~0u, record), 2u);
    EXPECT_EQ(woken, (std::vector<void*>{thread(0), thread(2)}));
}

TEST_F(FutexQueueTest, RequeueMovesTheRestToTheOtherWord) {
    FutexQueue source, target;
    FutexWaiter w[4] = {
        {thread(0), &word_a, ~0u}, {thread(1), &word_a, ~0u}, {thread(2), &word_a, ~0u}, {thread(3), &word_b, ~0u}};
    for (auto& waiter : w) source.add(&waiter);
    // FUTEX_REQUEUE(wake 1, requeue 1): one woken, one moved, one left.
    EXPECT_EQ(source.wake(&word_a, 1, ~0u, record), 1u);
    EXPECT_EQ(source.requeue(&word_a, &word_b, 1, target), 1u);
    EXPECT_TRUE(target.contains(&w[1]));
    EXPECT_EQ(w[1].address, &word_b);
    EXPECT_TRUE(source.contains(&w[2]));
    EXPECT_TRUE(source.contains(&w[3]));  // waited on word_b already: not moved
    EXPECT_EQ(target.wake(&word_b, 10, ~0u, record), 1u);
    EXPECT_EQ(woken, (std::vector<void*>{thread(0), thread(1)}));
}

TEST_F(FutexQueueTest, RequeueWithinOneBucket) {
    FutexQueue queue;  // both words in the same bucket
    FutexWaiter w{thread(0), &word_a, ~0u};
    queue.add(&w);
    EXPECT_EQ(queue.requeue(&word_a, &word_b, 5, queue), 1u);
    EXPECT_EQ(queue.wake(&word_a, 5, ~0u, record), 0u);
    EXPECT_EQ(queue.wake(&word_b, 5, ~0u, record), 1u);
}

TEST_F(FutexQueueTest, RequeueToTheSameWordOnlyCounts) {
    FutexQueue queue;
    FutexWaiter w[2] = {{thread(0), &word_a, ~0u}, {thread(1), &word_a, ~0u}};
    for (auto& waiter : w) queue.add(&waiter);
    EXPECT_EQ(queue.requeue(&word_a, &word_a, 1u << 31, queue), 2u);  // and terminates
    EXPECT_EQ(queue.wake(&word_a, 10, ~0u, record), 2u);
    EXPECT_EQ(woken, (std::vector<void*>{thread(0), thread(1)}));  // order unchanged
}
