// The x86-64 syscall table shared by the daemon (what argument memory to capture at a stop) and
// utracectl's strace decoder (how to print each argument). One entry per syscall: its name, its
// real argument count, per argument a kind, the kind of its return value, and its strace
// classes (`-e trace=%file` ...). Pure data; no I/O. docs/strace-decoding.md explains the kinds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace utrace::proto::sys {

// What an argument is, and so what memory the decoder needs. `aux` in ArgSpec is: the index of
// another argument (a length, a count, the flags that decide whether a mode is there), a
// StructType, or an Xlat, as each kind says.
enum class Arg : std::uint8_t {
  Int,        // int, signed decimal
  Uint,       // unsigned int, decimal
  Long,       // long / off_t, signed decimal
  Ulong,      // size_t / unsigned long, decimal
  Hex,        // printed as 0x… (0 as "0")
  Ptr,        // an address printed as NULL or 0x…; no memory
  Fd,         // int file descriptor
  DirFd,      // int fd, AT_FDCWD by name
  Mode,       // mode_t in octal (0644)
  OpenMode,   // mode_t present only when the flags (argument aux) have O_CREAT or O_TMPFILE
  Id,         // uid_t/gid_t: decimal, -1 for (uid_t)-1
  Pid,        // pid_t, signed decimal
  Signal,     // a signal number, by name (SIGCHLD)
  Flags,      // a bit set, by name (aux: Xlat)
  Enum,       // one value, by name (aux: Xlat)
  Path,       // NUL-terminated path, read at entry, up to PATH_MAX (not cut by -s)
  String,     // NUL-terminated string, read at entry, cut at -s
  BufIn,      // bytes read at entry; their count is argument aux (cut at -s)
  BufOut,     // bytes read at exit; their count is the return value (cut at -s)
  RandOut,    // as BufOut, always printed in \x hex (getrandom)
  PathOut,    // NUL-terminated string written by the call (getcwd), read at exit
  StructIn,   // a struct (aux: StructType) read at entry
  StructOut,  // a struct (aux: StructType) read at exit (when the call succeeded)
  StructInOut,  // a struct read at entry and again at exit (select's timeout, sendfile's offset)
  Remaining,  // nanosleep's remaining time: a timespec read at exit, printed only if interrupted
  SigsetIn,   // a sigset (size: argument aux, normally 8) read at entry
  SigsetOut,  // a sigset read at exit
  IovecIn,    // struct iovec[argument aux] and each buffer, read at entry
  IovecOut,   // struct iovec[argument aux] at entry, the buffers (retval bytes in all) at exit
  SockaddrIn,   // a sockaddr of argument aux bytes, read at entry
  SockaddrOut,  // a sockaddr read at exit, its length in the socklen_t at argument aux
  SocklenInOut, // socklen_t*: read at entry and at exit ("[16]" or "[110 => 16]")
  SockProto,  // socket()'s protocol: IPPROTO_* for AF_INET/AF_INET6 (argument aux), else decimal
  SockoptName,   // setsockopt/getsockopt option name, by the level in argument aux
  SockoptIn,     // setsockopt value: argument aux bytes at entry
  SockoptOut,    // getsockopt value at exit; its length in the socklen_t at argument aux
  FdPairOut,  // int[2] written by pipe/socketpair, read at exit
  IntOut,     // int* written by the call ([0]), read at exit
  IdOut,      // uid_t* written by the call (getresuid), read at exit
  UintOut,    // unsigned* written by the call (getcpu), read at exit
  WaitStatus, // int* status of wait4, read at exit
  Argv,       // char*[] NULL-terminated, each string, read at entry (execve)
  Envp,       // char*[]: only the count of entries is printed ("/* 37 vars */")
  PollFds,    // struct pollfd[argument aux] at entry, revents at exit
  EpollOut,   // struct epoll_event[retval] at exit
  Dirents,    // getdents buffer: only the entry count is printed, read at exit (retval bytes)
  CpuSetIn,   // a cpu mask of argument aux bytes at entry
  CpuSetOut,  // a cpu mask written by the call (retval bytes), at exit
  TimespecPair,  // struct timespec[2] at entry (utimensat); NULL allowed
  IoctlCmd,   // ioctl request, by name (TCGETS)
  IoctlArg,   // ioctl argument: printed per request (memory at exit for out-requests)
  FcntlArg,   // fcntl's third argument: absent, an int, flags, or a struct flock
  Futex,      // futex: op decides which of the arguments are printed and how
  Prctl,      // prctl: option decides which arguments are printed
  Clone,      // clone: printed as child_stack=…, flags=…, parent_tid=…, child_tidptr=…, tls=…
  CloneArgs,  // clone3: struct clone_args of argument aux bytes, read at entry
  Skip,       // a register the kernel reads but strace does not print (preadv2's pos_h)
};

