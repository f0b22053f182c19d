// The access policy against real credentials: two throw-away users (utraced-test-a/-b, created
// for the suite and removed after), targets with chosen uids/gids/dumpability, and a fake Yama
// ptrace_scope fed through UTRACED_YAMA_PATH. Each case asserts allow, or EPERM and data.reason.
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>

#include "common.hpp"

namespace utrace::test {
namespace {

struct Ids {
  uid_t uid;
  gid_t gid;
};

std::optional<Ids> user_ids(const char* name) {
  struct passwd* pw = ::getpwnam(name);
  if (!pw) return std::nullopt;
  return Ids{pw->pw_uid, pw->pw_gid};
}

bool have_useradd() {
  return std::system("command -v useradd >/dev/null 2>&1 && command -v userdel >/dev/null 2>&1") == 0;
}

// Switches the calling (forked) process to the given real/effective ids, no supplementary groups.
bool become(uid_t ruid, uid_t euid, gid_t rgid, gid_t egid) {
  if (::getuid() == 0 && ::setgroups(0, nullptr) != 0) return false;
  if (::setresgid(rgid, egid, egid) != 0) return false;
  return ::setresuid(ruid, euid, euid) == 0;
}

// Drops CAP_SYS_PTRACE from every set of the calling (forked) root process.
bool drop_cap_sys_ptrace() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &hdr, data) != 0) return false;
  for (auto& d : data) {
    d.effective &= ~(1u << CAP_SYS_PTRACE);
    d.permitted &= ~(1u << CAP_SYS_PTRACE);
    d.inheritable &= ~(1u << CAP_SYS_PTRACE);
  }
  return ::syscall(SYS_capset, &hdr, data) == 0;
}

// A tracee started with the given ids (no cred change when they are the caller's already).
// It is not a child of the client unless the client itself starts it.
class Target {
 public:
  Target(const std::string& bin, const std::string& mode, uid_t ruid, uid_t euid, gid_t rgid,
         gid_t egid) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      const bool same = ::getuid() == ruid && ::geteuid() == euid && ::getgid() == rgid &&
                        ::getegid() == egid;
      if (!same && !become(ruid, euid, rgid, egid)) ::_exit(120);
      ::execl(bin.c_str(), bin.c_str(), mode.c_str(), static_cast<char*>(nullptr));
      ::_exit(121);
    }
    ::close(out[1]);
    char buf[64] = {};
    ssize_t n = ::read(out[0], buf, sizeof buf - 1);  // "ready <pid>\n"
    ::close(out[0]);
    ready_ = n > 0 && std::string(buf).rfind("ready ", 0) == 0;
  }
  ~Target() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;
  pid_t pid() const { return pid_; }
  bool ready() const { return ready_; }

 private:
  pid_t pid_ = -1;
  bool ready_ = false;
};

// "ok", or the errno name and data.reason of the refusal ("EPERM:uid"), or "ESRCH".
std::string attach_outcome(const std::string& socket, pid_t tid) {
  try {
    Client c = Client::connect(socket);
    c.set_call_timeout(10s);
    auto r = c.attach(attach_opts(tid, mask({EventKind::Exit})));
    c.detach(r.engine);
    return "ok";
  } catch (const ClientError& e) {
    std::string s = e.errno_name();
    const auto& d = e.error().data;
    if (d.is_object() && d.contains("reason") && d["reason"].is_string())
      s += ":" + d["reason"].get<std::string>();
    return s;
  } catch (const std::exception& e) {
    return std::string("exception: ") + e.what();
  }
}

// Runs fn in a forked child after `setup` (credential changes); returns what fn returned.
std::string in_child(const std::function<bool()>& setup, const std::function<std::string()>& fn) {
  int p[2];
  if (::pipe(p) != 0) return "pipe failed";
  pid_t child = ::fork();
  if (child == 0) {
    ::close(p[0]);
    std::string r;
    try {
      r = setup() ? fn() : "setup failed";
    } catch (const std::exception& e) {
      r = std::string("exception: ") + e.what();
    }
    (void)!::write(p[1], r.data(), r.size());
    ::_exit(0);
  }
  ::close(p[1]);
  std::string r;
  char buf[256];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) r.append(buf, static_cast<size_t>(n));
  ::close(p[0]);
  ::waitpid(child, nullptr, 0);
  return r;
}

