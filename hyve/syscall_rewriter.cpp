// The load-time syscall rewriter (see syscall_rewriter.hpp). Design:
//
// 1. Function ranges come from `.eh_frame` FDEs and sized function symbols
//    (function_bounds.hpp). Each distinct range is decoded on its own with Zydis, from its
//    start, so a `syscall` is only ever found at an instruction boundary; bytes 0f 05
//    inside other instructions or in data are never seen as sites.
// 2. Each range gets a red-zone verdict (RedZoneCheck). The function is unsafe when any
//    instruction
//    - accesses memory at a negative displacement from %rsp, or at %rsp plus an index
//      register (explicit operands; the implicit stack accesses of push, pop, call, ret,
//      enter and leave are fine), or forms such an address with `lea`;
//    - does the same through an "rsp-derived" register: one that holds %rsp plus a
//      non-negative constant (`mov %rsp,%reg`, `lea d(%rsp),%reg` with d >= 0, copies),
//      or anything else computed from such a register, which may point anywhere;
//    - stores %rsp itself to memory, or reads %rsp in any other unclassified way (xchg,
//      arithmetic into another register, hidden uses by instructions that are not plain
//      stack operations, enter with a nesting level).
//    `add/sub/and ...,%rsp`, `mov/lea ...,%rsp`, `cmp/test` on %rsp and `push %rsp` are
//    fine. Which registers are rsp-derived is followed over the range's control-flow
//    graph (see RedZoneCheck::safe): a register reloaded before its use is harmless.
//    After a call the caller-saved registers count as not derived (the callee's values).
//    Not followed: a derived pointer stored to memory and loaded back (compilers do not
//    keep red-zone data that way).
// 3. A site is rewritten only if every range that contains it decoded completely, found
//    the site at a boundary, and is red-zone safe, and the site's segment is PF_X
//    without PF_W. A `mov $NR,%eax` / `mov $NR,%rax` right before it, in every such
//    range, with NR below abi::syscall_stub_count, becomes a direct call to the stub
//    (the `syscall` itself stays, for code that jumps to it). Otherwise the site becomes
//    `call *%rax` only when every range proves %rax below abi::syscall_slide_end there:
//    set by `mov $imm` or a zeroing xor/sub earlier in straight-line code that no direct
//    jump or call of the range enters, with no call, jump or write to %rax in between; or
//    by constant propagation over the range's control-flow graph (NumberProof), which
//    follows numbers copied between registers across branches and loops.
//    A number that is not known (syscall()) could be any address, such as the app's own
//    code: such a site gets a site stub when the instructions before it can move there
//    (plan_site_stubs), and otherwise keeps trapping.
// 4. Code that no range covers is swept linearly only to count its sites (no_function);
//    they are never rewritten.
#include "syscall_rewriter.hpp"

#include <Zydis/Zydis.h>
#include <elf.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>

#include "eremite/abi.hpp"
#include "function_bounds.hpp"

namespace ehyve {

namespace {

namespace abi = eremite::abi;

constexpr int no_register = -1;
constexpr int rsp_index = ZYDIS_REGISTER_RSP - ZYDIS_REGISTER_RAX;
constexpr uint32_t rsp_bit = 1u << rsp_index;

// 0..15 for a general-purpose register of any width (rax..r15), else no_register.
int gpr_index(ZydisRegister reg) {
    if (reg == ZYDIS_REGISTER_NONE) return no_register;
    ZydisRegister full = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg);
    if (full < ZYDIS_REGISTER_RAX || full > ZYDIS_REGISTER_R15) return no_register;
    return full - ZYDIS_REGISTER_RAX;
}

uint32_t bit(int index) { return index == no_register ? 0 : 1u << index; }

// Instructions whose hidden %rsp operands are ordinary pushes and pops.
bool is_stack_operation(ZydisMnemonic mnemonic) {
    switch (mnemonic) {
        case ZYDIS_MNEMONIC_PUSH:
        case ZYDIS_MNEMONIC_POP:
        case ZYDIS_MNEMONIC_PUSHFQ:
        case ZYDIS_MNEMONIC_POPFQ:
        case ZYDIS_MNEMONIC_CALL:
        case ZYDIS_MNEMONIC_RET:
        case ZYDIS_MNEMONIC_ENTER:
        case ZYDIS_MNEMONIC_LEAVE: return true;
        default: return false;
    }
}

// What one function's analysis found.
struct FunctionAnalysis {
    struct Site {
        uint64_t address = 0;
        bool plain = true;  // exactly 0f 05, no prefix
        std::optional<uint64_t> mov_address;
        uint8_t mov_length = 0;
        uint32_t number = 0;
        bool number_in_slide = false;  // %rax provably below abi::syscall_slide_end
        // The instructions right before the syscall that a site stub can run instead
        // (displaced_from: their first address, 0 when there are none); the stub's code.
        uint64_t displaced_from = 0;
        std::vector<uint8_t> stub_code;
    };
    bool decodable = true;
    bool red_zone_safe = true;
    std::vector<Site> sites;
};

// Red-zone bookkeeping of one function while it is decoded. Registers carry a class,
// joined over the whole function (flow-insensitive): not derived from %rsp, "at or
// above": a copy of %rsp plus a non-negative constant, or "unknown": computed from
// %rsp in any other way.
// The blocks of a decoded range and its direct edges (fall-through, jumps, branches).
// `Step` has address, ends_block, falls_through, has_target, target and nop.
struct ControlFlowGraph {
    std::vector<size_t> starts;  // each block's first step
    std::vector<std::vector<size_t>> successors;
    std::vector<bool> has_predecessor;
    // Alignment padding: nops after a jump or return that nothing jumps to. Compilers put
    // them before loop heads; they are never run, so they have no successors and are no
    // entry from outside (which would give the loop head the join of the whole function).
    std::vector<bool> padding;
    size_t count() const { return starts.size(); }
    size_t end(size_t block, size_t step_count) const {
        return block + 1 < starts.size() ? starts[block + 1] : step_count;
    }
};

// Blocks start at the first step, after every block end, at every branch target (sorted),
// and, with `every_step`, at every step.
template <typename Step>
ControlFlowGraph build_graph(const std::vector<Step>& steps, const std::vector<uint64_t>& branch_targets,
                             bool every_step) {
    ControlFlowGraph graph;
    graph.starts.push_back(0);
    for (size_t i = 1; i < steps.size(); ++i)
        if (every_step || steps[i - 1].ends_block ||
            std::binary_search(branch_targets.begin(), branch_targets.end(), steps[i].address))
            graph.starts.push_back(i);
    const size_t count = graph.count();
    auto block_at = [&](uint64_t address) -> size_t {
        auto it = std::lower_bound(graph.starts.begin(), graph.starts.end(), address,
                                   [&](size_t step, uint64_t a) { return steps[step].address < a; });
        if (it == graph.starts.end() || steps[*it].address != address) return SIZE_MAX;
        return static_cast<size_t>(it - graph.starts.begin());
    };
    graph.successors.resize(count);
    graph.has_predecessor.assign(count, false);
    graph.padding.assign(count, false);
    for (size_t b = 1; b < count && !every_step; ++b) {
        const size_t start = graph.starts[b], end = graph.end(b, steps.size());
        if (steps[start - 1].falls_through ||
            std::binary_search(branch_targets.begin(), branch_targets.end(), steps[start].address))
            continue;
        graph.padding[b] = std::all_of(steps.begin() + start, steps.begin() + end, [](const Step& s) { return s.nop; });
    }
    for (size_t b = 0; b < count; ++b) {
        if (graph.padding[b]) continue;
        const Step& last = steps[graph.end(b, steps.size()) - 1];
        if (last.falls_through && b + 1 < count) graph.successors[b].push_back(b + 1);
        if (last.has_target) {
            size_t target = block_at(last.target);
            if (target != SIZE_MAX) graph.successors[b].push_back(target);
        }
        for (size_t next : graph.successors[b]) graph.has_predecessor[next] = true;
    }
    return graph;
}

class RedZoneCheck {
public:
    void instruction(const ZydisDecodedInstruction& instruction, const ZydisDecodedOperand* operands,
                     uint64_t address) {
        Step step;
        step.address = address;
        step.nop = instruction.mnemonic == ZYDIS_MNEMONIC_NOP;
        step.first_use = static_cast<uint32_t>(uses_.size());
        record(instruction, operands, step);
        step.last_use = static_cast<uint32_t>(uses_.size());
        ZyanU64 target;
        const bool direct = operands[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
                            ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&instruction, &operands[0], address, &target));
        switch (instruction.meta.category) {
            case ZYDIS_CATEGORY_COND_BR:
                step.ends_block = true;
                step.has_target = direct;
                step.target = direct ? target : 0;
                break;
            case ZYDIS_CATEGORY_RET:
            case ZYDIS_CATEGORY_INTERRUPT:
                step.ends_block = true;
                step.falls_through = instruction.mnemonic != ZYDIS_MNEMONIC_RET;  // int3/int n return
                break;
            case ZYDIS_CATEGORY_UNCOND_BR:
                step.ends_block = true;
                step.falls_through = false;
                step.has_target = direct;
                step.target = direct ? target : 0;
                // A jump through a register or memory may land anywhere: no block is safe
                // from it, so every instruction is treated as a possible block start.
                if (!direct) indirect_jump_ = true;
                break;
            default: break;
        }
        if (instruction.mnemonic == ZYDIS_MNEMONIC_UD2 || instruction.mnemonic == ZYDIS_MNEMONIC_HLT) {
            step.ends_block = true;
            step.falls_through = false;
        }
        steps_.push_back(step);
    }

