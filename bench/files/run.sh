#!/usr/bin/env bash
# File system benchmarks, native Linux against Eremite, in four places side by side in
# one run; prints one markdown report on stdout (progress goes to stderr).
#
#   bench/files/run.sh BUILD_DIR            e.g.  bench/files/run.sh build
#   make build && bench/files/run.sh build >report.md
#
# Build first (cmake -S . -B build -G Ninja && cmake --build build, or make build):
# the programs are BUILD_DIR/bench/files/{seq_io,small_files}, ordinary static Linux
# programs that take the directory to work in as an argument and print
# "result name=NAME value=NUMBER" lines. Each runs in four places:
#
#   native tmpfs     natively, in a new directory in /dev/shm (or, when /dev/shm is too
#                    small and we are root, in a tmpfs mounted for the run under /tmp)
#   Eremite tmpfs    `ehyve --memory SIZE PROG ... /tmp`: the guest's own tmpfs root
#   native disk      natively, in a new directory under /var/tmp (a disk-backed file
#                    system; EREMITE_BENCH_DISK_DIR names another parent)
#   Eremite hostfs   `ehyve --mount HOST_DIR:/data PROG ... /data`, HOST_DIR another new
#                    directory beside the native disk one
#
# What is measured: a file of EREMITE_BENCH_FILES_MIB MiB (default 1024) written and
# then read back sequentially in 1 MiB chunks in one process; read again by a new
# process (a new VM) with the host's page cache still holding the file; and, for the
# disk-backed places, read once more after the host's cached pages of the file were
# dropped (fdatasync + POSIX_FADV_DONTNEED, done natively by `seq_io drop`). Then
# 10,000 files of 4 KiB are created in one directory, stat'ed and unlinked: on tmpfs
# in one process, in the disk-backed places one phase per process (or VM), the two
# places' phases interleaved (see "Small files" below for why). Before each sequential
# step in a disk-backed place, `sync -f` writes back what earlier steps left dirty (not
# timed).
# The whole run takes about 15 s on a quiet 2-core machine (kvm-pvm), 40 s on a busy one.
#
# A run that fails (non-zero exit, a kernel panic, a timeout, a missing result) is
# marked FAILED in its rows and reported under "Errors", the other runs still happen,
# and the script exits 1 at the end. When /dev/kvm is not usable the Eremite columns
# say "skipped" (skipping alone is not a failure). Every directory the run creates is
# removed at the end, also after a failure or Ctrl-C.
# Each run is stopped after EREMITE_BENCH_TIMEOUT seconds (default 90).
set -u

source "$(dirname "$0")/../lib.sh"
bench_paths files "$@"

run_timeout=${EREMITE_BENCH_TIMEOUT:-90}  # seconds per program run
mib=${EREMITE_BENCH_FILES_MIB:-1024}      # size of the sequential file
file_count=10000                          # small files
disk_parent=${EREMITE_BENCH_DISK_DIR:-/var/tmp}
if [[ ! $mib =~ ^[1-9][0-9]*$ ]]; then
    echo "$0: EREMITE_BENCH_FILES_MIB='$mib' is not a size in MiB" >&2
    exit 2
fi
# Guest RAM for the guest tmpfs column: the file, plus room for the kernel and the app.
guest_memory="$((mib + 1024))M"

