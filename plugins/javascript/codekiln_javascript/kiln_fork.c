/* kiln_fork: what node lacks to serve as a zygote (codekiln_javascript.zygote): receiving descriptors on a
 * socket, forking itself, and the system calls that set a run up as codekiln's Python zygote server does
 * (core/codekiln/sandbox/_zygote_server.py; kiln_zygote.js follows it step by step).
 *
 * Forking node works when two things are put right, both here:
 * - V8 marks its heap MADV_DONTFORK, so a plain fork() leaves the child without its heap (SIGSEGV at the
 *   first JavaScript). fork() first marks every mapping MADV_DOFORK.
 * - libuv's event loop holds an epoll instance that a fork shares with the parent: the child calls
 *   uv_loop_fork() to get its own.
 * The zygote runs node with --single-threaded and --v8-pool-size=0, so that no V8 worker thread is lost in the
 * fork; node's platform still has a thread of its own that the child lacks, and node's exit path would
 * wait for it forever: a child ends through exit() below (_exit), never through node's own teardown.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <grp.h>
#include <sched.h>
#include <unistd.h>

#define MAX_FDS 253
#define MAX_MESSAGE (1 << 16)

/* Throws ``what: strerror(errno)`` in JavaScript; returns NULL, the value of a call that threw. */
static napi_value throw_errno(napi_env env, const char *what) {
  char text[512];
  snprintf(text, sizeof text, "%s: %s", what, strerror(errno));
  napi_throw_error(env, NULL, text);
  return NULL;
}

/* The call's arguments as int64s (at most 6); -1 and an exception when one is not a number. */
static int int_args(napi_env env, napi_callback_info info, int64_t *out, size_t want) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < want) {
    napi_throw_type_error(env, NULL, "too few arguments");
    return -1;
  }
  for (size_t i = 0; i < want; i++) {
    if (napi_get_value_int64(env, argv[i], &out[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "an argument is not a number");
      return -1;
    }
  }
  return 0;
}

static napi_value number(napi_env env, int64_t value) {
  napi_value out;
  napi_create_int64(env, value, &out);
  return out;
}

/* recv(fd): {message: Buffer, fds: [int]} for the next message, null once the peer has closed. */
static napi_value do_recv(napi_env env, napi_callback_info info) {
  int64_t a[1];
  if (int_args(env, info, a, 1)) return NULL;
  static char data[MAX_MESSAGE];
  char control[CMSG_SPACE(MAX_FDS * sizeof(int))];
  struct iovec iov = {data, sizeof data};
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t got;
  do got = recvmsg((int)a[0], &msg, MSG_CMSG_CLOEXEC); while (got < 0 && errno == EINTR);
  if (got < 0) return throw_errno(env, "recvmsg");
  napi_value fds, out, buffer;
  napi_create_array(env, &fds);
  uint32_t count = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int *given = (int *)CMSG_DATA(c);
    for (int i = 0; i < n; i++) napi_set_element(env, fds, count++, number(env, given[i]));
  }
  if (got == 0 && count == 0) {
    napi_get_null(env, &out);
    return out;
  }
  napi_create_buffer_copy(env, (size_t)got, data, NULL, &buffer);
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "message", buffer);
  napi_set_named_property(env, out, "fds", fds);
  return out;
}

static void mark_all_dofork(void) {
  FILE *maps = fopen("/proc/self/maps", "re");
  if (maps == NULL) return;
  char line[512];
  while (fgets(line, sizeof line, maps)) {
    unsigned long low, high;
    if (sscanf(line, "%lx-%lx", &low, &high) == 2) madvise((void *)low, high - low, MADV_DOFORK);
  }
  fclose(maps);
}

#define MAX_PIPES 64