    // The verdict, once every instruction has been seen; `branch_targets` (sorted) are
    // where the range's direct jumps and calls land.
    //
    // Flow-sensitive over the range's control-flow graph: a write gives its register a
    // new class, and a block starts with the join of what its predecessors (direct jumps,
    // fall-through) leave. A block no known edge reaches (an exception landing pad, a
    // jump-table target; not alignment padding) starts with the join of every block's exit. With an indirect
    // jump anywhere, every instruction may start a block and gets that join too.
    bool safe(const std::vector<uint64_t>& branch_targets) {
        if (!safe_) return false;
        if (steps_.empty()) return true;
        const ControlFlowGraph graph = build_graph(steps_, branch_targets, indirect_jump_);
        const size_t count = graph.count();
        const auto& successors = graph.successors;
        const auto& has_predecessor = graph.has_predecessor;
        Classes initial{};
        initial[rsp_index] = Class::at_or_above;
        std::vector<Classes> in(count, Classes{}), out(count, Classes{});
        in[0] = initial;
        Classes everywhere = initial;  // the join of every block's exit
        for (bool changed = true; changed;) {
            changed = false;
            for (size_t b = 0; b < count; ++b) {
                if (graph.padding[b]) continue;
                Classes state = in[b];
                if (b == 0) join(state, initial);
                if (indirect_jump_ || (b != 0 && !has_predecessor[b])) join(state, everywhere);
                for (size_t i = graph.starts[b]; i < graph.end(b, steps_.size()); ++i) apply(steps_[i], state);
                if (state != out[b]) {
                    out[b] = state;
                    changed = true;
                }
                changed |= join(everywhere, state);
                for (size_t next : successors[b]) changed |= join(in[next], state);
            }
        }
        for (size_t b = 0; b < count; ++b) {
            if (graph.padding[b]) continue;
            Classes state = in[b];
            if (b == 0) join(state, initial);
            if (indirect_jump_ || (b != 0 && !has_predecessor[b])) join(state, everywhere);
            for (size_t i = graph.starts[b]; i < graph.end(b, steps_.size()); ++i) {
                for (uint32_t u = steps_[i].first_use; u < steps_[i].last_use; ++u)
                    if (!use_is_safe(uses_[u], state)) return false;
                apply(steps_[i], state);
            }
        }
        return true;
    }

private:
    enum class Class : uint8_t { none, at_or_above, unknown };
    using Classes = std::array<Class, 16>;
    // What an instruction does to the classes of the registers it writes.
    enum class Effect : uint8_t { none, copy, compute, keep, clear, call };
    // A memory operand's address, checked against the classes where it is used.
    struct AddressUse {
        int base;
        int index;
        bool negative;
        bool address_only;  // lea: nothing is accessed
    };
    struct Step {
        uint64_t address = 0;
        uint32_t reads = 0, writes = 0;
        Effect effect = Effect::none;
        int source = no_register;  // of a copy
        uint32_t first_use = 0, last_use = 0;
        bool nop = false;
        bool ends_block = false;    // a jump, branch or return: the next instruction starts a block
        bool falls_through = true;  // the next instruction can follow (not after jmp, ret, ud2)
        bool has_target = false;    // a direct jump or branch to `target`
        uint64_t target = 0;
    };

    // Raises `into` to at least `from`, register by register; true when anything changed.
    static bool join(Classes& into, const Classes& from) {
        bool changed = false;
        for (int r = 0; r < 16; ++r) {
            if (from[r] > into[r]) {
                into[r] = from[r];
                changed = true;
            }
        }
        return changed;
    }