# ---------------------------------------------------------------- places and clean-up
tmp=""              # this script's own scratch files (outputs of the runs)
tmpfs_dir=""        # native tmpfs column
tmpfs_mounted=""    # set when this script mounted a tmpfs at $tmpfs_dir
disk_dir=""         # native disk column
hostfs_dir=""       # the host directory behind the Eremite hostfs column
cleanup() {
    local dir
    for dir in "$disk_dir" "$hostfs_dir"; do
        [[ -n $dir && -d $dir ]] && rm -rf -- "$dir"
    done
    if [[ -n $tmpfs_dir && -d $tmpfs_dir ]]; then
        if [[ -n $tmpfs_mounted ]]; then
            umount -- "$tmpfs_dir" || echo "$0: could not unmount $tmpfs_dir" >&2
            rmdir -- "$tmpfs_dir"
        else
            rm -rf -- "$tmpfs_dir"
        fi
    fi
    [[ -n $tmp && -d $tmp ]] && rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tmp=$(mktemp -d "${TMPDIR:-/tmp}/eremite-bench-files.XXXXXX") || exit 1

# avail_mib DIR: free space of DIR's file system in MiB
avail_mib() { df -P -m -- "$1" 2>/dev/null | awk 'NR == 2 { print $4 }'; }
need_mib=$((mib + 256))

# Where each column's directory lives; a column with no place fails (place_error).
declare -A place_error
tmpfs_note=""
if [[ $(avail_mib /dev/shm) -ge $need_mib ]] 2>/dev/null &&
    [[ $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs ]]; then
    tmpfs_dir=$(mktemp -d /dev/shm/eremite-bench-files.XXXXXX) || place_error[nt]="mktemp -d in /dev/shm failed"
    tmpfs_note="/dev/shm ($(avail_mib /dev/shm) MiB free)"
elif [[ $(id -u) -eq 0 ]]; then
    tmpfs_dir=$(mktemp -d /tmp/eremite-bench-files-tmpfs.XXXXXX) || place_error[nt]="mktemp -d in /tmp failed"
    if [[ -n $tmpfs_dir ]]; then
        if mount -t tmpfs -o "size=${need_mib}m,mode=0700" tmpfs "$tmpfs_dir" 2>"$tmp/mount.err"; then
            tmpfs_mounted=yes
            tmpfs_note="a tmpfs of $need_mib MiB mounted for the run at $tmpfs_dir (/dev/shm is too small)"
        else
            place_error[nt]="/dev/shm has less than $need_mib MiB free, and mounting a tmpfs at $tmpfs_dir failed: $(cat "$tmp/mount.err")"
        fi
    fi
else
    place_error[nt]="/dev/shm is not a tmpfs with $need_mib MiB free, and only root can mount one for the run"
fi

disk_fs=$(findmnt -n -o FSTYPE -T "$disk_parent" 2>/dev/null || stat -f -c %T "$disk_parent" 2>/dev/null)
disk_source=$(findmnt -n -o SOURCE -T "$disk_parent" 2>/dev/null)
disk_note="$disk_parent on ${disk_source:-?} (${disk_fs:-?})"
disk_error=""
if [[ ! -d $disk_parent || ! -w $disk_parent ]]; then
    disk_error="$disk_parent is not a writable directory"
elif [[ $(avail_mib "$disk_parent") -lt $need_mib ]] 2>/dev/null; then
    disk_error="$disk_parent has less than $need_mib MiB free"
else
    disk_dir=$(mktemp -d "$disk_parent/eremite-bench-files-native.XXXXXX") || disk_error="mktemp -d in $disk_parent failed"
    hostfs_dir=$(mktemp -d "$disk_parent/eremite-bench-files-hostfs.XXXXXX") || disk_error="mktemp -d in $disk_parent failed"
fi
if [[ -n $disk_error ]]; then
    place_error[nd]=$disk_error
    place_error[eh]=$disk_error
fi
case $disk_fs in
    tmpfs | ramfs) disk_note+=" — not disk-backed: set EREMITE_BENCH_DISK_DIR to a directory on a disk" ;;
esac

# ---------------------------------------------------------------- the machine
describe_machine
host_usage_start
probe_kvm

# ---------------------------------------------------------------- running
# Places: nt native tmpfs, et Eremite tmpfs, nd native disk, eh Eremite hostfs.
# A run's key is STEP.PLACE, STEP one of seq (write + read back), cold (a new
# process or VM reads), drop (host: drop the cached pages), dropped (read after the
# drop), small (small files).
declare -A run_state # key -> ok | failed | skipped
declare -A run_cmd   # key -> the command, for the report
declare -A place_error_reported
run_order=()

