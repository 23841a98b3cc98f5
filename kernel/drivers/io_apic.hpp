// The IOAPICs that the PVH boot code found in the MADT (standalone::platform): routing a
// device's interrupt line (a global system interrupt) to a vector on CPU 0. Only under
// another VMM: ehyve's devices interrupt through MSI, and virtio-pci uses MSI-X.
#pragma once

#include <stdint.h>

namespace eremite::io_apic {

// Routes `gsi` to `vector` on the CPU with APIC id 0, unmasked; false when no IOAPIC
// serves that line.
bool route(uint32_t gsi, uint8_t vector, bool level_triggered, bool active_low);

}  // namespace eremite::io_apic