/* The inodes of this process's open pipes (at most MAX_PIPES), and their descriptors. */
static int open_pipes(ino_t *inodes, int *fds) {
  int count = 0;
  DIR *folder = opendir("/proc/self/fd");
  if (folder == NULL) return 0;
  for (struct dirent *entry; (entry = readdir(folder)) != NULL && count < MAX_PIPES;) {
    struct stat info;
    int fd = atoi(entry->d_name);
    if (entry->d_name[0] != '.' && fd != dirfd(folder) && fstat(fd, &info) == 0 && S_ISFIFO(info.st_mode)) {
      inodes[count] = info.st_ino;
      fds[count++] = fd;
    }
  }
  closedir(folder);
  return count;
}

/* libuv's signal lock, a pipe of the process that libuv makes anew in every forked child (pthread_atfork),
 * found as the pipes a fork's child has and its parent had not. Not in the loop's fields, and kept by
 * takeDescriptors: closing it would abort the next uv_signal_start (a `process.on('SIGINT')`). */
static int signal_lock[2] = {-1, -1};

/* fork(): the child's pid in the parent, 0 in the child (with an event loop of its own). */
static napi_value do_fork(napi_env env, napi_callback_info info) {
  (void)info;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    napi_throw_error(env, NULL, "no event loop");
    return NULL;
  }
  ino_t before[MAX_PIPES], after[MAX_PIPES];
  int before_fds[MAX_PIPES], after_fds[MAX_PIPES];
  int had = open_pipes(before, before_fds);
  mark_all_dofork();
  pid_t pid = fork();
  if (pid < 0) return throw_errno(env, "fork");
  if (pid == 0) {
    /* This child's own lock only: an ancestor's, recorded by an earlier fork, is inherited and must not be kept. */
    signal_lock[0] = signal_lock[1] = -1;
    int has = open_pipes(after, after_fds), found = 0;
    for (int i = 0; i < has && found < 2; i++) {
      int known = 0;
      for (int j = 0; j < had && !known; j++) known = after[i] == before[j];
      if (!known) signal_lock[found++] = after_fds[i];
    }
    if (uv_loop_fork(loop) != 0) _exit(125);
  }
  return number(env, pid);
}

/* cloneRun(flags): a child in new namespaces (flags: CLONE_NEW*), the pid 1 of its new pid namespace: its pid
 * here, 0 in it. The raw system call, as bubblewrap makes its own pid 1: fork() then unshare() would take a
 * second fork of node (a new pid namespace holds only the children of the process that made it). The child
 * skips the fork handlers (pthread_atfork) and keeps the zygote's event loop, which it never runs: it sets the
 * run up with synchronous calls and forks the command with fork() above, which runs the handlers and gets a
 * loop and a signal lock of its own. */
static napi_value do_clone_run(napi_env env, napi_callback_info info) {
  int64_t a[1];
  if (int_args(env, info, a, 1)) return NULL;
  unsigned long flags = (unsigned long)a[0] | SIGCHLD;
  mark_all_dofork();
#if defined(__s390__) || defined(__CRIS__)
  long pid = syscall(SYS_clone, NULL, flags); /* these take the stack first */
#else
  long pid = syscall(SYS_clone, flags, NULL);
#endif
  if (pid < 0) return throw_errno(env, "clone into new namespaces");
  return number(env, pid);
}

static char *string_arg(napi_env env, napi_value value) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type != napi_string) return NULL;
  size_t length;
  napi_get_value_string_utf8(env, value, NULL, 0, &length);
  char *text = malloc(length + 1);
  napi_get_value_string_utf8(env, value, text, length + 1, &length);
  return text;
}

/* mount(source, target, fstype, flags, data): strings or null, flags a number. */
static napi_value do_mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t flags = 0;
  if (argc < 5 || napi_get_value_int64(env, argv[3], &flags) != napi_ok) {
    napi_throw_type_error(env, NULL, "mount(source, target, fstype, flags, data)");
    return NULL;
  }
  char *source = string_arg(env, argv[0]), *target = string_arg(env, argv[1]);
  char *fstype = string_arg(env, argv[2]), *data = string_arg(env, argv[4]);
  int status = mount(source, target, fstype, (unsigned long)flags, data);
  int saved = errno;
  char what[300];
  snprintf(what, sizeof what, "mount %s", target ? target : "?");
  free(source), free(target), free(fstype), free(data);
  errno = saved;
  return status != 0 ? throw_errno(env, what) : NULL;
}

