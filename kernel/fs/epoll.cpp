#include "fs/epoll.hpp"

#include "lib/string.hpp"
#include "sync/mutex.hpp"
#include "sync/wait_queue.hpp"

namespace eremite::fs {
namespace {

// Every set's items and every file's list of the items that watch it.
Mutex epoll_lock;

// Takes epoll_lock unless this thread holds it already (a set asked for its events
// while another set that contains it is being looked at).
class [[nodiscard]] EpollGuard {
public:
    EpollGuard() : taken_(!epoll_lock.held_by_me()) {
        if (taken_) epoll_lock.lock();
    }
    ~EpollGuard() {
        if (taken_) epoll_lock.unlock();
    }
    EpollGuard(const EpollGuard&) = delete;
    EpollGuard& operator=(const EpollGuard&) = delete;

private:
    bool taken_;
};

class EpollFile;

struct Item : WaitQueue::Listener {
    Item(EpollFile& owner, File& file, int32_t fd) : Listener(&on_wake), owner(&owner), file(&file), fd(fd) {}
    static void on_wake(WaitQueue::Listener& listener);

    EpollFile* owner;
    File* file;  // not a reference: see the top of epoll.hpp
    int32_t fd;
    uint32_t events = 0;  // what was asked, with the EPOLLET/EPOLLONESHOT bits
    uint64_t data = 0;
    bool disabled = false;  // a one-shot item that fired: nothing until EPOLL_CTL_MOD
    bool pending = false;   // woken since it was last looked at (atomic)
    Item* next = nullptr;   // in the owner's circular list
    Item* previous = nullptr;
    Item* next_watch = nullptr;  // in the file's list
    Item* previous_watch = nullptr;
};

// The events an item reports now, or 0 (under epoll_lock). `consume` takes the mark of
// an edge-triggered item.
uint32_t ready_events(Item& item, bool consume) {
    if (item.disabled) return 0;
    if (item.events & epoll_edge_triggered) {
        bool pending = consume ? __atomic_exchange_n(&item.pending, false, __ATOMIC_ACQ_REL)
                               : __atomic_load_n(&item.pending, __ATOMIC_ACQUIRE);
        if (!pending) return 0;
    }
    // EPOLLERR and EPOLLHUP are always reported; the poll bits are epoll's bits.
    return item.file->poll_events() & (item.events | poll_err | poll_hup);
}

}  // namespace

// A file's list of the items watching it, kept in File::epoll_watches_.
class EpollWatches {
public:
    static Item*& first(File& file) { return reinterpret_cast<Item*&>(file.epoll_watches_); }
    static void link(Item& item) {
        Item*& head = first(*item.file);
        item.next_watch = head;
        item.previous_watch = nullptr;
        if (head) head->previous_watch = &item;
        head = &item;
    }
    static void unlink(Item& item) {
        if (item.previous_watch)
            item.previous_watch->next_watch = item.next_watch;
        else
            first(*item.file) = item.next_watch;
        if (item.next_watch) item.next_watch->previous_watch = item.previous_watch;
    }
};

namespace {

class EpollFile final : public File {
public:
    EpollFile() : File(o_rdwr) {}

    uint32_t poll_events() override {
        EpollGuard guard;
        if (Item* item = cursor_) {
            do {
                if (ready_events(*item, false)) return poll_in | poll_rdnorm;
                item = item->next;
            } while (item != cursor_);
        }
        return 0;
    }
    WaitQueue* poll_queue() override { return &waiters_; }
    bool is_epoll_set() const override { return true; }

    bool describe(char* buffer, uint64_t capacity, uint64_t& length) override {
        return describe_as("anon_inode:[eventpoll]", buffer, capacity, length);
    }

    Item* find(int32_t fd, File& file) {
        if (Item* item = cursor_) {
            do {
                if (item->fd == fd && item->file == &file) return item;
                item = item->next;
            } while (item != cursor_);
        }
        return nullptr;
    }