    static void apply(const Step& step, Classes& state) {
        Class result = Class::none;
        switch (step.effect) {
            case Effect::none:
            case Effect::keep: return;
            case Effect::call:
                // After a call the caller-saved registers hold what the callee left: a
                // result, or nothing the caller may use (the System V ABI). A result that
                // points into the caller's frame points at or above its %rsp (the callee's
                // own frame is gone), and C forbids stepping below the object it points
                // into; so none of them is derived from %rsp in a way that matters here.
                for (int r : {0, 1, 2, 6, 7, 8, 9, 10, 11}) state[r] = Class::none;  // rax rcx rdx rsi rdi r8-r11
                return;
            case Effect::clear: break;
            case Effect::copy: result = state[step.source]; break;
            case Effect::compute:
                for (int r = 0; r < 16; ++r)
                    if ((step.reads & bit(r)) && state[r] != Class::none) result = Class::unknown;
                break;
        }
        for (int r = 0; r < 16; ++r)
            if (r != rsp_index && (step.writes & bit(r))) state[r] = result;
    }

    static bool use_is_safe(const AddressUse& use, const Classes& state) {
        // %rsp's own uses were checked instruction by instruction.
        Class base = use.base == no_register || use.base == rsp_index ? Class::none : state[use.base];
        Class index = use.index == no_register ? Class::none : state[use.index];
        if (index != Class::none) return false;
        if (base == Class::at_or_above && (use.negative || use.index != no_register)) return false;
        if (base == Class::unknown && !use.address_only) return false;
        return true;
    }

    void record(const ZydisDecodedInstruction& instruction, const ZydisDecodedOperand* operands, Step& step) {
        const ZydisMnemonic mnemonic = instruction.mnemonic;
        if (mnemonic == ZYDIS_MNEMONIC_NOP) return;  // its memory operand is not accessed
        if (instruction.meta.category == ZYDIS_CATEGORY_CALL) step.effect = Effect::call;
        const bool stack_operation = is_stack_operation(mnemonic);
        if (mnemonic == ZYDIS_MNEMONIC_ENTER && instruction.operand_count_visible >= 2 &&
            operands[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && operands[1].imm.value.u != 0)
            safe_ = false;  // a nesting level copies frame pointers from below %rbp

        int destination = no_register;  // of mov/lea/add, for the copies below
        if (instruction.operand_count_visible >= 1 && operands[0].type == ZYDIS_OPERAND_TYPE_REGISTER)
            destination = gpr_index(operands[0].reg.value);
        uint32_t reads = 0, writes = 0;
        for (uint8_t i = 0; i < instruction.operand_count; ++i) {
            const ZydisDecodedOperand& op = operands[i];
            const bool hidden = op.visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN;
            const bool read = op.actions & ZYDIS_OPERAND_ACTION_MASK_READ;
            const bool write = op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE;
            if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) {
                int reg = gpr_index(op.reg.value);
                if (reg == no_register) continue;
                if (reg == rsp_index) {
                    // Writes to %rsp are fine: data above the new %rsp is not in the red zone.
                    if (hidden && !stack_operation) safe_ = false;
                    if (!hidden && read && !rsp_read_is_classified(instruction, operands, i)) safe_ = false;
                    continue;
                }
                if (read && !(hidden && stack_operation)) reads |= bit(reg);
                if (write) writes |= bit(reg);
            } else if (op.type == ZYDIS_OPERAND_TYPE_MEMORY) {
                int base = gpr_index(op.mem.base);
                int index = gpr_index(op.mem.index);
                bool negative = op.mem.disp.has_displacement && op.mem.disp.value < 0;
                if (op.mem.type == ZYDIS_MEMOP_TYPE_AGEN) {
                    // lea: the address is a value. Into %rsp it is a stack adjustment.
                    if (destination == rsp_index) continue;
                    if (base == rsp_index && (negative || index != no_register)) safe_ = false;
                    if (index == rsp_index) safe_ = false;
                    reads |= bit(base) | bit(index);
                    uses_.push_back({base, index, negative, true});
                    continue;
                }
                // %fs/%gs-relative accesses are thread-local storage, never the stack.
                if (op.mem.segment == ZYDIS_REGISTER_FS || op.mem.segment == ZYDIS_REGISTER_GS) continue;
                if (base == rsp_index && stack_operation && op.visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT)
                    continue;  // the push or pop itself
                if (base == rsp_index && (negative || index != no_register)) safe_ = false;
                if (index == rsp_index) safe_ = false;
                uses_.push_back({base, index, negative, false});
            }
        }
        writes &= ~rsp_bit;
        if (!writes) return;
        step.writes = writes;
        step.reads = reads;

        // Copies keep the class of their source; anything computed from a derived register
        // is "unknown"; a value from elsewhere (memory, a constant) is not derived.
        if ((mnemonic == ZYDIS_MNEMONIC_XOR || mnemonic == ZYDIS_MNEMONIC_SUB) &&
            operands[0].type == ZYDIS_OPERAND_TYPE_REGISTER && operands[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            operands[0].reg.value == operands[1].reg.value) {
            step.effect = Effect::clear;  // xor %reg,%reg: zero, whatever %reg held
        } else if (mnemonic == ZYDIS_MNEMONIC_MOV && operands[1].type == ZYDIS_OPERAND_TYPE_REGISTER) {
            step.effect = Effect::copy;
            step.source = gpr_index(operands[1].reg.value);
            if (step.source == no_register) step.effect = Effect::clear;  // from a segment register
        } else if (mnemonic == ZYDIS_MNEMONIC_LEA && operands[1].mem.index == ZYDIS_REGISTER_NONE &&
                   !(operands[1].mem.disp.has_displacement && operands[1].mem.disp.value < 0)) {
            step.effect = Effect::copy;
            step.source = gpr_index(operands[1].mem.base);
            if (step.source == no_register) step.effect = Effect::clear;  // lea of an absolute or %rip address
        } else if (mnemonic == ZYDIS_MNEMONIC_ADD && operands[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
                   operands[1].imm.value.s >= 0) {
            step.effect = Effect::keep;  // %reg + c, c >= 0: keeps its class
        } else {
            step.effect = reads ? Effect::compute : Effect::clear;
        }
    }

    // An explicit read of %rsp that is known to be harmless, or a copy of it into a
    // register (which then has the class "at or above").
    static bool rsp_read_is_classified(const ZydisDecodedInstruction& instruction, const ZydisDecodedOperand* operands,
                                       uint8_t operand) {
        switch (instruction.mnemonic) {
            case ZYDIS_MNEMONIC_MOV:
                // mov %rsp,%reg is a copy; mov %rsp,mem lets the pointer escape.
                return operand == 1 && operands[0].type == ZYDIS_OPERAND_TYPE_REGISTER;
            case ZYDIS_MNEMONIC_ADD:
            case ZYDIS_MNEMONIC_SUB:
            case ZYDIS_MNEMONIC_AND: return operand == 0;  // adjusting %rsp itself
            case ZYDIS_MNEMONIC_CMP:
            case ZYDIS_MNEMONIC_TEST:
            case ZYDIS_MNEMONIC_PUSH: return true;
            default: return false;
        }
    }

    bool safe_ = true;
    bool indirect_jump_ = false;
    std::vector<Step> steps_;
    std::vector<AddressUse> uses_;
};

// What an instruction does to %rax and to straight-line flow, for the lone-site proof.
struct RaxStep {
    uint64_t address = 0;
    enum class Effect : uint8_t { none, constant, clobber } effect = Effect::none;
    uint64_t value = 0;    // with Effect::constant
    bool barrier = false;  // the next instruction is not reached by falling through
    int site = -1;         // index into FunctionAnalysis::sites
};

RaxStep rax_step(const ZydisDecodedInstruction& instruction, const ZydisDecodedOperand* operands, uint64_t address,
                 std::vector<uint64_t>& branch_targets) {
    RaxStep step;
    step.address = address;
    auto is_rax = [](ZydisRegister reg) {
        return ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg) == ZYDIS_REGISTER_RAX;
    };
    for (unsigned i = 0; i < instruction.operand_count; ++i) {
        const ZydisDecodedOperand& op = operands[i];
        if (op.type == ZYDIS_OPERAND_TYPE_REGISTER && (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) &&
            is_rax(op.reg.value))
            step.effect = RaxStep::Effect::clobber;
    }
    const ZydisDecodedOperand& first = operands[0];
    const ZydisDecodedOperand& second = operands[1];
    bool to_eax_or_rax = instruction.operand_count_visible == 2 && first.type == ZYDIS_OPERAND_TYPE_REGISTER &&
                         (first.reg.value == ZYDIS_REGISTER_EAX || first.reg.value == ZYDIS_REGISTER_RAX);
    if (to_eax_or_rax && instruction.mnemonic == ZYDIS_MNEMONIC_MOV && second.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        step.effect = RaxStep::Effect::constant;
        step.value =
            first.reg.value == ZYDIS_REGISTER_EAX ? static_cast<uint32_t>(second.imm.value.u) : second.imm.value.u;
    } else if (to_eax_or_rax &&
               (instruction.mnemonic == ZYDIS_MNEMONIC_XOR || instruction.mnemonic == ZYDIS_MNEMONIC_SUB) &&
               second.type == ZYDIS_OPERAND_TYPE_REGISTER && second.reg.value == first.reg.value) {
        step.effect = RaxStep::Effect::constant;
        step.value = 0;
    }
    auto note_target = [&] {
        ZyanU64 target;
        if (first.type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
            ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&instruction, &first, address, &target)))
            branch_targets.push_back(target);
    };
    switch (instruction.meta.category) {
        case ZYDIS_CATEGORY_COND_BR:
        case ZYDIS_CATEGORY_UNCOND_BR:
            note_target();
            step.barrier = instruction.meta.category == ZYDIS_CATEGORY_UNCOND_BR;
            break;
        case ZYDIS_CATEGORY_CALL:  // a call into the function is a way in, like a jump
            note_target();
            step.effect = RaxStep::Effect::clobber;
            break;
        case ZYDIS_CATEGORY_SYSCALL: step.effect = RaxStep::Effect::clobber; break;
        case ZYDIS_CATEGORY_RET:
        case ZYDIS_CATEGORY_INTERRUPT: step.barrier = true; break;
        default: break;
    }
    if (instruction.mnemonic == ZYDIS_MNEMONIC_UD2 || instruction.mnemonic == ZYDIS_MNEMONIC_HLT) step.barrier = true;
    return step;
}

