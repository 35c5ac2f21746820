'use strict';
/**
 * The warm process of the JavaScript warm path: node with the harness loaded, inside the sandbox, forking one
 * run per request (codekiln_javascript.zygote starts it through codekiln.sandbox.Zygote).
 *
 * It is codekiln's Python zygote server (core/codekiln/sandbox/_zygote_server.py) in JavaScript, step for
 * step, with the system calls node lacks from kiln_fork.node: the same requests on the same socket, and each
 * run gets what a cold run gets (new mount, pid, IPC, network and UTS namespaces; fresh tmpfs on /sandbox,
 * /tmp and /dev/shm; its cgroups, session and rlimits; the run's uid with no capabilities and
 * no-new-privileges; its pipes as descriptors 0-3 and no other). It runs as root inside bubblewrap's
 * namespaces with the capabilities a run's set-up needs, and never runs a sample's code itself.
 *
 *   node --single-threaded --v8-pool-size=0 kiln_zygote.js ADDON SOCKET_FD PROGRAM
 *
 * PROGRAM is the harness: loaded here, its main() is called in each run's command with the run's argv.
 */

const fs = require('fs');
const Module = require('module');
const path = require('path');

const [addonPath, socketArg, programArg] = process.argv.slice(2);
const kiln = require(addonPath);

const CLONE_NEWNS = 0x00020000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWPID = 0x20000000;
const CLONE_NEWNET = 0x40000000;
const RUN_NAMESPACES = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS;
const MS_RDONLY = 1;
const MS_NOSUID = 2;
const MS_NODEV = 4;
const MS_NOEXEC = 8;
const MS_REMOUNT = 32;
const MS_BIND = 4096;
const MS_REC = 0x4000;
const MS_PRIVATE = 0x40000;
const MAX_FILES = 65536; // inodes of the work dir, as a cold run's
const SANDBOX_DIR = '/sandbox';
// Linux's RLIMIT_ numbers (the same on x86-64 and arm64), by the names codekiln.sandbox._limits.rlimits uses.
const RLIMITS = { cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7, memlock: 8, as: 9 };
const ROLES = ['status', 'kill', 'stdin', 'stdout', 'stderr', 'channel', 'cgroup', 'file'];

function report(fd, row) {
  fs.writeSync(fd, JSON.stringify(row) + '\n');
}

function describe(error) {
  return { error: `${error && error.name ? error.name : 'Error'}: ${error && error.message ? error.message : error}` };
}

function mountTmpfs(target, options) {
  kiln.mount('tmpfs', target, 'tmpfs', MS_NOSUID | MS_NODEV, options);
}

/** A fresh tmpfs on /tmp, with the read-only `binds` below /tmp (the zygote's own, as bubblewrap bound them)
 * bound in again, read-only: each is held open while /tmp is covered, then bound from its descriptor. */
function freshTmp(scratch, binds) {
  const held = binds.map((path) => [path, fs.openSync(path, 'r'), fs.statSync(path).isDirectory()]);
  mountTmpfs('/tmp', `size=${scratch},mode=1777`);
  for (const [path, fd, isDirectory] of held) {
    const parts = path.split('/').slice(2); // below /tmp: root's folders of mode 0755, as bubblewrap makes them
    for (let depth = 1; depth < parts.length; depth++) {
      const folder = '/tmp/' + parts.slice(0, depth).join('/');
      if (!fs.existsSync(folder)) {
        fs.mkdirSync(folder);
        fs.chmodSync(folder, 0o755);
      }
    }
    if (isDirectory) fs.mkdirSync(path);
    else fs.closeSync(fs.openSync(path, 'w', 0o644));
    kiln.mount(`/proc/self/fd/${fd}`, path, null, MS_BIND, null);
    kiln.mount(null, path, null, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, null);
    fs.closeSync(fd);
  }
}

/** The run's input files, from their memfds, into the work dir; then the dir is handed to the run's uid. */
function writeFiles(names, fds, uid) {
  const directories = [SANDBOX_DIR]; // handed over last: without CAP_DAC_OVERRIDE, root writes only in its own
  const chunk = Buffer.alloc(1 << 20);
  names.forEach((name, index) => {
    const parts = name.split('/');
    const filename = parts.pop();
    let directory = SANDBOX_DIR;
    for (const part of parts) {
      directory = path.join(directory, part);
      if (!fs.existsSync(directory)) {
        fs.mkdirSync(directory);
        directories.push(directory);
      }
    }
    const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
    const out = fs.openSync(path.join(directory, filename), flags, 0o644);
    try {
      fs.fchownSync(out, uid, uid);
      for (let count; (count = fs.readSync(fds[index], chunk, 0, chunk.length, null)) > 0;) {
        fs.writeSync(out, chunk, 0, count);
      }
    } finally {
      fs.closeSync(out);
    }
    fs.closeSync(fds[index]);
  });
  fs.chmodSync(SANDBOX_DIR, 0o700);
  for (const directory of directories.reverse()) fs.chownSync(directory, uid, uid); // the work dir last
}

