// /init of the Linux microVM in bench/boot/qemu.sh: the hello line of examples/hello,
// then a reboot, which ends QEMU under -no-reboot (an init that exits would panic the
// kernel instead).
#include <stdio.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void) {
    printf("Hello from a Linux microVM\n");
    fflush(stdout);
    reboot(RB_AUTOBOOT);
    return 1;
}