// An instruction as a site stub could run it instead, at a different address and with
// %rsp 8 lower (the call pushed its return address): its bytes with any %rsp-based
// displacement raised by 8. Not relocatable: branches, calls and other control flow,
// %rip-relative operands, any other use of %rsp (push, pop, copies of %rsp), a %rsp
// base without an encoded displacement or whose displacement would overflow.
struct Relocated {
    uint64_t address = 0;
    uint8_t length = 0;
    bool relocatable = false;
    uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH]{};
};

Relocated relocate(const ZydisDecodedInstruction& instruction, const ZydisDecodedOperand* operands,
                   const uint8_t* bytes, uint64_t address) {
    Relocated r;
    r.address = address;
    r.length = instruction.length;
    std::memcpy(r.bytes, bytes, instruction.length);
    switch (instruction.meta.category) {
        case ZYDIS_CATEGORY_COND_BR:
        case ZYDIS_CATEGORY_UNCOND_BR:
        case ZYDIS_CATEGORY_CALL:
        case ZYDIS_CATEGORY_RET:
        case ZYDIS_CATEGORY_SYSCALL:
        case ZYDIS_CATEGORY_INTERRUPT:
        case ZYDIS_CATEGORY_SYSTEM: return r;
        default: break;
    }
    bool rsp_base = false;
    for (unsigned i = 0; i < instruction.operand_count; ++i) {
        const ZydisDecodedOperand& op = operands[i];
        if (op.type == ZYDIS_OPERAND_TYPE_REGISTER &&
            ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, op.reg.value) == ZYDIS_REGISTER_RSP)
            return r;
        if (op.type != ZYDIS_OPERAND_TYPE_MEMORY) continue;
        if (op.mem.base == ZYDIS_REGISTER_RIP || op.mem.base == ZYDIS_REGISTER_EIP) return r;
        if (op.mem.index == ZYDIS_REGISTER_RSP) return r;
        if (op.mem.base == ZYDIS_REGISTER_RSP) {
            if (op.visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT || op.type == ZYDIS_OPERAND_TYPE_POINTER) return r;
            rsp_base = true;
        } else if (op.mem.base == ZYDIS_REGISTER_ESP) {
            return r;
        }
    }
    if (rsp_base) {
        // EVEX scales a one-byte displacement by the operand size: raising the raw byte
        // by 8 would move the access by 8 times that. Such instructions stay.
        if (instruction.encoding == ZYDIS_INSTRUCTION_ENCODING_EVEX ||
            instruction.encoding == ZYDIS_INSTRUCTION_ENCODING_MVEX)
            return r;
        const auto& disp = instruction.raw.disp;
        int64_t raised = disp.value + 8;
        if (disp.size == 8 && raised <= INT8_MAX) {
            r.bytes[disp.offset] = static_cast<uint8_t>(static_cast<int8_t>(raised));
        } else if (disp.size == 32 && raised <= INT32_MAX) {
            auto value = static_cast<int32_t>(raised);
            std::memcpy(r.bytes + disp.offset, &value, 4);
        } else {
            return r;
        }
    }
    r.relocatable = true;
    return r;
}

