"""Runs inside the sandbox: relay the hub ports to the host, then run the tuple script.

The sandbox has its own network namespace with only a loopback interface. For each hub
address the script may reach, this runner listens on the same 127.0.0.1:PORT inside the
namespace and pipes every connection to a Unix socket that the host side relays to the
real hub. Nothing else is reachable. Usage (by the sandbox only):

    python -I sandbox_runner.py SCRIPT PORT:SOCKET [PORT:SOCKET ...]
    python -I sandbox_runner.py --zygote FD        (the warm sandbox, data/warm_sandbox.py)

In ``--zygote`` mode the runner is a pre-started interpreter (``requests`` already imported) that
waits for jobs on the control socket FD. Per job it forks a supervisor (ahead of the job), which
enters new mount, PID, network, IPC and UTS namespaces and forks the job's init (PID 1 there): it
mounts a /proc of its own, binds the job's directory on /sandbox and the job's private /tmp on /tmp, hides every
other job's files, brings up a loopback of its own, and forks the script's process, which takes
the job's stdout/stderr, rlimits, uid (no capabilities, no new privileges) and environment before
running the script exactly as the cold path does. When the script's process ends, the init
kills and reaps whatever it left and reports the exit status on the control socket; the
supervisor kills the job's namespace at its wall-clock limit and reports that (128 + signal for a
killed script, as bubblewrap reports it).
"""

import os
import runpy
import socket
import sys
import threading

SANDBOX_EXIT_SETUP = "sandbox setup failed"


