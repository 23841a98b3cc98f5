// The device side of a split virtqueue (hyve/virtqueue.cpp): the test plays the guest
// driver, writing descriptors and rings into GuestMemory by hand, well formed and hostile.
#include <cstring>

#include <gtest/gtest.h>

#include "guest_memory.hpp"
#include "virtqueue.hpp"

namespace {

using ehyve::DescriptorChain;
using ehyve::DeviceQueue;
using ehyve::GuestMemory;
using ehyve::GuestPhysAddr;

constexpr uint16_t queue_size = 8;
constexpr uint64_t descriptors = 0x1000, available = 0x2000, used = 0x3000, data = 0x10000;

class VirtqueueTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(queue.configure(memory, queue_size, {descriptors, available, used}, true)); }

    void descriptor(uint16_t index, uint64_t address, uint32_t length, uint16_t flags, uint16_t next = 0,
                    uint64_t table = descriptors) {
        uint8_t* at = memory.span(GuestPhysAddr{table + 16ull * index}, 16)->data();
        std::memcpy(at, &address, 8);
        std::memcpy(at + 8, &length, 4);
        std::memcpy(at + 12, &flags, 2);
        std::memcpy(at + 14, &next, 2);
    }
    void set16(uint64_t address, uint16_t value) { memory.write(GuestPhysAddr{address}, value); }
    uint16_t get16(uint64_t address) { return *memory.read<uint16_t>(GuestPhysAddr{address}); }
    // The driver makes chain `head` available.
    void offer(uint16_t head) {
        uint16_t index = get16(available + 2);
        set16(available + 4 + 2 * (index % queue_size), head);
        set16(available + 2, static_cast<uint16_t>(index + 1));
    }
    void used_event(uint16_t value) { set16(available + 4 + 2 * queue_size, value); }

    GuestMemory memory{1 << 20};
    DeviceQueue queue;
    DescriptorChain chain;
};

TEST_F(VirtqueueTest, ReadsAChainAndPublishesItsUse) {
    descriptor(0, data, 12, ehyve::virtq::desc_next, 1);
    descriptor(1, data + 100, 1000, ehyve::virtq::desc_write);
    EXPECT_EQ(queue.pop(chain), DeviceQueue::Pop::empty);
    offer(0);
    ASSERT_EQ(queue.pop(chain), DeviceQueue::Pop::chain);
    EXPECT_EQ(chain.head, 0);
    ASSERT_EQ(chain.readable.size(), 1u);
    ASSERT_EQ(chain.writable.size(), 1u);
    EXPECT_EQ(chain.readable[0].iov_base, memory.span(GuestPhysAddr{data}, 12)->data());
    EXPECT_EQ(chain.readable_bytes, 12u);
    EXPECT_EQ(chain.writable_bytes, 1000u);
    EXPECT_EQ(queue.pop(chain), DeviceQueue::Pop::empty);
    queue.push(0, 60);
    EXPECT_EQ(get16(used + 2), 1);
    EXPECT_EQ(*memory.read<uint32_t>(GuestPhysAddr{used + 4}), 0u);
    EXPECT_EQ(*memory.read<uint32_t>(GuestPhysAddr{used + 8}), 60u);
}

TEST_F(VirtqueueTest, InterruptsOnlyWhenTheDriverAsked) {
    descriptor(0, data, 64, ehyve::virtq::desc_write);
    used_event(1);  // the driver wants to hear once the used index passes 1
    for (int i = 0; i < 2; ++i) {
        offer(0);
        ASSERT_EQ(queue.pop(chain), DeviceQueue::Pop::chain);
        queue.push(0, 1);
        EXPECT_EQ(queue.should_interrupt(), i == 1) << "after push " << i;
    }
    EXPECT_FALSE(queue.should_interrupt());  // nothing new
}

TEST_F(VirtqueueTest, AsksForAKickAndSeesChainsThatCameMeanwhile) {
    EXPECT_FALSE(queue.enable_kicks());
    EXPECT_EQ(get16(used + 4 + 8 * queue_size), 0);  // avail_event: tell me at the next one
    descriptor(0, data, 64, 0);
    offer(0);
    EXPECT_TRUE(queue.enable_kicks());
}

TEST_F(VirtqueueTest, FollowsAnIndirectTable) {
    constexpr uint64_t table = 0x4000;
    descriptor(0, data, 10, ehyve::virtq::desc_next, 1, table);
    descriptor(1, data + 10, 20, ehyve::virtq::desc_write, 0, table);
    descriptor(3, table, 32, ehyve::virtq::desc_indirect);
    offer(3);
    ASSERT_EQ(queue.pop(chain), DeviceQueue::Pop::chain);
    EXPECT_EQ(chain.readable_bytes, 10u);
    EXPECT_EQ(chain.writable_bytes, 20u);
}