/* setrlimit(resource, soft, hard); -1 is unlimited. */
static napi_value do_setrlimit(napi_env env, napi_callback_info info) {
  int64_t a[3];
  if (int_args(env, info, a, 3)) return NULL;
  struct rlimit limit = {a[1] < 0 ? RLIM_INFINITY : (rlim_t)a[1], a[2] < 0 ? RLIM_INFINITY : (rlim_t)a[2]};
  if (setrlimit((int)a[0], &limit) != 0) return throw_errno(env, "setrlimit");
  return NULL;
}

/* dropPrivileges(uid): no capability in the bounding set, no groups, gid and uid the run's, no capability in
 * any set, no-new-privileges (as _zygote_server._drop_privileges). */
static napi_value do_drop_privileges(napi_env env, napi_callback_info info) {
  int64_t a[1];
  if (int_args(env, info, a, 1)) return NULL;
  int last = 40;
  FILE *file = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (file != NULL) {
    if (fscanf(file, "%d", &last) != 1) last = 40;
    fclose(file);
  }
  for (int cap = 0; cap <= last; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return throw_errno(env, "drop the bounding set");
  uid_t uid = (uid_t)a[0];
  if (setgroups(0, NULL) != 0) return throw_errno(env, "setgroups");
  if (setresgid(uid, uid, uid) != 0) return throw_errno(env, "setresgid");
  if (setresuid(uid, uid, uid) != 0) return throw_errno(env, "setresuid");
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &header, data) != 0) return throw_errno(env, "clear the capabilities");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return throw_errno(env, "no-new-privileges");
  return NULL;
}

/* setsid() */
static napi_value do_setsid(napi_env env, napi_callback_info info) {
  (void)info;
  if (setsid() < 0) return throw_errno(env, "setsid");
  return NULL;
}

/* ignoreChildren(ignore): SIGCHLD ignored (children reaped at once) or back to its default. */
static napi_value do_ignore_children(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool ignore = false;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc == 1) napi_get_value_bool(env, argv[0], &ignore);
  signal(SIGCHLD, ignore ? SIG_IGN : SIG_DFL);
  return NULL;
}

static int kept_by_libuv(const uv_loop_t *loop, int fd) {
  return fd == loop->backend_fd || fd == loop->async_io_watcher.fd || fd == loop->async_wfd ||
         fd == loop->signal_pipefd[0] || fd == loop->signal_pipefd[1] || fd == loop->inotify_fd ||
         fd == loop->emfile_fd || fd == signal_lock[0] || fd == signal_lock[1];
}

/* takeDescriptors(fds): fds[i] becomes descriptor i, and every other descriptor is closed but those of this
 * process's own event loop: everything inherited from the zygote (the requests' descriptors, the zygote's
 * socket, node's platform thread's loop, which the zygote shares with every run) goes. */
static napi_value do_take_descriptors(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t count = 0;
  if (argc < 1 || napi_get_array_length(env, argv[0], &count) != napi_ok || count > 16) {
    napi_throw_type_error(env, NULL, "takeDescriptors([fd, ...])");
    return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    napi_throw_error(env, NULL, "no event loop");
    return NULL;
  }
  int fds[16];
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    napi_get_element(env, argv[0], i, &item);
    napi_get_value_int32(env, item, &fds[i]);
  }
  /* Copied above the targets first, so that no dup2 overwrites a descriptor still to be taken. */
  for (uint32_t i = 0; i < count; i++) {
    fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 16);
    if (fds[i] < 0) return throw_errno(env, "fcntl");
  }
  for (uint32_t i = 0; i < count; i++)
    if (dup2(fds[i], (int)i) < 0) return throw_errno(env, "dup2");
  DIR *folder = opendir("/proc/self/fd");
  if (folder == NULL) return throw_errno(env, "list /proc/self/fd");
  int doomed[1024], doomed_count = 0;
  for (struct dirent *entry; (entry = readdir(folder)) != NULL && doomed_count < 1024;) {
    int fd = atoi(entry->d_name);
    if (entry->d_name[0] != '.' && fd >= (int)count && fd != dirfd(folder) && !kept_by_libuv(loop, fd))
      doomed[doomed_count++] = fd;
  }
  closedir(folder);
  for (int i = 0; i < doomed_count; i++) close(doomed[i]);
  return NULL;
}

