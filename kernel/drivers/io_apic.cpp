#include "drivers/io_apic.hpp"

#include "drivers/standalone.hpp"
#include "mm/memory.hpp"

namespace eremite::io_apic {
namespace {

constexpr uint32_t register_select = 0x00, register_window = 0x10;
constexpr uint32_t version_register = 0x01, redirection_table = 0x10;
constexpr uint32_t trigger_level = 1u << 15, polarity_low = 1u << 13;

uint32_t read(volatile uint32_t* io_apic, uint32_t index) {
    io_apic[register_select / 4] = index;
    return io_apic[register_window / 4];
}

void write(volatile uint32_t* io_apic, uint32_t index, uint32_t value) {
    io_apic[register_select / 4] = index;
    io_apic[register_window / 4] = value;
}

}  // namespace

bool route(uint32_t gsi, uint8_t vector, bool level_triggered, bool active_low) {
    const auto& platform = standalone::platform;
    for (uint32_t i = 0; i < platform.io_apic_count; ++i) {
        const auto& entry = platform.io_apics[i];
        if (gsi < entry.first_gsi) continue;
        auto mapped = mm::map_device(entry.address, page_size);
        if (!mapped.ok()) return false;
        auto* io_apic = reinterpret_cast<volatile uint32_t*>(mapped.value());
        uint32_t pins = ((read(io_apic, version_register) >> 16) & 0xff) + 1;
        uint32_t pin = gsi - entry.first_gsi;
        if (pin >= pins) continue;
        uint32_t low = vector | (level_triggered ? trigger_level : 0) | (active_low ? polarity_low : 0);
        write(io_apic, redirection_table + 2 * pin + 1, 0);  // destination: APIC id 0 (physical)
        write(io_apic, redirection_table + 2 * pin, low);    // fixed delivery, unmasked
        return true;
    }
    return false;
}

}  // namespace eremite::io_apic