// Each hostile chain breaks the queue (the device stops serving it); none makes the
// device read or write outside guest RAM.
struct Hostile {
    const char* what;
    void (*build)(VirtqueueTest&);
};

class HostileChains : public VirtqueueTest, public ::testing::WithParamInterface<Hostile> {
public:
    using VirtqueueTest::descriptor;
    using VirtqueueTest::offer;
    using VirtqueueTest::set16;
};

TEST_P(HostileChains, BreakTheQueue) {
    GetParam().build(*this);
    EXPECT_EQ(queue.pop(chain), DeviceQueue::Pop::broken) << GetParam().what;
    EXPECT_TRUE(queue.broken());
    EXPECT_EQ(queue.pop(chain), DeviceQueue::Pop::broken);
}

INSTANTIATE_TEST_SUITE_P(Virtqueue, HostileChains,
                         ::testing::Values(Hostile{"a loop",
                                                   [](VirtqueueTest& t) {
                                                       auto& h = static_cast<HostileChains&>(t);
                                                       h.descriptor(0, data, 8, ehyve::virtq::desc_next, 1);
                                                       h.descriptor(1, data, 8, ehyve::virtq::desc_next, 0);
                                                       h.offer(0);
                                                   }},
                                           Hostile{"a next index beyond the table",
                                                   [](VirtqueueTest& t) {
                                                       auto& h = static_cast<HostileChains&>(t);
                                                       h.descriptor(0, data, 8, ehyve::virtq::desc_next, 300);
                                                       h.offer(0);
                                                   }},
                                           Hostile{"a head beyond the table",
                                                   [](VirtqueueTest& t) {
                                                       auto& h = static_cast<HostileChains&>(t);
                                                       h.offer(9);
                                                   }},
                                           Hostile{"a buffer past the end of RAM",
                                                   [](VirtqueueTest& t) {
                                                       auto& h = static_cast<HostileChains&>(t);
                                                       h.descriptor(0, (1 << 20) - 4, 8, 0);
                                                       h.offer(0);
                                                   }},
                                           Hostile{"a buffer whose end wraps around",
                                                   [](VirtqueueTest& t) {
                                                       auto& h = static_cast<HostileChains&>(t);
                                                       h.descriptor(0, ~0ull - 2, 8, 0);
                                                       h.offer(0);
                                                   }},
                                           Hostile{"a readable buffer after a writable one",
                                                   [](VirtqueueTest& t) {
                                                       auto& h = static_cast<HostileChains&>(t);
                                                       h.descriptor(0, data, 8,
                                                                    ehyve::virtq::desc_write | ehyve::virtq::desc_next,
                                                                    1);
                                                       h.descriptor(1, data, 8, 0);
                                                       h.offer(0);
                                                   }},
                                           Hostile{"an indirect table inside an indirect table",
                                                   [](VirtqueueTest& t) {
                                                       auto& h = static_cast<HostileChains&>(t);
                                                       h.descriptor(0, 0x4000, 16, ehyve::virtq::desc_indirect, 0,
                                                                    0x4000);
                                                       h.descriptor(0, 0x4000, 16, ehyve::virtq::desc_indirect);
                                                       h.offer(0);
                                                   }},
                                           Hostile{"an indirect table outside RAM",
                                                   [](VirtqueueTest& t) {
                                                       auto& h = static_cast<HostileChains&>(t);
                                                       h.descriptor(0, (1 << 20) - 16, 64, ehyve::virtq::desc_indirect);
                                                       h.offer(0);
                                                   }},
                                           Hostile{"an available index far ahead of the ring", [](VirtqueueTest& t) {
                                                       auto& h = static_cast<HostileChains&>(t);
                                                       h.set16(available + 2, 100);
                                                   }}));

TEST(VirtqueueConfiguration, RefusesRingsItCannotServe) {
    GuestMemory memory{1 << 20};
    DeviceQueue queue;
    EXPECT_FALSE(queue.configure(memory, 0, {descriptors, available, used}, true));
    EXPECT_FALSE(queue.configure(memory, 6, {descriptors, available, used}, true));            // not a power of two
    EXPECT_FALSE(queue.configure(memory, 8, {descriptors + 8, available, used}, true));        // misaligned
    EXPECT_FALSE(queue.configure(memory, 8, {descriptors, available, (1 << 20) - 16}, true));  // past RAM
    EXPECT_FALSE(queue.configure(memory, 8, {descriptors, ~0ull - 1, used}, true));            // wraps
    EXPECT_TRUE(queue.configure(memory, 8, {descriptors, available, used}, true));
}

}  // namespace