static void report(int fd, const char *row) {
  size_t length = strlen(row), done = 0;
  while (done < length) {
    ssize_t n = write(fd, row + done, length - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += (size_t)n;
  }
}

/* pid1(command, killFd, statusFd): the run's pid 1 once it has forked the command (as _zygote_server's
 * _start_pid1): waits for the command or for the kill pipe (then kills everything else in the pid namespace),
 * writes the command's wait status and usage on the status pipe, and exits. Never returns. */
static napi_value do_pid1(napi_env env, napi_callback_info info) {
  int64_t a[3];
  if (int_args(env, info, a, 3)) return NULL;
  pid_t command = (pid_t)a[0];
  int kill_fd = (int)a[1], status_fd = (int)a[2];
  int pidfd = (int)syscall(SYS_pidfd_open, command, 0);
  struct pollfd polled[2] = {{pidfd, POLLIN, 0}, {kill_fd, POLLIN, 0}};
  if (pidfd >= 0) {
    while (poll(polled, 2, -1) < 0 && errno == EINTR) {}
  }
  if (pidfd < 0 || !(polled[0].revents & POLLIN)) kill(-1, SIGKILL);
  int status = 0;
  struct rusage usage;
  memset(&usage, 0, sizeof usage);
  while (wait4(command, &status, 0, &usage) < 0 && errno == EINTR) {}
  char row[256];
  snprintf(row, sizeof row, "{\"status\": %d, \"utime\": %.6f, \"stime\": %.6f, \"maxrss\": %ld}\n", status,
           usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6, usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6,
           usage.ru_maxrss);
  report(status_fd, row);
  _exit(0);
}

/* exit(code): ends this process now (node's own exit would wait for a thread a forked child does not have). */
static napi_value do_exit(napi_env env, napi_callback_info info) {
  int64_t a[1] = {0};
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc == 1) napi_get_value_int64(env, argv[0], &a[0]);
  _exit((int)(a[0] & 0xff));
}

static void exit_at_teardown(void *arg) {
  (void)arg;
  _exit(0);
}

/* exitAtTeardown(): a child whose JavaScript ended without exit() (its 'exit' listeners removed, say) ends
 * when node tears its environment down, before node's exit path would wait for the missing thread. */
static napi_value do_exit_at_teardown(napi_env env, napi_callback_info info) {
  (void)info;
  napi_add_env_cleanup_hook(env, exit_at_teardown, NULL);
  return NULL;
}

NAPI_MODULE_INIT() {
  static const struct {
    const char *name;
    napi_callback function;
  } functions[] = {
      {"recv", do_recv},
      {"fork", do_fork},
      {"cloneRun", do_clone_run},
      {"mount", do_mount},
      {"setrlimit", do_setrlimit},
      {"dropPrivileges", do_drop_privileges},
      {"setsid", do_setsid},
      {"ignoreChildren", do_ignore_children},
      {"takeDescriptors", do_take_descriptors},
      {"pid1", do_pid1},
      {"exit", do_exit},
      {"exitAtTeardown", do_exit_at_teardown},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value function;
    napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].function, NULL, &function);
    napi_set_named_property(env, exports, functions[i].name, function);
  }
  return exports;
}