dir_of() { # PLACE -> the directory the program is given
    case $1 in
        nt) echo "$tmpfs_dir" ;;
        nd) echo "$disk_dir" ;;
        et) echo /tmp ;;
        eh) echo /data ;;
    esac
}

# run STEP PLACE [NEEDS_KEY] -- PROGRAM ARGS...   (ARGS: the program's, DIR for the place's)
run() {
    local step=$1 place=$2 needs=""
    shift 2
    if [[ $1 != -- ]]; then
        needs=$1
        shift
    fi
    shift # --
    local prog=$1
    shift
    local key=$step.$place exe=$bindir/$prog
    local -a args=() cmd
    local arg
    for arg in "$@"; do
        [[ $arg == DIR ]] && arg=$(dir_of "$place")
        args+=("$arg")
    done
    case $place in
        nt | nd) cmd=("$exe" "${args[@]}") ;;
        et) cmd=("$ehyve" --stats --memory "$guest_memory" "$exe" "${args[@]}") ;;
        eh) cmd=("$ehyve" --stats --mount "$hostfs_dir:/data" "$exe" "${args[@]}") ;;
    esac
    # The host side of the hostfs column runs natively on the host directory.
    [[ $step == drop ]] && cmd=("$exe" "${args[@]/#\/data/$hostfs_dir}")
    run_cmd[$key]="${cmd[*]}"
    run_order+=("$key")
    : >"$tmp/$key.out"
    : >"$tmp/$key.err"
    if [[ $place == e* && $step != drop && -n $kvm_skip ]]; then
        run_state[$key]=skipped
        return
    fi
    if [[ -n ${place_error[$place]:-} ]]; then
        run_state[$key]=failed
        if [[ -z ${place_error_reported[$place]:-} ]]; then
            place_error_reported[$place]=1
            add_error "$key failed, and every other run of this column" "no directory for this column: ${place_error[$place]}"
        fi
        return
    fi
    if [[ -n $needs && ${run_state[$needs]:-} == skipped ]]; then
        run_state[$key]=skipped
        return
    fi
    if [[ -n $needs && ${run_state[$needs]:-} != ok ]]; then
        run_state[$key]=failed
        add_error "$key failed" "not run: it needs $needs, which ${run_state[$needs]:-did not run}"
        return
    fi
    if [[ ! -x $exe ]]; then
        run_state[$key]=failed
        add_error "$key failed" "$exe not found or not executable; build first (cmake --build $build)"
        return
    fi
    if [[ ${cmd[0]} == "$ehyve" && ! -x $ehyve ]]; then
        run_state[$key]=failed
        add_error "$key failed" "$ehyve not found or not executable; build first (cmake --build $build)"
        return
    fi
    # Before a sequential step on the host disk: write back what earlier steps left
    # dirty, so that the host's write-back does not run during this step (not timed).
    # Not for the small files: written back, each of their unlinks would free a block,
    # and with the "discard" mount option (as here) each freed block is a discard
    # request to the disk, milliseconds each, which is the disk's time, not the file
    # system's.
    if [[ $prog == seq_io ]]; then
        case $place in
            nd) sync -f -- "$disk_dir" ;;
            eh) sync -f -- "$hostfs_dir" ;;
        esac
    fi
    run_timed "$key" "${cmd[@]}"
}


# rm_file PLACE: the sequential file of a native or hostfs place, before the next step.
rm_file() {
    local dir
    case $1 in
        nt) dir=$tmpfs_dir ;;
        nd) dir=$disk_dir ;;
        eh) dir=$hostfs_dir ;;
    esac
    [[ -n $dir ]] && rm -f -- "$dir/seq_io.dat"
}

# Sequential: each place in turn, native before Eremite, all of one place's passes
# before the next place's write (the drop's fdatasync also waits for the write-back of
# the file, so the next write starts on a quiet disk).
run seq nt -- seq_io write DIR "$mib"
run cold nt seq.nt -- seq_io read DIR "$mib"
rm_file nt
run seq et -- seq_io write DIR "$mib"
for place in nd eh; do
    run seq "$place" -- seq_io write DIR "$mib"
    run cold "$place" "seq.$place" -- seq_io read DIR "$mib"
    run drop "$place" "seq.$place" -- seq_io drop DIR
    run dropped "$place" "drop.$place" -- seq_io read DIR "$mib"
    rm_file "$place"