// Which sites have %rax provably in page 0's slide: straight-line code from a constant
// write, entered by no direct jump or call of the range in between: neither at an
// instruction nor into the middle of one (which would run other instructions).
void prove_numbers(FunctionAnalysis& analysis, const std::vector<RaxStep>& steps, std::vector<uint64_t>& targets) {
    std::sort(targets.begin(), targets.end());
    bool known = false;  // at the range's start nothing is known
    uint64_t value = 0;
    uint64_t previous = 0;
    auto next_target = targets.begin();
    for (const RaxStep& step : steps) {
        // Targets in (previous instruction, this one]: this instruction has other ways in.
        for (; next_target != targets.end() && *next_target <= step.address; ++next_target)
            if (*next_target > previous) known = false;
        previous = step.address;
        if (step.site >= 0) analysis.sites[step.site].number_in_slide = known && value < abi::syscall_slide_end;
        if (step.effect == RaxStep::Effect::constant) {
            known = true;
            value = step.value;
        } else if (step.effect == RaxStep::Effect::clobber) {
            known = false;
        }
        if (step.barrier) known = false;
    }
}

// Constant propagation of the general registers over a range's control-flow graph: proves
// the number in %rax where it was copied from a register set before a branch or a loop
// (libgomp's and glibc's futex wrappers), which the straight-line proof above cannot. A
// block that no direct edge reaches, or a range with an indirect jump or a jump into the
// middle of an instruction, knows nothing.
class NumberProof {
public:
    void instruction(const ZydisDecodedInstruction& instruction, const ZydisDecodedOperand* operands, uint64_t address,
                     bool is_site) {
        Step step;
        step.address = address;
        step.site = is_site;
        step.nop = instruction.mnemonic == ZYDIS_MNEMONIC_NOP;
        for (unsigned i = 0; i < instruction.operand_count; ++i) {
            const ZydisDecodedOperand& op = operands[i];
            if (op.type == ZYDIS_OPERAND_TYPE_REGISTER && (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) {
                int reg = gpr_index(op.reg.value);
                if (reg != no_register) step.writes |= bit(reg);
            }
        }
        const ZydisDecodedOperand& first = operands[0];
        const ZydisDecodedOperand& second = operands[1];
        auto full_width = [](ZydisRegister reg) {
            return ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, reg) >= 32;
        };
        if (instruction.operand_count_visible == 2 && first.type == ZYDIS_OPERAND_TYPE_REGISTER &&
            gpr_index(first.reg.value) != no_register && full_width(first.reg.value)) {
            step.destination = static_cast<int8_t>(gpr_index(first.reg.value));
            step.narrow = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, first.reg.value) == 32;
            if (instruction.mnemonic == ZYDIS_MNEMONIC_MOV && second.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
                step.has_value = true;
                step.value = second.imm.value.u;
            } else if ((instruction.mnemonic == ZYDIS_MNEMONIC_XOR || instruction.mnemonic == ZYDIS_MNEMONIC_SUB) &&
                       second.type == ZYDIS_OPERAND_TYPE_REGISTER && second.reg.value == first.reg.value) {
                step.has_value = true;
                step.value = 0;
            } else if (instruction.mnemonic == ZYDIS_MNEMONIC_MOV && second.type == ZYDIS_OPERAND_TYPE_REGISTER &&
                       gpr_index(second.reg.value) != no_register &&
                       ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, second.reg.value) ==
                           ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, first.reg.value)) {
                step.source = static_cast<int8_t>(gpr_index(second.reg.value));
            }
        }
        ZyanU64 target;
        const bool direct = first.type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
                            ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&instruction, &first, address, &target));
        switch (instruction.meta.category) {
            case ZYDIS_CATEGORY_COND_BR:
            case ZYDIS_CATEGORY_UNCOND_BR:
                step.ends_block = true;
                step.falls_through = instruction.meta.category == ZYDIS_CATEGORY_COND_BR;
                step.has_target = direct;
                step.target = direct ? target : 0;
                if (!direct) indirect_jump_ = true;
                break;
            case ZYDIS_CATEGORY_RET:
                step.ends_block = true;
                step.falls_through = false;
                break;
            case ZYDIS_CATEGORY_CALL:
                if (direct) call_targets_.push_back(target);  // entered from the call: unknown there
                // What the callee may change: the caller-saved registers.
                step.writes |= bit(0) | bit(1) | bit(2) | bit(6) | bit(7) | bit(8) | bit(9) | bit(10) | bit(11);
                step.destination = no_register;
                step.has_value = false;
                step.source = no_register;
                break;
            case ZYDIS_CATEGORY_SYSCALL:
                step.writes |= bit(0) | bit(1) | bit(11);  // %rax (the result), %rcx, %r11
                step.destination = no_register;
                step.has_value = false;
                step.source = no_register;
                break;
            default: break;
        }
        if (instruction.mnemonic == ZYDIS_MNEMONIC_UD2 || instruction.mnemonic == ZYDIS_MNEMONIC_HLT ||
            instruction.meta.category == ZYDIS_CATEGORY_INTERRUPT) {
            step.ends_block = true;
            step.falls_through = false;
        }
        steps_.push_back(step);
    }

    // For each site, in order: whether %rax holds a number below abi::syscall_slide_end.
    std::vector<bool> prove(const std::vector<uint64_t>& branch_targets) const {
        std::vector<bool> proven;
        for (const Step& step : steps_)
            if (step.site) proven.push_back(false);
        if (indirect_jump_ || steps_.empty()) return proven;
        auto at_instruction = [&](uint64_t address) {
            return std::binary_search(steps_.begin(), steps_.end(), address,
                                      [](const auto& a, const auto& b) { return address_of(a) < address_of(b); });
        };
        for (uint64_t target : branch_targets) {
            bool inside = target > steps_.front().address && target <= steps_.back().address;
            if (inside && !at_instruction(target)) return proven;  // into the middle of an instruction
        }
        const ControlFlowGraph graph = build_graph(steps_, branch_targets, false);
        const size_t count = graph.count();
        auto block_at = [&](uint64_t address) -> size_t {
            for (size_t b = 0; b < count; ++b)
                if (steps_[graph.starts[b]].address == address) return b;
            return SIZE_MAX;
        };
        // Unreached (not yet seen), a constant, or unknown, per register.
        std::vector<Values> in(count, unreached());
        for (size_t b = 0; b < count; ++b)
            if (b == 0 || (!graph.has_predecessor[b] && !graph.padding[b])) in[b] = unknown();  // an entry from outside
        for (uint64_t target : call_targets_) {
            size_t b = block_at(target);
            if (b != SIZE_MAX) in[b] = unknown();  // called: whatever the caller had
        }
        for (bool changed = true; changed;) {
            changed = false;
            for (size_t b = 0; b < count; ++b) {
                if (is_unreached(in[b])) continue;
                Values state = in[b];
                for (size_t i = graph.starts[b]; i < graph.end(b, steps_.size()); ++i) apply(steps_[i], state);
                for (size_t next : graph.successors[b]) changed |= join(in[next], state);
            }
        }
        size_t site = 0;
        for (size_t b = 0; b < count; ++b) {
            Values state = in[b];
            for (size_t i = graph.starts[b]; i < graph.end(b, steps_.size()); ++i) {
                if (steps_[i].site) {
                    const Value& rax = state[0];
                    proven[site++] = rax.kind == Value::constant && rax.value < abi::syscall_slide_end;
                }
                apply(steps_[i], state);
            }
        }
        return proven;
    }

