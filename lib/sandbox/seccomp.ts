// The seccomp profile of sandbox nodes. Docker's default profile cannot run Docker-in-Docker
// (it refuses pivot_root, the keyring calls runc makes, ...), and "unconfined" allows far too
// much. This one allows everything except what a Docker host inside a sandbox never needs
// and what is a classic way out of a container: kernel modules, kexec, open_by_handle_at
// ("shocker"), swap, clock, raw I/O ports, BPF (on cgroup v1), perf, userfaultfd, io_uring.
// The keyring calls answer ENOSYS (not EPERM) so that runc carries on without a session keyring.

const EPERM = 1
const ENOSYS = 38

const denied = [
  'init_module', 'finit_module', 'delete_module', 'create_module', 'query_module', 'get_kernel_syms',
  'kexec_load', 'kexec_file_load', 'reboot',
  'open_by_handle_at', 'name_to_handle_at',
  'swapon', 'swapoff', 'acct',
  'settimeofday', 'stime', 'clock_settime', 'clock_adjtime',
  'iopl', 'ioperm',
  'lookup_dcookie', 'nfsservctl', 'vm86', 'vm86old', 'uselib', '_sysctl',
  'perf_event_open', 'userfaultfd', 'fanotify_init',
  'quotactl', 'quotactl_fd', 'syslog',
  'io_uring_setup', 'io_uring_enter', 'io_uring_register',
]

/** The profile as the JSON Docker takes in `--security-opt seccomp=<json>`. */
export function sandboxSeccompProfile(options: { cgroupVersion: 1 | 2 }): string {
  // cgroup v2 device rules are BPF programs that the inner runc must load.
  const names = options.cgroupVersion === 1 ? [...denied, 'bpf'] : denied
  return JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
      { names: ['keyctl', 'add_key', 'request_key'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
    ],
  })
}