class Permissions : public ::testing::Test {
 protected:
  // Why the test users are not there. Only a run that is not root may skip for it: as root,
  // a missing or failing useradd is a broken environment, and a credential matrix that did
  // not run must not count as passed.
  static inline bool users_ok_ = false;
  static inline bool may_skip_ = false;
  static inline std::string why_;
  static inline Ids a_{}, b_{};

  static void SetUpTestSuite() {
    if (::geteuid() != 0) {
      may_skip_ = true;
      why_ = "needs root";
      return;
    }
    if (!have_useradd()) {
      why_ = "running as root, but useradd/userdel are missing";
      return;
    }
    for (const char* n : {"utraced-test-a", "utraced-test-b"}) {
      std::system((std::string("userdel ") + n + " >/dev/null 2>&1").c_str());
      if (std::system((std::string("useradd -M -r -U -s /usr/sbin/nologin ") + n).c_str()) != 0) {
        why_ = std::string("running as root, but useradd ") + n + " failed";
        return;
      }
    }
    auto a = user_ids("utraced-test-a"), b = user_ids("utraced-test-b");
    if (!a || !b || a->gid == b->gid) {
      why_ = "running as root, but the test users made by useradd are not usable";
      return;
    }
    a_ = *a;
    b_ = *b;
    users_ok_ = true;
  }

  static void TearDownTestSuite() {
    for (const char* n : {"utraced-test-a", "utraced-test-b"})
      std::system((std::string("userdel ") + n + " >/dev/null 2>&1").c_str());
  }

  void SetUp() override {
    if (!users_ok_ && may_skip_) GTEST_SKIP() << why_;
    ASSERT_TRUE(users_ok_) << why_;
    char tmpl[] = "/tmp/utraced-yama-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    yama_dir_ = tmpl;
    yama_ = yama_dir_ + "/ptrace_scope";
    set_yama(0);
    ::setenv("UTRACED_YAMA_PATH", yama_.c_str(), 1);
    daemon_ = std::make_unique<TestDaemon>();
    ::unsetenv("UTRACED_YAMA_PATH");
    dir_ = daemon_->socket().substr(0, daemon_->socket().rfind('/'));
    ::chmod(dir_.c_str(), 0755);  // let the test users reach the socket
    // The test users may not reach the build tree: run a copy of the tracee from the daemon's
    // temporary directory.
    bin_ = dir_ + "/tracee";
    ASSERT_EQ(std::system(("cp " + tracee_path() + " " + bin_ + " && chmod 755 " + bin_).c_str()), 0);
  }

  void TearDown() override {
    daemon_.reset();
    if (!yama_dir_.empty()) std::system(("rm -rf " + yama_dir_).c_str());
  }

  void set_yama(int scope) {
    std::ofstream(yama_) << scope << "\n";
  }

  // The outcome for a client running as `who` (no capabilities) against tid.
  std::string as(Ids who, pid_t tid) {
    return in_child([&] { return become(who.uid, who.uid, who.gid, who.gid); },
                    [&] { return attach_outcome(daemon_->socket(), tid); });
  }
  // The outcome for a client as `who` against a tracee that client starts itself (a descendant).
  std::string as_with_own_child(Ids who, const std::string& mode) {
    return in_child([&] { return become(who.uid, who.uid, who.gid, who.gid); },
                    [&] {
                      Target own(bin_, mode, who.uid, who.uid, who.gid, who.gid);
                      if (!own.ready()) return std::string("tracee did not start");
                      return attach_outcome(daemon_->socket(), own.pid());
                    });
  }
  std::string as_root(pid_t tid) { return attach_outcome(daemon_->socket(), tid); }
  std::string as_root_without_ptrace_cap(pid_t tid) {
    return in_child(drop_cap_sys_ptrace, [&] { return attach_outcome(daemon_->socket(), tid); });
  }

  std::unique_ptr<TestDaemon> daemon_;
  std::string dir_, bin_, yama_dir_, yama_;
};

// What a program started by Client::launch printed first on stdout (a file the client may
// write), once it has exited, prefixed "untraced: " if the daemon took its engine away at the
// exec; the launch's error ("EACCES: ...") if it could not be started.
std::string launch_output(const std::string& socket, const std::string& out,
                          const std::vector<std::string>& argv, bool seccomp = false) {
  try {
    Client c = Client::connect(socket);
    c.set_call_timeout(10s);
    client::LaunchOptions o;
    o.argv = argv;
    o.stdout_path = out;
    o.events = mask({EventKind::Reap});
    if (seccomp) o.syscalls = {"geteuid"}, o.seccomp = true;
    auto r = c.launch(o);
    if (r.untraced.empty()) c.control(r.engine, ResumeAction::Resume);
    else if (r.engine != 0 || !c.list().empty()) return "untraced, yet an engine is left";
    int status = 0;
    if (::waitpid(r.pid, &status, 0) != r.pid) return "not our child";
    std::ifstream in(out);
    std::string line;
    std::getline(in, line);
    return (r.untraced.empty() ? "" : "untraced: ") + line;
  } catch (const ClientError& e) {
    return e.errno_name() + ": " + e.what();
  }
}