/** The run's command, before its program: its cgroups, session, rlimits, uid, descriptors, environment. */
function confine(request, fds) {
  for (const fd of fds.cgroup) {
    fs.writeSync(fd, '0'); // "0" is the writer itself; the verifier, who opened the file, had the permission
    fs.closeSync(fd);
  }
  kiln.setsid();
  for (const [name, soft, hard] of request.rlimits) kiln.setrlimit(RLIMITS[name], soft, hard);
  kiln.dropPrivileges(request.uid);
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, request.env);
  // Node read NODE_PATH when the zygote started: the run's own is read again, as a fresh node would.
  Module._initPaths();
  process.chdir(SANDBOX_DIR);
  process.argv = [process.execPath, ...request.argv];
  // Node keeps the pid it started with (the zygote's): the run's own, in its pid namespace, as /proc says.
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const [pid, ppid] = [stat.split(' ')[0], stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]].map(Number);
  Object.defineProperty(process, 'pid', { value: pid, writable: false, enumerable: true, configurable: true });
  process.ppid = ppid;
  const stdin = fds.stdin.length ? fds.stdin : [fs.openSync('/dev/null', 'r')];
  kiln.takeDescriptors([...stdin, ...fds.stdout, ...fds.stderr, ...fds.channel]);
}

/** The run's pid 1, cloned into its new namespaces: its file systems, then the command. Returns only in the
 * run's command, confined; else waits for it, reports and exits. */
function startPid1(request, fds) {
  const status = fds.status[0];
  let command;
  try {
    kiln.ignoreChildren(false); // the zygote ignores SIGCHLD; pid 1 must wait for the command
    // Nothing mounted from here on may reach the zygote's mount namespace.
    kiln.mount(null, '/', null, MS_REC | MS_PRIVATE, null);
    const scratch = request.scratch_bytes;
    mountTmpfs(SANDBOX_DIR, `size=${scratch},nr_inodes=${MAX_FILES},mode=0755`);
    freshTmp(scratch, request.tmp_binds);
    mountTmpfs('/dev/shm', `size=${scratch},mode=1777`);
    writeFiles(request.files, fds.file, request.uid);
    kiln.mount('proc', '/proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
    command = kiln.fork();
    if (command === 0) {
      fs.closeSync(fds.kill[0]);
      confine(request, fds);
      return;
    }
  } catch (error) {
    report(status, describe(error));
    kiln.exit(125);
  }
  for (const role of ['stdin', 'stdout', 'stderr', 'channel', 'cgroup']) for (const fd of fds[role]) fs.closeSync(fd);
  kiln.pid1(command, fds.kill[0], status); // never returns
}

function takeFds(roles, received) {
  const fds = Object.fromEntries(ROLES.map((role) => [role, []]));
  roles.forEach((role, index) => fds[role].push(received[index]));
  return fds;
}

/** Fails the zygote's start, rather than each run, where a run's pid 1 cannot be cloned. */
function checkClone() {
  if (kiln.cloneRun(RUN_NAMESPACES) === 0) kiln.exit(0);
}

/** Answer requests until the verifier closes the socket: false then; true in a run's command. */
function serve(sock) {
  fs.writeSync(sock, 'ready');
  for (;;) {
    const received = kiln.recv(sock);
    if (received === null) return false; // the verifier closed its end, or died
    const request = JSON.parse(received.message.toString('utf8'));
    const fds = takeFds(request.fds, received.fds);
    let pid1 = -1;
    try {
      pid1 = kiln.cloneRun(RUN_NAMESPACES);
    } catch (error) {
      try {
        report(fds.status[0], describe(error));
      } catch {} // the verifier may be gone; the zygote carries on
    }
    if (pid1 === 0) {
      fs.closeSync(sock);
      startPid1(request, fds);
      return true;
    }
    for (const fd of received.fds) fs.closeSync(fd);
  }
}

function main() {
  const sock = Number(socketArg);
  kiln.ignoreChildren(true); // the runs' pid 1s are reaped at once
  checkClone();
  const program = require(path.resolve(programArg));
  process.chdir('/');
  if (!serve(sock)) kiln.exit(0);
  // A run's command: it ends through kiln.exit, never through node's own teardown (see kiln_fork.c).
  kiln.exitAtTeardown();
  process.on('exit', (code) => kiln.exit(code));
  program.main(kiln.exit);
}

main();
