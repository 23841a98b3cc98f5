#include "mm/region_map.hpp"

#include "lib/utility.hpp"

namespace eremite::mm {

size_t RegionMap::first_ending_after(uint64_t address) const {
    size_t low = 0, high = regions_.size();
    while (low < high) {
        size_t middle = (low + high) / 2;
        if (regions_[middle].end <= address)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

const Region* RegionMap::find(uint64_t address) const {
    size_t i = first_ending_after(address);
    if (i == regions_.size() || regions_[i].start > address) return nullptr;
    return &regions_[i];
}

bool RegionMap::is_free(uint64_t start, uint64_t end) const {
    size_t i = first_ending_after(start);
    return i == regions_.size() || regions_[i].start >= end;
}

bool RegionMap::covers(uint64_t start, uint64_t end) const {
    for (uint64_t cursor = start; cursor < end;) {
        const Region* region = find(cursor);
        if (!region) return false;
        cursor = region->end;
    }
    return true;
}

Result<void> RegionMap::split_at(uint64_t address) {
    size_t i = first_ending_after(address);
    if (i == regions_.size() || regions_[i].start >= address) return {};
    Region upper = regions_[i];
    upper.start = address;
    regions_[i].end = address;
    if (!regions_.insert(i + 1, upper)) {
        regions_[i].end = upper.end;  // leave the map as it was
        return error(Errno::enomem);
    }
    return {};
}

Result<void> RegionMap::insert(const Region& region) {
    if (!regions_.insert(first_ending_after(region.start), region)) return error(Errno::enomem);
    return {};
}

Result<void> RegionMap::remove(uint64_t start, uint64_t end) {
    TRY(split_at(start));
    TRY(split_at(end));
    size_t first = first_ending_after(start), last = first;
    while (last < regions_.size() && regions_[last].start < end) ++last;
    regions_.erase(first, last - first);
    return {};
}

Result<void> RegionMap::protect(uint64_t start, uint64_t end, uint32_t protection) {
    TRY(split_at(start));
    TRY(split_at(end));
    for (size_t i = first_ending_after(start); i < regions_.size() && regions_[i].start < end; ++i)
        regions_[i].protection = protection;
    return {};
}

Result<uint64_t> RegionMap::find_free(uint64_t size, uint64_t hint, uint64_t floor, uint64_t ceiling) const {
    uint64_t hint_end;
    if (hint && hint >= floor && checked_add(hint, size, hint_end) && hint_end <= ceiling && is_free(hint, hint_end))
        return hint;
    size_t i = first_ending_after(ceiling);
    if (i < regions_.size() && regions_[i].start < ceiling) ceiling = regions_[i].start;
    while (true) {
        uint64_t below = i > 0 ? max(regions_[i - 1].end, floor) : floor;
        if (ceiling >= below && ceiling - below >= size) return ceiling - size;
        if (i == 0) break;
        ceiling = regions_[--i].start;
    }
    return error(Errno::enomem);
}

}  // namespace eremite::mm