private:
    struct Step {
        uint64_t address = 0;
        uint32_t writes = 0;
        int8_t destination = no_register;  // of a constant or a copy (32 or 64 bits)
        int8_t source = no_register;       // of a copy
        bool narrow = false;               // a 32-bit destination: the value is zero-extended
        bool has_value = false;
        uint64_t value = 0;
        bool site = false;
        bool nop = false;
        bool ends_block = false, falls_through = true, has_target = false;
        uint64_t target = 0;
    };
    struct Value {
        enum Kind : uint8_t { unreached, constant, unknown } kind = unreached;
        uint64_t value = 0;
    };
    using Values = std::array<Value, 16>;

    static uint64_t address_of(const Step& step) { return step.address; }
    static uint64_t address_of(uint64_t address) { return address; }
    static Values unreached() { return Values{}; }
    static Values unknown() {
        Values values;
        for (Value& v : values) v.kind = Value::unknown;
        return values;
    }
    static bool is_unreached(const Values& values) { return values[0].kind == Value::unreached; }

    static bool join(Values& into, const Values& from) {
        bool changed = false;
        for (int r = 0; r < 16; ++r) {
            Value& a = into[r];
            const Value& b = from[r];
            if (b.kind == Value::unreached || a.kind == Value::unknown) continue;
            if (a.kind == Value::unreached) {
                a = b;
                changed = true;
            } else if (b.kind == Value::unknown || b.value != a.value) {
                a.kind = Value::unknown;
                changed = true;
            }
        }
        return changed;
    }

    static void apply(const Step& step, Values& state) {
        Value copied{Value::unknown, 0};
        if (step.source != no_register) copied = state[step.source];
        for (int r = 0; r < 16; ++r)
            if (step.writes & bit(r)) state[r] = Value{Value::unknown, 0};
        if (step.destination == no_register) return;
        Value result{Value::unknown, 0};
        if (step.has_value) result = Value{Value::constant, step.value};
        if (step.source != no_register && copied.kind == Value::constant) result = copied;
        if (result.kind == Value::constant && step.narrow) result.value &= 0xffffffffu;
        state[step.destination] = result;
    }

    std::vector<Step> steps_;
    std::vector<uint64_t> call_targets_;
    bool indirect_jump_ = false;
};

// For each site: the instructions right before it (at least 5 bytes, so that a call fits
// over them) that a site stub can run instead, then enter the kernel. The call replaces
// their first 5 bytes and the syscall stays; the kernel returns 2 bytes past the call,
// which is the end of the syscall when they are exactly 5 bytes long (glibc's syscall()
// ends in `mov 0x8(%rsp),%r9; syscall`), and otherwise a `jmp` there skips the rest, so
// they must be 9 bytes or more. No jump of the range may enter them after their start
// (`branch_targets` is sorted).
void plan_site_stubs(FunctionAnalysis& analysis, const std::vector<Relocated>& instructions,
                     const std::vector<uint64_t>& branch_targets) {
    constexpr uint8_t jump_via_direct_entry[] = {0x65, 0xff, 0x24, 0x25, 0x38, 0x00, 0x00, 0x00};  // jmp *%gs:56
    for (auto& site : analysis.sites) {
        auto at = std::lower_bound(instructions.begin(), instructions.end(), site.address,
                                   [](const Relocated& r, uint64_t address) { return r.address < address; });
        if (at == instructions.end() || at->address != site.address) continue;
        // Take instructions backwards until they are 5 bytes, or 9 and more.
        uint64_t length = 0;
        auto first = at;
        while (first != instructions.begin() && (length < 5 || (length > 5 && length < 9))) {
            auto previous = first - 1;
            if (!previous->relocatable || previous->address + previous->length != first->address) break;
            first = previous;
            length += first->length;
        }
        if (length < 5 || (length > 5 && length < 9)) continue;
        auto target = std::upper_bound(branch_targets.begin(), branch_targets.end(), first->address);
        if (target != branch_targets.end() && *target < site.address) continue;
        for (auto i = first; i != at; ++i) site.stub_code.insert(site.stub_code.end(), i->bytes, i->bytes + i->length);
        site.stub_code.insert(site.stub_code.end(), std::begin(jump_via_direct_entry), std::end(jump_via_direct_entry));
        site.displaced_from = first->address;
    }
}

FunctionAnalysis analyse_function(const ZydisDecoder& decoder, std::span<const uint8_t> code, uint64_t address) {
    FunctionAnalysis analysis;
    RedZoneCheck red_zone;
    ZydisDecodedInstruction instruction;
    ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
    constexpr size_t no_previous = SIZE_MAX;
    size_t previous = no_previous;  // offset of the previous instruction, when it decoded
    size_t offset = 0;
    std::vector<RaxStep> steps;
    std::vector<uint64_t> branch_targets;
    std::vector<Relocated> relocated;  // every decoded instruction, in order
    NumberProof numbers;
    while (offset < code.size()) {
        if (!ZYAN_SUCCESS(
                ZydisDecoderDecodeFull(&decoder, code.data() + offset, code.size() - offset, &instruction, operands))) {
            // Keep sweeping (one byte on) only to count the sites; none will be rewritten.
            analysis.decodable = false;
            previous = no_previous;
            ++offset;
            continue;
        }
        red_zone.instruction(instruction, operands, address + offset);
        steps.push_back(rax_step(instruction, operands, address + offset, branch_targets));
        relocated.push_back(relocate(instruction, operands, code.data() + offset, address + offset));
        numbers.instruction(instruction, operands, address + offset, instruction.mnemonic == ZYDIS_MNEMONIC_SYSCALL);
        if (instruction.mnemonic == ZYDIS_MNEMONIC_SYSCALL) {
            FunctionAnalysis::Site site;
            site.address = address + offset;
            site.plain = instruction.length == 2;
            if (site.plain && previous != no_previous) {
                const uint8_t* mov = code.data() + previous;
                size_t mov_length = offset - previous;
                uint32_t immediate = 0;
                if (mov_length == 5 && mov[0] == 0xb8) {
                    std::memcpy(&immediate, mov + 1, 4);  // mov $imm32,%eax
                } else if (mov_length == 7 && mov[0] == 0x48 && mov[1] == 0xc7 && mov[2] == 0xc0) {
                    std::memcpy(&immediate, mov + 3, 4);  // mov $simm32,%rax: sign-extended
                } else {
                    mov_length = 0;
                }
                if (mov_length != 0 && immediate < abi::syscall_stub_count) {
                    site.mov_address = address + previous;
                    site.mov_length = static_cast<uint8_t>(mov_length);
                    site.number = immediate;
                }
            }
            steps.back().site = static_cast<int>(analysis.sites.size());
            analysis.sites.push_back(site);
        }
        previous = offset;
        offset += instruction.length;
    }
    prove_numbers(analysis, steps, branch_targets);  // sorts branch_targets
    std::vector<bool> proven = numbers.prove(branch_targets);
    for (size_t i = 0; i < analysis.sites.size() && i < proven.size(); ++i)
        analysis.sites[i].number_in_slide = analysis.sites[i].number_in_slide || proven[i];
    analysis.red_zone_safe = red_zone.safe(branch_targets);
    plan_site_stubs(analysis, relocated, branch_targets);
    return analysis;
}