done
# Small files. On tmpfs, all three phases in one process (a new VM has an empty
# tmpfs). In the two disk-backed places, which share one host file system, one phase
# per process, each place's create before either place's unlink: ext4 (without a
# journal, as here) skips inodes deleted in the last minute or more when it allocates
# new ones, and reads their inode table to find out, so a place creating right after
# the other deleted 10,000 files would pay for that.
run small nt -- small_files all DIR "$file_count"
run small et -- small_files all DIR "$file_count"
for phase in create stat unlink; do
    needs=""
    [[ $phase != create ]] && needs=create
    for place in nd eh; do
        run "$phase" "$place" ${needs:+"$needs.$place"} -- small_files "$phase" DIR "$file_count"
    done
done

# The host kernel's own write-back of this run's files counts as "others".
host_usage_end " (the host kernel's write-back of this run's files included)"

# ---------------------------------------------------------------- the table
table=""
declare -A ratios # "ROW_ID.tmpfs" / "ROW_ID.hostfs" -> Eremite / native
# row ID LABEL NAME KEY_NT KEY_ET KEY_ND KEY_EH
row() {
    local id=$1 label=$2 name=$3
    shift 3
    local -a text=() values=()
    local key
    for key in "$@"; do
        cell "$key" "$name"
        text+=("$cell_text")
        values+=("$cell_value")
    done
    local tmpfs_ratio="" hostfs_ratio=""
    if [[ -n ${values[0]} && -n ${values[1]} ]]; then
        tmpfs_ratio=$(ratio_of "${values[1]}" "${values[0]}")
        ratios[$id.tmpfs]=$(awk -v a="${values[1]}" -v b="${values[0]}" 'BEGIN { if (b > 0) print a / b }')
    fi
    if [[ -n ${values[2]} && -n ${values[3]} ]]; then
        hostfs_ratio=$(ratio_of "${values[3]}" "${values[2]}")
        ratios[$id.hostfs]=$(awk -v a="${values[3]}" -v b="${values[2]}" 'BEGIN { if (b > 0) print a / b }')
    fi
    local marker=""
    [[ " ${text[*]} " == *FAILED* ]] && marker=" **(FAILED)**"
    table+="| $label$marker | ${text[0]} | ${text[1]} | $tmpfs_ratio | ${text[2]} | ${text[3]} | $hostfs_ratio |"$'\n'
}

row write "sequential write, MB/s" write_mbps seq.nt seq.et seq.nd seq.eh
row readback "read back in the same process, MB/s" readback_mbps seq.nt seq.et seq.nd seq.eh
row cold "read by a new process or VM, host page cache warm, MB/s" cold_read_mbps cold.nt - cold.nd cold.eh
row dropped "read after the host's cached pages were dropped, MB/s" cold_read_mbps - - dropped.nd dropped.eh
row create "create $file_count files of 4 KiB, files/s" create_files_per_s small.nt small.et create.nd create.eh
row stat "stat them, files/s" stat_files_per_s small.nt small.et stat.nd stat.eh
row unlink "unlink them, files/s" unlink_files_per_s small.nt small.et unlink.nd unlink.eh

# Did the drop work? (resident_pct: how much of the file the host still caches)
for place in nd eh; do
    if [[ ${run_state[drop.$place]:-} == ok ]]; then
        resident=$(value "drop.$place" resident_pct)
        if [[ -z $resident ]]; then
            add_error "drop.$place: no result resident_pct" "command: ${run_cmd[drop.$place]}"
        fi
        declare "resident_$place=${resident:-?}"
    fi
done