    // How deep sets nest inside `set` (0: it holds no set), at most `limit`; past the
    // limit, limit + 1 (a loop back to a set on the way counts as too deep too).
    static int depth_below(EpollFile& set, int limit) {
        if (limit < 0) return 0;
        int deepest = 0;
        if (Item* item = set.cursor_) {
            do {
                if (item->file->is_epoll_set()) {
                    int depth = 1 + depth_below(static_cast<EpollFile&>(*item->file), limit - 1);
                    if (depth > deepest) deepest = depth;
                    if (deepest > limit) return deepest;
                }
                item = item->next;
            } while (item != set.cursor_);
        }
        return deepest;
    }

    // How deep `set` sits inside other sets (0: no set holds it), at most limit + 1.
    static int depth_above(File& set, int limit) {
        if (limit < 0) return 0;
        int deepest = 0;
        for (Item* item = EpollWatches::first(set); item; item = item->next_watch) {
            int depth = 1 + depth_above(*item->owner, limit - 1);
            if (depth > deepest) deepest = depth;
            if (deepest > limit) return deepest;
        }
        return deepest;
    }

    // Whether adding `target` (a set) here would close a loop or nest sets deeper than
    // Linux allows (EP_MAX_NESTS: four sets inside one another beneath the top one).
    bool too_deep_with(File& target) {
        if (&target == this) return true;
        if (!target.is_epoll_set()) return false;
        auto& inner = static_cast<EpollFile&>(target);
        if (reachable_from(inner, *this, max_nesting + 1)) return true;
        int above = depth_above(*this, max_nesting);
        int below = depth_below(inner, max_nesting);
        return above + 1 + below > max_nesting;
    }

    // Whether `wanted` is `set` or lies inside it, looking `levels` deep.
    static bool reachable_from(EpollFile& set, EpollFile& wanted, int levels) {
        if (&set == &wanted) return true;
        if (levels <= 0) return false;
        if (Item* item = set.cursor_) {
            do {
                if (item->file->is_epoll_set() &&
                    reachable_from(static_cast<EpollFile&>(*item->file), wanted, levels - 1))
                    return true;
                item = item->next;
            } while (item != set.cursor_);
        }
        return false;
    }

    static constexpr int max_nesting = 4;

    void insert(Item& item) {
        if (!cursor_) {
            item.next = item.previous = &item;
            cursor_ = &item;
        } else {  // at the end of the round, just before the cursor
            item.next = cursor_;
            item.previous = cursor_->previous;
            cursor_->previous->next = &item;
            cursor_->previous = &item;
        }
        EpollWatches::link(item);
        if (WaitQueue* queue = item.file->poll_queue()) queue->add(item);
    }

    // Takes the item out of its file's queue and lists and frees it (under epoll_lock).
    void erase(Item& item) {
        if (WaitQueue* queue = item.file->poll_queue()) queue->remove(item);
        EpollWatches::unlink(item);
        if (item.next == &item) {
            cursor_ = nullptr;
        } else {
            item.previous->next = item.next;
            item.next->previous = item.previous;
            if (cursor_ == &item) cursor_ = item.next;
        }
        delete &item;
    }

    // Something may have become ready: epoll_wait and the set's watchers look again.
    void poke() {
        __atomic_add_fetch(&wakeups_, 1, __ATOMIC_SEQ_CST);
        waiters_.wake_all();
    }

    uint64_t collect(EpollEvent* out, uint64_t capacity) {
        EpollGuard guard;
        uint64_t count = 0;
        Item* item = cursor_;
        if (!item) return 0;
        Item* stop = item;
        do {
            Item* next = item->next;
            if (uint32_t events = ready_events(*item, true)) {
                out[count++] = EpollEvent{events, item->data};
                if (item->events & epoll_oneshot) item->disabled = true;
                if (count == capacity) {
                    cursor_ = next;  // the next call starts after the last one reported
                    return count;
                }
            }
            item = next;
        } while (item != stop);
        return count;
    }

