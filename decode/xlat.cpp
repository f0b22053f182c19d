#include "xlat.hpp"

#include <cstring>

#include <fmt/format.h>

namespace utrace::decode {

namespace {

using utrace::proto::sys::Xlat;

#define TABLE(var, prefix, ...)                        \
  constexpr XlatEntry var##_entries[] = {__VA_ARGS__}; \
  const XlatTable var{var##_entries, prefix};

// Access mode of open(2) flags; the rest are kOpenRest.
constexpr XlatEntry kOpenAccessEntries[] = {{0, "O_RDONLY"}, {1, "O_WRONLY"}, {2, "O_RDWR"}};
// strace's order (xlat/open_mode_flags.in), not the bits' order: O_CLOEXEC before O_DIRECTORY.
TABLE(kOpenRest, "O_", {0100, "O_CREAT"}, {0200, "O_EXCL"}, {0400, "O_NOCTTY"}, {01000, "O_TRUNC"},
      {02000, "O_APPEND"}, {04000, "O_NONBLOCK"}, {04010000, "O_SYNC"}, {010000, "O_DSYNC"},
      {040000, "O_DIRECT"}, {0100000, "O_LARGEFILE"}, {0400000, "O_NOFOLLOW"},
      {01000000, "O_NOATIME"}, {02000000, "O_CLOEXEC"}, {010000000, "O_PATH"},
      {020200000, "O_TMPFILE"}, {0200000, "O_DIRECTORY"}, {020000, "FASYNC"})
TABLE(kAt, "AT_", {0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR"},
      {0x400, "AT_SYMLINK_FOLLOW"}, {0x800, "AT_NO_AUTOMOUNT"}, {0x1000, "AT_EMPTY_PATH"},
      {0x2000, "AT_STATX_FORCE_SYNC"}, {0x4000, "AT_STATX_DONT_SYNC"}, {0x8000, "AT_RECURSIVE"})
TABLE(kAccess, "", {4, "R_OK"}, {2, "W_OK"}, {1, "X_OK"})
TABLE(kProt, "PROT_", {1, "PROT_READ"}, {2, "PROT_WRITE"}, {4, "PROT_EXEC"}, {8, "PROT_SEM"},
      {0x01000000, "PROT_GROWSDOWN"}, {0x02000000, "PROT_GROWSUP"})
TABLE(kMapFlags, "MAP_", {0x10, "MAP_FIXED"}, {0x20, "MAP_ANONYMOUS"}, {0x40, "MAP_32BIT"},
      {0x100, "MAP_GROWSDOWN"}, {0x800, "MAP_DENYWRITE"}, {0x1000, "MAP_EXECUTABLE"},
      {0x2000, "MAP_LOCKED"}, {0x4000, "MAP_NORESERVE"}, {0x8000, "MAP_POPULATE"},
      {0x10000, "MAP_NONBLOCK"}, {0x20000, "MAP_STACK"}, {0x40000, "MAP_HUGETLB"},
      {0x80000, "MAP_SYNC"}, {0x100000, "MAP_FIXED_NOREPLACE"}, {0x4000000, "MAP_UNINITIALIZED"})
TABLE(kMremap, "MREMAP_", {1, "MREMAP_MAYMOVE"}, {2, "MREMAP_FIXED"}, {4, "MREMAP_DONTUNMAP"})
TABLE(kMsync, "MS_", {1, "MS_ASYNC"}, {2, "MS_INVALIDATE"}, {4, "MS_SYNC"})
TABLE(kMadvise, "MADV_", {0, "MADV_NORMAL"}, {1, "MADV_RANDOM"}, {2, "MADV_SEQUENTIAL"},
      {3, "MADV_WILLNEED"}, {4, "MADV_DONTNEED"}, {8, "MADV_FREE"}, {9, "MADV_REMOVE"},
      {10, "MADV_DONTFORK"}, {11, "MADV_DOFORK"}, {12, "MADV_MERGEABLE"},
      {13, "MADV_UNMERGEABLE"}, {14, "MADV_HUGEPAGE"}, {15, "MADV_NOHUGEPAGE"},
      {16, "MADV_DONTDUMP"}, {17, "MADV_DODUMP"}, {18, "MADV_WIPEONFORK"},
      {19, "MADV_KEEPONFORK"}, {20, "MADV_COLD"}, {21, "MADV_PAGEOUT"},
      {22, "MADV_POPULATE_READ"}, {23, "MADV_POPULATE_WRITE"}, {24, "MADV_DONTNEED_LOCKED"},
      {25, "MADV_COLLAPSE"}, {100, "MADV_HWPOISON"}, {101, "MADV_SOFT_OFFLINE"})
TABLE(kMcl, "MCL_", {1, "MCL_CURRENT"}, {2, "MCL_FUTURE"}, {4, "MCL_ONFAULT"})
TABLE(kMlock2, "MLOCK_", {1, "MLOCK_ONFAULT"})
TABLE(kClone, "CLONE_", {0x100, "CLONE_VM"}, {0x200, "CLONE_FS"}, {0x400, "CLONE_FILES"},
      {0x800, "CLONE_SIGHAND"}, {0x1000, "CLONE_PIDFD"}, {0x2000, "CLONE_PTRACE"},
      {0x4000, "CLONE_VFORK"}, {0x8000, "CLONE_PARENT"}, {0x10000, "CLONE_THREAD"},
      {0x20000, "CLONE_NEWNS"}, {0x40000, "CLONE_SYSVSEM"}, {0x80000, "CLONE_SETTLS"},
      {0x100000, "CLONE_PARENT_SETTID"}, {0x200000, "CLONE_CHILD_CLEARTID"},
      {0x400000, "CLONE_DETACHED"}, {0x800000, "CLONE_UNTRACED"},
      {0x1000000, "CLONE_CHILD_SETTID"}, {0x2000000, "CLONE_NEWCGROUP"},
      {0x4000000, "CLONE_NEWUTS"}, {0x8000000, "CLONE_NEWIPC"}, {0x10000000, "CLONE_NEWUSER"},
      {0x20000000, "CLONE_NEWPID"}, {0x40000000, "CLONE_NEWNET"}, {0x80000000, "CLONE_IO"},
      {0x80, "CLONE_NEWTIME"}, {0x100000000, "CLONE_CLEAR_SIGHAND"},
      {0x200000000, "CLONE_INTO_CGROUP"})
TABLE(kWhence, "SEEK_", {0, "SEEK_SET"}, {1, "SEEK_CUR"}, {2, "SEEK_END"}, {3, "SEEK_DATA"},
      {4, "SEEK_HOLE"})
TABLE(kFcntl, "F_", {0, "F_DUPFD"}, {1, "F_GETFD"}, {2, "F_SETFD"}, {3, "F_GETFL"},
      {4, "F_SETFL"}, {5, "F_GETLK"}, {6, "F_SETLK"}, {7, "F_SETLKW"}, {8, "F_SETOWN"},
      {9, "F_GETOWN"}, {10, "F_SETSIG"}, {11, "F_GETSIG"}, {15, "F_SETOWN_EX"},
      {16, "F_GETOWN_EX"}, {36, "F_OFD_GETLK"}, {37, "F_OFD_SETLK"}, {38, "F_OFD_SETLKW"},
      {1024, "F_SETLEASE"}, {1025, "F_GETLEASE"}, {1026, "F_NOTIFY"}, {1030, "F_DUPFD_CLOEXEC"},
      {1031, "F_SETPIPE_SZ"}, {1032, "F_GETPIPE_SZ"}, {1033, "F_ADD_SEALS"},
      {1034, "F_GET_SEALS"})
TABLE(kDomain, "AF_", {0, "AF_UNSPEC"}, {1, "AF_UNIX"}, {2, "AF_INET"}, {3, "AF_AX25"},
      {4, "AF_IPX"}, {5, "AF_APPLETALK"}, {7, "AF_BRIDGE"}, {10, "AF_INET6"}, {15, "AF_KEY"},
      {16, "AF_NETLINK"}, {17, "AF_PACKET"}, {29, "AF_CAN"}, {30, "AF_TIPC"},
      {31, "AF_BLUETOOTH"}, {38, "AF_ALG"}, {40, "AF_VSOCK"}, {44, "AF_XDP"})
constexpr XlatEntry kSockTypeEntries[] = {{1, "SOCK_STREAM"}, {2, "SOCK_DGRAM"},
                                          {3, "SOCK_RAW"},    {4, "SOCK_RDM"},
                                          {5, "SOCK_SEQPACKET"}, {6, "SOCK_DCCP"},
                                          {10, "SOCK_PACKET"}};
TABLE(kSockFlags, "SOCK_", {02000000, "SOCK_CLOEXEC"}, {04000, "SOCK_NONBLOCK"})
TABLE(kMsg, "MSG_", {1, "MSG_OOB"}, {2, "MSG_PEEK"}, {4, "MSG_DONTROUTE"}, {8, "MSG_CTRUNC"},
      {0x10, "MSG_PROXY"}, {0x20, "MSG_TRUNC"}, {0x40, "MSG_DONTWAIT"}, {0x80, "MSG_EOR"},
      {0x100, "MSG_WAITALL"}, {0x200, "MSG_FIN"}, {0x400, "MSG_SYN"}, {0x800, "MSG_CONFIRM"},
      {0x1000, "MSG_RST"}, {0x2000, "MSG_ERRQUEUE"}, {0x4000, "MSG_NOSIGNAL"},
      {0x8000, "MSG_MORE"}, {0x10000, "MSG_WAITFORONE"}, {0x40000, "MSG_BATCH"},
      {0x4000000, "MSG_ZEROCOPY"}, {0x20000000, "MSG_FASTOPEN"},
      {0x40000000, "MSG_CMSG_CLOEXEC"})
TABLE(kShut, "SHUT_", {0, "SHUT_RD"}, {1, "SHUT_WR"}, {2, "SHUT_RDWR"})
TABLE(kSolLevel, "SOL_", {0, "SOL_IP"}, {1, "SOL_SOCKET"}, {6, "SOL_TCP"}, {17, "SOL_UDP"},
      {41, "SOL_IPV6"}, {58, "SOL_ICMPV6"}, {255, "SOL_RAW"}, {263, "SOL_PACKET"},
      {270, "SOL_NETLINK"}, {279, "SOL_ALG"})
TABLE(kSigHow, "SIG_", {0, "SIG_BLOCK"}, {1, "SIG_UNBLOCK"}, {2, "SIG_SETMASK"})
TABLE(kClock, "CLOCK_", {0, "CLOCK_REALTIME"}, {1, "CLOCK_MONOTONIC"},
      {2, "CLOCK_PROCESS_CPUTIME_ID"}, {3, "CLOCK_THREAD_CPUTIME_ID"}, {4, "CLOCK_MONOTONIC_RAW"},
      {5, "CLOCK_REALTIME_COARSE"}, {6, "CLOCK_MONOTONIC_COARSE"}, {7, "CLOCK_BOOTTIME"},
      {8, "CLOCK_REALTIME_ALARM"}, {9, "CLOCK_BOOTTIME_ALARM"}, {11, "CLOCK_TAI"})
TABLE(kTimerAbs, "TIMER_", {1, "TIMER_ABSTIME"})
TABLE(kRlimit, "RLIMIT_", {0, "RLIMIT_CPU"}, {1, "RLIMIT_FSIZE"}, {2, "RLIMIT_DATA"},
      {3, "RLIMIT_STACK"}, {4, "RLIMIT_CORE"}, {5, "RLIMIT_RSS"}, {6, "RLIMIT_NPROC"},
      {7, "RLIMIT_NOFILE"}, {8, "RLIMIT_MEMLOCK"}, {9, "RLIMIT_AS"}, {10, "RLIMIT_LOCKS"},
      {11, "RLIMIT_SIGPENDING"}, {12, "RLIMIT_MSGQUEUE"}, {13, "RLIMIT_NICE"},
      {14, "RLIMIT_RTPRIO"}, {15, "RLIMIT_RTTIME"})
TABLE(kWho, "RUSAGE_", {0, "RUSAGE_SELF"}, {0xffffffff, "RUSAGE_CHILDREN"},
      {0xffffffffffffffff, "RUSAGE_CHILDREN"}, {1, "RUSAGE_THREAD"})
TABLE(kArchPrctl, "ARCH_", {0x1001, "ARCH_SET_GS"}, {0x1002, "ARCH_SET_FS"},
      {0x1003, "ARCH_GET_FS"}, {0x1004, "ARCH_GET_GS"}, {0x1011, "ARCH_GET_CPUID"},
      {0x1012, "ARCH_SET_CPUID"}, {0x1021, "ARCH_GET_XCOMP_SUPP"}, {0x1022, "ARCH_GET_XCOMP_PERM"},
      {0x1023, "ARCH_REQ_XCOMP_PERM"}, {0x1024, "ARCH_GET_XCOMP_GUEST_PERM"},
      {0x1025, "ARCH_REQ_XCOMP_GUEST_PERM"}, {0x2001, "ARCH_MAP_VDSO_X32"},
      {0x2002, "ARCH_MAP_VDSO_32"}, {0x2003, "ARCH_MAP_VDSO_64"})
TABLE(kWait, "W", {1, "WNOHANG"}, {2, "WSTOPPED"}, {4, "WEXITED"}, {8, "WCONTINUED"},
      {0x1000000, "WNOWAIT"}, {0x20000000, "__WNOTHREAD"}, {0x40000000, "__WALL"},
      {0x80000000, "__WCLONE"})
TABLE(kIdtype, "P_", {0, "P_ALL"}, {1, "P_PID"}, {2, "P_PGID"}, {3, "P_PIDFD"})
TABLE(kEpollCtl, "EPOLL_CTL_", {1, "EPOLL_CTL_ADD"}, {2, "EPOLL_CTL_DEL"}, {3, "EPOLL_CTL_MOD"})
TABLE(kEpollCreate, "EPOLL_", {02000000, "EPOLL_CLOEXEC"})
TABLE(kEfd, "EFD_", {02000000, "EFD_CLOEXEC"}, {04000, "EFD_NONBLOCK"}, {1, "EFD_SEMAPHORE"})
TABLE(kSfd, "SFD_", {02000000, "SFD_CLOEXEC"}, {04000, "SFD_NONBLOCK"})
TABLE(kTfd, "TFD_", {02000000, "TFD_CLOEXEC"}, {04000, "TFD_NONBLOCK"})
TABLE(kTfdSet, "TFD_", {1, "TFD_TIMER_ABSTIME"}, {2, "TFD_TIMER_CANCEL_ON_SET"})
TABLE(kGrnd, "GRND_", {1, "GRND_NONBLOCK"}, {2, "GRND_RANDOM"}, {4, "GRND_INSECURE"})
TABLE(kStatxMask, "STATX_", {0xfff, "STATX_ALL"}, {0x7ff, "STATX_BASIC_STATS"}, {1, "STATX_TYPE"},
      {2, "STATX_MODE"}, {4, "STATX_NLINK"}, {8, "STATX_UID"}, {0x10, "STATX_GID"},
      {0x20, "STATX_ATIME"}, {0x40, "STATX_MTIME"}, {0x80, "STATX_CTIME"}, {0x100, "STATX_INO"},
      {0x200, "STATX_SIZE"}, {0x400, "STATX_BLOCKS"}, {0x800, "STATX_BTIME"},
      {0x1000, "STATX_MNT_ID"}, {0x2000, "STATX_DIOALIGN"})
TABLE(kRename, "RENAME_", {1, "RENAME_NOREPLACE"}, {2, "RENAME_EXCHANGE"}, {4, "RENAME_WHITEOUT"})
TABLE(kMemfd, "MFD_", {1, "MFD_CLOEXEC"}, {2, "MFD_ALLOW_SEALING"}, {4, "MFD_HUGETLB"},
      {8, "MFD_NOEXEC_SEAL"}, {0x10, "MFD_EXEC"})
TABLE(kFlock, "LOCK_", {1, "LOCK_SH"}, {2, "LOCK_EX"}, {4, "LOCK_NB"}, {8, "LOCK_UN"})
TABLE(kFadvise, "POSIX_FADV_", {0, "POSIX_FADV_NORMAL"}, {1, "POSIX_FADV_RANDOM"},
      {2, "POSIX_FADV_SEQUENTIAL"}, {3, "POSIX_FADV_WILLNEED"}, {4, "POSIX_FADV_DONTNEED"},
      {5, "POSIX_FADV_NOREUSE"})
TABLE(kFalloc, "FALLOC_FL_", {1, "FALLOC_FL_KEEP_SIZE"}, {2, "FALLOC_FL_PUNCH_HOLE"},
      {4, "FALLOC_FL_NO_HIDE_STALE"}, {8, "FALLOC_FL_COLLAPSE_RANGE"},
      {0x10, "FALLOC_FL_ZERO_RANGE"}, {0x20, "FALLOC_FL_INSERT_RANGE"},
      {0x40, "FALLOC_FL_UNSHARE_RANGE"})
TABLE(kSplice, "SPLICE_F_", {1, "SPLICE_F_MOVE"}, {2, "SPLICE_F_NONBLOCK"}, {4, "SPLICE_F_MORE"},
      {8, "SPLICE_F_GIFT"})
TABLE(kSyncRange, "SYNC_FILE_RANGE_", {1, "SYNC_FILE_RANGE_WAIT_BEFORE"},
      {2, "SYNC_FILE_RANGE_WRITE"}, {4, "SYNC_FILE_RANGE_WAIT_AFTER"})
TABLE(kXattr, "XATTR_", {1, "XATTR_CREATE"}, {2, "XATTR_REPLACE"})
TABLE(kMount, "MS_", {1, "MS_RDONLY"}, {2, "MS_NOSUID"}, {4, "MS_NODEV"}, {8, "MS_NOEXEC"},
      {16, "MS_SYNCHRONOUS"}, {32, "MS_REMOUNT"}, {64, "MS_MANDLOCK"}, {128, "MS_DIRSYNC"},
      {256, "MS_NOSYMFOLLOW"}, {1024, "MS_NOATIME"}, {2048, "MS_NODIRATIME"}, {4096, "MS_BIND"},
      {8192, "MS_MOVE"}, {16384, "MS_REC"}, {32768, "MS_SILENT"}, {1 << 16, "MS_POSIXACL"},
      {1 << 17, "MS_UNBINDABLE"}, {1 << 18, "MS_PRIVATE"}, {1 << 19, "MS_SLAVE"},
      {1 << 20, "MS_SHARED"}, {1 << 21, "MS_RELATIME"}, {1 << 24, "MS_STRICTATIME"},
      {1 << 25, "MS_LAZYTIME"})
TABLE(kUmount, "MNT_", {1, "MNT_FORCE"}, {2, "MNT_DETACH"}, {4, "MNT_EXPIRE"},
      {8, "UMOUNT_NOFOLLOW"})
TABLE(kInotify, "IN_", {1, "IN_ACCESS"}, {2, "IN_MODIFY"}, {4, "IN_ATTRIB"},
      {8, "IN_CLOSE_WRITE"}, {0x10, "IN_CLOSE_NOWRITE"}, {0x20, "IN_OPEN"},
      {0x40, "IN_MOVED_FROM"}, {0x80, "IN_MOVED_TO"}, {0x100, "IN_CREATE"}, {0x200, "IN_DELETE"},
      {0x400, "IN_DELETE_SELF"}, {0x800, "IN_MOVE_SELF"}, {0x2000, "IN_UNMOUNT"},
      {0x4000, "IN_Q_OVERFLOW"}, {0x8000, "IN_IGNORED"}, {0x1000000, "IN_ONLYDIR"},
      {0x2000000, "IN_DONT_FOLLOW"}, {0x4000000, "IN_EXCL_UNLINK"},
      {0x10000000, "IN_MASK_CREATE"}, {0x20000000, "IN_MASK_ADD"}, {0x40000000, "IN_ISDIR"},
      {0x80000000, "IN_ONESHOT"})
TABLE(kIpc, "IPC_", {01000, "IPC_CREAT"}, {02000, "IPC_EXCL"}, {04000, "IPC_NOWAIT"})
TABLE(kShm, "SHM_", {010000, "SHM_RDONLY"}, {020000, "SHM_RND"}, {040000, "SHM_REMAP"},
      {0100000, "SHM_EXEC"})
TABLE(kIpcCmd, "IPC_", {0, "IPC_RMID"}, {1, "IPC_SET"}, {2, "IPC_STAT"}, {3, "IPC_INFO"})
TABLE(kItimer, "ITIMER_", {0, "ITIMER_REAL"}, {1, "ITIMER_VIRTUAL"}, {2, "ITIMER_PROF"})
TABLE(kPrio, "PRIO_", {0, "PRIO_PROCESS"}, {1, "PRIO_PGRP"}, {2, "PRIO_USER"})
TABLE(kSched, "SCHED_", {0, "SCHED_OTHER"}, {1, "SCHED_FIFO"}, {2, "SCHED_RR"},
      {3, "SCHED_BATCH"}, {4, "SCHED_ISO"}, {5, "SCHED_IDLE"}, {6, "SCHED_DEADLINE"})
TABLE(kPtrace, "PTRACE_", {0, "PTRACE_TRACEME"}, {1, "PTRACE_PEEKTEXT"}, {2, "PTRACE_PEEKDATA"},
      {3, "PTRACE_PEEKUSER"}, {4, "PTRACE_POKETEXT"}, {5, "PTRACE_POKEDATA"},
      {6, "PTRACE_POKEUSER"}, {7, "PTRACE_CONT"}, {8, "PTRACE_KILL"}, {9, "PTRACE_SINGLESTEP"},
      {12, "PTRACE_GETREGS"}, {13, "PTRACE_SETREGS"}, {14, "PTRACE_GETFPREGS"},
      {15, "PTRACE_SETFPREGS"}, {16, "PTRACE_ATTACH"}, {17, "PTRACE_DETACH"},
      {24, "PTRACE_SYSCALL"}, {0x4200, "PTRACE_SETOPTIONS"}, {0x4201, "PTRACE_GETEVENTMSG"},
      {0x4202, "PTRACE_GETSIGINFO"}, {0x4203, "PTRACE_SETSIGINFO"}, {0x4204, "PTRACE_GETREGSET"},
      {0x4205, "PTRACE_SETREGSET"}, {0x4206, "PTRACE_SEIZE"}, {0x4207, "PTRACE_INTERRUPT"},
      {0x4208, "PTRACE_LISTEN"})
TABLE(kCloseRange, "CLOSE_RANGE_", {2, "CLOSE_RANGE_UNSHARE"}, {4, "CLOSE_RANGE_CLOEXEC"})
TABLE(kRwf, "RWF_", {1, "RWF_HIPRI"}, {2, "RWF_DSYNC"}, {4, "RWF_SYNC"}, {8, "RWF_NOWAIT"},
      {0x10, "RWF_APPEND"})
TABLE(kMpol, "MPOL_MF_", {1, "MPOL_MF_STRICT"}, {2, "MPOL_MF_MOVE"}, {4, "MPOL_MF_MOVE_ALL"})
constexpr XlatEntry kMapTypeEntries[] = {{1, "MAP_SHARED"}, {2, "MAP_PRIVATE"},
                                         {3, "MAP_SHARED_VALIDATE"}};

}  // namespace

namespace tables {
const XlatTable kOpenAccess{kOpenAccessEntries, "O_"};
TABLE(kFdFlags, "FD_", {1, "FD_CLOEXEC"})
TABLE(kSigactFlags, "SA_", {0x04000000, "SA_RESTORER"}, {0x08000000, "SA_ONSTACK"},
      {0x10000000, "SA_RESTART"}, {0x20000000, "SA_INTERRUPT"}, {0x40000000, "SA_NODEFER"},
      {0x80000000, "SA_RESETHAND"}, {4, "SA_SIGINFO"}, {1, "SA_NOCLDSTOP"}, {2, "SA_NOCLDWAIT"})
TABLE(kPollEvents, "POLL", {1, "POLLIN"}, {2, "POLLPRI"}, {4, "POLLOUT"}, {8, "POLLERR"},
      {0x10, "POLLHUP"}, {0x20, "POLLNVAL"}, {0x40, "POLLRDNORM"}, {0x80, "POLLRDBAND"},
      {0x100, "POLLWRNORM"}, {0x200, "POLLWRBAND"}, {0x400, "POLLMSG"}, {0x2000, "POLLRDHUP"})
TABLE(kEpollEvents, "EPOLL", {1, "EPOLLIN"}, {2, "EPOLLPRI"}, {4, "EPOLLOUT"}, {8, "EPOLLERR"},
      {0x10, "EPOLLHUP"}, {0x20, "EPOLLNVAL"}, {0x40, "EPOLLRDNORM"}, {0x80, "EPOLLRDBAND"},
      {0x100, "EPOLLWRNORM"}, {0x200, "EPOLLWRBAND"}, {0x400, "EPOLLMSG"},
      {0x2000, "EPOLLRDHUP"}, {1u << 28, "EPOLLEXCLUSIVE"}, {1u << 29, "EPOLLWAKEUP"},
      {1u << 30, "EPOLLONESHOT"}, {1u << 31, "EPOLLET"})
// statfs's f_type (strace's xlat/fsmagic.in, the common ones) and f_flags (statfs_flags.in).
TABLE(kFsMagic, "", {0x1cd1, "DEVPTS_SUPER_MAGIC"}, {0x6969, "NFS_SUPER_MAGIC"},
      {0x9660, "ISOFS_SUPER_MAGIC"}, {0x9fa0, "PROC_SUPER_MAGIC"}, {0x4d44, "MSDOS_SUPER_MAGIC"},
      {0xef53, "EXT2_SUPER_MAGIC"}, {0x27e0eb, "CGROUP_SUPER_MAGIC"}, {0x01021994, "TMPFS_MAGIC"},
      {0x01021997, "V9FS_MAGIC"}, {0x09041934, "ANON_INODE_FS_MAGIC"},
      {0x2011bab0, "EXFAT_SUPER_MAGIC"}, {0x2fc12fc1, "ZFS_SUPER_MAGIC"},
      {0x28cd3d45, "CRAMFS_MAGIC"}, {0x42494e4d, "BINFMTFS_MAGIC"}, {0x50495045, "PIPEFS_MAGIC"},
      {0x534f434b, "SOCKFS_MAGIC"}, {0x58465342, "XFS_SUPER_MAGIC"}, {0x6165676c, "PSTOREFS_MAGIC"},
      {0x62646576, "BDEVFS_MAGIC"}, {0x62656570, "CONFIGFS_MAGIC"}, {0x62656572, "SYSFS_MAGIC"},
      {0x63677270, "CGROUP2_SUPER_MAGIC"}, {0x64626720, "DEBUGFS_MAGIC"},
      {0x65735543, "FUSE_CTL_SUPER_MAGIC"}, {0x65735546, "FUSE_SUPER_MAGIC"},
      {0x6e736673, "NSFS_MAGIC"}, {0x73636673, "SECURITYFS_MAGIC"}, {0x73717368, "SQUASHFS_MAGIC"},
      {0x74726163, "TRACEFS_MAGIC"}, {0x794c7630, "OVERLAYFS_SUPER_MAGIC"},
      {0x858458f6, "RAMFS_MAGIC"}, {0x9123683e, "BTRFS_SUPER_MAGIC"},
      {0x958458f6, "HUGETLBFS_MAGIC"}, {0xcafe4a11, "BPF_FS_MAGIC"}, {0xde5e81e4, "EFIVARFS_MAGIC"},
      {0xe0f5e1e2, "EROFS_SUPER_MAGIC_V1"}, {0xf2f52010, "F2FS_SUPER_MAGIC"},
      {0xf97cff8c, "SELINUX_MAGIC"}, {0xfe534d42, "SMB2_SUPER_MAGIC"},
      {0xff534d42, "CIFS_SUPER_MAGIC"})
TABLE(kStatfsFlags, "ST_", {0x20, "ST_VALID"}, {0x1, "ST_RDONLY"}, {0x2, "ST_NOSUID"},
      {0x4, "ST_NODEV"}, {0x8, "ST_NOEXEC"}, {0x10, "ST_SYNCHRONOUS"}, {0x40, "ST_MANDLOCK"},
      {0x400, "ST_NOATIME"}, {0x800, "ST_NODIRATIME"}, {0x1000, "ST_RELATIME"},
      {0x2000, "ST_NOSYMFOLLOW"})
// Capabilities (prctl PR_CAPBSET_READ/DROP).
TABLE(kCap, "CAP_", {0, "CAP_CHOWN"}, {1, "CAP_DAC_OVERRIDE"}, {2, "CAP_DAC_READ_SEARCH"},
      {3, "CAP_FOWNER"}, {4, "CAP_FSETID"}, {5, "CAP_KILL"}, {6, "CAP_SETGID"}, {7, "CAP_SETUID"},
      {8, "CAP_SETPCAP"}, {9, "CAP_LINUX_IMMUTABLE"}, {10, "CAP_NET_BIND_SERVICE"},
      {11, "CAP_NET_BROADCAST"}, {12, "CAP_NET_ADMIN"}, {13, "CAP_NET_RAW"}, {14, "CAP_IPC_LOCK"},
      {15, "CAP_IPC_OWNER"}, {16, "CAP_SYS_MODULE"}, {17, "CAP_SYS_RAWIO"}, {18, "CAP_SYS_CHROOT"},
      {19, "CAP_SYS_PTRACE"}, {20, "CAP_SYS_PACCT"}, {21, "CAP_SYS_ADMIN"}, {22, "CAP_SYS_BOOT"},
      {23, "CAP_SYS_NICE"}, {24, "CAP_SYS_RESOURCE"}, {25, "CAP_SYS_TIME"},
      {26, "CAP_SYS_TTY_CONFIG"}, {27, "CAP_MKNOD"}, {28, "CAP_LEASE"}, {29, "CAP_AUDIT_WRITE"},
      {30, "CAP_AUDIT_CONTROL"}, {31, "CAP_SETFCAP"}, {32, "CAP_MAC_OVERRIDE"},
      {33, "CAP_MAC_ADMIN"}, {34, "CAP_SYSLOG"}, {35, "CAP_WAKE_ALARM"}, {36, "CAP_BLOCK_SUSPEND"},
      {37, "CAP_AUDIT_READ"}, {38, "CAP_PERFMON"}, {39, "CAP_BPF"}, {40, "CAP_CHECKPOINT_RESTORE"})
TABLE(kStatxAttrs, "STATX_ATTR_", {0x4, "STATX_ATTR_COMPRESSED"}, {0x10, "STATX_ATTR_IMMUTABLE"},
      {0x20, "STATX_ATTR_APPEND"}, {0x40, "STATX_ATTR_NODUMP"}, {0x800, "STATX_ATTR_ENCRYPTED"},
      {0x1000, "STATX_ATTR_AUTOMOUNT"}, {0x2000, "STATX_ATTR_MOUNT_ROOT"},
      {0x100000, "STATX_ATTR_VERITY"}, {0x200000, "STATX_ATTR_DAX"})
TABLE(kSsFlags, "SS_", {1, "SS_ONSTACK"}, {2, "SS_DISABLE"}, {1u << 31, "SS_AUTODISARM"})
TABLE(kFutexCmd, "FUTEX_", {0, "FUTEX_WAIT"}, {1, "FUTEX_WAKE"}, {2, "FUTEX_FD"},
      {3, "FUTEX_REQUEUE"}, {4, "FUTEX_CMP_REQUEUE"}, {5, "FUTEX_WAKE_OP"}, {6, "FUTEX_LOCK_PI"},
      {7, "FUTEX_UNLOCK_PI"}, {8, "FUTEX_TRYLOCK_PI"}, {9, "FUTEX_WAIT_BITSET"},
      {10, "FUTEX_WAKE_BITSET"}, {11, "FUTEX_WAIT_REQUEUE_PI"}, {12, "FUTEX_CMP_REQUEUE_PI"},
      {13, "FUTEX_LOCK_PI2"})
TABLE(kPrctl, "PR_", {1, "PR_SET_PDEATHSIG"}, {2, "PR_GET_PDEATHSIG"}, {3, "PR_GET_DUMPABLE"},
      {4, "PR_SET_DUMPABLE"}, {7, "PR_GET_KEEPCAPS"}, {8, "PR_SET_KEEPCAPS"}, {15, "PR_SET_NAME"},
      {16, "PR_GET_NAME"}, {21, "PR_GET_SECCOMP"}, {22, "PR_SET_SECCOMP"},
      {23, "PR_CAPBSET_READ"}, {24, "PR_CAPBSET_DROP"}, {29, "PR_SET_TIMERSLACK"},
      {30, "PR_GET_TIMERSLACK"}, {35, "PR_SET_MM"}, {36, "PR_SET_CHILD_SUBREAPER"},
      {37, "PR_GET_CHILD_SUBREAPER"}, {38, "PR_SET_NO_NEW_PRIVS"}, {39, "PR_GET_NO_NEW_PRIVS"},
      {40, "PR_GET_TID_ADDRESS"}, {41, "PR_SET_THP_DISABLE"}, {42, "PR_GET_THP_DISABLE"},
      {47, "PR_CAP_AMBIENT"}, {0x59616d61, "PR_SET_PTRACER"}, {0x53564d41, "PR_SET_VMA"})
TABLE(kIoctl, "", {0x5401, "TCGETS"}, {0x5402, "TCSETS"}, {0x5403, "TCSETSW"}, {0x5404, "TCSETSF"},
      {0x5405, "TCGETA"}, {0x540A, "TCXONC"}, {0x540B, "TCFLSH"}, {0x540E, "TIOCSCTTY"},
      {0x540F, "TIOCGPGRP"}, {0x5410, "TIOCSPGRP"}, {0x5411, "TIOCOUTQ"}, {0x5413, "TIOCGWINSZ"},
      {0x5414, "TIOCSWINSZ"}, {0x541B, "FIONREAD"}, {0x5421, "FIONBIO"}, {0x5422, "TIOCNOTTY"},
      {0x5429, "TIOCGSID"}, {0x5450, "FIONCLEX"}, {0x5451, "FIOCLEX"}, {0x5452, "FIOASYNC"},
      {0x80045430, "TIOCGPTN"}, {0x40045431, "TIOCSPTLCK"}, {0x8912, "SIOCGIFCONF"},
      {0x8913, "SIOCGIFFLAGS"}, {0x8933, "SIOCGIFINDEX"}, {0x80086601, "FS_IOC_GETFLAGS"},
      {0x80081272, "BLKGETSIZE64"}, {0x40049409, "BTRFS_IOC_CLONE or FICLONE"})
TABLE(kIpProto, "IPPROTO_", {0, "IPPROTO_IP"}, {1, "IPPROTO_ICMP"}, {6, "IPPROTO_TCP"},
      {17, "IPPROTO_UDP"}, {41, "IPPROTO_IPV6"}, {58, "IPPROTO_ICMPV6"}, {132, "IPPROTO_SCTP"},
      {136, "IPPROTO_UDPLITE"}, {255, "IPPROTO_RAW"}, {262, "IPPROTO_MPTCP"})
TABLE(kSockoptSocket, "SO_", {1, "SO_DEBUG"}, {2, "SO_REUSEADDR"}, {3, "SO_TYPE"},
      {4, "SO_ERROR"}, {5, "SO_DONTROUTE"}, {6, "SO_BROADCAST"}, {7, "SO_SNDBUF"},
      {8, "SO_RCVBUF"}, {9, "SO_KEEPALIVE"}, {10, "SO_OOBINLINE"}, {11, "SO_NO_CHECK"},
      {12, "SO_PRIORITY"}, {13, "SO_LINGER"}, {14, "SO_BSDCOMPAT"}, {15, "SO_REUSEPORT"},
      {16, "SO_PASSCRED"}, {17, "SO_PEERCRED"}, {18, "SO_RCVLOWAT"}, {19, "SO_SNDLOWAT"},
      {20, "SO_RCVTIMEO_OLD"}, {21, "SO_SNDTIMEO_OLD"}, {25, "SO_BINDTODEVICE"},
      {26, "SO_ATTACH_FILTER"}, {29, "SO_TIMESTAMP_OLD"}, {30, "SO_ACCEPTCONN"},
      {31, "SO_PEERSEC"}, {32, "SO_SNDBUFFORCE"}, {33, "SO_RCVBUFFORCE"}, {34, "SO_PASSSEC"},
      {36, "SO_MARK"}, {38, "SO_PROTOCOL"}, {39, "SO_DOMAIN"}, {46, "SO_BUSY_POLL"},
      {49, "SO_INCOMING_CPU"}, {57, "SO_COOKIE"}, {59, "SO_PEERGROUPS"}, {60, "SO_ZEROCOPY"})
TABLE(kSockoptTcp, "TCP_", {1, "TCP_NODELAY"}, {2, "TCP_MAXSEG"}, {3, "TCP_CORK"},
      {4, "TCP_KEEPIDLE"}, {5, "TCP_KEEPINTVL"}, {6, "TCP_KEEPCNT"}, {7, "TCP_SYNCNT"},
      {8, "TCP_LINGER2"}, {9, "TCP_DEFER_ACCEPT"}, {10, "TCP_WINDOW_CLAMP"}, {11, "TCP_INFO"},
      {12, "TCP_QUICKACK"}, {13, "TCP_CONGESTION"}, {18, "TCP_USER_TIMEOUT"},
      {23, "TCP_FASTOPEN"}, {25, "TCP_NOTSENT_LOWAT"})
TABLE(kSockoptIp, "IP_", {1, "IP_TOS"}, {2, "IP_TTL"}, {3, "IP_HDRINCL"}, {4, "IP_OPTIONS"},
      {8, "IP_PKTINFO"}, {10, "IP_MTU_DISCOVER"}, {11, "IP_RECVERR"}, {32, "IP_MULTICAST_IF"},
      {33, "IP_MULTICAST_TTL"}, {34, "IP_MULTICAST_LOOP"}, {35, "IP_ADD_MEMBERSHIP"},
      {36, "IP_DROP_MEMBERSHIP"})
TABLE(kSockoptIpv6, "IPV6_", {16, "IPV6_UNICAST_HOPS"}, {18, "IPV6_MULTICAST_HOPS"},
      {23, "IPV6_MTU_DISCOVER"}, {25, "IPV6_RECVERR"}, {26, "IPV6_V6ONLY"},
      {49, "IPV6_RECVPKTINFO"}, {67, "IPV6_TCLASS"})
TABLE(kModeType, "S_IF", {0140000, "S_IFSOCK"}, {0120000, "S_IFLNK"}, {0100000, "S_IFREG"},
      {060000, "S_IFBLK"}, {040000, "S_IFDIR"}, {020000, "S_IFCHR"}, {010000, "S_IFIFO"})
TABLE(kFaccessatFlags, "AT_", {0x200, "AT_EACCESS"}, {0x100, "AT_SYMLINK_NOFOLLOW"},
      {0x1000, "AT_EMPTY_PATH"})
TABLE(kUnlinkatFlags, "AT_", {0x200, "AT_REMOVEDIR"})
TABLE(kStatxFlags, "AT_", {0x100, "AT_SYMLINK_NOFOLLOW"}, {0x800, "AT_NO_AUTOMOUNT"},
      {0x1000, "AT_EMPTY_PATH"})
}  // namespace tables

const XlatTable& table(Xlat id) {
  static const XlatTable kSockType{kSockTypeEntries, "SOCK_"};
  static const XlatTable kMap{kMapFlags_entries, "MAP_"};
  switch (id) {
    case Xlat::Open: return kOpenRest;
    case Xlat::At: return kAt;
    case Xlat::Access: return kAccess;
    case Xlat::Prot: return kProt;
    case Xlat::Map: return kMap;
    case Xlat::Mremap: return kMremap;
    case Xlat::Msync: return kMsync;
    case Xlat::Madvise: return kMadvise;
    case Xlat::Mcl: return kMcl;
    case Xlat::Mlock2: return kMlock2;
    case Xlat::Clone: return kClone;
    case Xlat::Whence: return kWhence;
    case Xlat::Fcntl: return kFcntl;
    case Xlat::Domain: return kDomain;
    case Xlat::SockType: return kSockType;
    case Xlat::Msg: return kMsg;
    case Xlat::Shut: return kShut;
    case Xlat::SolLevel: return kSolLevel;
    case Xlat::SigHow: return kSigHow;
    case Xlat::Clock: return kClock;
    case Xlat::TimerAbs: return kTimerAbs;
    case Xlat::Rlimit: return kRlimit;
    case Xlat::Who: return kWho;
    case Xlat::ArchPrctl: return kArchPrctl;
    case Xlat::Wait: return kWait;
    case Xlat::Idtype: return kIdtype;
    case Xlat::EpollCtl: return kEpollCtl;
    case Xlat::EpollCreate: return kEpollCreate;
    case Xlat::Efd: return kEfd;
    case Xlat::Sfd: return kSfd;
    case Xlat::Tfd: return kTfd;
    case Xlat::TfdSet: return kTfdSet;
    case Xlat::Grnd: return kGrnd;
    case Xlat::StatxMask: return kStatxMask;
    case Xlat::Rename: return kRename;
    case Xlat::Memfd: return kMemfd;
    case Xlat::Flock: return kFlock;
    case Xlat::Fadvise: return kFadvise;
    case Xlat::Falloc: return kFalloc;
    case Xlat::Splice: return kSplice;
    case Xlat::SyncRange: return kSyncRange;
    case Xlat::Xattr: return kXattr;
    case Xlat::Mount: return kMount;
    case Xlat::Umount: return kUmount;
    case Xlat::Inotify: return kInotify;
    case Xlat::Ipc: return kIpc;
    case Xlat::Shm: return kShm;
    case Xlat::IpcCmd: return kIpcCmd;
    case Xlat::Itimer: return kItimer;
    case Xlat::Prio: return kPrio;
    case Xlat::Sched: return kSched;
    case Xlat::Ptrace: return kPtrace;
    case Xlat::CloseRange: return kCloseRange;
    case Xlat::Rwf: return kRwf;
    case Xlat::Mpol: return kMpol;
    default: return kOpenRest;
  }
}

const char* find_name(const XlatTable& t, std::uint64_t value) {
  for (const auto& e : t.entries)
    if (e.value == value) return e.name;
  return nullptr;
}

std::string format_flags(const XlatTable& t, std::uint64_t value) {
  std::string out;
  std::uint64_t rest = value;
  for (const auto& e : t.entries) {
    if (e.value != 0 && (rest & e.value) == e.value) {
      if (!out.empty()) out += '|';
      out += e.name;
      rest &= ~e.value;
    }
  }
  if (rest != 0 || out.empty()) {
    if (!out.empty()) out += '|';
    out += rest == 0 ? std::string("0") : fmt::format("{:#x}", rest);
  }
  return out;
}

std::string format_enum(const XlatTable& t, std::uint64_t value) {
  if (const char* name = find_name(t, value)) return name;
  return fmt::format("{:#x} /* {}??? */", value, t.unknown_prefix);
}

std::string format_open_flags(std::uint64_t value) {
  std::string out = format_enum(tables::kOpenAccess, value & 3);
  const std::uint64_t rest = value & ~std::uint64_t{3};
  if (rest) out += "|" + format_flags(kOpenRest, rest);
  return out;
}

std::string signal_short_name(int signo) {
  static constexpr const char* kNames[] = {
      nullptr, "HUP",  "INT",  "QUIT", "ILL",  "TRAP", "ABRT",   "BUS",  "FPE",   "KILL", "USR1",
      "SEGV",  "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
      "TTOU",  "URG",  "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO",  "PWR",  "SYS"};
  if (signo > 0 && signo < 32) return kNames[signo];
  if (signo == 32) return "RTMIN";
  if (signo > 32 && signo <= 64) return fmt::format("RT_{}", signo - 32);
  return fmt::format("{}", signo);
}

std::string signal_name(int signo) {
  if (signo > 0 && signo <= 64) return "SIG" + signal_short_name(signo);
  return fmt::format("{}", signo);
}

namespace {
struct InternalErrno {
  int value;
  const char* name;
  const char* text;
};
constexpr InternalErrno kInternal[] = {
    {512, "ERESTARTSYS", "To be restarted if SA_RESTART is set"},
    {513, "ERESTARTNOINTR", "To be restarted"},
    {514, "ERESTARTNOHAND", "To be restarted if no handler"},
    {515, "ENOIOCTLCMD", "No ioctl command"},
    {516, "ERESTART_RESTARTBLOCK", "Interrupted by signal"},
    {517, "EPROBE_DEFER", "Driver requests probe retry"},
    {518, "EOPENSTALE", "Open found a stale dentry"},
    {519, "ENOPARAM", "Parameter not supported"},
    {521, "EBADHANDLE", "Illegal NFS file handle"},
    {522, "ENOTSYNC", "Update synchronization mismatch"},
    {523, "EBADCOOKIE", "Cookie is stale"},
    {524, "ENOTSUPP", "Operation is not supported"},
    {525, "ETOOSMALL", "Buffer or request is too small"},
    {526, "ESERVERFAULT", "An untranslatable error occurred"},
    {527, "EBADTYPE", "Type not supported by server"},
    {528, "EJUKEBOX", "Request initiated, but will not complete before timeout"},
    {529, "EIOCBQUEUED", "iocb queued, will get completion event"},
    {530, "ERECALLCONFLICT", "Conflict with recalled state"},
};
}  // namespace

const char* errno_name(int err) {
  for (const auto& e : kInternal)
    if (e.value == err) return e.name;
  return strerrorname_np(err);
}

std::string errno_text(int err) {
  for (const auto& e : kInternal)
    if (e.value == err) return e.text;
  const char* d = strerrordesc_np(err);
  return d ? d : "Unknown error " + std::to_string(err);
}

}  // namespace utrace::decode