# ---------------------------------------------------------------- targets
notes=""
note() { notes+="- $1"$'\n'; }
# verdict GROUP THRESHOLD ID...: "met"/"not met" per row, with the ratio
verdict() {
    local group=$1 threshold=$2 id r summary="" all=met seen=""
    shift 2
    for id in "$@"; do
        r=${ratios[$id.$group]:-}
        [[ -z $r ]] && continue
        seen=yes
        if awk -v r="$r" -v t="$threshold" 'BEGIN { exit !(r >= t) }'; then
            summary+="$id $(ratio_of "$r" 1) (met), "
        else
            summary+="$id $(ratio_of "$r" 1) (**not met**), "
            all="not met"
        fi
    done
    if [[ -z $seen ]]; then
        verdict_text="not measured in this run"
    else
        verdict_text="$all: ${summary%, }"
    fi
}
verdict tmpfs 1.0 write readback create stat unlink
note "Target: Eremite's tmpfs at least as fast as native tmpfs (ratio ≥ 1.00x) — $verdict_text."
verdict hostfs 0.8 write readback cold dropped
note "Target: hostfs sequential throughput at least 80% of native on the same kind of host directory (ratio ≥ 0.80x) — $verdict_text."

# Where the time goes, from ehyve --stats (exits) and the tmpfs write against its read.
# count_of KEY WORD: the count after WORD on the "hypercalls:" line of ehyve --stats
count_of() {
    sed -n 's/^[[:space:]]*hypercalls://p' "$tmp/$1.err" 2>/dev/null |
        awk -v w="$2" '{ for (i = 1; i < NF; ++i) if ($i == w) print $(i + 1) }' | tail -n 1
}
exits_of() { # KEY -> total VM exits that reached ehyve
    sed -n 's/^[[:space:]]*VM exits://p' "$tmp/$1.err" 2>/dev/null |
        awk '{ s = 0; for (i = 2; i <= NF; i += 2) s += $i; print s }' | tail -n 1
}
if [[ ${run_state[seq.eh]:-} == ok ]]; then
    calls=$(count_of seq.eh host_file)
    exits=$(exits_of seq.eh)
    if [[ -n $calls ]]; then
        note "hostfs, sequential: $calls host_file hypercalls ($exits VM exits in all) for $mib MiB written and $mib MiB read back: $(fmt "$(awk -v c="$calls" -v m="$mib" 'BEGIN { print c / (2 * m) }')") per MiB moved (one call moves up to 1 MiB: the guest kernel hands ehyve its bounce frames and ehyve does one preadv/pwritev on the host file)."
    fi
fi
per_file=""
for phase in create stat unlink; do
    [[ ${run_state[$phase.eh]:-} == ok ]] || continue
    calls=$(count_of "$phase.eh" host_file)
    [[ -n $calls ]] && per_file+="$phase $(fmt "$(awk -v c="$calls" -v n="$file_count" 'BEGIN { print c / n }')"), "
done
if [[ -n $per_file ]]; then
    note "hostfs, small files: host_file hypercalls per file (from ehyve --stats; the few of start-up included): ${per_file%, }; each is a VM exit (about 25 µs on kvm-pvm) plus the host system call(s) it makes."
fi
if [[ ${run_state[seq.et]:-} == ok ]]; then
    w=$(value seq.et write_mbps)
    r=$(value seq.et readback_mbps)
    if [[ -n $w && -n $r ]]; then
        # Writing pays for the first touch of each new guest page; reading the same
        # pages back is a plain copy. The difference per 4 KiB page is the first touch.
        per_page=$(awk -v w="$w" -v r="$r" 'BEGIN { printf "%.1f", (4096 / w - 4096 / r) }')
        note "Eremite tmpfs: writing $mib MiB took $(fmt "$(awk -v w="$w" -v m="$mib" 'BEGIN { print m * 1048576 / w / 1e6 }')") s, reading it back $(fmt "$(awk -v r="$r" -v m="$mib" 'BEGIN { print m * 1048576 / r / 1e6 }')") s. The write puts every 4 KiB page in a guest frame the VM has not touched before, and the first touch of a guest frame makes kvm-pvm's shadow MMU fault in the host: the write costs $per_page µs more per page than the read-back of the same pages (docs/performance.md, \"Files\", shows that a second write in the same VM, into frames already touched, runs faster than native)."
    fi
