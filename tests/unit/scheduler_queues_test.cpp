// The scheduler's queue policy (kernel/sched/queues.hpp): FIFO run queues, stealing
// that honours affinity and never takes a thread still being switched away from, and
// sleepers woken in deadline order.
#include "sched/queues.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace eremite::sched;

TEST(RunQueue, IsFirstInFirstOut) {
    Thread threads[4];
    RunQueue queue;
    EXPECT_EQ(queue.pop(), nullptr);
    for (auto& t : threads) queue.push(&t);
    EXPECT_EQ(queue.size(), 4u);
    for (auto& t : threads) EXPECT_EQ(queue.pop(), &t);
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(queue.pop(), nullptr);
}

TEST(RunQueue, RequeuedThreadGoesToTheBack) {
    Thread a, b;
    RunQueue queue;
    queue.push(&a);
    queue.push(&b);
    Thread* first = queue.pop();
    queue.push(first);  // a yield
    EXPECT_EQ(queue.pop(), &b);
    EXPECT_EQ(queue.pop(), &a);
}

TEST(RunQueue, StealingHonoursAffinity) {
    Thread pinned_to_0, anywhere;
    pinned_to_0.affinity = 1;
    RunQueue queue;
    queue.push(&pinned_to_0);
    queue.push(&anywhere);
    EXPECT_EQ(queue.take_for(1), &anywhere);  // CPU 1 may not take the pinned one
    EXPECT_EQ(queue.size(), 1u);
    EXPECT_EQ(queue.take_for(1), nullptr);
    EXPECT_EQ(queue.take_for(0), &pinned_to_0);
    EXPECT_TRUE(queue.empty());
}

TEST(RunQueue, StealingSkipsAThreadStillOnItsCpu) {
    Thread switching, ready;
    switching.on_cpu = true;
    RunQueue queue;
    queue.push(&switching);
    queue.push(&ready);
    EXPECT_EQ(queue.take_for(1), &ready);
    EXPECT_EQ(queue.take_for(1), nullptr);
    switching.on_cpu = false;
    EXPECT_EQ(queue.take_for(1), &switching);
}

TEST(RunQueue, TakingTheTailKeepsTheQueueUsable) {
    Thread a, b, c;
    c.affinity = 2;
    a.affinity = b.affinity = 1;
    RunQueue queue;
    queue.push(&a);
    queue.push(&b);
    queue.push(&c);
    EXPECT_EQ(queue.take_for(1), &c);  // the tail
    Thread d;
    queue.push(&d);  // must link after b, not after the removed c
    EXPECT_EQ(queue.pop(), &a);
    EXPECT_EQ(queue.pop(), &b);
    EXPECT_EQ(queue.pop(), &d);
    EXPECT_EQ(queue.pop(), nullptr);
}

TEST(RunQueue, RemoveUnlinksOnlyAQueuedThread) {
    Thread a, b, c, elsewhere;
    RunQueue queue;
    queue.push(&a);
    queue.push(&b);
    queue.push(&c);
    EXPECT_FALSE(queue.remove(&elsewhere));  // migrating, or in another CPU's queue
    EXPECT_TRUE(queue.remove(&b));           // the middle
    EXPECT_FALSE(queue.remove(&b));
    EXPECT_TRUE(queue.remove(&c));  // the tail: a push must link after a
    EXPECT_EQ(queue.size(), 1u);
    queue.push(&elsewhere);
    EXPECT_TRUE(queue.remove(&a));  // the head
    EXPECT_EQ(queue.pop(), &elsewhere);
    EXPECT_TRUE(queue.empty());
}

TEST(SleepQueue, WakesInDeadlineOrder) {
    Thread threads[5];
    const uint64_t deadlines[5] = {50, 10, 40, 20, 30};
    SleepQueue sleepers;
    for (int i = 0; i < 5; ++i) {
        threads[i].wake_deadline = deadlines[i];
        sleepers.insert(&threads[i]);
    }
    EXPECT_EQ(sleepers.earliest(), 10u);
    EXPECT_EQ(sleepers.pop_expired(9), nullptr);
    std::vector<uint64_t> woken;
    while (Thread* t = sleepers.pop_expired(35)) woken.push_back(t->wake_deadline);
    EXPECT_EQ(woken, (std::vector<uint64_t>{10, 20, 30}));
    EXPECT_EQ(sleepers.earliest(), 40u);
}

TEST(SleepQueue, EqualDeadlinesWakeInArrivalOrder) {
    Thread a, b, c;
    a.wake_deadline = b.wake_deadline = c.wake_deadline = 7;
    SleepQueue sleepers;
    sleepers.insert(&a);
    sleepers.insert(&b);
    sleepers.insert(&c);
    EXPECT_EQ(sleepers.pop_expired(7), &a);
    EXPECT_EQ(sleepers.pop_expired(7), &b);
    EXPECT_EQ(sleepers.pop_expired(7), &c);
    EXPECT_TRUE(sleepers.empty());
    EXPECT_EQ(sleepers.earliest(), 0u);
}

TEST(SleepQueue, RemoveTakesAnyOne) {
    Thread a, b, c;
    a.wake_deadline = 1;
    b.wake_deadline = 2;
    c.wake_deadline = 3;
    SleepQueue sleepers;
    sleepers.insert(&c);
    sleepers.insert(&a);
    sleepers.insert(&b);
    sleepers.remove(&b);  // woken early
    sleepers.remove(&b);  // twice is harmless
    EXPECT_EQ(sleepers.pop_expired(100), &a);
    EXPECT_EQ(sleepers.pop_expired(100), &c);
    EXPECT_EQ(sleepers.pop_expired(100), nullptr);
}

TEST(SlicePolicy, NiceScalesTheSliceByLinuxWeights) {
    const uint64_t base = 10000000;  // 10 ms
    EXPECT_EQ(slice_for_nice(0, base), base);
    EXPECT_GT(slice_for_nice(-5, base), slice_for_nice(0, base));
    EXPECT_LT(slice_for_nice(5, base), slice_for_nice(0, base));
    // One nice step is about a 1.25x change of weight.
    double ratio = double(slice_for_nice(-1, base)) / double(slice_for_nice(0, base));
    EXPECT_NEAR(ratio, 1.25, 0.03);
    // Out-of-range values clamp to -20 and 19.
    EXPECT_EQ(slice_for_nice(-100, base), slice_for_nice(-20, base));
    EXPECT_EQ(slice_for_nice(100, base), slice_for_nice(19, base));
    for (int nice = -19; nice <= 19; ++nice) EXPECT_LT(slice_for_nice(nice, base), slice_for_nice(nice - 1, base));
}