def _pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _serve(port, path):
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", port))
    lst.listen(64)

    def loop():
        while True:
            conn, _ = lst.accept()
            up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                up.connect(path)
            except OSError:
                conn.close()
                continue
            threading.Thread(target=_pipe, args=(conn, up), daemon=True).start()
            threading.Thread(target=_pipe, args=(up, conn), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


# ---- the warm sandbox's zygote ---------------------------------------------------------------
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x4000000, 0x8000000, 0x20000000, \
    0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 8, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 24, 47, 4


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _check(rc, what):
    if rc != 0:
        import ctypes

        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")


def _mount(libc, src, target, fstype, flags, what):
    _check(libc.mount(src and src.encode(), target.encode(), fstype and fstype.encode(), flags, None), what)


def _loopback_up():
    import fcntl
    import struct

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:  # SIOCSIFFLAGS: IFF_UP | IFF_LOOPBACK | IFF_RUNNING
        fcntl.ioctl(s, 0x8914, struct.pack("16sH14s", b"lo", 0x1 | 0x8 | 0x40, b""))
    finally:
        s.close()


def _status_code(status):
    """The exit status as bubblewrap reports it: the exit code, or 128 + signal."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _send(ctrl, msg):
    import json

    try:
        ctrl.send(json.dumps(msg).encode())
    except OSError:
        pass


def _warm_up():
    """Make a GET and a POST the way tuple scripts do, against a throwaway server in the zygote's
    own loopback, so what a first request pays (lazy imports, compiled patterns, encodings) is
    paid once here. The server thread is joined before any job is forked."""
    import requests

    try:
        _loopback_up()
        srv = socket.socket()
        srv.settimeout(5)
        srv.bind(("127.0.0.1", 0))
        srv.listen(2)
    except OSError:
        return
    body = b'{"initial_state": {}, "current_state": {}, "state_diff": {}}'

    def serve():
        for _ in range(2):
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                buf = b""
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                n = int(next((ln.split(b":", 1)[1] for ln in buf.split(b"\r\n")
                              if ln.lower().startswith(b"content-length:")), b"0"))
                rest = len(buf.partition(b"\r\n\r\n")[2])
                while rest < n:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    rest += len(chunk)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n%s" % (len(body), body))

    t = threading.Thread(target=serve)
    t.start()
    url, headers = f"http://127.0.0.1:{srv.getsockname()[1]}", {"X-CUA-Admin-Token": "warm-up"}
    try:
        requests.get(f"{url}/go", params={"sid": "warm-up"}, headers=headers, timeout=5).json()
        requests.post(f"{url}/post", params={"sid": "warm-up"}, json={"action": "set_current", "state": {}},
                      headers=headers, timeout=5).raise_for_status()
    except Exception:
        pass
    t.join(10)
    srv.close()


def zygote(ctrl_fd):
    """Serve jobs forever; returns only in a job's script process, with the job.

    The next job's supervisor and init are always made ahead (a spare: namespaces entered,
    /proc and loopback ready), so a job only waits for its own mounts and the script's fork."""
    import json
    import signal

    import gc

    __import__("requests")  # what nearly every tuple script imports: paid once, here
    _warm_up()
    gc.freeze()  # the imported objects stay out of every job's collections (no copy-on-write of them)

    libc = _libc()
    ctrl = socket.socket(fileno=ctrl_fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped by the kernel
    spare, job = _spare(ctrl, libc)
    if job is not None:
        return job
    _send(ctrl, {"ready": os.getpid()})
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(ctrl, 1 << 20, 4)
        except OSError:
            os._exit(0)
        if not msg:  # the host closed the control socket: it is gone or closing us
            os._exit(0)
        sent = False
        for _ in range(2):  # a spare that died is replaced once
            if spare is None:
                spare, job = _spare(ctrl, libc)
                if job is not None:
                    return job
                if spare is None:
                    break
            try:
                socket.send_fds(spare, [msg], fds)
                sent = True
            except OSError:
                pass
            spare.close()
            spare = None
            if sent:
                break
        if not sent:
            _send(ctrl, {"job": json.loads(msg)["id"], "error": f"{SANDBOX_EXIT_SETUP}: no supervisor could start"})
        for fd in fds:
            os.close(fd)
        spare, job = _spare(ctrl, libc)  # the next job's, made while this one runs
        if job is not None:
            return job


def _spare(ctrl, libc):
    """Fork a supervisor that waits for a job: (socket to hand it the job, None) in the zygote;
    (None, job) in the job's script process; (None, None) when the fork failed."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        pid = os.fork()
    except OSError:
        ours.close()
        theirs.close()
        return None, None
    if pid:
        theirs.close()
        return ours, None
    ours.close()
    return None, _supervise(ctrl, theirs, libc)


def _recv_job(sock):
    """(raw message, fds) of the job handed over ``sock``; (b"", []) when the sender is gone."""
    try:
        msg, fds, _, _ = socket.recv_fds(sock, 1 << 20, 4)
    except OSError:
        return b"", []
    return msg, fds


def _supervise(ctrl, hand, libc):
    """A job's supervisor (in the zygote's namespaces): make the job's init in new namespaces,
    wait for the job, pass it on, enforce its wall clock, report its exit status. Returns only in
    the job's script process."""
    import json
    import signal

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    to_init, init_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        _check(libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
        init = os.fork()
    except OSError as e:
        msg, _ = _recv_job(hand)
        if msg:
            _send(ctrl, {"job": json.loads(msg)["id"], "error": f"{SANDBOX_EXIT_SETUP}: {e}"})
        os._exit(0)
    if init == 0:
        hand.close()
        to_init.close()
        return _job_init(ctrl, init_end, libc)
    init_end.close()
    msg, fds = _recv_job(hand)
    hand.close()
    if not msg:  # the zygote is gone: so is this spare
        os.kill(init, signal.SIGKILL)
        os._exit(0)
    job = json.loads(msg)
    try:
        socket.send_fds(to_init, [msg], fds)
    except OSError as e:
        _send(ctrl, {"job": job["id"], "error": f"{SANDBOX_EXIT_SETUP}: the job's init is gone: {e}"})
        os.kill(init, signal.SIGKILL)
        os._exit(0)
    for fd in fds:
        os.close(fd)
    to_init.close()
    killed = []

    def expire(*_):
        killed.append(True)
        try:
            os.kill(init, signal.SIGKILL)  # PID 1 of the job's namespace: the whole tree goes with it
        except OSError:
            pass

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, float(job["timeout_s"]))
    _, status = os.waitpid(init, 0)
    signal.setitimer(signal.ITIMER_REAL, 0)
    _send(ctrl, {"job": job["id"], "code": _status_code(status), "timed_out": bool(killed)})
    os._exit(0)


