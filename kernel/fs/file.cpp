#include "fs/file.hpp"

#include "fs/location.hpp"
#include "lib/string.hpp"

namespace eremite::fs {

File::~File() { delete location_; }

void File::last_reference_dropped() {
    if (epoll_watches_ && forget_epoll_watches) forget_epoll_watches(*this);
}

bool File::set_location(const Location& location) {
    auto* copy = new Location(location);
    if (!copy || copy->depth() != location.depth()) {
        delete copy;
        return false;
    }
    delete location_;
    location_ = copy;
    return true;
}

bool File::describe(char* buffer, uint64_t capacity, uint64_t& length) {
    return location_ && location_->path(buffer, capacity, length);
}

bool File::describe_as(const char* text, char* buffer, uint64_t capacity, uint64_t& length) {
    length = strlen(text);
    if (length > capacity) return false;
    memcpy(buffer, text, length);
    return true;
}

Result<uint64_t> File::read(const IoBuffer&, uint64_t, uint64_t&) { return error(Errno::einval); }
Result<uint64_t> File::write(const IoBuffer&, uint64_t, uint64_t&) { return error(Errno::einval); }
Result<uint64_t> File::size() { return uint64_t{0}; }
Result<Attributes> File::attributes() { return error(Errno::ebadf); }
Result<int64_t> File::ioctl(uint64_t, uint64_t) { return error(Errno::enotty); }
Result<void> File::read_directory(uint64_t, DirectoryListing&) { return error(Errno::enotdir); }
Result<void> File::allocate(uint64_t offset, uint64_t length) {
    Node* n = node();
    if (!n) return error(Errno::espipe);
    return n->allocate(offset, length);
}

Result<uint64_t> NodeFile::read(const IoBuffer& buffer, uint64_t length, uint64_t& position) {
    uint64_t done = TRY(node_->read(position, buffer, length));
    position += done;
    return done;
}

Result<uint64_t> NodeFile::write(const IoBuffer& buffer, uint64_t length, uint64_t& position) {
    if (flags() & o_append) return node_->append(buffer, length, position);
    uint64_t done = TRY(node_->write(position, buffer, length));
    position += done;
    return done;
}

Result<uint64_t> NodeFile::size() { return static_cast<uint64_t>(node_->attributes().size); }
Result<Attributes> NodeFile::attributes() { return node_->attributes(); }
Result<void> NodeFile::read_directory(uint64_t cookie, DirectoryListing& listing) {
    return node_->read_directory(cookie, listing);
}

}  // namespace eremite::fs
