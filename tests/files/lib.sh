# Shared by the file tests (sourced): skip without a usable /dev/kvm, and a work
# directory removed at exit.
if ! (exec 3<>/dev/kvm) 2>/dev/null; then
    echo "SKIPPED: /dev/kvm is not usable"
    exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/eremite-files.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
