#include "drivers/virtio/transport.hpp"

namespace eremite::virtio {

using namespace virtio_spec;

Result<uint64_t> Transport::negotiate(uint64_t wanted) {
    set_status(0);  // reset; the status reads 0 once it is done
    for (int i = 0; i < 1000000 && status(); ++i) {
    }
    set_status(status_acknowledge);
    set_status(status_acknowledge | status_driver);
    uint64_t offered = device_features(0) | uint64_t{device_features(1)} << 32;
    uint64_t agreed = offered & wanted;
    if (!(agreed & feature_version_1)) {
        fail();
        return error(Errno::enodev);
    }
    set_driver_features(0, static_cast<uint32_t>(agreed));
    set_driver_features(1, static_cast<uint32_t>(agreed >> 32));
    set_status(status_acknowledge | status_driver | status_features_ok);
    if (!(status() & status_features_ok)) {
        fail();
        return error(Errno::enodev);
    }
    return agreed;
}

void Transport::set_driver_ok() {
    set_status(status_acknowledge | status_driver | status_features_ok | status_driver_ok);
}

}  // namespace eremite::virtio