// How many of the ranges (given by sorted starts and sorted ends) contain `address`.
class RangeCounter {
public:
    explicit RangeCounter(const std::vector<AddressRange>& ranges) {
        for (const auto& r : ranges) {
            starts_.push_back(r.start);
            ends_.push_back(r.end);
        }
        std::sort(starts_.begin(), starts_.end());
        std::sort(ends_.begin(), ends_.end());
    }
    // Whether some range starts in (after, before): a way into the middle of that span.
    bool starts_inside(uint64_t after, uint64_t before) const {
        auto first = std::upper_bound(starts_.begin(), starts_.end(), after);
        return first != starts_.end() && *first < before;
    }
    size_t containing(uint64_t address) const {
        auto started = std::upper_bound(starts_.begin(), starts_.end(), address) - starts_.begin();
        auto ended = std::upper_bound(ends_.begin(), ends_.end(), address) - ends_.begin();
        return static_cast<size_t>(started - ended);
    }

private:
    std::vector<uint64_t> starts_;
    std::vector<uint64_t> ends_;
};

// What every range that found a site says about it.
struct SiteVotes {
    size_t found = 0;
    size_t paired = 0;
    size_t number_in_slide = 0;
    bool pair_conflict = false;
    bool plain = true;
    uint64_t mov_address = 0;
    uint8_t mov_length = 0;
    uint32_t number = 0;
    size_t displaced = 0;  // ranges that agree on the instructions a site stub runs
    uint64_t displaced_from = 0;
    std::vector<uint8_t> stub_code;
};

const LoadSegment* executable_segment_holding(const ElfLayout& layout, uint64_t start, uint64_t end) {
    for (const auto& s : layout.segments) {
        if (!(s.flags & PF_X)) continue;
        if (start >= s.address && end >= start && end - s.address <= s.file_size) return &s;
    }
    return nullptr;
}

// Whether `code` holds the bytes of a `syscall` anywhere: most functions do not, and
// skipping those keeps the pass to a fraction of a millisecond (ehyve runs it at every start).
bool has_syscall_bytes(std::span<const uint8_t> code) {
    const uint8_t* at = code.data();
    const uint8_t* end = code.data() + code.size();
    while (end - at >= 2) {
        at = static_cast<const uint8_t*>(std::memchr(at, 0x0f, static_cast<size_t>(end - at - 1)));
        if (!at) return false;
        if (at[1] == 0x05) return true;
        ++at;
    }
    return false;
}

struct Rewrite {
    uint64_t address = 0;  // first byte written
    SyscallPatch patch;
    uint64_t call_site = 0;
    bool direct = false;
    std::vector<uint8_t> stub_code;  // a site stub's code (the call's rel32 is set once it has a place)
};

}  // namespace

