#include "utrace/proto/syscall_table.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace utrace::proto::sys {

namespace {

using A = Arg;
using R = Ret;
constexpr std::uint8_t T(StructType t) { return static_cast<std::uint8_t>(t); }
constexpr std::uint8_t X(Xlat x) { return static_cast<std::uint8_t>(x); }
#define T(name) T(StructType::name)
#define X(name) X(Xlat::name)

// Argument counts and classes follow strace's src/linux/x86_64/syscallent.h (and
// syscallent-common.h for 424+). `decoded` is false where some argument prints as raw hex.
constexpr SyscallSpec kTable[] = {
    {0, "read", 3, kDesc, {{A::Fd}, {A::BufOut, 2}, {A::Ulong}}, R::Int, true},
    {1, "write", 3, kDesc, {{A::Fd}, {A::BufIn, 2}, {A::Ulong}}, R::Int, true},
    {2, "open", 3, kDesc|kFile, {{A::Path}, {A::Flags, X(Open)}, {A::OpenMode, 1}}, R::Int, true},
    {3, "close", 1, kDesc, {{A::Fd}}, R::Int, true},
    {4, "stat", 2, kFile|kStat|kStatLike, {{A::Path}, {A::StructOut, T(Stat)}}, R::Int, true},
    {5, "fstat", 2, kDesc|kFstat|kStatLike, {{A::Fd}, {A::StructOut, T(Stat)}}, R::Int, true},
    {6, "lstat", 2, kFile|kLstat|kStatLike, {{A::Path}, {A::StructOut, T(Stat)}}, R::Int, true},
    {7, "poll", 3, kDesc, {{A::PollFds, 1}, {A::Uint}, {A::Int}}, R::Int, true},
    {8, "lseek", 3, kDesc, {{A::Fd}, {A::Long}, {A::Enum, X(Whence)}}, R::Int, true},
    {9, "mmap", 6, kDesc|kMemory, {{A::Ptr}, {A::Ulong}, {A::Flags, X(Prot)}, {A::Flags, X(Map)}, {A::Fd}, {A::Hex}}, R::Hex, true},
    {10, "mprotect", 3, kMemory, {{A::Ptr}, {A::Ulong}, {A::Flags, X(Prot)}}, R::Int, true},
    {11, "munmap", 2, kMemory, {{A::Ptr}, {A::Ulong}}, R::Int, true},
    {12, "brk", 1, kMemory, {{A::Ptr}}, R::Hex, true},
    {13, "rt_sigaction", 4, kSignal, {{A::Signal}, {A::StructIn, T(Sigaction)}, {A::StructOut, T(Sigaction)}, {A::Ulong}}, R::Int, true},
    {14, "rt_sigprocmask", 4, kSignal, {{A::Enum, X(SigHow)}, {A::SigsetIn, 3}, {A::SigsetOut, 3}, {A::Ulong}}, R::Int, true},
    {15, "rt_sigreturn", 0, kSignal, {}, R::Int, true},
    {16, "ioctl", 3, kDesc, {{A::Fd}, {A::IoctlCmd}, {A::IoctlArg}}, R::Int, true},
    {17, "pread64", 4, kDesc, {{A::Fd}, {A::BufOut, 2}, {A::Ulong}, {A::Long}}, R::Int, true},
    {18, "pwrite64", 4, kDesc, {{A::Fd}, {A::BufIn, 2}, {A::Ulong}, {A::Long}}, R::Int, true},
    {19, "readv", 3, kDesc, {{A::Fd}, {A::IovecOut, 2}, {A::Int}}, R::Int, true},
    {20, "writev", 3, kDesc, {{A::Fd}, {A::IovecIn, 2}, {A::Int}}, R::Int, true},
    {21, "access", 2, kFile, {{A::Path}, {A::Flags, X(Access)}}, R::Int, true},
    {22, "pipe", 1, kDesc, {{A::FdPairOut}}, R::Int, true},
    {23, "select", 5, kDesc, {{A::Int}, {A::Ptr}, {A::Ptr}, {A::Ptr}, {A::StructInOut, T(Timeval)}}, R::Int, true},
    {24, "sched_yield", 0, 0, {}, R::Int, true},
    {25, "mremap", 5, kMemory, {{A::Ptr}, {A::Ulong}, {A::Ulong}, {A::Flags, X(Mremap)}, {A::Ptr}}, R::Hex, true},
    {26, "msync", 3, kMemory, {{A::Ptr}, {A::Ulong}, {A::Flags, X(Msync)}}, R::Int, true},
    {27, "mincore", 3, kMemory, {{A::Ptr}, {A::Ulong}, {A::Ptr}}, R::Int, true},
    {28, "madvise", 3, kMemory, {{A::Ptr}, {A::Ulong}, {A::Enum, X(Madvise)}}, R::Int, true},
    {29, "shmget", 3, kIpc, {{A::Hex}, {A::Ulong}, {A::Flags, X(Ipc)}}, R::Int, false},
    {30, "shmat", 3, kIpc|kMemory, {{A::Int}, {A::Ptr}, {A::Flags, X(Shm)}}, R::Hex, false},
    {31, "shmctl", 3, kIpc, {{A::Int}, {A::Enum, X(IpcCmd)}, {A::Ptr}}, R::Int, false},
    {32, "dup", 1, kDesc, {{A::Fd}}, R::Int, true},
    {33, "dup2", 2, kDesc, {{A::Fd}, {A::Fd}}, R::Int, true},
    {34, "pause", 0, kSignal, {}, R::Int, true},
    {35, "nanosleep", 2, 0, {{A::StructIn, T(Timespec)}, {A::Remaining, T(Timespec)}}, R::Int, true},
    {36, "getitimer", 2, 0, {{A::Enum, X(Itimer)}, {A::StructOut, T(Itimerval)}}, R::Int, false},
    {37, "alarm", 1, 0, {{A::Uint}}, R::Int, true},
    {38, "setitimer", 3, 0, {{A::Enum, X(Itimer)}, {A::StructIn, T(Itimerval)}, {A::StructOut, T(Itimerval)}}, R::Int, false},
    {39, "getpid", 0, kPure, {}, R::Int, true},
    {40, "sendfile", 4, kDesc|kNetwork, {{A::Fd}, {A::Fd}, {A::StructInOut, T(Loff)}, {A::Ulong}}, R::Int, true},
    {41, "socket", 3, kNetwork, {{A::Enum, X(Domain)}, {A::Flags, X(SockType)}, {A::SockProto, 0}}, R::Int, true},
    {42, "connect", 3, kNetwork, {{A::Fd}, {A::SockaddrIn, 2}, {A::Uint}}, R::Int, true},
    {43, "accept", 3, kNetwork, {{A::Fd}, {A::SockaddrOut, 2}, {A::SocklenInOut}}, R::Int, true},
    {44, "sendto", 6, kNetwork, {{A::Fd}, {A::BufIn, 2}, {A::Ulong}, {A::Flags, X(Msg)}, {A::SockaddrIn, 5}, {A::Uint}}, R::Int, true},
    {45, "recvfrom", 6, kNetwork, {{A::Fd}, {A::BufOut, 2}, {A::Ulong}, {A::Flags, X(Msg)}, {A::SockaddrOut, 5}, {A::SocklenInOut}}, R::Int, true},
    {46, "sendmsg", 3, kNetwork, {{A::Fd}, {A::StructIn, T(Msghdr)}, {A::Flags, X(Msg)}}, R::Int, true},
    {47, "recvmsg", 3, kNetwork, {{A::Fd}, {A::StructOut, T(Msghdr)}, {A::Flags, X(Msg)}}, R::Int, true},
    {48, "shutdown", 2, kNetwork, {{A::Fd}, {A::Enum, X(Shut)}}, R::Int, true},
    {49, "bind", 3, kNetwork, {{A::Fd}, {A::SockaddrIn, 2}, {A::Uint}}, R::Int, true},
    {50, "listen", 2, kNetwork, {{A::Fd}, {A::Int}}, R::Int, true},
    {51, "getsockname", 3, kNetwork, {{A::Fd}, {A::SockaddrOut, 2}, {A::SocklenInOut}}, R::Int, true},
    {52, "getpeername", 3, kNetwork, {{A::Fd}, {A::SockaddrOut, 2}, {A::SocklenInOut}}, R::Int, true},
    {53, "socketpair", 4, kNetwork, {{A::Enum, X(Domain)}, {A::Flags, X(SockType)}, {A::SockProto, 0}, {A::FdPairOut}}, R::Int, true},
    {54, "setsockopt", 5, kNetwork, {{A::Fd}, {A::Enum, X(SolLevel)}, {A::SockoptName, 1}, {A::SockoptIn, 4}, {A::Uint}}, R::Int, true},
    {55, "getsockopt", 5, kNetwork, {{A::Fd}, {A::Enum, X(SolLevel)}, {A::SockoptName, 1}, {A::SockoptOut, 4}, {A::SocklenInOut}}, R::Int, true},
    {56, "clone", 5, kProcess, {{A::Clone}, {A::Clone}, {A::Clone}, {A::Clone}, {A::Clone}}, R::Int, true},
    {57, "fork", 0, kProcess, {}, R::Int, true},
    {58, "vfork", 0, kProcess, {}, R::Int, true},
    {59, "execve", 3, kFile|kProcess, {{A::Path}, {A::Argv}, {A::Envp}}, R::Int, true},
    {60, "exit", 1, kProcess, {{A::Int}}, R::None, true},
    {61, "wait4", 4, kProcess, {{A::Pid}, {A::WaitStatus}, {A::Flags, X(Wait)}, {A::StructOut, T(Rusage)}}, R::Int, true},
    {62, "kill", 2, kSignal|kProcess, {{A::Pid}, {A::Signal}}, R::Int, true},
    {63, "uname", 1, 0, {{A::StructOut, T(Utsname)}}, R::Int, true},
    {64, "semget", 3, kIpc, {{A::Hex}, {A::Int}, {A::Flags, X(Ipc)}}, R::Int, false},
    {65, "semop", 3, kIpc, {{A::Int}, {A::Ptr}, {A::Uint}}, R::Int, false},
    {66, "semctl", 4, kIpc, {{A::Int}, {A::Int}, {A::Enum, X(IpcCmd)}, {A::Hex}}, R::Int, false},
    {67, "shmdt", 1, kIpc|kMemory, {{A::Ptr}}, R::Int, true},
    {68, "msgget", 2, kIpc, {{A::Hex}, {A::Flags, X(Ipc)}}, R::Int, false},
    {69, "msgsnd", 4, kIpc, {{A::Int}, {A::Ptr}, {A::Ulong}, {A::Flags, X(Ipc)}}, R::Int, false},
    {70, "msgrcv", 5, kIpc, {{A::Int}, {A::Ptr}, {A::Ulong}, {A::Long}, {A::Flags, X(Ipc)}}, R::Int, false},
    {71, "msgctl", 3, kIpc, {{A::Int}, {A::Enum, X(IpcCmd)}, {A::Ptr}}, R::Int, false},
    {72, "fcntl", 3, kDesc, {{A::Fd}, {A::Enum, X(Fcntl)}, {A::FcntlArg}}, R::Int, true},
    {73, "flock", 2, kDesc, {{A::Fd}, {A::Flags, X(Flock)}}, R::Int, true},
    {74, "fsync", 1, kDesc, {{A::Fd}}, R::Int, true},
    {75, "fdatasync", 1, kDesc, {{A::Fd}}, R::Int, true},
    {76, "truncate", 2, kFile, {{A::Path}, {A::Long}}, R::Int, true},
    {77, "ftruncate", 2, kDesc, {{A::Fd}, {A::Long}}, R::Int, true},
    {78, "getdents", 3, kDesc, {{A::Fd}, {A::Dirents, 2}, {A::Uint}}, R::Int, true},
    {79, "getcwd", 2, kFile, {{A::PathOut, 1}, {A::Ulong}}, R::Int, true},
    {80, "chdir", 1, kFile, {{A::Path}}, R::Int, true},
    {81, "fchdir", 1, kDesc, {{A::Fd}}, R::Int, true},
    {82, "rename", 2, kFile, {{A::Path}, {A::Path}}, R::Int, true},
    {83, "mkdir", 2, kFile, {{A::Path}, {A::Mode}}, R::Int, true},
    {84, "rmdir", 1, kFile, {{A::Path}}, R::Int, true},
    {85, "creat", 2, kDesc|kFile, {{A::Path}, {A::Mode}}, R::Int, true},
    {86, "link", 2, kFile, {{A::Path}, {A::Path}}, R::Int, true},
    {87, "unlink", 1, kFile, {{A::Path}}, R::Int, true},
    {88, "symlink", 2, kFile, {{A::Path}, {A::Path}}, R::Int, true},
    {89, "readlink", 3, kFile, {{A::Path}, {A::BufOut, 2}, {A::Ulong}}, R::Int, true},
    {90, "chmod", 2, kFile, {{A::Path}, {A::Mode}}, R::Int, true},
    {91, "fchmod", 2, kDesc, {{A::Fd}, {A::Mode}}, R::Int, true},
    {92, "chown", 3, kFile, {{A::Path}, {A::Id}, {A::Id}}, R::Int, true},
    {93, "fchown", 3, kDesc, {{A::Fd}, {A::Id}, {A::Id}}, R::Int, true},
    {94, "lchown", 3, kFile, {{A::Path}, {A::Id}, {A::Id}}, R::Int, true},
    {95, "umask", 1, 0, {{A::Mode}}, R::Octal, true},
    {96, "gettimeofday", 2, kClock, {{A::StructOut, T(Timeval)}, {A::StructOut, T(Timezone)}}, R::Int, true},
    {97, "getrlimit", 2, 0, {{A::Enum, X(Rlimit)}, {A::StructOut, T(Rlimit)}}, R::Int, true},
    {98, "getrusage", 2, 0, {{A::Enum, X(Who)}, {A::StructOut, T(Rusage)}}, R::Int, true},
    {99, "sysinfo", 1, 0, {{A::StructOut, T(Sysinfo)}}, R::Int, true},
    {100, "times", 1, 0, {{A::StructOut, T(Tms)}}, R::Int, false},
    {101, "ptrace", 4, 0, {{A::Enum, X(Ptrace)}, {A::Pid}, {A::Ptr}, {A::Ptr}}, R::Int, false},
    {102, "getuid", 0, kCreds|kPure, {}, R::Int, true},
    {103, "syslog", 3, 0, {{A::Int}, {A::Ptr}, {A::Int}}, R::Int, false},
    {104, "getgid", 0, kCreds|kPure, {}, R::Int, true},
    {105, "setuid", 1, kCreds, {{A::Id}}, R::Int, true},
    {106, "setgid", 1, kCreds, {{A::Id}}, R::Int, true},
    {107, "geteuid", 0, kCreds|kPure, {}, R::Int, true},
    {108, "getegid", 0, kCreds|kPure, {}, R::Int, true},
    {109, "setpgid", 2, 0, {{A::Pid}, {A::Pid}}, R::Int, true},
    {110, "getppid", 0, kPure, {}, R::Int, true},
    {111, "getpgrp", 0, kPure, {}, R::Int, true},
    {112, "setsid", 0, 0, {}, R::Int, true},
    {113, "setreuid", 2, kCreds, {{A::Id}, {A::Id}}, R::Int, true},
    {114, "setregid", 2, kCreds, {{A::Id}, {A::Id}}, R::Int, true},
    {115, "getgroups", 2, kCreds, {{A::Int}, {A::Ptr}}, R::Int, false},
    {116, "setgroups", 2, kCreds, {{A::Int}, {A::Ptr}}, R::Int, false},
    {117, "setresuid", 3, kCreds, {{A::Id}, {A::Id}, {A::Id}}, R::Int, true},
    {118, "getresuid", 3, kCreds, {{A::IdOut}, {A::IdOut}, {A::IdOut}}, R::Int, true},
    {119, "setresgid", 3, kCreds, {{A::Id}, {A::Id}, {A::Id}}, R::Int, true},
    {120, "getresgid", 3, kCreds, {{A::IdOut}, {A::IdOut}, {A::IdOut}}, R::Int, true},
    {121, "getpgid", 1, 0, {{A::Pid}}, R::Int, true},
    {122, "setfsuid", 1, kCreds, {{A::Id}}, R::Int, true},
    {123, "setfsgid", 1, kCreds, {{A::Id}}, R::Int, true},
    {124, "getsid", 1, 0, {{A::Pid}}, R::Int, true},
    {125, "capget", 2, kCreds, {{A::Ptr}, {A::Ptr}}, R::Int, false},
    {126, "capset", 2, kCreds, {{A::Ptr}, {A::Ptr}}, R::Int, false},
    {127, "rt_sigpending", 2, kSignal, {{A::SigsetOut, 1}, {A::Ulong}}, R::Int, true},
    {128, "rt_sigtimedwait", 4, kSignal, {{A::SigsetIn, 3}, {A::StructOut, T(Siginfo)}, {A::StructIn, T(Timespec)}, {A::Ulong}}, R::Int, false},
    {129, "rt_sigqueueinfo", 3, kSignal|kProcess, {{A::Pid}, {A::Signal}, {A::Ptr}}, R::Int, false},
    {130, "rt_sigsuspend", 2, kSignal, {{A::SigsetIn, 1}, {A::Ulong}}, R::Int, true},
    {131, "sigaltstack", 2, kSignal, {{A::StructIn, T(Stack)}, {A::StructOut, T(Stack)}}, R::Int, true},
    {132, "utime", 2, kFile, {{A::Path}, {A::Ptr}}, R::Int, false},
    {133, "mknod", 3, kFile, {{A::Path}, {A::Mode}, {A::Hex}}, R::Int, true},
    {134, "uselib", 1, kFile, {{A::Path}}, R::Int, true},
    {135, "personality", 1, 0, {{A::Hex}}, R::Int, false},
    {136, "ustat", 2, kStatfsLike, {{A::Hex}, {A::Ptr}}, R::Int, false},
    {137, "statfs", 2, kFile|kStatfs|kStatfsLike, {{A::Path}, {A::StructOut, T(Statfs)}}, R::Int, true},
    {138, "fstatfs", 2, kDesc|kFstatfs|kStatfsLike, {{A::Fd}, {A::StructOut, T(Statfs)}}, R::Int, true},
    {139, "sysfs", 3, 0, {{A::Int}, {A::Hex}, {A::Hex}}, R::Int, false},
    {140, "getpriority", 2, 0, {{A::Enum, X(Prio)}, {A::Int}}, R::Int, true},
    {141, "setpriority", 3, 0, {{A::Enum, X(Prio)}, {A::Int}, {A::Int}}, R::Int, true},
    {142, "sched_setparam", 2, 0, {{A::Pid}, {A::Ptr}}, R::Int, false},
    {143, "sched_getparam", 2, 0, {{A::Pid}, {A::Ptr}}, R::Int, false},
    {144, "sched_setscheduler", 3, 0, {{A::Pid}, {A::Enum, X(Sched)}, {A::Ptr}}, R::Int, false},
    {145, "sched_getscheduler", 1, 0, {{A::Pid}}, R::Int, true},
    {146, "sched_get_priority_max", 1, 0, {{A::Enum, X(Sched)}}, R::Int, true},
    {147, "sched_get_priority_min", 1, 0, {{A::Enum, X(Sched)}}, R::Int, true},
    {148, "sched_rr_get_interval", 2, 0, {{A::Pid}, {A::StructOut, T(Timespec)}}, R::Int, false},
    {149, "mlock", 2, kMemory, {{A::Ptr}, {A::Ulong}}, R::Int, true},
    {150, "munlock", 2, kMemory, {{A::Ptr}, {A::Ulong}}, R::Int, true},
    {151, "mlockall", 1, kMemory, {{A::Flags, X(Mcl)}}, R::Int, true},
    {152, "munlockall", 0, kMemory, {}, R::Int, true},
    {153, "vhangup", 0, 0, {}, R::Int, true},
    {154, "modify_ldt", 3, 0, {{A::Int}, {A::Ptr}, {A::Ulong}}, R::Int, false},
    {155, "pivot_root", 2, kFile, {{A::Path}, {A::Path}}, R::Int, true},
    {156, "_sysctl", 1, 0, {{A::Ptr}}, R::Int, false},
    {157, "prctl", 5, kCreds, {{A::Prctl}, {A::Prctl}, {A::Prctl}, {A::Prctl}, {A::Prctl}}, R::Int, true},
    {158, "arch_prctl", 2, 0, {{A::Enum, X(ArchPrctl)}, {A::Ptr}}, R::Int, true},
    {159, "adjtimex", 1, kClock, {{A::Ptr}}, R::Int, false},
    {160, "setrlimit", 2, 0, {{A::Enum, X(Rlimit)}, {A::StructIn, T(Rlimit)}}, R::Int, true},
    {161, "chroot", 1, kFile, {{A::Path}}, R::Int, true},
    {162, "sync", 0, 0, {}, R::Int, true},
    {163, "acct", 1, kFile, {{A::Path}}, R::Int, true},
    {164, "settimeofday", 2, kClock, {{A::StructIn, T(Timeval)}, {A::StructIn, T(Timezone)}}, R::Int, true},
    {165, "mount", 5, kFile, {{A::String}, {A::Path}, {A::String}, {A::Flags, X(Mount)}, {A::Ptr}}, R::Int, false},
    {166, "umount2", 2, kFile, {{A::Path}, {A::Flags, X(Umount)}}, R::Int, true},
    {167, "swapon", 2, kFile, {{A::Path}, {A::Hex}}, R::Int, false},
    {168, "swapoff", 1, kFile, {{A::Path}}, R::Int, true},
    {169, "reboot", 4, 0, {{A::Hex}, {A::Hex}, {A::Hex}, {A::Ptr}}, R::Int, false},
    {170, "sethostname", 2, 0, {{A::BufIn, 1}, {A::Uint}}, R::Int, true},
    {171, "setdomainname", 2, 0, {{A::BufIn, 1}, {A::Uint}}, R::Int, true},
    {172, "iopl", 1, 0, {{A::Int}}, R::Int, true},
    {173, "ioperm", 3, 0, {{A::Ulong}, {A::Ulong}, {A::Int}}, R::Int, true},
    {174, "create_module", 2, 0, {{A::Hex}, {A::Hex}}, R::Int, false},
    {175, "init_module", 3, 0, {{A::Ptr}, {A::Ulong}, {A::String}}, R::Int, false},
    {176, "delete_module", 2, 0, {{A::String}, {A::Flags, X(Open)}}, R::Int, false},
    {177, "get_kernel_syms", 1, 0, {{A::Hex}}, R::Int, false},
    {178, "query_module", 5, 0, {{A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}}, R::Int, false},
    {179, "quotactl", 4, kFile, {{A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}}, R::Int, false},
    {180, "nfsservctl", 3, 0, {{A::Hex}, {A::Hex}, {A::Hex}}, R::Int, false},
    {181, "getpmsg", 5, kNetwork, {{A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}}, R::Int, false},
    {182, "putpmsg", 5, kNetwork, {{A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}}, R::Int, false},
    {183, "afs_syscall", 5, 0, {{A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}}, R::Int, false},
    {184, "tuxcall", 3, 0, {{A::Hex}, {A::Hex}, {A::Hex}}, R::Int, false},
    {185, "security", 3, 0, {{A::Hex}, {A::Hex}, {A::Hex}}, R::Int, false},
    {186, "gettid", 0, kPure, {}, R::Int, true},
    {187, "readahead", 3, kDesc, {{A::Fd}, {A::Long}, {A::Ulong}}, R::Int, true},
    {188, "setxattr", 5, kFile, {{A::Path}, {A::String}, {A::BufIn, 3}, {A::Ulong}, {A::Flags, X(Xattr)}}, R::Int, true},
    {189, "lsetxattr", 5, kFile, {{A::Path}, {A::String}, {A::BufIn, 3}, {A::Ulong}, {A::Flags, X(Xattr)}}, R::Int, true},
    {190, "fsetxattr", 5, kDesc, {{A::Fd}, {A::String}, {A::BufIn, 3}, {A::Ulong}, {A::Flags, X(Xattr)}}, R::Int, true},
    {191, "getxattr", 4, kFile, {{A::Path}, {A::String}, {A::BufOut, 3}, {A::Ulong}}, R::Int, true},
    {192, "lgetxattr", 4, kFile, {{A::Path}, {A::String}, {A::BufOut, 3}, {A::Ulong}}, R::Int, true},
    {193, "fgetxattr", 4, kDesc, {{A::Fd}, {A::String}, {A::BufOut, 3}, {A::Ulong}}, R::Int, true},
    {194, "listxattr", 3, kFile, {{A::Path}, {A::BufOut, 2}, {A::Ulong}}, R::Int, true},
    {195, "llistxattr", 3, kFile, {{A::Path}, {A::BufOut, 2}, {A::Ulong}}, R::Int, true},
    {196, "flistxattr", 3, kDesc, {{A::Fd}, {A::BufOut, 2}, {A::Ulong}}, R::Int, true},
    {197, "removexattr", 2, kFile, {{A::Path}, {A::String}}, R::Int, true},
    {198, "lremovexattr", 2, kFile, {{A::Path}, {A::String}}, R::Int, true},
    {199, "fremovexattr", 2, kDesc, {{A::Fd}, {A::String}}, R::Int, true},
    {200, "tkill", 2, kSignal|kProcess, {{A::Pid}, {A::Signal}}, R::Int, true},
    {201, "time", 1, kClock, {{A::Ptr}}, R::Int, false},
    {202, "futex", 6, 0, {{A::Futex}, {A::Futex}, {A::Futex}, {A::Futex}, {A::Futex}, {A::Futex}}, R::Int, true},
    {203, "sched_setaffinity", 3, 0, {{A::Pid}, {A::Uint}, {A::CpuSetIn, 1}}, R::Int, true},
    {204, "sched_getaffinity", 3, 0, {{A::Pid}, {A::Uint}, {A::CpuSetOut, 1}}, R::Int, true},
    {205, "set_thread_area", 1, 0, {{A::Ptr}}, R::Int, false},
    {206, "io_setup", 2, kMemory, {{A::Uint}, {A::Ptr}}, R::Int, false},
    {207, "io_destroy", 1, kMemory, {{A::Hex}}, R::Int, false},
    {208, "io_getevents", 5, 0, {{A::Hex}, {A::Long}, {A::Long}, {A::Ptr}, {A::Ptr}}, R::Int, false},
    {209, "io_submit", 3, 0, {{A::Hex}, {A::Long}, {A::Ptr}}, R::Int, false},
    {210, "io_cancel", 3, 0, {{A::Hex}, {A::Ptr}, {A::Ptr}}, R::Int, false},
    {211, "get_thread_area", 1, 0, {{A::Ptr}}, R::Int, false},
    {212, "lookup_dcookie", 3, 0, {{A::Hex}, {A::Ptr}, {A::Ulong}}, R::Int, false},
    {213, "epoll_create", 1, kDesc, {{A::Int}}, R::Int, true},
    {214, "epoll_ctl_old", 4, 0, {{A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}}, R::Int, false},
    {215, "epoll_wait_old", 4, 0, {{A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}}, R::Int, false},
    {216, "remap_file_pages", 5, kMemory, {{A::Ptr}, {A::Ulong}, {A::Hex}, {A::Ulong}, {A::Hex}}, R::Int, false},
    {217, "getdents64", 3, kDesc, {{A::Fd}, {A::Dirents, 2}, {A::Uint}}, R::Int, true},
    {218, "set_tid_address", 1, 0, {{A::Ptr}}, R::Int, true},
    {219, "restart_syscall", 0, 0, {}, R::Int, true},
    {220, "semtimedop", 4, kIpc, {{A::Int}, {A::Ptr}, {A::Uint}, {A::StructIn, T(Timespec)}}, R::Int, true},
    {221, "fadvise64", 4, kDesc, {{A::Fd}, {A::Long}, {A::Long}, {A::Enum, X(Fadvise)}}, R::Int, true},
    {222, "timer_create", 3, 0, {{A::Enum, X(Clock)}, {A::Ptr}, {A::Ptr}}, R::Int, false},
    {223, "timer_settime", 4, 0, {{A::Int}, {A::Flags, X(TimerAbs)}, {A::StructIn, T(Itimerspec)}, {A::StructOut, T(Itimerspec)}}, R::Int, false},
    {224, "timer_gettime", 2, 0, {{A::Int}, {A::StructOut, T(Itimerspec)}}, R::Int, false},
    {225, "timer_getoverrun", 1, 0, {{A::Int}}, R::Int, true},
    {226, "timer_delete", 1, 0, {{A::Int}}, R::Int, true},
    {227, "clock_settime", 2, kClock, {{A::Enum, X(Clock)}, {A::StructIn, T(Timespec)}}, R::Int, true},
    {228, "clock_gettime", 2, kClock, {{A::Enum, X(Clock)}, {A::StructOut, T(Timespec)}}, R::Int, true},
    {229, "clock_getres", 2, kClock, {{A::Enum, X(Clock)}, {A::StructOut, T(Timespec)}}, R::Int, true},
    {230, "clock_nanosleep", 4, 0, {{A::Enum, X(Clock)}, {A::Flags, X(TimerAbs)}, {A::StructIn, T(Timespec)}, {A::Remaining, T(Timespec)}}, R::Int, true},
    {231, "exit_group", 1, kProcess, {{A::Int}}, R::None, true},
    {232, "epoll_wait", 4, kDesc, {{A::Fd}, {A::EpollOut, 2}, {A::Int}, {A::Int}}, R::Int, true},
    {233, "epoll_ctl", 4, kDesc, {{A::Fd}, {A::Enum, X(EpollCtl)}, {A::Fd}, {A::StructIn, T(EpollEvent)}}, R::Int, true},
    {234, "tgkill", 3, kSignal|kProcess, {{A::Pid}, {A::Pid}, {A::Signal}}, R::Int, true},
    {235, "utimes", 2, kFile, {{A::Path}, {A::Ptr}}, R::Int, false},
    {236, "vserver", 5, 0, {{A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}}, R::Int, false},
    {237, "mbind", 6, kMemory, {{A::Ptr}, {A::Ulong}, {A::Hex}, {A::Ptr}, {A::Ulong}, {A::Hex}}, R::Int, false},
    {238, "set_mempolicy", 3, kMemory, {{A::Hex}, {A::Ptr}, {A::Ulong}}, R::Int, false},
    {239, "get_mempolicy", 5, kMemory, {{A::Ptr}, {A::Ptr}, {A::Ulong}, {A::Ptr}, {A::Hex}}, R::Int, false},
    {240, "mq_open", 4, kDesc, {{A::String}, {A::Flags, X(Open)}, {A::OpenMode, 1}, {A::Ptr}}, R::Int, false},
    {241, "mq_unlink", 1, 0, {{A::String}}, R::Int, true},
    {242, "mq_timedsend", 5, kDesc, {{A::Fd}, {A::BufIn, 2}, {A::Ulong}, {A::Uint}, {A::StructIn, T(Timespec)}}, R::Int, true},
    {243, "mq_timedreceive", 5, kDesc, {{A::Fd}, {A::BufOut, 2}, {A::Ulong}, {A::Ptr}, {A::StructIn, T(Timespec)}}, R::Int, false},
    {244, "mq_notify", 2, kDesc, {{A::Fd}, {A::Ptr}}, R::Int, false},
    {245, "mq_getsetattr", 3, kDesc, {{A::Fd}, {A::Ptr}, {A::Ptr}}, R::Int, false},
    {246, "kexec_load", 4, 0, {{A::Hex}, {A::Ulong}, {A::Ptr}, {A::Hex}}, R::Int, false},
    {247, "waitid", 5, kProcess, {{A::Enum, X(Idtype)}, {A::Pid}, {A::StructOut, T(Siginfo)}, {A::Flags, X(Wait)}, {A::StructOut, T(Rusage)}}, R::Int, false},
    {248, "add_key", 5, 0, {{A::String}, {A::String}, {A::Ptr}, {A::Ulong}, {A::Hex}}, R::Int, false},
    {249, "request_key", 4, 0, {{A::String}, {A::String}, {A::String}, {A::Hex}}, R::Int, false},
    {250, "keyctl", 5, 0, {{A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}, {A::Hex}}, R::Int, false},
    {251, "ioprio_set", 3, 0, {{A::Hex}, {A::Hex}, {A::Hex}}, R::Int, false},
    {252, "ioprio_get", 2, 0, {{A::Hex}, {A::Hex}}, R::Int, false},
    {253, "inotify_init", 0, kDesc, {}, R::Int, true},
    {254, "inotify_add_watch", 3, kDesc|kFile, {{A::Fd}, {A::Path}, {A::Flags, X(Inotify)}}, R::Int, true},
    {255, "inotify_rm_watch", 2, kDesc, {{A::Fd}, {A::Int}}, R::Int, true},
    {256, "migrate_pages", 4, kMemory, {{A::Pid}, {A::Ulong}, {A::Ptr}, {A::Ptr}}, R::Int, false},
    {257, "openat", 4, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Flags, X(Open)}, {A::OpenMode, 2}}, R::Int, true},
    {258, "mkdirat", 3, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Mode}}, R::Int, true},
    {259, "mknodat", 4, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Mode}, {A::Hex}}, R::Int, true},
    {260, "fchownat", 5, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Id}, {A::Id}, {A::Flags, X(At)}}, R::Int, true},
    {261, "futimesat", 3, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Ptr}}, R::Int, false},
    {262, "newfstatat", 4, kDesc|kFile|kFstat|kStatLike, {{A::DirFd}, {A::Path}, {A::StructOut, T(Stat)}, {A::Flags, X(At)}}, R::Int, true},
    {263, "unlinkat", 3, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Flags, X(At)}}, R::Int, true},
    {264, "renameat", 4, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::DirFd}, {A::Path}}, R::Int, true},
    {265, "linkat", 5, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::DirFd}, {A::Path}, {A::Flags, X(At)}}, R::Int, true},
    {266, "symlinkat", 3, kDesc|kFile, {{A::Path}, {A::DirFd}, {A::Path}}, R::Int, true},
    {267, "readlinkat", 4, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::BufOut, 3}, {A::Ulong}}, R::Int, true},
    {268, "fchmodat", 3, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Mode}}, R::Int, true},
    {269, "faccessat", 3, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Flags, X(Access)}}, R::Int, true},
    {270, "pselect6", 6, kDesc, {{A::Int}, {A::Ptr}, {A::Ptr}, {A::Ptr}, {A::StructInOut, T(Timespec)}, {A::Ptr}}, R::Int, true},
    {271, "ppoll", 5, kDesc, {{A::PollFds, 1}, {A::Uint}, {A::StructIn, T(Timespec)}, {A::SigsetIn, 4}, {A::Ulong}}, R::Int, true},
    {272, "unshare", 1, 0, {{A::Flags, X(Clone)}}, R::Int, true},
    {273, "set_robust_list", 2, 0, {{A::Ptr}, {A::Ulong}}, R::Int, true},
    {274, "get_robust_list", 3, 0, {{A::Pid}, {A::Ptr}, {A::Ptr}}, R::Int, false},
    {275, "splice", 6, kDesc, {{A::Fd}, {A::Ptr}, {A::Fd}, {A::Ptr}, {A::Ulong}, {A::Flags, X(Splice)}}, R::Int, false},
    {276, "tee", 4, kDesc, {{A::Fd}, {A::Fd}, {A::Ulong}, {A::Flags, X(Splice)}}, R::Int, true},
    {277, "sync_file_range", 4, kDesc, {{A::Fd}, {A::Long}, {A::Long}, {A::Flags, X(SyncRange)}}, R::Int, true},
    {278, "vmsplice", 4, kDesc, {{A::Fd}, {A::IovecIn, 2}, {A::Ulong}, {A::Flags, X(Splice)}}, R::Int, true},
    {279, "move_pages", 6, kMemory, {{A::Pid}, {A::Ulong}, {A::Ptr}, {A::Ptr}, {A::Ptr}, {A::Flags, X(Mpol)}}, R::Int, false},
    {280, "utimensat", 4, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::TimespecPair}, {A::Flags, X(At)}}, R::Int, true},
    {281, "epoll_pwait", 6, kDesc, {{A::Fd}, {A::EpollOut, 2}, {A::Int}, {A::Int}, {A::SigsetIn, 5}, {A::Ulong}}, R::Int, true},
    {282, "signalfd", 3, kDesc|kSignal, {{A::Fd}, {A::SigsetIn, 2}, {A::Ulong}}, R::Int, true},
    {283, "timerfd_create", 2, kDesc, {{A::Enum, X(Clock)}, {A::Flags, X(Tfd)}}, R::Int, true},
    {284, "eventfd", 1, kDesc, {{A::Uint}}, R::Int, true},
    {285, "fallocate", 4, kDesc, {{A::Fd}, {A::Flags, X(Falloc)}, {A::Long}, {A::Long}}, R::Int, true},
    {286, "timerfd_settime", 4, kDesc, {{A::Fd}, {A::Flags, X(TfdSet)}, {A::StructIn, T(Itimerspec)}, {A::StructOut, T(Itimerspec)}}, R::Int, true},
    {287, "timerfd_gettime", 2, kDesc, {{A::Fd}, {A::StructOut, T(Itimerspec)}}, R::Int, true},
    {288, "accept4", 4, kNetwork, {{A::Fd}, {A::SockaddrOut, 2}, {A::SocklenInOut}, {A::Flags, X(SockType)}}, R::Int, true},
    {289, "signalfd4", 4, kDesc|kSignal, {{A::Fd}, {A::SigsetIn, 2}, {A::Ulong}, {A::Flags, X(Sfd)}}, R::Int, true},
    {290, "eventfd2", 2, kDesc, {{A::Uint}, {A::Flags, X(Efd)}}, R::Int, true},
    {291, "epoll_create1", 1, kDesc, {{A::Flags, X(EpollCreate)}}, R::Int, true},
    {292, "dup3", 3, kDesc, {{A::Fd}, {A::Fd}, {A::Flags, X(Open)}}, R::Int, true},
    {293, "pipe2", 2, kDesc, {{A::FdPairOut}, {A::Flags, X(Open)}}, R::Int, true},
    {294, "inotify_init1", 1, kDesc, {{A::Flags, X(Open)}}, R::Int, false},
    {295, "preadv", 4, kDesc, {{A::Fd}, {A::IovecOut, 2}, {A::Int}, {A::Long}}, R::Int, true},
    {296, "pwritev", 4, kDesc, {{A::Fd}, {A::IovecIn, 2}, {A::Int}, {A::Long}}, R::Int, true},
    {297, "rt_tgsigqueueinfo", 4, kProcess|kSignal, {{A::Pid}, {A::Pid}, {A::Signal}, {A::Ptr}}, R::Int, false},
    {298, "perf_event_open", 5, kDesc, {{A::Ptr}, {A::Pid}, {A::Int}, {A::Fd}, {A::Hex}}, R::Int, false},
    {299, "recvmmsg", 5, kNetwork, {{A::Fd}, {A::Ptr}, {A::Uint}, {A::Hex}, {A::Ptr}}, R::Int, false},
    {300, "fanotify_init", 2, kDesc, {{A::Hex}, {A::Hex}}, R::Int, false},
    {301, "fanotify_mark", 5, kDesc|kFile, {{A::Fd}, {A::Hex}, {A::Hex}, {A::DirFd}, {A::Path}}, R::Int, false},
    {302, "prlimit64", 4, 0, {{A::Pid}, {A::Enum, X(Rlimit)}, {A::StructIn, T(Rlimit)}, {A::StructOut, T(Rlimit)}}, R::Int, true},
    {303, "name_to_handle_at", 5, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Ptr}, {A::Ptr}, {A::Flags, X(At)}}, R::Int, false},
    {304, "open_by_handle_at", 3, kDesc, {{A::Fd}, {A::Ptr}, {A::Flags, X(Open)}}, R::Int, false},
    {305, "clock_adjtime", 2, kClock, {{A::Enum, X(Clock)}, {A::Ptr}}, R::Int, false},
    {306, "syncfs", 1, kDesc, {{A::Fd}}, R::Int, true},
    {307, "sendmmsg", 4, kNetwork, {{A::Fd}, {A::Ptr}, {A::Uint}, {A::Hex}}, R::Int, false},
    {308, "setns", 2, kDesc, {{A::Fd}, {A::Flags, X(Clone)}}, R::Int, true},
    {309, "getcpu", 3, 0, {{A::UintOut}, {A::UintOut}, {A::Ptr}}, R::Int, true},
    {310, "process_vm_readv", 6, 0, {{A::Pid}, {A::Ptr}, {A::Ulong}, {A::Ptr}, {A::Ulong}, {A::Ulong}}, R::Int, false},
    {311, "process_vm_writev", 6, 0, {{A::Pid}, {A::Ptr}, {A::Ulong}, {A::Ptr}, {A::Ulong}, {A::Ulong}}, R::Int, false},
    {312, "kcmp", 5, 0, {{A::Pid}, {A::Pid}, {A::Hex}, {A::Hex}, {A::Hex}}, R::Int, false},
    {313, "finit_module", 3, kDesc, {{A::Fd}, {A::String}, {A::Hex}}, R::Int, false},
    {314, "sched_setattr", 3, 0, {{A::Pid}, {A::Ptr}, {A::Uint}}, R::Int, false},
    {315, "sched_getattr", 4, 0, {{A::Pid}, {A::Ptr}, {A::Uint}, {A::Uint}}, R::Int, false},
    {316, "renameat2", 5, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::DirFd}, {A::Path}, {A::Flags, X(Rename)}}, R::Int, true},
    {317, "seccomp", 3, 0, {{A::Hex}, {A::Hex}, {A::Ptr}}, R::Int, false},
    {318, "getrandom", 3, 0, {{A::RandOut, 1}, {A::Ulong}, {A::Flags, X(Grnd)}}, R::Int, true},
    {319, "memfd_create", 2, kDesc, {{A::String}, {A::Flags, X(Memfd)}}, R::Int, true},
    {320, "kexec_file_load", 5, kDesc, {{A::Fd}, {A::Fd}, {A::Ulong}, {A::String}, {A::Hex}}, R::Int, false},
    {321, "bpf", 3, kDesc, {{A::Hex}, {A::Ptr}, {A::Uint}}, R::Int, false},
    {322, "execveat", 5, kDesc|kFile|kProcess, {{A::DirFd}, {A::Path}, {A::Argv}, {A::Envp}, {A::Flags, X(At)}}, R::Int, true},
    {323, "userfaultfd", 1, kDesc, {{A::Flags, X(Open)}}, R::Int, false},
    {324, "membarrier", 3, 0, {{A::Hex}, {A::Hex}, {A::Int}}, R::Int, false},
    {325, "mlock2", 3, kMemory, {{A::Ptr}, {A::Ulong}, {A::Flags, X(Mlock2)}}, R::Int, true},
    {326, "copy_file_range", 6, kDesc, {{A::Fd}, {A::Ptr}, {A::Fd}, {A::Ptr}, {A::Ulong}, {A::Uint}}, R::Int, false},
    {327, "preadv2", 6, kDesc, {{A::Fd}, {A::IovecOut, 2}, {A::Int}, {A::Long}, {A::Skip}, {A::Flags, X(Rwf)}}, R::Int, true},
    {328, "pwritev2", 6, kDesc, {{A::Fd}, {A::IovecIn, 2}, {A::Int}, {A::Long}, {A::Skip}, {A::Flags, X(Rwf)}}, R::Int, true},
    {329, "pkey_mprotect", 4, kMemory, {{A::Ptr}, {A::Ulong}, {A::Flags, X(Prot)}, {A::Int}}, R::Int, true},
    {330, "pkey_alloc", 2, 0, {{A::Uint}, {A::Hex}}, R::Int, false},
    {331, "pkey_free", 1, 0, {{A::Int}}, R::Int, true},
    {332, "statx", 5, kDesc|kFile|kFstat|kStatLike, {{A::DirFd}, {A::Path}, {A::Flags, X(At)}, {A::Flags, X(StatxMask)}, {A::StructOut, T(Statx)}}, R::Int, true},
    {333, "io_pgetevents", 6, 0, {{A::Hex}, {A::Long}, {A::Long}, {A::Ptr}, {A::Ptr}, {A::Ptr}}, R::Int, false},
    {334, "rseq", 4, 0, {{A::Ptr}, {A::Hex}, {A::Hex}, {A::Hex}}, R::Int, true},
    {424, "pidfd_send_signal", 4, kDesc|kSignal|kProcess, {{A::Fd}, {A::Signal}, {A::Ptr}, {A::Uint}}, R::Int, false},
    {425, "io_uring_setup", 2, kDesc, {{A::Uint}, {A::Ptr}}, R::Int, false},
    {426, "io_uring_enter", 6, kDesc|kSignal, {{A::Fd}, {A::Uint}, {A::Uint}, {A::Hex}, {A::Ptr}, {A::Ulong}}, R::Int, false},
    {427, "io_uring_register", 4, kDesc|kMemory, {{A::Fd}, {A::Uint}, {A::Ptr}, {A::Uint}}, R::Int, false},
    {428, "open_tree", 3, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Hex}}, R::Int, false},
    {429, "move_mount", 5, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::DirFd}, {A::Path}, {A::Hex}}, R::Int, false},
    {430, "fsopen", 2, kDesc, {{A::String}, {A::Hex}}, R::Int, false},
    {431, "fsconfig", 5, kDesc|kFile, {{A::Fd}, {A::Hex}, {A::String}, {A::Ptr}, {A::Int}}, R::Int, false},
    {432, "fsmount", 3, kDesc, {{A::Fd}, {A::Hex}, {A::Hex}}, R::Int, false},
    {433, "fspick", 3, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Hex}}, R::Int, false},
    {434, "pidfd_open", 2, kDesc, {{A::Pid}, {A::Hex}}, R::Int, false},
    {435, "clone3", 2, kProcess, {{A::CloneArgs, 1}, {A::Ulong}}, R::Int, true},
    {436, "close_range", 3, 0, {{A::Fd}, {A::Fd}, {A::Flags, X(CloseRange)}}, R::Int, true},
    {437, "openat2", 4, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Ptr}, {A::Ulong}}, R::Int, false},
    {438, "pidfd_getfd", 3, kDesc, {{A::Fd}, {A::Fd}, {A::Hex}}, R::Int, false},
    {439, "faccessat2", 4, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Flags, X(Access)}, {A::Flags, X(At)}}, R::Int, true},
    {440, "process_madvise", 5, kDesc, {{A::Fd}, {A::Ptr}, {A::Ulong}, {A::Enum, X(Madvise)}, {A::Hex}}, R::Int, false},
    {441, "epoll_pwait2", 6, kDesc, {{A::Fd}, {A::EpollOut, 2}, {A::Int}, {A::StructIn, T(Timespec)}, {A::SigsetIn, 5}, {A::Ulong}}, R::Int, false},
    {442, "mount_setattr", 5, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Flags, X(At)}, {A::Ptr}, {A::Ulong}}, R::Int, false},
    {443, "quotactl_fd", 4, kDesc, {{A::Fd}, {A::Hex}, {A::Hex}, {A::Ptr}}, R::Int, false},
    {444, "landlock_create_ruleset", 3, kDesc, {{A::Ptr}, {A::Ulong}, {A::Hex}}, R::Int, false},
    {445, "landlock_add_rule", 4, kDesc, {{A::Fd}, {A::Hex}, {A::Ptr}, {A::Hex}}, R::Int, false},
    {446, "landlock_restrict_self", 2, kDesc, {{A::Fd}, {A::Hex}}, R::Int, false},
    {447, "memfd_secret", 1, kDesc, {{A::Hex}}, R::Int, false},
    {448, "process_mrelease", 2, kDesc, {{A::Fd}, {A::Hex}}, R::Int, false},
    {449, "futex_waitv", 5, 0, {{A::Ptr}, {A::Uint}, {A::Hex}, {A::StructIn, T(Timespec)}, {A::Enum, X(Clock)}}, R::Int, false},
    {450, "set_mempolicy_home_node", 4, kMemory, {{A::Ptr}, {A::Ulong}, {A::Ulong}, {A::Hex}}, R::Int, false},
    {451, "cachestat", 4, kDesc, {{A::Fd}, {A::Ptr}, {A::Ptr}, {A::Hex}}, R::Int, false},
    {452, "fchmodat2", 4, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Mode}, {A::Flags, X(At)}}, R::Int, true},
    {453, "map_shadow_stack", 3, kMemory, {{A::Ptr}, {A::Ulong}, {A::Hex}}, R::Int, false},
    {454, "futex_wake", 4, 0, {{A::Ptr}, {A::Hex}, {A::Int}, {A::Hex}}, R::Int, false},
    {455, "futex_wait", 6, 0, {{A::Ptr}, {A::Hex}, {A::Hex}, {A::Hex}, {A::StructIn, T(Timespec)}, {A::Enum, X(Clock)}}, R::Int, false},
    {456, "futex_requeue", 4, 0, {{A::Ptr}, {A::Hex}, {A::Int}, {A::Int}}, R::Int, false},
    {457, "statmount", 4, 0, {{A::Ptr}, {A::Ptr}, {A::Ulong}, {A::Hex}}, R::Int, false},
    {458, "listmount", 4, 0, {{A::Ptr}, {A::Ptr}, {A::Ulong}, {A::Hex}}, R::Int, false},
    {459, "lsm_get_self_attr", 4, 0, {{A::Hex}, {A::Ptr}, {A::Ptr}, {A::Hex}}, R::Int, false},
    {460, "lsm_set_self_attr", 4, 0, {{A::Hex}, {A::Ptr}, {A::Ulong}, {A::Hex}}, R::Int, false},
    {461, "lsm_list_modules", 3, 0, {{A::Ptr}, {A::Ptr}, {A::Hex}}, R::Int, false},
    {462, "mseal", 3, kMemory, {{A::Ptr}, {A::Ulong}, {A::Hex}}, R::Int, false},
    {463, "setxattrat", 6, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Flags, X(At)}, {A::String}, {A::Ptr}, {A::Ulong}}, R::Int, false},
    {464, "getxattrat", 6, kDesc|kFile, {{A::DirFd}, {A::Path}, {A::Flags, X(At)}, {A::String}, {A::Ptr}, {A::Ulong}}, R::Int, false},
};