// A set-uid root program started by an unprivileged client: the kernel honours the bit (the
// daemon is a capable tracer), so the daemon takes the client's engine away at the exec and
// the program runs untraced, with the privilege it has without utraced too. Under a seccomp
// filter (no_new_privs) the bit is ignored and it runs traced, with the client's ids. Root's
// program keeps the privilege, traced.
TEST_F(Permissions, LaunchedSetuidProgramIsNeverTracedWithItsPrivilege) {
  const std::string id = dir_ + "/id-suid";
  ASSERT_EQ(std::system(("cp /usr/bin/id " + id + " && chown root:root " + id + " && chmod 4755 " + id).c_str()), 0);
  const std::string out_a = dir_ + "/out-a", out_a2 = dir_ + "/out-a2", out_root = dir_ + "/out-root";
  for (const auto& f : {out_a, out_a2}) {
    std::ofstream(f).close();
    ASSERT_EQ(::chown(f.c_str(), a_.uid, a_.gid), 0);
  }
  // Dumpable again after the id change, as any process of a's that exec'd is: launch's child
  // inherits its caller's flag, and a non-dumpable one may not be traced by a.
  auto be_a = [&] { return become(a_.uid, a_.uid, a_.gid, a_.gid) && ::prctl(PR_SET_DUMPABLE, 1) == 0; };
  EXPECT_EQ(in_child(be_a, [&] { return launch_output(daemon_->socket(), out_a, {id, "-u"}); }),
            "untraced: 0");
  EXPECT_EQ(in_child(be_a, [&] { return launch_output(daemon_->socket(), out_a2, {id, "-u"}, true); }),
            std::to_string(a_.uid))
      << "the set-uid bit gave a traced program root";
  EXPECT_EQ(launch_output(daemon_->socket(), out_root, {id, "-u"}), "0");
  // The client opens the files itself, with its own rights: a cannot write root's file.
  auto denied = in_child(be_a, [&] { return launch_output(daemon_->socket(), out_root, {id, "-u"}); });
  EXPECT_EQ(denied.rfind("EACCES", 0), 0u) << denied;
}

TEST_F(Permissions, SameUidIsAllowed) {
  Target t(bin_, "sleep", a_.uid, a_.uid, a_.gid, a_.gid);
  ASSERT_TRUE(t.ready());
  EXPECT_EQ(as(a_, t.pid()), "ok");
}

TEST_F(Permissions, OtherUidIsRefused) {
  Target t(bin_, "sleep", b_.uid, b_.uid, b_.gid, b_.gid);
  ASSERT_TRUE(t.ready());
  EXPECT_EQ(as(a_, t.pid()), "EPERM:uid");
  EXPECT_EQ(as(b_, t.pid()), "ok");
}

TEST_F(Permissions, NonDumpableIsRefused) {
  Target t(bin_, "nondumpable", a_.uid, a_.uid, a_.gid, a_.gid);
  ASSERT_TRUE(t.ready());
  EXPECT_EQ(as(a_, t.pid()), "EPERM:dumpable");
  EXPECT_EQ(as_root(t.pid()), "ok");  // CAP_SYS_PTRACE overrides dumpable
}

TEST_F(Permissions, SavedGidMismatchIsRefused) {
  // Started with real gid b, effective gid a; it moves b into its saved gid: gids a/a/b.
  Target t(bin_, "saved-ids-swap", a_.uid, a_.uid, b_.gid, a_.gid);
  ASSERT_TRUE(t.ready());
  EXPECT_EQ(as(a_, t.pid()), "EPERM:gid");
}

TEST_F(Permissions, SavedUidMismatchIsRefused) {
  // Started with real uid b, effective uid a; it moves b into its saved uid: uids a/a/b.
  Target t(bin_, "saved-ids-swap", b_.uid, a_.uid, a_.gid, a_.gid);
  ASSERT_TRUE(t.ready());
  EXPECT_EQ(as(a_, t.pid()), "EPERM:uid");
}

