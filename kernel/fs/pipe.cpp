#include "fs/pipe.hpp"

#include "fs/pipe_buffer.hpp"

#include "lib/format.hpp"
#include "lib/string.hpp"
#include "linux/app_access.hpp"
#include "mm/memory.hpp"
#include "sync/mutex.hpp"
#include "sync/wait_queue.hpp"
#include "time/clock.hpp"

namespace eremite::fs {
namespace {

constexpr uint64_t fionread = 0x541b;
// F_GETPIPE_SZ and F_SETPIPE_SZ reach a pipe end through File::ioctl, the one virtual
// call that can ask a file whether it is one. Above 32 bits, so no ioctl(2) request
// (an unsigned int on Linux) means them; the argument is a size, never a pointer.
constexpr uint64_t request_pipe_size = 0xe7e0'0000'0000'0001, request_set_pipe_size = 0xe7e0'0000'0000'0002,
                   request_set_pipe_size_privileged = 0xe7e0'0000'0000'0003;

class PipeEnd final : public File {
public:
    PipeEnd(PipeBuffer& pipe, uint32_t flags) : File(flags), pipe_(&pipe), reader_(readable()) {
        pipe_->open_end(reader_);
    }

    Result<uint64_t> read(const IoBuffer& buffer, uint64_t length, uint64_t&) override {
        return pipe_->read(buffer, length, nonblocking());
    }

    Result<uint64_t> write(const IoBuffer& buffer, uint64_t length, uint64_t&) override {
        bool broken;
        auto done = pipe_->write(buffer, length, nonblocking(), broken);
        if (broken) linux::raise_broken_pipe_signal();
        return done;
    }

    Result<Attributes> attributes() override { return pipe_->attributes(); }

    Result<int64_t> ioctl(uint64_t request, uint64_t argument) override {
        switch (request) {
            case fionread: {
                auto count = static_cast<int32_t>(min<uint64_t>(pipe_->available(), INT32_MAX));
                if (!linux::write_app(reinterpret_cast<void*>(argument), count)) return error(Errno::efault);
                return int64_t{0};
            }
            case request_pipe_size: return static_cast<int64_t>(pipe_->size());
            case request_set_pipe_size:
            case request_set_pipe_size_privileged: {
                uint64_t size = TRY(pipe_->resize(argument, request == request_set_pipe_size_privileged));
                return static_cast<int64_t>(size);
            }
            default: return error(Errno::enotty);
        }
    }

    uint32_t poll_events() override { return pipe_->poll_events(reader_, !reader_); }
    WaitQueue* poll_queue() override { return pipe_->poll_queue(); }

    bool describe(char* buffer, uint64_t capacity, uint64_t& length) override {
        char text[32];
        length = format(text, sizeof text, "pipe:[%lu]", pipe_->inode());
        if (length > capacity) return false;
        memcpy(buffer, text, length);
        return true;
    }

protected:
    ~PipeEnd() override { pipe_->close_end(reader_); }

private:
    Ref<PipeBuffer> pipe_;
    bool reader_;
};

}  // namespace

Result<PipeEnds> make_pipe(uint32_t flags, uint32_t uid, uint32_t gid) {
    Ref<PipeBuffer> pipe(new PipeBuffer(uid, gid));
    if (!pipe) return error(Errno::enomem);
    uint32_t status = flags & o_nonblock;
    Ref<File> read(new PipeEnd(*pipe, o_rdonly | status));
    if (!read) return error(Errno::enomem);
    Ref<File> write(new PipeEnd(*pipe, o_wronly | status));
    if (!write) return error(Errno::enomem);
    return PipeEnds{read, write};
}

// Any file but a pipe end refuses the request one way or another: that is EBADF, as
// Linux's get_pipe_info() failing.
Result<uint64_t> pipe_size(File& file) {
    auto size = file.ioctl(request_pipe_size, 0);
    if (!size.ok() || size.value() <= 0) return error(Errno::ebadf);
    return static_cast<uint64_t>(size.value());
}

Result<uint64_t> set_pipe_size(File& file, uint64_t size, bool privileged) {
    TRY(pipe_size(file));
    int64_t done = TRY(file.ioctl(privileged ? request_set_pipe_size_privileged : request_set_pipe_size, size));
    return static_cast<uint64_t>(done);
}

}  // namespace eremite::fs