def _job_init(ctrl, hand, libc):
    """PID 1 of the job's namespaces: its own /proc and loopback (made ahead), then, with the
    job, private mounts of the job's directory and /tmp and the script's process; reports the
    script's status once it and everything it left have ended."""
    import json

    failed = None
    try:
        os.setsid()
        _mount(libc, None, "/", None, MS_REC | MS_PRIVATE, "make mounts private")
        _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mount /proc")
        _loopback_up()
    except OSError as e:
        failed = e
    msg, fds = _recv_job(hand)
    hand.close()
    if not msg:
        os._exit(0)
    job = json.loads(msg)
    if failed is None:
        try:
            d = "/cua/jobs/" + job["dir"]
            _mount(libc, d + "/work", "/sandbox", None, MS_BIND | MS_REC, "bind /sandbox")
            _mount(libc, d + "/tmp", "/tmp", None, MS_BIND | MS_REC, "bind /tmp")
            _check(libc.umount2(b"/cua/jobs", MNT_DETACH), "hide the other jobs")
        except OSError as e:
            failed = e
    if failed is not None:
        _send(ctrl, {"job": job["id"], "error": f"{SANDBOX_EXIT_SETUP}: {failed}"})
        os._exit(1)
    try:
        pid = os.fork()
    except OSError as e:
        _send(ctrl, {"job": job["id"], "error": f"{SANDBOX_EXIT_SETUP}: fork: {e}"})
        os._exit(1)
    if pid == 0:
        return _job_script(job, fds, libc)  # closes the control socket before anything else
    for fd in fds:
        os.close(fd)
    while True:  # reap orphans until the script's process ends
        got, status = os.wait()
        if got == pid:
            break
    # End every process left in the job's namespace and reap it, then report: the job is over
    # (the namespaces' own teardown, after this process exits, holds nothing of the script's).
    import signal

    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break
    code = _status_code(status)
    _send(ctrl, {"job": job["id"], "code": code, "timed_out": False})
    os._exit(code)


def _job_script(job, fds, libc):
    import resource

    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(fds[0], 1)
    os.dup2(fds[1], 2)
    os.closerange(3, 1 << 16)  # the control socket among them: nothing but stdio reaches the script
    os.chdir("/sandbox")
    lim = job["limits"]
    resource.setrlimit(resource.RLIMIT_AS, (lim["as"], lim["as"]))
    resource.setrlimit(resource.RLIMIT_NPROC, (lim["nproc"], lim["nproc"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (lim["fsize"], lim["fsize"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (lim["cpu"], lim["cpu"]))
    uid = int(job["uid"])
    try:
        _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        cap = 0
        while libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:  # every capability out of the bounding set
            cap += 1
        libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if os.getresuid() != (uid, uid, uid) or _effective_caps() != 0:
            raise OSError(0, "privileges were not dropped")
    except OSError as e:
        os.write(2, f"{SANDBOX_EXIT_SETUP}: {e}\n".encode())
        os._exit(1)
    os.environ.clear()
    os.environ.update(job["env"])
    return job


def _effective_caps():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return -1


def _run_and_exit(script):
    """Run the script and end the process as the interpreter's own exit would, minus tearing down
    the modules the zygote imported (the script's process is thrown away): an uncaught exception
    is printed and exits 1, ``SystemExit`` gives its code, then non-daemon threads are joined,
    atexit functions run, the script's objects are collected (files it left open are flushed
    and closed) and stdout/stderr are flushed (120 if that fails, as Python does)."""
    import atexit
    import gc

    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code & 0xFF
        else:
            try:
                print(e.code, file=sys.stderr)
            except Exception:
                pass
            code = 1
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    try:
        threading._shutdown()
    except BaseException:
        pass
    atexit._run_exitfuncs()
    gc.collect()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            code = 120
    os._exit(code)


def main():
    if sys.argv[1:2] == ["--zygote"]:
        job = zygote(int(sys.argv[2]))
        script, relays = job["script"], job["relays"]
    else:
        script, relays = sys.argv[1], sys.argv[2:]
        job = None
    # A script that starts a browser with an environment of its own (no PATH) still finds the
    # sandbox's browser shims: the default search path starts with them too.
    os.defpath = "/cua/bin:" + os.defpath
    for spec in relays:
        port, path = spec.split(":", 1)
        _serve(int(port), path)
    sys.argv = [script]
    if job is not None:
        _run_and_exit(script)
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