TEST_F(Permissions, OtherGroupIsRefused) {
  // Same uid as the client, every gid another group's.
  Target t(bin_, "sleep", a_.uid, a_.uid, b_.gid, b_.gid);
  ASSERT_TRUE(t.ready());
  EXPECT_EQ(as(a_, t.pid()), "EPERM:gid");
}

TEST_F(Permissions, RootOwnedIsRefused) {
  Tracee root_owned("sleep");
  EXPECT_EQ(as(a_, root_owned.pid()), "EPERM:uid");
  EXPECT_EQ(as_root(root_owned.pid()), "ok");
}

TEST_F(Permissions, RootWithoutCapSysPtraceIsHeldToTheUidRules) {
  Tracee root_owned("sleep");  // holds every capability: more than the client
  EXPECT_EQ(as_root_without_ptrace_cap(root_owned.pid()), "EPERM:capabilities");
  Target t(bin_, "sleep", a_.uid, a_.uid, a_.gid, a_.gid);
  ASSERT_TRUE(t.ready());
  EXPECT_EQ(as_root_without_ptrace_cap(t.pid()), "EPERM:uid");
}

TEST_F(Permissions, TheDaemonIsRefusedEvenToRoot) {
  EXPECT_EQ(as_root(daemon_->pid()), "EPERM:daemon");
  EXPECT_EQ(as(a_, daemon_->pid()), "EPERM:daemon");
}

TEST_F(Permissions, KernelThreadIsRefusedEvenToRoot) {
  auto flags_of = [](pid_t pid) -> unsigned long {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string s;
    std::getline(in, s);
    auto rp = s.rfind(')');
    if (rp == std::string::npos) return 0;
    std::istringstream rest(s.substr(rp + 1));
    std::string f;
    for (int i = 3; i <= 9; ++i) rest >> f;
    return std::strtoul(f.c_str(), nullptr, 10);
  };
  if (!(flags_of(2) & 0x00200000)) GTEST_SKIP() << "pid 2 is not a kernel thread here";
  EXPECT_EQ(as_root(2), "EPERM:kthread");
  EXPECT_EQ(as(a_, 2), "EPERM:kthread");
}

TEST_F(Permissions, Yama1AllowsOnlyDescendants) {
  set_yama(1);
  EXPECT_EQ(as_with_own_child(a_, "sleep"), "ok");
  // Same uid, but started by the test, not by the client. The tracee declares
  // PR_SET_PTRACER_ANY, which the kernel would honour; the daemon cannot see it and refuses.
  Target t(bin_, "sleep", a_.uid, a_.uid, a_.gid, a_.gid);
  ASSERT_TRUE(t.ready());
  EXPECT_EQ(as(a_, t.pid()), "EPERM:yama");
  EXPECT_EQ(as_root(t.pid()), "ok");  // CAP_SYS_PTRACE
  // The uid rules still come first.
  Target other(bin_, "sleep", b_.uid, b_.uid, b_.gid, b_.gid);
  ASSERT_TRUE(other.ready());
  EXPECT_EQ(as(a_, other.pid()), "EPERM:uid");
}

TEST_F(Permissions, Yama2AllowsOnlyCapSysPtrace) {
  set_yama(2);
  EXPECT_EQ(as_with_own_child(a_, "sleep"), "EPERM:yama");
  Tracee root_owned("sleep");
  EXPECT_EQ(as_root(root_owned.pid()), "ok");
}

TEST_F(Permissions, Yama3RefusesEveryone) {
  set_yama(3);
  EXPECT_EQ(as_with_own_child(a_, "sleep"), "EPERM:yama");
  Tracee root_owned("sleep");
  EXPECT_EQ(as_root(root_owned.pid()), "EPERM:yama");
  // The message names the scope.
  try {
    Client c = connect(*daemon_);
    c.attach(attach_opts(root_owned.pid(), mask({EventKind::Exit})));
    ADD_FAILURE() << "attach succeeded under ptrace_scope 3";
  } catch (const ClientError& e) {
    EXPECT_NE(std::string(e.error().message).find("ptrace_scope 3"), std::string::npos)
        << e.error().message;
  }
  // Back to 0: the file is read at every check.
  set_yama(0);
  EXPECT_EQ(as_root(root_owned.pid()), "ok");
}

TEST_F(Permissions, UnreadableYamaOverrideFailsClosed) {
  std::ofstream(yama_) << "garbage\n";
  Tracee root_owned("sleep");
  EXPECT_EQ(as_root(root_owned.pid()), "EPERM:yama");
}

}  // namespace
}  // namespace utrace::test