RewritePlan plan_syscall_rewrites(std::span<const uint8_t> elf_file) {
    RewritePlan plan;
    auto layout = read_elf_layout(elf_file);
    if (!layout) return plan;
    ZydisDecoder decoder;
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64))) return plan;

    std::vector<AddressRange> ranges = find_function_ranges(elf_file, *layout);
    // Hostile files may pile up overlapping ranges: bound the decoding work.
    uint64_t executable_bytes = 0;
    for (const auto& s : layout->segments)
        if (s.flags & PF_X) executable_bytes += s.file_size;
    uint64_t budget = 16 * executable_bytes + (1u << 20);

    std::vector<AddressRange> undecodable_ranges, unsafe_ranges;
    std::map<uint64_t, SiteVotes> votes;
    for (const auto& range : ranges) {
        if (!executable_segment_holding(*layout, range.start, range.end)) continue;  // counted, never found
        uint64_t size = range.end - range.start;
        if (size > budget) return RewritePlan{};
        budget -= size;
        auto offset = file_offset_of(*layout, range.start, size);
        if (!offset) continue;
        std::span<const uint8_t> code = elf_file.subspan(*offset, size);
        if (!has_syscall_bytes(code)) continue;
        FunctionAnalysis analysis = analyse_function(decoder, code, range.start);
        if (!analysis.decodable) undecodable_ranges.push_back(range);
        if (!analysis.red_zone_safe) unsafe_ranges.push_back(range);
        for (const auto& site : analysis.sites) {
            SiteVotes& vote = votes[site.address];
            if (vote.found++ == 0) {
                vote.mov_address = site.mov_address.value_or(0);
                vote.mov_length = site.mov_length;
                vote.number = site.number;
            } else if (site.mov_address.value_or(0) != vote.mov_address) {
                vote.pair_conflict = true;
            }
            vote.plain = vote.plain && site.plain;
            if (site.mov_address) ++vote.paired;
            if (site.number_in_slide) ++vote.number_in_slide;
            if (site.displaced_from) {
                if (vote.displaced == 0) {
                    vote.displaced_from = site.displaced_from;
                    vote.stub_code = site.stub_code;
                    ++vote.displaced;
                } else if (vote.displaced_from == site.displaced_from && vote.stub_code == site.stub_code) {
                    ++vote.displaced;
                }
            }
        }
    }

    RangeCounter all(ranges), undecodable(undecodable_ranges), unsafe(unsafe_ranges);
    const uint64_t stub_region = abi::syscall_stub_region_address(layout->image_end);
    std::vector<Rewrite> rewrites;
    RewriteStats& stats = plan.stats;
    for (const auto& [address, vote] : votes) {
        ++stats.sites;
        const LoadSegment* segment = executable_segment_holding(*layout, address, address + 2);
        size_t containing = all.containing(address);
        if (!segment || (segment->flags & PF_W)) {
            ++stats.other;
        } else if (undecodable.containing(address) > 0) {
            ++stats.undecodable;
        } else if (unsafe.containing(address) > 0) {
            ++stats.red_zone;
        } else if (vote.found != containing || all.containing(address + 1) != containing || !vote.plain) {
            ++stats.other;  // the ranges disagree on where instructions start, or a prefix
        } else {
            Rewrite rewrite;
            bool paired = vote.paired == containing && !vote.pair_conflict;
            if (paired) {
                uint64_t call_end = vote.mov_address + vote.mov_length;  // where the call returns to
                int64_t displacement =
                    static_cast<int64_t>(stub_region + vote.number * abi::syscall_stub_stride - call_end);
                paired = displacement >= INT32_MIN && displacement <= INT32_MAX;
                if (paired) {
                    auto rel32 = static_cast<int32_t>(displacement);
                    uint8_t* bytes = rewrite.patch.bytes;
                    size_t at = 0;
                    if (vote.mov_length == 7) {
                        bytes[at++] = 0x66;  // 2-byte nop
                        bytes[at++] = 0x90;
                    }
                    bytes[at++] = 0xe8;
                    std::memcpy(bytes + at, &rel32, 4);
                    at += 4;
                    rewrite.address = vote.mov_address;
                    rewrite.patch.length = static_cast<uint8_t>(at);
                    rewrite.direct = true;
                }
            }
            if (!paired && vote.number_in_slide != containing) {
                // The number is not known: a site stub that runs the instructions before
                // the syscall in place of the call (its rel32 is set below).
                uint64_t length = address - vote.displaced_from;
                if (vote.displaced != containing || length > sizeof rewrite.patch.bytes ||
                    all.starts_inside(vote.displaced_from, address)) {
                    ++stats.number_unknown;
                    continue;
                }
                uint8_t* bytes = rewrite.patch.bytes;
                std::memset(bytes, 0xcc, length);  // int3: never run
                bytes[0] = 0xe8;
                if (length > 5) {  // the kernel returns to the call's end + 2: jump over the rest
                    bytes[7] = 0xeb;
                    bytes[8] = static_cast<uint8_t>(length - 7);  // to the syscall's end
                }
                rewrite.address = vote.displaced_from;
                rewrite.patch.length = static_cast<uint8_t>(length);
                rewrite.stub_code = vote.stub_code;
                rewrite.direct = true;
                rewrite.patch.file_offset = segment->file_offset + (rewrite.address - segment->address);
                rewrites.push_back(rewrite);
                continue;
            }
            if (!paired) {
                rewrite.address = address;
                rewrite.patch.length = 2;
                rewrite.patch.bytes[0] = 0xff;  // call *%rax
                rewrite.patch.bytes[1] = 0xd0;
                rewrite.call_site = address;
            }
            rewrite.patch.file_offset = segment->file_offset + (rewrite.address - segment->address);
            rewrites.push_back(rewrite);
        }
    }

    // Overlapping patches cannot come out of consistent decodings; drop them if they do.
    std::sort(rewrites.begin(), rewrites.end(),
              [](const Rewrite& a, const Rewrite& b) { return a.patch.file_offset < b.patch.file_offset; });
    uint64_t written_up_to = 0;
    for (const auto& rewrite : rewrites) {
        if (rewrite.patch.file_offset < written_up_to) {
            ++stats.other;
            continue;
        }
        written_up_to = rewrite.patch.file_offset + rewrite.patch.length;
        SyscallPatch patch = rewrite.patch;
        if (!rewrite.stub_code.empty()) {
            // Site stubs follow the direct stubs, 16-byte aligned, int3 between them.
            uint64_t stub = stub_region + abi::syscall_stub_region_size + plan.site_stubs.size();
            int64_t displacement = static_cast<int64_t>(stub - (rewrite.address + 5));
            if (displacement < INT32_MIN || displacement > INT32_MAX) {
                ++stats.other;
                continue;
            }
            auto rel32 = static_cast<int32_t>(displacement);
            std::memcpy(patch.bytes + 1, &rel32, 4);
            plan.site_stubs.insert(plan.site_stubs.end(), rewrite.stub_code.begin(), rewrite.stub_code.end());
            plan.site_stubs.resize((plan.site_stubs.size() + 15) & ~size_t{15}, 0xcc);
            ++stats.site_stub;
        } else {
            ++(rewrite.direct ? stats.direct : stats.through_rax);
        }
        plan.patches.push_back(patch);
        if (!rewrite.direct) plan.call_sites.push_back(rewrite.call_site);
    }
    std::sort(plan.call_sites.begin(), plan.call_sites.end());

    // Code outside every range: count its syscalls, by a linear sweep, as no_function.
    std::vector<AddressRange> covered;
    for (const auto& r : ranges) {
        if (!covered.empty() && r.start <= covered.back().end) {
            covered.back().end = std::max(covered.back().end, r.end);
        } else {
            covered.push_back(r);
        }
    }
    // Only the bytes shortly before each candidate are decoded (decoding resynchronises
    // within a few instructions): a full sweep of large uncovered code took 20 ms on a
    // stripped busybox, and these sites are only counted.
    auto count_gap = [&](const LoadSegment& segment, uint64_t start, uint64_t end) {
        constexpr uint64_t resync_window = 256;
        ZydisDecodedInstruction instruction;
        const uint8_t* code = elf_file.data() + segment.file_offset + (start - segment.address);
        const uint64_t size = end - start;
        uint64_t at = 0;
        for (uint64_t candidate = 0; candidate + 1 < size; ++candidate) {
            if (code[candidate] != 0x0f || code[candidate + 1] != 0x05) continue;
            if (at > candidate) continue;  // decoded past it: it was inside an instruction
            if (candidate - at > resync_window) at = candidate - resync_window;
            while (at <= candidate) {
                if (!ZYAN_SUCCESS(
                        ZydisDecoderDecodeInstruction(&decoder, nullptr, code + at, size - at, &instruction))) {
                    ++at;
                    continue;
                }
                if (at == candidate && instruction.mnemonic == ZYDIS_MNEMONIC_SYSCALL) {
                    ++stats.sites;
                    ++stats.no_function;
                }
                at += instruction.length;
            }
        }
    };
    for (const auto& segment : layout->segments) {
        if (!(segment.flags & PF_X)) continue;
        uint64_t cursor = segment.address;
        const uint64_t end = segment.address + segment.file_size;
        for (const auto& range : covered) {
            if (range.end <= cursor) continue;
            if (range.start >= end) break;
            if (range.start > cursor) count_gap(segment, cursor, range.start);
            cursor = range.end;
        }
        if (cursor < end) count_gap(segment, cursor, end);
    }
    return plan;
}

void apply_syscall_rewrites(const RewritePlan& plan, std::span<uint8_t> elf_file) {
    for (const auto& patch : plan.patches) {
        if (patch.length > sizeof patch.bytes || patch.file_offset > elf_file.size() ||
            patch.length > elf_file.size() - patch.file_offset)
            continue;
        std::memcpy(elf_file.data() + patch.file_offset, patch.bytes, patch.length);
    }
}

}  // namespace ehyve