#undef T
#undef X

}  // namespace

std::span<const SyscallSpec> all_syscalls() { return kTable; }

const SyscallSpec* find_syscall(std::int64_t nr) {
  const auto* it = std::lower_bound(std::begin(kTable), std::end(kTable), nr,
                                    [](const SyscallSpec& s, std::int64_t n) { return s.nr < n; });
  return it != std::end(kTable) && it->nr == nr ? it : nullptr;
}

const SyscallSpec* find_syscall(std::string_view name) {
  for (const auto& s : kTable)
    if (s.name == name) return &s;
  return nullptr;
}

std::optional<std::uint32_t> class_from_name(std::string_view name) {
  struct Named {
    std::string_view name;
    std::uint32_t bits;
  };
  static constexpr Named kClasses[] = {
      {"%desc", kDesc},       {"%file", kFile},         {"%ipc", kIpc},
      {"%network", kNetwork}, {"%net", kNetwork},       {"%process", kProcess},
      {"%signal", kSignal},   {"%memory", kMemory},     {"%creds", kCreds},
      {"%clock", kClock},     {"%stat", kStat},         {"%lstat", kLstat},
      {"%fstat", kFstat},     {"%%stat", kStatLike},    {"%statfs", kStatfs},
      {"%fstatfs", kFstatfs}, {"%%statfs", kStatfsLike}, {"%pure", kPure},
  };
  std::string spelled(name);
  // strace also takes the old spellings without '%' for the first classes ("file", "process").
  if (spelled.empty() || spelled[0] != '%') spelled = "%" + spelled;
  for (const auto& c : kClasses)
    if (c.name == spelled) return c.bits;
  return std::nullopt;
}