    uint64_t wakeups() const { return __atomic_load_n(&wakeups_, __ATOMIC_SEQ_CST); }
    bool wait_for_wakeup(uint64_t seen, uint64_t deadline_tsc) {
        return waiters_.wait([&] { return wakeups() != seen; }, deadline_tsc);
    }

protected:
    void last_reference_dropped() override {
        {
            EpollGuard guard;
            while (cursor_) erase(*cursor_);
        }
        File::last_reference_dropped();
    }

private:
    Item* cursor_ = nullptr;  // where the next collect starts; any item of the round
    uint64_t wakeups_ = 0;
    WaitQueue waiters_;
};

void Item::on_wake(WaitQueue::Listener& listener) {
    auto& item = static_cast<Item&>(listener);
    __atomic_store_n(&item.pending, true, __ATOMIC_RELEASE);
    item.owner->poke();
}

// A file's last reference went: it leaves every set that watches it.
void forget_watches(File& file) {
    EpollGuard guard;
    while (Item* item = EpollWatches::first(file)) item->owner->erase(*item);
}

EpollFile& set_of(File& file) { return static_cast<EpollFile&>(file); }

}  // namespace

Result<Ref<File>> make_epoll() {
    auto* file = new EpollFile;
    if (!file) return error(Errno::enomem);
    return Ref<File>(file);
}

Result<void> epoll_control(File& epoll, int operation, int32_t fd, File& target, const EpollEvent& event) {
    // Files whose readiness never changes (regular files, directories) have no poll
    // queue: Linux refuses them with EPERM.
    if (!target.poll_queue()) return error(Errno::eperm);
    if (&target == &epoll || !epoll.is_epoll_set()) return error(Errno::einval);
    EpollFile& set = set_of(epoll);
    // EPOLLEXCLUSIVE: only when adding, not for a set, and with none of the other flags.
    constexpr uint32_t exclusive_ok = poll_in | poll_out | poll_err | poll_hup | poll_rdnorm | poll_wrnorm | poll_pri |
                                      0x80 /* EPOLLRDBAND */ | 0x200 /* EPOLLWRBAND */ | epoll_wakeup |
                                      epoll_edge_triggered | epoll_exclusive;
    if (operation != epoll_ctl_del && (event.events & epoll_exclusive) &&
        (operation == epoll_ctl_mod || target.is_epoll_set() || (event.events & ~exclusive_ok)))
        return error(Errno::einval);
    forget_epoll_watches = &forget_watches;
    EpollGuard guard;
    Item* item = set.find(fd, target);
    switch (operation) {
        case epoll_ctl_add: {
            if (item) return error(Errno::eexist);
            if (set.too_deep_with(target)) return error(Errno::eloop);
            item = new Item(set, target, fd);
            if (!item) return error(Errno::enomem);
            item->events = event.events;
            item->data = event.data;
            item->pending = true;  // looked at by the next epoll_wait, ready or not
            set.insert(*item);
            break;
        }
        case epoll_ctl_mod:
            if (!item) return error(Errno::enoent);
            if (item->events & epoll_exclusive) return error(Errno::einval);
            item->events = event.events;
            item->data = event.data;
            item->disabled = false;
            __atomic_store_n(&item->pending, true, __ATOMIC_RELEASE);
            break;
        case epoll_ctl_del:
            if (!item) return error(Errno::enoent);
            set.erase(*item);
            return {};
        default: return error(Errno::einval);
    }
    set.poke();
    return {};
}

uint64_t epoll_collect(File& epoll, EpollEvent* out, uint64_t capacity) { return set_of(epoll).collect(out, capacity); }

uint64_t epoll_wakeups(File& epoll) { return set_of(epoll).wakeups(); }

bool epoll_wait_for_wakeup(File& epoll, uint64_t seen, uint64_t deadline_tsc) {
    return set_of(epoll).wait_for_wakeup(seen, deadline_tsc);
}

}  // namespace eremite::fs