fi
if [[ -n ${others_pct:-} ]] && ((others_pct >= 20)); then
    note "The host was busy: other processes used ${others_pct}% of its CPU time during this run. Every number here is then lower and noisier than on a quiet host: rerun on a quiet host before comparing with the targets."
fi
note "Eremite tmpfs has no \"new VM\" read: a new VM starts with an empty tmpfs. Native tmpfs has no \"cache dropped\" read: tmpfs pages are the file, there is nothing under them to read from."
if [[ -n ${resident_nd:-} || -n ${resident_eh:-} ]]; then
    note "The drop (fdatasync, then posix_fadvise POSIX_FADV_DONTNEED on the host file) left ${resident_nd:-?}% (native disk) and ${resident_eh:-?}% (hostfs) of the file in the host's page cache (by mincore). On this machine the \"disk\" is itself virtual; the dropped-cache read measures it, for Eremite and natively alike."
fi

# ---------------------------------------------------------------- the report
mb_note="MB/s are 10^6 bytes per second"
echo "# Eremite file system benchmarks (bench/files)"
echo
echo "Machine: $cpu, $cores cores, Linux $kernel_release, /dev/kvm is kvm-pvm: $kvm_pvm, /dev/kvm usable: $kvm_usable"
echo
echo "Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); the run took $run_seconds s; host load average (1, 5, 15 min) $load_start at the start, $load_end at the end."
echo
echo "Host CPU during the run: $host_busy."
echo
echo "Places: native tmpfs is ${tmpfs_note:-(none)}; native disk is a new directory in $disk_note;"
echo "Eremite tmpfs is the guest's /tmp (\`ehyve --memory $guest_memory\`); Eremite hostfs is"
echo "\`ehyve --mount HOST_DIR:/data\`, HOST_DIR another new directory in $disk_parent."
echo
echo "Sequential: one file of $mib MiB in 1 MiB chunks; $mb_note. Small files: $file_count files"
echo "of 4 KiB in one directory. Ratios are Eremite / native, higher is better for Eremite."
echo
echo "| benchmark | native tmpfs | Eremite tmpfs | ratio | native disk dir | Eremite hostfs | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s' "$table"
echo
echo "## Notes"
echo
printf '%s' "$notes"
cat <<EOF
- Only the loops of reads and writes (or opens, stats, unlinks) are timed: not the
  open and close of the big file, and no fsync. tmpfs and Eremite's hostfs write
  through (a hostfs write is a host write in the same call), so a native write to the
  disk directory ends in the host page cache just as a hostfs write does.
- Small files in the disk-backed places: one phase per process (per VM for hostfs),
  the two places interleaved (create, create, stat, stat, unlink, unlink), because
  ext4 without a journal (as on this machine's root file system) skips inodes deleted
  in the last minute or more when it allocates new ones, reading their inode table
  blocks to find out: creates right after many deletes are several times slower, a
  second run soon after a first included, for both places alike. The files are
  unlinked before the host writes them back, as the tmpfs ones are never written.
- One pass of each; the host is shared with other work and, under kvm-pvm, every VM
  exit and every first touch of a guest page is a trip through the host: expect tens
  of percent between runs and compare orders of magnitude.
EOF

if [[ ${run_state[seq.eh]:-} == ok || ${run_state[create.eh]:-} == ok ]]; then
    echo
    echo "## ehyve --stats of two hostfs runs (stderr)"
    for key in seq.eh create.eh; do
        [[ ${run_state[$key]:-} == ok ]] || continue
        echo
        echo "\`${run_cmd[$key]}\`:"
        echo
        echo '```'
        cat "$tmp/$key.err"
        echo '```'
    done
fi

report_end "Commands, in order" 12 "${run_order[@]}"