std::size_t struct_size(StructType type) {
  static constexpr std::array<std::size_t, static_cast<std::size_t>(StructType::Count_)> kSizes = {
      144,  // Stat (struct stat)
      256,  // Statx
      120,  // Statfs
      16,   // Timespec
      16,   // Timeval
      8,    // Timezone
      32,   // Itimerval
      32,   // Itimerspec
      32,   // Sigaction (the kernel's: handler, flags, restorer, 8-byte mask)
      16,   // Rlimit (struct rlimit64)
      390,  // Utsname
      112,  // Sysinfo
      32,   // Tms
      144,  // Rusage
      24,   // Stack (stack_t)
      128,  // Siginfo
      56,   // Msghdr
      12,   // EpollEvent (packed on x86-64)
      8,    // Loff (loff_t*)
  };
  return kSizes[static_cast<std::size_t>(type)];
}

Capture capture_of(Arg kind) {
  switch (kind) {
    case A::Path: case A::String: case A::BufIn: case A::StructIn: case A::SigsetIn:
    case A::IovecIn: case A::SockaddrIn: case A::SockoptIn: case A::Argv: case A::Envp:
    case A::CpuSetIn: case A::TimespecPair: case A::CloneArgs:
      return Capture::Entry;
    case A::BufOut: case A::RandOut: case A::PathOut: case A::StructOut: case A::Remaining:
    case A::SigsetOut: case A::SockaddrOut: case A::SockoptOut: case A::FdPairOut:
    case A::IntOut: case A::IdOut: case A::UintOut: case A::WaitStatus: case A::EpollOut:
    case A::Dirents: case A::CpuSetOut: case A::IoctlArg:
      return Capture::Exit;
    case A::StructInOut: case A::IovecOut: case A::SocklenInOut: case A::PollFds:
    case A::FcntlArg: case A::Futex: case A::Prctl:
      return Capture::Both;
    default:
      return Capture::None;
  }
}

}  // namespace utrace::proto::sys
