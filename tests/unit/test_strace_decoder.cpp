// The strace decoder against lines of real strace 6.1 runs (ls, cat, sh, python3, tar, cc and a
// C program calling many syscalls): arguments, retval and memory recorded by hand from each line.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>

#include "signal_line.hpp"
#include "syscall_decoder.hpp"
#include "utrace/proto/syscall_table.hpp"

namespace {

using namespace utrace::decode;
using Args = std::array<std::uint64_t, 6>;

class FakeMemory final : public MemorySource {
 public:
  FakeMemory& bytes(std::uint64_t addr, std::string b) {
    blocks_[addr] = std::move(b);
    return *this;
  }
  FakeMemory& str(std::uint64_t addr, const std::string& s) { return bytes(addr, s + std::string(1, '\0')); }
  template <typename T>
  FakeMemory& pod(std::uint64_t addr, const T& v) {
    return bytes(addr, std::string(reinterpret_cast<const char*>(&v), sizeof v));
  }
  std::optional<std::string> read(std::uint64_t addr, std::size_t len) override {
    for (const auto& [base, b] : blocks_)
      if (addr >= base && addr + len <= base + b.size()) return b.substr(addr - base, len);
    return std::nullopt;
  }
  FakeMemory& fd(int n, std::string path) {
    fds_[n] = std::move(path);
    return *this;
  }
  std::optional<std::string> fd_path(int n) override {
    auto it = fds_.find(n);
    if (it == fds_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::string> read_string(std::uint64_t addr, std::size_t max) override {
    for (const auto& [base, b] : blocks_) {
      if (addr >= base && addr < base + b.size()) {
        std::string s = b.substr(addr - base, max);
        return s.substr(0, s.find('\0'));
      }
    }
    return std::nullopt;
  }

 private:
  std::map<std::uint64_t, std::string> blocks_;
  std::map<int, std::string> fds_;
};

std::int64_t nr_of(const char* name) {
  const auto* s = utrace::proto::sys::find_syscall(name);
  EXPECT_NE(s, nullptr) << name;
  return s ? s->nr : -1;
}

// The whole line (no alignment), with separate memory at entry and exit.
std::string decode(const char* name, Args args, std::int64_t ret, MemorySource& at_entry,
                   MemorySource& at_exit, DecodeOptions opts = {}) {
  SyscallDecoder d(opts);
  PendingCall c = d.enter(nr_of(name), args, at_entry);
  ExitText e = d.exit(c, ret, at_exit);
  return c.entry_text + e.args + " = " + e.ret;
}
std::string decode(const char* name, Args args, std::int64_t ret, MemorySource& mem,
                   DecodeOptions opts = {}) {
  return decode(name, args, ret, mem, mem, opts);
}
std::string decode(const char* name, Args args, std::int64_t ret) {
  NoMemory none;
  return decode(name, args, ret, none);
}

// x86-64 struct stat with mode, size and rdev.
std::string stat_bytes(std::uint32_t mode, std::int64_t size, std::uint64_t rdev = 0) {
  std::string b(144, '\0');
  std::memcpy(&b[24], &mode, 4);
  std::memcpy(&b[40], &rdev, 8);
  std::memcpy(&b[48], &size, 8);
  return b;
}
std::string u64s(std::initializer_list<std::uint64_t> v) {
  std::string b;
  for (auto x : v) b.append(reinterpret_cast<const char*>(&x), 8);
  return b;
}
std::string u32s(std::initializer_list<std::uint32_t> v) {
  std::string b;
  for (auto x : v) b.append(reinterpret_cast<const char*>(&x), 4);
  return b;
}
constexpr std::uint64_t kFdcwd = static_cast<std::uint64_t>(-100);
constexpr std::uint64_t P = 0x7ffd00001000, Q = 0x7ffd00002000, R = 0x7ffd00003000;

TEST(StraceDecoder, FileCalls) {
  FakeMemory m;
  m.str(P, "/etc/ld.so.cache");
  EXPECT_EQ(decode("openat", {kFdcwd, P, 02000000, 0}, 3, m),
            "openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3");
  m.str(P, "/tmp/st/f");
  EXPECT_EQ(decode("openat", {kFdcwd, P, 01101, 0640}, 9, m),
            "openat(AT_FDCWD, \"/tmp/st/f\", O_WRONLY|O_CREAT|O_TRUNC, 0640) = 9");
  m.str(P, "/tmp/st/f");
  EXPECT_EQ(decode("open", {P, 0}, 9, m), "open(\"/tmp/st/f\", O_RDONLY) = 9");
  // strace's order of the flags, not the bits' (the oracle test: ls, tar, python3).
  m.str(P, "/etc");
  EXPECT_EQ(decode("openat", {kFdcwd, P, 02204400, 0}, 3, m),
            "openat(AT_FDCWD, \"/etc\", O_RDONLY|O_NOCTTY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 3");
  EXPECT_EQ(decode("openat", {kFdcwd, P, 012600000, 0}, 3, m),
            "openat(AT_FDCWD, \"/etc\", O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_PATH|O_DIRECTORY) = 3");
  // utimensat (tar -x): each time with its date as a comment, in the local zone (TZ=UTC here).
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  m.str(Q, "./sub");
  m.bytes(R, u64s({0, (1 << 30) - 2, 1700000000, 0}));
  EXPECT_EQ(decode("utimensat", {4, Q, R, 0x100}, 0, m),
            "utimensat(4, \"./sub\", [UTIME_OMIT, {tv_sec=1700000000, tv_nsec=0} /* "
            "2023-11-14T22:13:20+0000 */], AT_SYMLINK_NOFOLLOW) = 0");
  m.bytes(R, u64s({1700000000, 5, 0, (1 << 30) - 1}));
  EXPECT_EQ(decode("utimensat", {kFdcwd, Q, R, 0}, 0, m),
            "utimensat(AT_FDCWD, \"./sub\", [{tv_sec=1700000000, tv_nsec=5} /* "
            "2023-11-14T22:13:20.000000005+0000 */, UTIME_NOW], 0) = 0");
  m.str(P, "/etc/ld.so.preload");
  EXPECT_EQ(decode("access", {P, 4}, -2, m),
            "access(\"/etc/ld.so.preload\", R_OK) = -1 ENOENT (No such file or directory)");
  m.str(P, "/nonexistent");
  EXPECT_EQ(decode("access", {P, 0}, -2, m), "access(\"/nonexistent\", F_OK) = -1 ENOENT (No such file or directory)");
  m.str(P, "/usr/lib/gcc/x86_64-linux-gnu/12/");
  EXPECT_EQ(decode("faccessat2", {kFdcwd, P, 0, 0x200}, 0, m),
            "faccessat2(AT_FDCWD, \"/usr/lib/gcc/x86_64-linux-gnu/12/\", F_OK, AT_EACCESS) = 0");
  m.str(P, "/etc");
  EXPECT_EQ(decode("faccessat2", {kFdcwd, P, 5, 0}, 0, m), "faccessat2(AT_FDCWD, \"/etc\", R_OK|X_OK, 0) = 0");
  m.str(P, "/tmp/st/d");
  EXPECT_EQ(decode("mkdir", {P, 0750}, 0, m), "mkdir(\"/tmp/st/d\", 0750) = 0");
  EXPECT_EQ(decode("rmdir", {P}, 0, m), "rmdir(\"/tmp/st/d\") = 0");
  m.str(P, "/tmp/st/f").str(Q, "/tmp/st/g");
  EXPECT_EQ(decode("rename", {P, Q}, 0, m), "rename(\"/tmp/st/f\", \"/tmp/st/g\") = 0");
  m.str(P, "/tmp/st/g");
  EXPECT_EQ(decode("unlinkat", {kFdcwd, P, 0}, 0, m), "unlinkat(AT_FDCWD, \"/tmp/st/g\", 0) = 0");
  m.str(P, "target").str(Q, "/tmp/st/l");
  EXPECT_EQ(decode("symlink", {P, Q}, 0, m), "symlink(\"target\", \"/tmp/st/l\") = 0");
  EXPECT_EQ(decode("unlink", {Q}, 0, m), "unlink(\"/tmp/st/l\") = 0");
  m.str(P, "/tmp/st/l").bytes(Q, "target");
  EXPECT_EQ(decode("readlink", {P, Q, 64}, 6, m), "readlink(\"/tmp/st/l\", \"target\", 64) = 6");
  m.str(P, "/usr");
  EXPECT_EQ(decode("readlink", {P, 0x7ffc1218d660, 1023}, -22, m),
            "readlink(\"/usr\", 0x7ffc1218d660, 1023) = -1 EINVAL (Invalid argument)");
  m.str(P, "/tmp");
  EXPECT_EQ(decode("chdir", {P}, 0, m), "chdir(\"/tmp\") = 0");
  m.str(P, "/tmp/st/a");
  EXPECT_EQ(decode("chmod", {P, 0755}, 0, m), "chmod(\"/tmp/st/a\", 0755) = 0");
  EXPECT_EQ(decode("fchmod", {0, 0600}, 0), "fchmod(0, 0600) = 0");
  m.str(P, "/tmp/st/x.tar");
  EXPECT_EQ(decode("creat", {P, 0666}, 3, m), "creat(\"/tmp/st/x.tar\", 0666) = 3");
  EXPECT_EQ(decode("umask", {027}, 022), "umask(027) = 022");
  EXPECT_EQ(decode("umask", {0}, 022), "umask(000) = 022");
  m.str(P, "/tmp/st");
  EXPECT_EQ(decode("getcwd", {P, 1024}, 8, m), "getcwd(\"/tmp/st\", 1024) = 8");
  m.str(P, "/etc").str(Q, "security.selinux");
  EXPECT_EQ(decode("lgetxattr", {P, Q, 0x556c2a04c640, 255}, -61, m),
            "lgetxattr(\"/etc\", \"security.selinux\", 0x556c2a04c640, 255) = -1 ENODATA (No data available)");
  m.str(Q, "system.posix_acl_access");
  EXPECT_EQ(decode("getxattr", {P, Q, 0, 0}, -61, m),
            "getxattr(\"/etc\", \"system.posix_acl_access\", NULL, 0) = -1 ENODATA (No data available)");
  m.str(P, "/sys/fs/selinux");
  EXPECT_EQ(decode("statfs", {P, 0x7ffd80977c00}, -2, m),
            "statfs(\"/sys/fs/selinux\", 0x7ffd80977c00) = -1 ENOENT (No such file or directory)");
}

TEST(StraceDecoder, StatFamily) {
  FakeMemory m;
  m.str(P, "").bytes(Q, stat_bytes(0100644, 41667));
  EXPECT_EQ(decode("newfstatat", {3, P, Q, 0x1000}, 0, m),
            "newfstatat(3, \"\", {st_mode=S_IFREG|0644, st_size=41667, ...}, AT_EMPTY_PATH) = 0");
  m.str(P, "/etc").bytes(Q, stat_bytes(040755, 4096));
  EXPECT_EQ(decode("newfstatat", {kFdcwd, P, Q, 0x100}, 0, m),
            "newfstatat(AT_FDCWD, \"/etc\", {st_mode=S_IFDIR|0755, st_size=4096, ...}, AT_SYMLINK_NOFOLLOW) = 0");
  m.str(P, "").bytes(Q, stat_bytes(020666, 0, 0x103));
  EXPECT_EQ(decode("newfstatat", {0, P, Q, 0x1000}, 0, m),
            "newfstatat(0, \"\", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, AT_EMPTY_PATH) = 0");
  m.bytes(Q, stat_bytes(0100755, 1926232));
  EXPECT_EQ(decode("fstat", {3, Q}, 0, m), "fstat(3, {st_mode=S_IFREG|0755, st_size=1926232, ...}) = 0");
  m.str(P, "/etc/passwd").bytes(Q, stat_bytes(0100644, 1221));
  EXPECT_EQ(decode("stat", {P, Q}, 0, m), "stat(\"/etc/passwd\", {st_mode=S_IFREG|0644, st_size=1221, ...}) = 0");
  EXPECT_EQ(decode("lstat", {P, Q}, 0, m), "lstat(\"/etc/passwd\", {st_mode=S_IFREG|0644, st_size=1221, ...}) = 0");
  std::string sx(256, '\0');
  const std::uint32_t mask = 0x17ff;
  const std::uint16_t mode = 040755;
  const std::uint64_t size = 4096;
  std::memcpy(&sx[0], &mask, 4);
  std::memcpy(&sx[28], &mode, 2);
  std::memcpy(&sx[40], &size, 8);
  m.str(P, "/etc").bytes(Q, sx);
  EXPECT_EQ(decode("statx", {kFdcwd, P, 0x900, 0x25e, Q}, 0, m),
            "statx(AT_FDCWD, \"/etc\", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT, "
            "STATX_MODE|STATX_NLINK|STATX_UID|STATX_GID|STATX_MTIME|STATX_SIZE, {stx_mask=STATX_BASIC_STATS|"
            "STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFDIR|0755, stx_size=4096, ...}) = 0");
  // stat(1) asks for STATX_ALL (strace names it before STATX_BASIC_STATS); the oracle test.
  const std::uint32_t all = 0x1fff;
  std::memcpy(&sx[0], &all, 4);
  m.str(P, "/etc").bytes(Q, sx);
  EXPECT_EQ(decode("statx", {kFdcwd, P, 0x900, 0xfff, Q}, 0, m),
            "statx(AT_FDCWD, \"/etc\", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT, "
            "STATX_ALL, {stx_mask=STATX_ALL|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFDIR|0755, "
            "stx_size=4096, ...}) = 0");
  // statfs (df /, find, du): f_type and f_flags by name, as strace 6.1 printed them.
  m.str(P, "/").bytes(Q, u64s({0xef53, 4096, 66053021, 59876588, 18907864, 16777216, 16342680,
                               0x8a3e0cb08f7b1c2e, 255, 4096, 0x1020, 0, 0, 0, 0}));
  EXPECT_EQ(decode("statfs", {P, Q}, 0, m),
            "statfs(\"/\", {f_type=EXT2_SUPER_MAGIC, f_bsize=4096, f_blocks=66053021, "
            "f_bfree=59876588, f_bavail=18907864, f_files=16777216, f_ffree=16342680, "
            "f_fsid={val=[0x8f7b1c2e, 0x8a3e0cb0]}, f_namelen=255, f_frsize=4096, "
            "f_flags=ST_VALID|ST_RELATIME}) = 0");
  m.bytes(Q, u64s({0x12345678, 4096, 1, 1, 1, 1, 1, 0, 255, 4096, 0x21, 0, 0, 0, 0}));
  EXPECT_EQ(decode("fstatfs", {3, Q}, 0, m),
            "fstatfs(3, {f_type=0x12345678, f_bsize=4096, f_blocks=1, f_bfree=1, f_bavail=1, "
            "f_files=1, f_ffree=1, f_fsid={val=[0, 0]}, f_namelen=255, f_frsize=4096, "
            "f_flags=ST_VALID|ST_RDONLY}) = 0");
}

TEST(StraceDecoder, Descriptors) {
  FakeMemory m;
  m.bytes(P, std::string("\177ELF\2\1\1\3\0\0\0\0\0\0\0\0\3\0>\0\1\0\0\0\20t\2\0\0\0\0\0", 32) + std::string(800, 'x'));
  EXPECT_EQ(decode("read", {3, P, 832}, 832, m),
            "read(3, \"\\177ELF\\2\\1\\1\\3\\0\\0\\0\\0\\0\\0\\0\\0\\3\\0>\\0\\1\\0\\0\\0\\20t\\2\\0\\0\\0\\0\\0\"..., 832) = 832");
  EXPECT_EQ(decode("read", {3, P, 4096}, 0, m), "read(3, \"\", 4096) = 0");
  m.bytes(P, "vm\n");
  EXPECT_EQ(decode("write", {1, P, 3}, 3, m), "write(1, \"vm\\n\", 3) = 3");
  m.bytes(P, "int main(){return 0;}\n");
  EXPECT_EQ(decode("write", {1, P, 22}, 22, m), "write(1, \"int main(){return 0;}\\n\", 22) = 22");
  m.bytes(P, "xyz");
  EXPECT_EQ(decode("pwrite64", {9, P, 3, 10}, 3, m), "pwrite64(9, \"xyz\", 3, 10) = 3");
  std::string phdr("\6\0\0\0\4\0\0\0@\0\0\0\0\0\0\0@\0\0\0\0\0\0\0@\0\0\0\0\0\0\0", 32);
  m.bytes(P, phdr + std::string(800, '\0'));
  EXPECT_EQ(decode("pread64", {3, P, 784, 64}, 784, m),
            "pread64(3, \"\\6\\0\\0\\0\\4\\0\\0\\0@\\0\\0\\0\\0\\0\\0\\0@\\0\\0\\0\\0\\0\\0\\0@\\0\\0\\0\\0\\0\\0\\0\"..., 784, 64) = 784");
  EXPECT_EQ(decode("close", {3}, 0), "close(3) = 0");
  EXPECT_EQ(decode("close", {static_cast<std::uint64_t>(-1)}, -9), "close(-1) = -1 EBADF (Bad file descriptor)");
  EXPECT_EQ(decode("dup2", {3, 1}, 1), "dup2(3, 1) = 1");
  EXPECT_EQ(decode("dup3", {3, 20, 02000000}, 20), "dup3(3, 20, O_CLOEXEC) = 20");
  EXPECT_EQ(decode("lseek", {6, 0, 0}, 0), "lseek(6, 0, SEEK_SET) = 0");
  EXPECT_EQ(decode("lseek", {9, static_cast<std::uint64_t>(-2), 2}, 98), "lseek(9, -2, SEEK_END) = 98");
  m.bytes(P, u32s({3, 4}));
  EXPECT_EQ(decode("pipe2", {P, 02000000}, 0, m), "pipe2([3, 4], O_CLOEXEC) = 0");
  EXPECT_EQ(decode("pipe2", {P, 0}, 0, m), "pipe2([3, 4], 0) = 0");
  EXPECT_EQ(decode("fcntl", {1, 0, 10}, 11), "fcntl(1, F_DUPFD, 10) = 11");
  EXPECT_EQ(decode("fcntl", {11, 2, 1}, 0), "fcntl(11, F_SETFD, FD_CLOEXEC) = 0");
  EXPECT_EQ(decode("fcntl", {0, 1}, 0), "fcntl(0, F_GETFD) = 0");
  EXPECT_EQ(decode("fcntl", {3, 4, 04000}, 0), "fcntl(3, F_SETFL, O_RDONLY|O_NONBLOCK) = 0");
  EXPECT_EQ(decode("fcntl", {3, 3}, 0x800), "fcntl(3, F_GETFL) = 0x800 (flags O_RDONLY|O_NONBLOCK)");
  EXPECT_EQ(decode("flock", {3, 5}, 0), "flock(3, LOCK_SH|LOCK_NB) = 0");
  EXPECT_EQ(decode("ftruncate", {9, 100}, 0), "ftruncate(9, 100) = 0");
  EXPECT_EQ(decode("fsync", {9}, 0), "fsync(9) = 0");
  EXPECT_EQ(decode("ioctl", {2, 0x5401, 0x7ffc1218ecf0}, -25),
            "ioctl(2, TCGETS, 0x7ffc1218ecf0) = -1 ENOTTY (Inappropriate ioctl for device)");
  m.pod(P, std::array<std::uint16_t, 4>{24, 80, 0, 0});
  EXPECT_EQ(decode("ioctl", {1, 0x5413, P}, 0, m), "ioctl(1, TIOCGWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}) = 0");
  m.bytes(P, "ab");
  m.bytes(Q, u64s({P, 1, P + 1, 8}));
  EXPECT_EQ(decode("readv", {3, Q, 2}, 2, m),
            "readv(3, [{iov_base=\"a\", iov_len=1}, {iov_base=\"b\", iov_len=8}], 2) = 2");
  m.bytes(P, "hello ").bytes(R, "world\n").bytes(Q, u64s({P, 6, R, 6}));
  EXPECT_EQ(decode("writev", {4, Q, 2}, 12, m),
            "writev(4, [{iov_base=\"hello \", iov_len=6}, {iov_base=\"world\\n\", iov_len=6}], 2) = 12");
  m.bytes(P, u32s({3, 0x10001}));  // pollfd {fd=3, events=POLLIN, revents=POLLIN}
  EXPECT_EQ(decode("poll", {P, 1, 100}, 1, m),
            "poll([{fd=3, events=POLLIN}], 1, 100) = 1 ([{fd=3, revents=POLLIN}])");
  EXPECT_EQ(decode("epoll_create1", {02000000}, 5), "epoll_create1(EPOLL_CLOEXEC) = 5");
  std::string ev = u32s({1}) + u64s({3});
  m.bytes(P, ev);
  EXPECT_EQ(decode("epoll_ctl", {5, 1, 3, P}, 0, m),
            "epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN, data={u32=3, u64=3}}) = 0");
  EXPECT_EQ(decode("epoll_wait", {5, P, 4, 0}, 1, m),
            "epoll_wait(5, [{events=EPOLLIN, data={u32=3, u64=3}}], 4, 0) = 1");
  EXPECT_EQ(decode("eventfd2", {0, 02004000}, 9), "eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK) = 9");
  EXPECT_EQ(decode("timerfd_create", {1, 02000000}, 11), "timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC) = 11");
  m.bytes(P, u64s({0, 0, 1, 0}));
  EXPECT_EQ(decode("timerfd_settime", {11, 0, P, 0}, 0, m),
            "timerfd_settime(11, 0, {it_interval={tv_sec=0, tv_nsec=0}, it_value={tv_sec=1, tv_nsec=0}}, NULL) = 0");
  std::string dents;
  for (int k = 0; k < 7; ++k) {
    std::string d(24, '\0');
    const std::uint16_t reclen = 24;
    std::memcpy(&d[16], &reclen, 2);
    dents += d;
  }
  m.bytes(0x559f7becc590, dents);
  EXPECT_EQ(decode("getdents64", {3, 0x559f7becc590, 32768}, 168, m),
            "getdents64(3, 0x559f7becc590 /* 7 entries */, 32768) = 168");
  EXPECT_EQ(decode("getdents64", {3, 0x556c2a04e790, 32768}, 0, m),
            "getdents64(3, 0x556c2a04e790 /* 0 entries */, 32768) = 0");
  EXPECT_EQ(decode("fadvise64", {3, 0, 0, 2}, 0), "fadvise64(3, 0, 0, POSIX_FADV_SEQUENTIAL) = 0");
}

TEST(StraceDecoder, Memory) {
  EXPECT_EQ(decode("mmap", {0, 8192, 3, 0x22, static_cast<std::uint64_t>(-1), 0}, 0x7f0bfc831000),
            "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0bfc831000");
  EXPECT_EQ(decode("mmap", {0x7f0bfc66a000, 1400832, 5, 0x812, 3, 0x26000}, 0x7f0bfc66a000),
            "mmap(0x7f0bfc66a000, 1400832, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x26000) = 0x7f0bfc66a000");
  EXPECT_EQ(decode("mprotect", {0x7f0bfc813000, 16384, 1}, 0), "mprotect(0x7f0bfc813000, 16384, PROT_READ) = 0");
  EXPECT_EQ(decode("mprotect", {0x7f0bfc813000, 4096, 0}, 0), "mprotect(0x7f0bfc813000, 4096, PROT_NONE) = 0");
  EXPECT_EQ(decode("munmap", {0x7f0bfc826000, 41667}, 0), "munmap(0x7f0bfc826000, 41667) = 0");
  EXPECT_EQ(decode("munmap", {~0ULL, 16384}, -22), "munmap(0xffffffffffffffff, 16384) = -1 EINVAL (Invalid argument)");
  EXPECT_EQ(decode("brk", {0}, 0x5561a22e6000), "brk(NULL) = 0x5561a22e6000");
  EXPECT_EQ(decode("brk", {0x5561a2307000}, 0x5561a2307000), "brk(0x5561a2307000) = 0x5561a2307000");
  EXPECT_EQ(decode("madvise", {0x7fed69a75000, 8192, 4}, 0), "madvise(0x7fed69a75000, 8192, MADV_DONTNEED) = 0");
  EXPECT_EQ(decode("mremap", {0x7fed69a75000, 8192, 16384, 1}, -14),
            "mremap(0x7fed69a75000, 8192, 16384, MREMAP_MAYMOVE) = -1 EFAULT (Bad address)");
}

TEST(StraceDecoder, ProcessAndSignals) {
  FakeMemory m;
  m.str(P, "/usr/bin/cat").str(Q, "cat").str(Q + 0x10, "/etc/hostname");
  m.bytes(R, u64s({Q, Q + 0x10, 0}));
  std::string env;
  for (int k = 0; k < 37; ++k) env += u64s({Q});
  env += u64s({0});
  m.bytes(0x7ffddce49f00, env);
  EXPECT_EQ(decode("execve", {P, R, 0x7ffddce49f00}, 0, m),
            "execve(\"/usr/bin/cat\", [\"cat\", \"/etc/hostname\"], 0x7ffddce49f00 /* 37 vars */) = 0");
  m.bytes(0x7fffce648d98, u64s({Q, 0}));
  m.str(P, "/nonexistent").str(Q, "a").bytes(R, u64s({P, Q, 0}));
  EXPECT_EQ(decode("execve", {P, R, 0x7fffce648d98}, -2, m),
            "execve(\"/nonexistent\", [\"/nonexistent\", \"a\"], 0x7fffce648d98 /* 1 var */) = -1 ENOENT (No such file or directory)");
  m.str(Q, "sleep 0.2 & kill -USR1 $!; wait; exit 2").str(Q + 0x100, "sh").str(Q + 0x200, "-c");
  m.bytes(R, u64s({Q + 0x100, Q + 0x200, Q, 0}));
  m.str(P, "/usr/bin/sh");
  EXPECT_EQ(decode("execve", {P, R, 0x7fffce648d98}, 0, m),
            "execve(\"/usr/bin/sh\", [\"sh\", \"-c\", \"sleep 0.2 & kill -USR1 $!; wait;\"...], 0x7fffce648d98 /* 1 var */) = 0");
  EXPECT_EQ(decode("exit_group", {0}, 0), "exit_group(0) = ?");
  EXPECT_EQ(decode("clone", {0x1200011, 0, 0, 0x7f0d5e9a9a10, 0}, 11320),
            "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0d5e9a9a10) = 11320");
  std::string ca(88, '\0');
  const std::uint64_t fields[] = {0x3d0f00, 0, 0x7fed69886990, 0x7fed69886990, 0, 0x7fed69086000, 0x7fff80, 0x7fed698866c0};
  std::memcpy(ca.data(), fields, sizeof fields);
  FakeMemory entry, exit;
  entry.bytes(P, ca);
  exit.bytes(P, ca).bytes(0x7fed69886990, u32s({11610}));
  EXPECT_EQ(decode("clone3", {P, 88}, 11610, entry, exit),
            "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|"
            "CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7fed69886990, parent_tid=0x7fed69886990, "
            "exit_signal=0, stack=0x7fed69086000, stack_size=0x7fff80, tls=0x7fed698866c0} => {parent_tid=[11610]}, 88) = 11610");
  m.bytes(P, u32s({7 << 8}));
  EXPECT_EQ(decode("wait4", {11611, P, 0, 0}, 11611, m),
            "wait4(11611, [{WIFEXITED(s) && WEXITSTATUS(s) == 7}], 0, NULL) = 11611");
  m.bytes(P, u32s({SIGTERM}));
  EXPECT_EQ(decode("wait4", {11612, P, 0, 0}, 11612, m),
            "wait4(11612, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM}], 0, NULL) = 11612");
  EXPECT_EQ(decode("wait4", {static_cast<std::uint64_t>(-1), 0x7ffd4f487e6c, 1, 0}, 0, m),
            "wait4(-1, 0x7ffd4f487e6c, WNOHANG, NULL) = 0");
  EXPECT_EQ(decode("wait4", {static_cast<std::uint64_t>(-1), 0x7ffd4f487e6c, 1, 0}, -10, m),
            "wait4(-1, 0x7ffd4f487e6c, WNOHANG, NULL) = -1 ECHILD (No child processes)");
  EXPECT_EQ(decode("kill", {11609, 10}, 0), "kill(11609, SIGUSR1) = 0");
  EXPECT_EQ(decode("getpid", {}, 11609), "getpid() = 11609");
  EXPECT_EQ(decode("gettid", {}, 11325), "gettid() = 11325");
  EXPECT_EQ(decode("getuid", {}, 0), "getuid() = 0");
  EXPECT_EQ(decode("geteuid", {}, 0), "geteuid() = 0");
  EXPECT_EQ(decode("getppid", {}, 11606), "getppid() = 11606");
  EXPECT_EQ(decode("getpgrp", {}, 11595), "getpgrp() = 11595");
  EXPECT_EQ(decode("setpgid", {0, 0}, 0), "setpgid(0, 0) = 0");
  EXPECT_EQ(decode("getsid", {0}, 10345), "getsid(0) = 10345");
  EXPECT_EQ(decode("sched_yield", {}, 0), "sched_yield() = 0");
  EXPECT_EQ(decode("alarm", {0}, 0), "alarm(0) = 0");
  m.bytes(P, u32s({0})).bytes(Q, u32s({0})).bytes(R, u32s({0}));
  EXPECT_EQ(decode("getresuid", {P, Q, R}, 0, m), "getresuid([0], [0], [0]) = 0");
  m.bytes(P, std::string(1, '\3') + std::string(31, '\0'));
  EXPECT_EQ(decode("sched_getaffinity", {0, 128, P}, 32, m), "sched_getaffinity(0, 128, [0 1]) = 32");
  EXPECT_EQ(decode("set_tid_address", {0x7f0bfc641a10}, 11315), "set_tid_address(0x7f0bfc641a10) = 11315");
  EXPECT_EQ(decode("set_robust_list", {0x7f0bfc641a20, 24}, 0), "set_robust_list(0x7f0bfc641a20, 24) = 0");
  EXPECT_EQ(decode("rseq", {0x7f0bfc642060, 0x20, 0, 0x53053053}, 0), "rseq(0x7f0bfc642060, 0x20, 0, 0x53053053) = 0");
  EXPECT_EQ(decode("arch_prctl", {0x1002, 0x7f0bfc641740}, 0), "arch_prctl(ARCH_SET_FS, 0x7f0bfc641740) = 0");
  EXPECT_EQ(decode("arch_prctl", {0x3001, 0x7ffe00001000}, -22),
            "arch_prctl(0x3001 /* ARCH_??? */, 0x7ffe00001000) = -1 EINVAL (Invalid argument)");
  m.str(P, "tester");
  EXPECT_EQ(decode("prctl", {15, P}, 0, m), "prctl(PR_SET_NAME, \"tester\") = 0");
  // ps(1) reads the bounding set (the oracle's sweep, strace 6.1's lines).
  EXPECT_EQ(decode("prctl", {23, 32}, 1), "prctl(PR_CAPBSET_READ, CAP_MAC_OVERRIDE) = 1");
  EXPECT_EQ(decode("prctl", {23, 41}, -22),
            "prctl(PR_CAPBSET_READ, 0x29 /* CAP_??? */) = -1 EINVAL (Invalid argument)");
  // select/pselect6 (python3's select.select; strace 6.1's lines): fd sets at entry, the ready
  // ones and the time left at exit.
  {
    FakeMemory entry, exit;
    entry.bytes(P, u64s({0x8})).bytes(R, u64s({1, 0}));
    exit.bytes(P, u64s({0x8})).bytes(R, u64s({0, 999996655}));
    EXPECT_EQ(decode("pselect6", {4, P, 0, 0, R, 0}, 1, entry, exit),
              "pselect6(4, [3], NULL, NULL, {tv_sec=1, tv_nsec=0}, NULL) = 1 (in [3], left "
              "{tv_sec=0, tv_nsec=999996655})");
    entry.bytes(P, u64s({0x18}))
        .bytes(Q, u64s({0x20}))
        .bytes(0x7ffd00004000, u64s({0x7ffd00005000, 8}))
        .bytes(0x7ffd00005000, u64s({0}));
    exit.bytes(P, u64s({0})).bytes(Q, u64s({0x20}));
    EXPECT_EQ(decode("pselect6", {6, P, Q, 0, 0, 0x7ffd00004000}, 1, entry, exit),
              "pselect6(6, [3 4], [5], NULL, NULL, {[], 8}) = 1 (out [5])");
    DecodeOptions y;
    y.fd_paths = true;
    entry.bytes(P, u64s({0x8}))
        .bytes(Q, u64s({0x10}))
        .fd(3, "pipe:[4257186]")
        .fd(4, "pipe:[4257186]");
    exit.bytes(P, u64s({0x8})).bytes(Q, u64s({0x10}));
    EXPECT_EQ(decode("pselect6", {5, P, Q, 0, R, 0}, 2, entry, exit, y),
              "pselect6(5, [3<pipe:[4257186]>], [4<pipe:[4257186]>], NULL, {tv_sec=1, tv_nsec=0}, "
              "NULL) = 2 (in [3], out [4], left {tv_sec=0, tv_nsec=999996655})");
    entry.bytes(P, u64s({0x18}));
    exit.bytes(R, u64s({0, 0}));
    EXPECT_EQ(decode("select", {5, P, 0, 0, R}, 0, entry, exit),
              "select(5, [3 4], NULL, NULL, {tv_sec=1, tv_usec=0}) = 0 (Timeout)");
    EXPECT_EQ(decode("select", {4, P, 0, 0, 0}, -4, entry, exit),
              "select(4, [3], NULL, NULL, NULL) = -1 EINTR (Interrupted system call)");
  }
  // cp(1) tries a reflink first.
  EXPECT_EQ(decode("ioctl", {4, 0x40049409, 3}, -95),
            "ioctl(4, BTRFS_IOC_CLONE or FICLONE, 3) = -1 EOPNOTSUPP (Operation not supported)");
  EXPECT_EQ(decode("futex", {0x7f0bfc818a4c, 0x81, 2147483647}, 0),
            "futex(0x7f0bfc818a4c, FUTEX_WAKE_PRIVATE, 2147483647) = 0");
  EXPECT_EQ(decode("futex", {0x7fed69886990, 0x109, 11610, 0, 0, 0xffffffff}, 0),
            "futex(0x7fed69886990, FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, 11610, NULL, FUTEX_BITSET_MATCH_ANY) = 0");
  FakeMemory g;
  g.bytes(P, std::string("\x13\x9e\x45\x59\x59\x54\xe2\x5c", 8));
  EXPECT_EQ(decode("getrandom", {P, 8, 1}, 8, g), "getrandom(\"\\x13\\x9e\\x45\\x59\\x59\\x54\\xe2\\x5c\", 8, GRND_NONBLOCK) = 8");
}

TEST(StraceDecoder, SignalCalls) {
  FakeMemory m;
  // struct kernel_sigaction: handler, flags, restorer, mask.
  m.bytes(P, u64s({0x55dff266cdc0, 0x04000000, 0x7f1573c6c050, ~0x180000000ULL}));
  EXPECT_EQ(decode("rt_sigaction", {17, P, 0, 8}, 0, m),
            "rt_sigaction(SIGCHLD, {sa_handler=0x55dff266cdc0, sa_mask=~[RTMIN RT_1], sa_flags=SA_RESTORER, "
            "sa_restorer=0x7f1573c6c050}, NULL, 8) = 0");
  m.bytes(Q, u64s({0, 0, 0, 0}));
  EXPECT_EQ(decode("rt_sigaction", {2, 0, Q, 8}, 0, m),
            "rt_sigaction(SIGINT, NULL, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0");
  m.bytes(P, u64s({1, 0x14000000, 0x7f55842e5050, 1 << 1}));
  EXPECT_EQ(decode("rt_sigaction", {2, P, Q, 8}, 0, m),
            "rt_sigaction(SIGINT, {sa_handler=SIG_IGN, sa_mask=[INT], sa_flags=SA_RESTORER|SA_RESTART, "
            "sa_restorer=0x7f55842e5050}, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0");
  m.bytes(P, u64s({0x7fed69910720, 0x1c000004, 0x7fed698c6050, 0}));
  EXPECT_EQ(decode("rt_sigaction", {33, P, 0, 8}, 0, m),
            "rt_sigaction(SIGRT_1, {sa_handler=0x7fed69910720, sa_mask=[], sa_flags=SA_RESTORER|SA_ONSTACK|"
            "SA_RESTART|SA_SIGINFO, sa_restorer=0x7fed698c6050}, NULL, 8) = 0");
  m.bytes(P, u64s({~0x180000000ULL}));
  EXPECT_EQ(decode("rt_sigprocmask", {2, P, 0, 8}, 0, m), "rt_sigprocmask(SIG_SETMASK, ~[RTMIN RT_1], NULL, 8) = 0");
  m.bytes(P, u64s({0})).bytes(Q, u64s({~0x180040100ULL}));
  EXPECT_EQ(decode("rt_sigprocmask", {2, P, Q, 8}, 0, m),
            "rt_sigprocmask(SIG_SETMASK, [], ~[KILL STOP RTMIN RT_1], 8) = 0");
  m.bytes(P, u64s({1 << 11}));
  EXPECT_EQ(decode("rt_sigprocmask", {0, P, 0, 8}, 0, m), "rt_sigprocmask(SIG_BLOCK, [USR2], NULL, 8) = 0");
  EXPECT_EQ(decode("signalfd4", {static_cast<std::uint64_t>(-1), P, 8, 04000}, 12, m),
            "signalfd4(-1, [USR2], 8, SFD_NONBLOCK) = 12");
  m.bytes(Q, u64s({0, 2, 0}));
  EXPECT_EQ(decode("sigaltstack", {0, Q}, 0, m), "sigaltstack(NULL, {ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}) = 0");
  m.bytes(P, u64s({0}));
  EXPECT_EQ(decode("rt_sigsuspend", {P, 8}, -514, m), "rt_sigsuspend([], 8) = ? ERESTARTNOHAND (To be restarted if no handler)");
}

TEST(StraceDecoder, TimeAndResources) {
  FakeMemory m;
  m.bytes(P, u64s({22101, 551761653}));
  EXPECT_EQ(decode("clock_nanosleep", {1, 1, P, 0}, 0, m),
            "clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, {tv_sec=22101, tv_nsec=551761653}, NULL) = 0");
  m.bytes(P, u64s({0, 1000000}));
  EXPECT_EQ(decode("clock_nanosleep", {0, 0, P, 0}, 0, m),
            "clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000000}, NULL) = 0");
  m.bytes(Q, u64s({0, 500000}));
  EXPECT_EQ(decode("nanosleep", {P, Q}, -516, m),
            "nanosleep({tv_sec=0, tv_nsec=1000000}, {tv_sec=0, tv_nsec=500000}) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)");
  m.bytes(Q, u64s({5, 123}));
  EXPECT_EQ(decode("clock_gettime", {1, Q}, 0, m), "clock_gettime(CLOCK_MONOTONIC, {tv_sec=5, tv_nsec=123}) = 0");
  m.bytes(P, u64s({0, 1000000}));
  EXPECT_EQ(decode("pselect6", {0, 0, 0, 0, P, 0}, 0, m),
            "pselect6(0, NULL, NULL, NULL, {tv_sec=0, tv_nsec=1000000}, NULL) = 0 (Timeout)");
  m.bytes(Q, u64s({8192 * 1024, ~0ULL}));
  EXPECT_EQ(decode("prlimit64", {0, 3, 0, Q}, 0, m),
            "prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0");
  m.bytes(P, u64s({20000, 20000}));
  EXPECT_EQ(decode("prlimit64", {0, 4, P, 0}, 0, m),
            "prlimit64(0, RLIMIT_CORE, {rlim_cur=20000, rlim_max=20000}, NULL) = 0");
  std::string ru(144, '\0');
  const std::int64_t st_usec = 1669;
  std::memcpy(&ru[24], &st_usec, 8);
  m.bytes(P, ru);
  EXPECT_EQ(decode("getrusage", {0, P}, 0, m),
            "getrusage(RUSAGE_SELF, {ru_utime={tv_sec=0, tv_usec=0}, ru_stime={tv_sec=0, tv_usec=1669}, ...}) = 0");
  std::string un(390, '\0');
  std::memcpy(&un[0], "Linux", 5);
  std::memcpy(&un[65], "vm", 2);
  m.bytes(P, un);
  EXPECT_EQ(decode("uname", {P}, 0, m), "uname({sysname=\"Linux\", nodename=\"vm\", ...}) = 0");
  std::string si(112, '\0');
  const std::uint64_t si_fields[] = {22102, 253184, 199456, 166400, 25276510208, 20930621440, 9068544, 15597568, 0, 0};
  std::memcpy(si.data(), si_fields, sizeof si_fields);
  const std::uint16_t procs = 119;
  const std::uint32_t unit = 1;
  std::memcpy(&si[80], &procs, 2);
  std::memcpy(&si[104], &unit, 4);
  m.bytes(P, si);
  EXPECT_EQ(decode("sysinfo", {P}, 0, m),
            "sysinfo({uptime=22102, loads=[253184, 199456, 166400], totalram=25276510208, freeram=20930621440, "
            "sharedram=9068544, bufferram=15597568, totalswap=0, freeswap=0, procs=119, totalhigh=0, freehigh=0, mem_unit=1}) = 0");
}

TEST(StraceDecoder, Network) {
  FakeMemory m;
  EXPECT_EQ(decode("socket", {1, 02004001, 0}, 6), "socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0) = 6");
  EXPECT_EQ(decode("socket", {2, 1, 6}, 6), "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 6");
  std::string un(110, '\0');
  un[0] = 1;
  std::memcpy(&un[2], "/var/run/nscd/socket", 20);
  m.bytes(P, un);
  EXPECT_EQ(decode("connect", {6, P, 110}, -2, m),
            "connect(6, {sa_family=AF_UNIX, sun_path=\"/var/run/nscd/socket\"}, 110) = -1 ENOENT (No such file or directory)");
  std::string in4 = std::string("\2\0\0\0\177\0\0\1", 8) + std::string(8, '\0');
  m.bytes(P, in4);
  EXPECT_EQ(decode("bind", {3, P, 16}, 0, m),
            "bind(3, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 0");
  std::string in6(28, '\0');
  in6[0] = 10;
  in6[23] = 1;
  m.bytes(P, in6);
  EXPECT_EQ(decode("bind", {7, P, 28}, 0, m),
            "bind(7, {sa_family=AF_INET6, sin6_port=htons(0), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::1\", "
            "&sin6_addr), sin6_scope_id=0}, 28) = 0");
  EXPECT_EQ(decode("listen", {3, 128}, 0), "listen(3, 128) = 0");
  FakeMemory entry, exit;
  std::string peer = std::string("\2\0\xbe\x62\177\0\0\1", 8) + std::string(8, '\0');
  entry.bytes(Q, u32s({16}));
  exit.bytes(P, peer).bytes(Q, u32s({16}));
  EXPECT_EQ(decode("accept4", {3, P, Q, 02000000}, 5, entry, exit),
            "accept4(3, {sa_family=AF_INET, sin_port=htons(48738), sin_addr=inet_addr(\"127.0.0.1\")}, [16], SOCK_CLOEXEC) = 5");
  EXPECT_EQ(decode("getsockname", {4, P, Q}, 0, entry, exit),
            "getsockname(4, {sa_family=AF_INET, sin_port=htons(48738), sin_addr=inet_addr(\"127.0.0.1\")}, [16]) = 0");
  entry.bytes(Q, u32s({128}));
  EXPECT_EQ(decode("getpeername", {4, P, Q}, 0, entry, exit),
            "getpeername(4, {sa_family=AF_INET, sin_port=htons(48738), sin_addr=inet_addr(\"127.0.0.1\")}, [128 => 16]) = 0");
  entry.bytes(Q, u32s({16}));
  EXPECT_EQ(decode("getpeername", {3, 0x7fffa8522980, Q}, -107, entry, exit),
            "getpeername(3, 0x7fffa8522980, [16]) = -1 ENOTCONN (Transport endpoint is not connected)");
  m.bytes(P, "hello\1\n");
  EXPECT_EQ(decode("sendto", {5, P, 7, 0, 0, 0}, 7, m), "sendto(5, \"hello\\1\\n\", 7, 0, NULL, 0) = 7");
  EXPECT_EQ(decode("recvfrom", {4, P, 10, 0, 0, 0}, 7, m), "recvfrom(4, \"hello\\1\\n\", 10, 0, NULL, NULL) = 7");
  m.bytes(P, u32s({1}));
  EXPECT_EQ(decode("setsockopt", {6, 1, 2, P, 4}, 0, m), "setsockopt(6, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0");
  m.bytes(P, u32s({0})).bytes(Q, u32s({4}));
  EXPECT_EQ(decode("getsockopt", {6, 1, 4, P, Q}, 0, m), "getsockopt(6, SOL_SOCKET, SO_ERROR, [0], [4]) = 0");
  m.bytes(P, u32s({7, 8}));
  EXPECT_EQ(decode("socketpair", {1, 1, 0, P}, 0, m), "socketpair(AF_UNIX, SOCK_STREAM, 0, [7, 8]) = 0");
  EXPECT_EQ(decode("shutdown", {7, 1}, 0), "shutdown(7, SHUT_WR) = 0");
  m.bytes(R, "msg").bytes(Q, u64s({R, 3}));
  std::string mh(56, '\0');
  const std::uint64_t iov = Q, iovlen = 1;
  std::memcpy(&mh[16], &iov, 8);
  std::memcpy(&mh[24], &iovlen, 8);
  m.bytes(P, mh);
  EXPECT_EQ(decode("sendmsg", {7, P, 0}, 3, m),
            "sendmsg(7, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"msg\", iov_len=3}], msg_iovlen=1, "
            "msg_controllen=0, msg_flags=0}, 0) = 3");
  m.bytes(Q, u64s({R, 8}));
  EXPECT_EQ(decode("recvmsg", {8, P, 0}, 3, m),
            "recvmsg(8, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"msg\", iov_len=8}], msg_iovlen=1, "
            "msg_controllen=0, msg_flags=0}, 0) = 3");
}

TEST(StraceDecoder, StringsAndHexModes) {
  FakeMemory m;
  m.bytes(P, "# Locale name alias data base.\n# more");
  EXPECT_EQ(decode("read", {3, P, 4096}, 2996 > 37 ? 37 : 0, m), "read(3, \"# Locale name alias data base.\\n#\"..., 4096) = 37");
  m.bytes(P, "vm\n");
  DecodeOptions xx;
  xx.hex = 2;
  EXPECT_EQ(decode("read", {3, P, 131072}, 3, m, xx), "read(3, \"\\x76\\x6d\\x0a\", 131072) = 3");
  m.str(Q, "/etc/ld.so.preload");
  EXPECT_EQ(decode("access", {Q, 4}, -2, m, xx),
            "access(\"\\x2f\\x65\\x74\\x63\\x2f\\x6c\\x64\\x2e\\x73\\x6f\\x2e\\x70\\x72\\x65\\x6c\\x6f\\x61\\x64\", R_OK) = -1 ENOENT (No such file or directory)");
  DecodeOptions x;
  x.hex = 1;
  EXPECT_EQ(decode("write", {1, P, 3}, 3, m, x), "write(1, \"vm\\n\", 3) = 3");
  m.bytes(P, std::string("\x7f\x45\x4c\x46", 4));
  EXPECT_EQ(decode("write", {1, P, 4}, 4, m, x), "write(1, \"\\x7f\\x45\\x4c\\x46\", 4) = 4");
  DecodeOptions s4;
  s4.max_strlen = 4;
  m.bytes(P, "hello world");
  EXPECT_EQ(decode("write", {1, P, 11}, 11, m, s4), "write(1, \"hell\"..., 11) = 11");
  m.bytes(P, std::string("a\"b\\c\td\r\f\v\0012", 12));
  EXPECT_EQ(decode("write", {1, P, 12}, 12, m), "write(1, \"a\\\"b\\\\c\\td\\r\\f\\v\\0012\", 12) = 12");
  // A path is not cut by -s.
  m.str(Q, "/a/very/long/path/that/is/longer/than/four");
  EXPECT_EQ(decode("chdir", {Q}, 0, m, s4), "chdir(\"/a/very/long/path/that/is/longer/than/four\") = 0");
  // Memory that is not there: the address.
  NoMemory none;
  EXPECT_EQ(decode("write", {1, P, 3}, 3, none), "write(1, 0x7ffd00001000, 3) = 3");
}

TEST(StraceDecoder, UnknownAndUnfinished) {
  NoMemory none;
  SyscallDecoder d;
  PendingCall c = d.enter(999, {1, 2, 3, 4, 5, 6}, none);
  EXPECT_EQ(SyscallDecoder::line(c, d.exit(c, -38, none)),
            "syscall_0x3e7(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)");
  FakeMemory m;
  c = d.enter(nr_of("wait4"), {static_cast<std::uint64_t>(-1), P, 0, 0}, m);
  EXPECT_EQ(SyscallDecoder::unfinished(c), "wait4(-1,  <unfinished ...>");
  m.bytes(P, u32s({0}));
  EXPECT_EQ(SyscallDecoder::resumed(c, d.exit(c, 11320, m)),
            "<... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 11320");
  c = d.enter(nr_of("kill"), {11375, 10}, m);
  EXPECT_EQ(SyscallDecoder::unfinished(c), "kill(11375, SIGUSR1 <unfinished ...>");
  EXPECT_EQ(SyscallDecoder::resumed(c, d.exit(c, 0, m), "11609 "), "11609 <... kill resumed>)               = 0");
  c = d.enter(nr_of("clone"), {0x1200011, 0, 0, 0x7fed69887a10, 0}, m);
  EXPECT_EQ(SyscallDecoder::unfinished(c),
            "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>");
  EXPECT_EQ(SyscallDecoder::resumed(c, d.exit(c, 11611, m)), "<... clone resumed>, child_tidptr=0x7fed69887a10) = 11611");
  c = d.enter(nr_of("exit_group"), {7}, m);
  EXPECT_EQ(SyscallDecoder::unfinished(c), "exit_group(7 <unfinished ...>");
  EXPECT_EQ(SyscallDecoder::resumed(c, SyscallDecoder::no_return(c), "11611 "), "11611 <... exit_group resumed>)         = ?");
  // strace's column: the " = " starts at column 39 of the whole line, prefix included.
  c = d.enter(nr_of("read"), {3, P, 4096}, m);
  m.bytes(P, "");
  EXPECT_EQ(SyscallDecoder::align_return("11315 " + c.entry_text + d.exit(c, 0, m).args, "0"),
            "11315 read(3, \"\", 4096)                 = 0");
}

// -y: fd arguments and fd-returning calls with their paths, as strace 6.1 -y printed them.
TEST(StraceDecoder, FdPaths) {
  DecodeOptions y;
  y.fd_paths = true;
  FakeMemory m;
  m.fd(-100, "/tmp/sx").fd(3, "/etc/hostname").fd(1, "/dev/null").fd(2, "pipe:[3810046]");
  m.str(Q, "/etc/hostname");
  EXPECT_EQ(decode("openat", {static_cast<std::uint64_t>(-100), Q, 0}, 3, m, y),
            "openat(AT_FDCWD</tmp/sx>, \"/etc/hostname\", O_RDONLY) = 3</etc/hostname>");
  m.bytes(P, "vm\n");
  EXPECT_EQ(decode("read", {3, P, 131072}, 3, m, y), "read(3</etc/hostname>, \"vm\\n\", 131072) = 3");
  EXPECT_EQ(decode("close", {2}, 0, m, y), "close(2<pipe:[3810046]>) = 0");
  // Not open (no path): the number alone; failed calls return no path; -1 is never looked up.
  EXPECT_EQ(decode("close", {7}, -9, m, y), "close(7) = -1 EBADF (Bad file descriptor)");
  m.fd(5, "/dev/null");
  EXPECT_EQ(decode("dup2", {1, 5}, 5, m, y), "dup2(1</dev/null>, 5</dev/null>) = 5</dev/null>");
  EXPECT_EQ(decode("mmap", {0, 8192, 3, 0x22, static_cast<std::uint64_t>(-1), 0}, 0x7f0000000000, m, y),
            "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000");
  m.bytes(P, u32s({3, 4})).fd(4, "pipe:[3810063]").fd(3, "pipe:[3810063]");
  EXPECT_EQ(decode("pipe2", {P, 0}, 0, m, y), "pipe2([3<pipe:[3810063]>, 4<pipe:[3810063]>], 0) = 0");
  // '<' and '>' in a path as octal escapes, '"' as in strings.
  m.fd(3, "/tmp/sx/a<b>c/f\"x y");
  EXPECT_EQ(decode("close", {3}, 0, m, y), "close(3</tmp/sx/a\\74b\\76c/f\\\"x y>) = 0");
  // Without -y nothing is asked.
  EXPECT_EQ(decode("close", {3}, 0, m), "close(3) = 0");
  // A call killed before its exit: strace's " <unfinished ...>)" when the exit had more to print.
  SyscallDecoder d(y);
  PendingCall c = d.enter(nr_of("read"), {3, P, 8}, m);
  EXPECT_EQ(SyscallDecoder::line(c, SyscallDecoder::no_return(c)),
            "read(3</tmp/sx/a\\74b\\76c/f\\\"x y>,  <unfinished ...>) = ?");
  c = d.enter(nr_of("exit_group"), {0}, m);
  EXPECT_EQ(SyscallDecoder::line(c, SyscallDecoder::no_return(c)), "exit_group(0)                           = ?");
}

TEST(StraceDecoder, SignalAndDeathLines) {
  SignalDetails chld{SIGCHLD, 1, 11611, 0, 7, 0L, 0L, std::nullopt};
  EXPECT_EQ(signal_line(chld), "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=11611, si_uid=0, si_status=7, si_utime=0, si_stime=0} ---");
  SignalDetails killed{SIGCHLD, 2, 11612, 0, SIGTERM, 0L, 0L, std::nullopt};
  EXPECT_EQ(signal_line(killed), "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=11612, si_uid=0, si_status=SIGTERM, si_utime=0, si_stime=0} ---");
  SignalDetails ticks{SIGCHLD, 1, 11392, 0, 0, 1L, 0L, std::nullopt};
  EXPECT_EQ(signal_line(ticks), "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=11392, si_uid=0, si_status=0, si_utime=1 /* 0.01 s */, si_stime=0} ---");
  std::string raw(128, '\0');
  const std::int32_t head[] = {SIGUSR1, 0, 0, 0, 11609, 0};
  std::memcpy(raw.data(), head, sizeof head);
  EXPECT_EQ(signal_line(signal_details_from_siginfo(raw)), "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=11609, si_uid=0} ---");
  // What a report alone gives (signo and si_code): the fields it lacks are left out.
  EXPECT_EQ(signal_line(SignalDetails{SIGTERM, 0}), "--- SIGTERM {si_signo=SIGTERM, si_code=SI_USER} ---");
  EXPECT_EQ(death_line(7 << 8), "+++ exited with 7 +++");
  EXPECT_EQ(death_line(SIGTERM), "+++ killed by SIGTERM +++");
  EXPECT_EQ(death_line(SIGSEGV | 0x80), "+++ killed by SIGSEGV (core dumped) +++");
}

TEST(SyscallTable, CountsAndClasses) {
  namespace sys = utrace::proto::sys;
  EXPECT_GE(sys::all_syscalls().size(), 370u);
  EXPECT_EQ(sys::find_syscall(257)->name, "openat");
  EXPECT_EQ(sys::find_syscall("openat")->nargs, 4);
  EXPECT_EQ(sys::find_syscall("rt_sigreturn")->nargs, 0);
  EXPECT_EQ(sys::find_syscall(335), nullptr);
  EXPECT_EQ(sys::find_syscall("clone3")->nr, 435);
  const auto file = *sys::class_from_name("%file");
  EXPECT_TRUE(sys::find_syscall("openat")->classes & file);
  EXPECT_FALSE(sys::find_syscall("read")->classes & file);
  EXPECT_TRUE(sys::find_syscall("newfstatat")->classes & *sys::class_from_name("%fstat"));
  EXPECT_TRUE(sys::find_syscall("getpid")->classes & *sys::class_from_name("%pure"));
  EXPECT_TRUE(sys::find_syscall("mmap")->classes & *sys::class_from_name("%memory"));
  EXPECT_TRUE(sys::find_syscall("connect")->classes & *sys::class_from_name("%net"));
  EXPECT_TRUE(sys::find_syscall("statfs")->classes & *sys::class_from_name("%%statfs"));
  EXPECT_FALSE(sys::class_from_name("%nonsense"));
  EXPECT_EQ(sys::struct_size(sys::StructType::Stat), 144u);
  EXPECT_EQ(sys::capture_of(sys::Arg::BufOut), sys::Capture::Exit);
  EXPECT_EQ(sys::capture_of(sys::Arg::Path), sys::Capture::Entry);
  for (const auto& s : sys::all_syscalls()) EXPECT_LE(s.nargs, 6) << s.name;
}

}  // namespace