// The kind of a return value.
enum class Ret : std::uint8_t {
  Int,    // decimal (fds, counts, pids)
  Hex,    // an address (mmap, brk, shmat, mremap)
  Octal,  // umask
  None,   // never returns (exit, exit_group): "= ?"
};

// Structs known to the decoder. struct_size() is what the daemon reads.
enum class StructType : std::uint8_t {
  Stat, Statx, Statfs, Timespec, Timeval, Timezone, Itimerval, Itimerspec, Sigaction, Rlimit,
  Utsname, Sysinfo, Tms, Rusage, Stack, Siginfo, Msghdr, EpollEvent, Loff,
  Count_,
};

// Named value sets (decoder side: decode/xlat.cpp).
enum class Xlat : std::uint8_t {
  Open, At, Access, Prot, Map, Mremap, Msync, Madvise, Mcl, Mlock2, Clone, Whence, Fcntl,
  Domain, SockType, Msg, Shut, SolLevel, SigHow, Clock, TimerAbs, Rlimit, Who, ArchPrctl,
  Wait, Idtype, EpollCtl, EpollCreate, Efd, Sfd, Tfd, TfdSet, Grnd, StatxMask, Rename, Memfd,
  Flock, Fadvise, Falloc, Splice, SyncRange, Xattr, Mount, Umount, Inotify, Ipc, Shm, IpcCmd,
  Itimer, Prio, Sched, Ptrace, CloseRange, Rwf, Mpol,
  Count_,
};

struct ArgSpec {
  Arg kind = Arg::Hex;
  std::uint8_t aux = 0;
};

// strace's syscall classes, as bits.
enum Class : std::uint32_t {
  kDesc = 1u << 0,     // %desc
  kFile = 1u << 1,     // %file
  kIpc = 1u << 2,      // %ipc
  kNetwork = 1u << 3,  // %network (%net)
  kProcess = 1u << 4,  // %process
  kSignal = 1u << 5,   // %signal
  kMemory = 1u << 6,   // %memory
  kCreds = 1u << 7,    // %creds
  kClock = 1u << 8,    // %clock
  kStat = 1u << 9,     // %stat
  kLstat = 1u << 10,   // %lstat
  kFstat = 1u << 11,   // %fstat
  kStatLike = 1u << 12,  // %%stat
  kStatfs = 1u << 13,    // %statfs
  kFstatfs = 1u << 14,   // %fstatfs
  kStatfsLike = 1u << 15,  // %%statfs
  kPure = 1u << 16,    // %pure
};

struct SyscallSpec {
  int nr = -1;
  std::string_view name;
  std::uint8_t nargs = 0;   // the real count, as the kernel takes them
  std::uint32_t classes = 0;
  ArgSpec args[6] = {};
  Ret ret = Ret::Int;
  // True when every argument has a decoder of its own (false: some print as raw hex).
  bool decoded = true;
};

// Every known x86-64 syscall (0-334, 424-464), in number order.
std::span<const SyscallSpec> all_syscalls();
// The entry for nr, or nullptr (unknown syscalls print nargs=6 raw hex in the decoder).
const SyscallSpec* find_syscall(std::int64_t nr);
const SyscallSpec* find_syscall(std::string_view name);
// "%file", "%net", "%%stat"... (with or without the '%'s as strace spells them); nullopt if unknown.
std::optional<std::uint32_t> class_from_name(std::string_view name);
// Bytes the daemon reads for a struct argument.
std::size_t struct_size(StructType type);

// When a kind's memory is read: at the entry stop, the exit stop, both, or never.
enum class Capture : std::uint8_t { None, Entry, Exit, Both };
Capture capture_of(Arg kind);

}  // namespace utrace::proto::sys
