"""A Jupyter kernel forked from the build, which has imported torch already, instead of a fresh interpreter.

A kernel started as jupyter_client starts one is a new Python that imports
torch and torchvision again: 2 to 3 s of CPU, on a machine whose other core
is doing the build's own work. ``KernelSeed`` forks the build's process
once it has imported torch and torchvision and before it imports anything
the notebook's cells could tell apart (no figure or page code), and the
child waits on a pipe. The build holds one thread then; under a test
runner's threads the child touches none of their locks (CPython renews the
import lock in a fork), as multiprocessing's forks here already rely on. ``ForkedKernelManager``, the kernel manager nbclient is
given, hands it the command jupyter_client would have run; the child then
becomes that kernel (ipykernel's own application, the same arguments, the
same environment and working folder), in a session of its own as
jupyter_client's launcher puts it, and dies with the build after a kill -9.
The cells' imports are still made by the kernel's own start (the notebook
module deletes the names they bind), so a cell that forgets one fails as
it would for a reader.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from typing import Any

from jupyter_client.manager import AsyncKernelManager

from .lifeline import die_with_parent, named

LAUNCHER = "ipykernel_launcher"  # what a kernelspec's argv runs with -m for a Python kernel
KERNEL_NAME = "ipykernel"  # the fork's name in ps and top (its command line is still the build's)


class KernelSeed:
    """A fork of this process that becomes a kernel when told how, or ends unused."""

    def __init__(self, threads: int = 1) -> None:
        reader, self._writer = os.pipe()
        self.started = False
        parent = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self._writer)
            _grow(reader, parent, threads)
        os.close(reader)

    def start(self, argv: list[str], env: dict[str, str], cwd: str) -> None:
        """Become the kernel ``argv`` (ipykernel's arguments, after ``-m ipykernel_launcher``) names."""
        self.started = True
        self._send({"argv": argv, "env": env, "cwd": cwd})

    def close(self) -> None:
        """An unused seed ends, and is waited for; a started one is its kernel manager's to stop and wait for."""
        if not self.started:
            self._send(None)
            os.waitpid(self.pid, 0)
            self.started = True  # ended: nothing more to do

    def _send(self, request: dict[str, Any] | None) -> None:
        if self._writer < 0:
            return
        try:
            os.write(self._writer, json.dumps(request).encode("utf-8"))
        except OSError:  # the child is gone: the kernel manager finds it dead and says so
            pass
        finally:
            os.close(self._writer)
            self._writer = -1


def _grow(reader: int, parent: int, threads: int) -> None:
    """The child: ready ipykernel while the build works, then run the kernel it is asked for. Never returns."""
    code = 1
    try:
        die_with_parent(parent)
        named(KERNEL_NAME)
        os.setsid()  # out of the build's process group: Ctrl-C reaches the build, which stops the kernel itself
        with open(os.devnull, "rb") as nothing:  # never the build's terminal (jupyter_client's launcher: a pipe)
            os.dup2(nothing.fileno(), 0)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a kernel's own: it interrupts a cell
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)  # as OMP_NUM_THREADS would have at a fresh import
        from ipykernel.kernelapp import IPKernelApp

        request = json.loads(_read_all(reader) or "null")
        if request is not None:
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            # ipykernel read JPY_PARENT_PID when this process imported it, before the environment came
            app = IPKernelApp.instance(parent_handle=int(request["env"].get("JPY_PARENT_PID") or 0))
            app.initialize(request["argv"])
            app.start()
        code = 0
    except BaseException:  # a kernel that cannot start says why on the build's stderr, as a fresh one would
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: S110 - nothing left to report it to
                pass
        os._exit(code)


def _read_all(reader: int) -> str:
    chunks = []
    while chunk := os.read(reader, 65536):
        chunks.append(chunk)
    os.close(reader)
    return b"".join(chunks).decode("utf-8")


class ForkedProcess:
    """The part of subprocess.Popen that jupyter_client's LocalProvisioner uses, for a forked child."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self._reap(os.WNOHANG)

    def wait(self, timeout: float | None = None) -> int | None:
        return self._reap(0)

    def _reap(self, options: int) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, options)
            except ChildProcessError:  # reaped already
                self.returncode = 0
                return self.returncode
            if pid == self.pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkedKernelManager(AsyncKernelManager):
    """nbclient's kernel manager, launching the kernel in ``seed`` when one was given and the kernelspec is
    ipykernel's; any other kernel is launched as jupyter_client launches it."""

    seed: KernelSeed | None = None

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        seed, self.seed = self.seed, None
        if seed is None or LAUNCHER not in kernel_cmd or kernel_cmd[kernel_cmd.index(LAUNCHER) - 1] != "-m":
            if seed is not None:
                seed.close()
            await super()._async_launch_kernel(kernel_cmd, **kw)
            return
        env = {**(kw.get("env") or os.environ), "JPY_PARENT_PID": str(os.getpid())}  # as jupyter_client's launcher
        seed.start(kernel_cmd[kernel_cmd.index(LAUNCHER) + 1:], env, str(kw.get("cwd") or os.getcwd()))
        provisioner = self.provisioner
        assert provisioner is not None
        provisioner.process = ForkedProcess(seed.pid)  # type: ignore[attr-defined]
        provisioner.pid = provisioner.pgid = seed.pid  # type: ignore[attr-defined]
        provisioner.cwd = kw.get("cwd")  # type: ignore[attr-defined]
        self._reconcile_connection_info(provisioner.connection_info)
