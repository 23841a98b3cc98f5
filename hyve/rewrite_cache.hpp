// A cache of syscall rewrite plans (syscall_rewriter.hpp), so that the analysis (a few
// milliseconds for a large static program, more than the rest of ehyve's start-up) runs
// once per app file rather than at every start. A plan is kept in the user's cache
// directory ($XDG_CACHE_HOME/eremite/rewrites, else ~/.cache/eremite/rewrites), in a
// file named after the app's identity: device, inode, size and modification time, and
// the same for the ehyve executable, so a changed app or a rebuilt ehyve never reuses an
// old plan. A cache file that does not read back exactly, or whose patches do not fit the
// app (each must end just before a `syscall`), is ignored; one that cannot be written is
// skipped silently: the cache is only ever an optimisation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "syscall_rewriter.hpp"

namespace ehyve {

class RewriteCache {
public:
    // The cache entry for the app open at `app_fd`; an unusable cache (no home, no stat)
    // makes every lookup a miss and every store a no-op.
    explicit RewriteCache(int app_fd);

    std::optional<RewritePlan> load(std::span<const uint8_t> elf_file) const;
    void store(const RewritePlan& plan) const;

    const std::string& path() const { return path_; }

private:
    std::string path_;  // empty when unusable
};

// The plan's bytes as the cache stores them, and back (nullopt for anything malformed).
std::string serialize_plan(const RewritePlan& plan);
std::optional<RewritePlan> deserialize_plan(std::string_view bytes);

// True when every patch lies inside `elf_file` and ends right before (a call site: at) a
// `syscall` instruction's bytes, as a plan made for this file does.
bool plan_fits(const RewritePlan& plan, std::span<const uint8_t> elf_file);

}  // namespace ehyve
