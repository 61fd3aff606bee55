"""Kernel lifecycle and installation: shutdown (and restart) exit promptly and free the ports,
SIGTERM, the kernelspec files and the --install modes."""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest
import zlib

import kutil
from kutil import run


def port_free(port, ip="127.0.0.1"):
    # SO_REUSEADDR as libzmq sets it: connections in TIME_WAIT do not count, a listener does.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((ip, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def kernel_process(km):
    return km.provisioner.process


def check_png(test, path, size):
    """A valid PNG (signature, IHDR, CRCs, inflatable IDAT) of size x size."""
    with open(path, "rb") as f:
        data = f.read()
    test.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n")
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        test.assertEqual(zlib.crc32(ctype + body) & 0xFFFFFFFF, crc, "bad CRC in %s" % ctype)
        chunks.append(ctype)
        if ctype == b"IDAT":
            idat += body
        pos += 12 + length
    test.assertEqual(chunks[0], b"IHDR")
    test.assertEqual(chunks[-1], b"IEND")
    w, h, depth, color = struct.unpack(">IIBB", data[16:26])
    test.assertEqual((w, h), (size, size))
    test.assertEqual((depth, color), (8, 6))   # 8-bit RGBA
    raw = zlib.decompress(idat)
    test.assertEqual(len(raw), size * (1 + 4 * size))
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as im:
        test.assertEqual(im.size, (size, size))
        alpha = im.getchannel("A")
        test.assertGreater(alpha.getextrema()[1], 200)   # something is drawn
        test.assertEqual(alpha.getpixel((0, 0)), 0)       # on a transparent ground


class LifecycleTests(unittest.TestCase):
    def test_shutdown_exits_promptly_and_frees_ports(self):
        km, kc = kutil.start()
        info = km.get_connection_info()
        proc = kernel_process(km)
        msg_id = kc.shutdown()
        reply = kc.get_control_msg(timeout=5)
        self.assertEqual(reply["msg_type"], "shutdown_reply")
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertEqual(reply["content"], {"status": "ok", "restart": False})
        t0 = time.monotonic()
        proc.wait(timeout=5)
        self.assertLess(time.monotonic() - t0, 2.0)
        self.assertEqual(proc.returncode, 0)
        for name in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"):
            self.assertTrue(port_free(info[name]), name + " still bound")
        kc.stop_channels()
        km.cleanup_resources()

    def test_restart_gives_fresh_state_on_same_ports(self):
        km, kc = kutil.start()
        try:
            run(kc, "x = 5")
            before = km.get_connection_info()
            old = kernel_process(km)
            t0 = time.monotonic()
            km.restart_kernel(now=False)
            self.assertIsNotNone(old.poll())
            self.assertLess(time.monotonic() - t0, 5)
            self.assertEqual(km.get_connection_info()["shell_port"], before["shell_port"])
            kc.wait_for_ready(timeout=30)
            reply, msgs = run(kc, "x")
            self.assertEqual(reply["content"]["status"], "error")
            self.assertEqual(reply["content"]["ename"], "NameError")
            self.assertEqual(reply["content"]["execution_count"], 1)
        finally:
            kutil.stop(km, kc)

    def test_shutdown_while_a_cell_runs(self):
        km, kc = kutil.start()
        proc = kernel_process(km)
        kc.execute(kutil.CODE["long_loop"])
        time.sleep(0.5)
        kc.shutdown()
        proc.wait(timeout=5)
        kc.stop_channels()
        km.cleanup_resources()

    def test_sigterm_exits_cleanly(self):
        km, kc = kutil.start()
        proc = kernel_process(km)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)
        kc.stop_channels()
        km.cleanup_resources()

    def test_orphaned_kernel_exits(self):
        """A kernel whose launcher dies (JPY_PARENT_PID) exits by itself within a few seconds."""
        exe = kutil.kernel_binary()
        with tempfile.TemporaryDirectory() as t:
            conn = os.path.join(t, "conn.json")
            ports = []
            for _ in range(5):
                s = socket.socket()
                s.bind(("127.0.0.1", 0))
                ports.append(s.getsockname()[1])
                s.close()
            with open(conn, "w") as f:
                json.dump(dict(zip(["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"], ports),
                               ip="127.0.0.1", transport="tcp", signature_scheme="hmac-sha256", key="k"), f)
            launcher = ("import os, subprocess, sys, time\n"
                        "p = subprocess.Popen([sys.argv[1], '-f', sys.argv[2]], start_new_session=True,\n"
                        "    stdin=subprocess.PIPE, env=dict(os.environ, JPY_PARENT_PID=str(os.getpid())))\n"
                        "print(p.pid, flush=True)\n"
                        "time.sleep(0.5)\n"
                        "print(p.poll() is None, flush=True)\n")
            out = subprocess.run(["/usr/bin/python3", "-c", launcher, exe, conn],
                                 capture_output=True, text=True, timeout=30)
            pid, alive = out.stdout.split()[:2]
            pid = int(pid)
            self.assertEqual(alive, "True", "the kernel did not start: " + out.stderr)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    with open("/proc/%d/status" % pid) as f:
                        if "\nState:\tZ" in f.read():
                            break
                except FileNotFoundError:
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
                self.fail("the orphaned kernel is still running")

    def test_kernelspec_files(self):
        d = kutil.kernel_spec_dir()
        with open(os.path.join(d, "kernel.json")) as f:
            spec = json.load(f)
        self.assertEqual(spec["display_name"], "Nabla")
        self.assertEqual(spec["language"], "nabla")
        self.assertEqual(spec["interrupt_mode"], "signal")
        self.assertEqual(spec["argv"][1:], ["-f", "{connection_file}"])
        self.assertTrue(os.path.isabs(spec["argv"][0]))
        self.assertTrue(os.access(spec["argv"][0], os.X_OK))
        check_png(self, os.path.join(d, "logo-32x32.png"), 32)
        check_png(self, os.path.join(d, "logo-64x64.png"), 64)

    def test_install_modes(self):
        exe = kutil.kernel_binary()
        with tempfile.TemporaryDirectory() as t:
            env = dict(os.environ, JUPYTER_DATA_DIR=os.path.join(t, "data"),
                       VIRTUAL_ENV=os.path.join(t, "venv"))
            env.pop("CONDA_PREFIX", None)
            cases = [
                (["--user"], os.path.join(t, "data", "kernels", "nabla")),
                (["--prefix", os.path.join(t, "p")], os.path.join(t, "p", "share", "jupyter", "kernels", "nabla")),
                (["--sys-prefix"], os.path.join(t, "venv", "share", "jupyter", "kernels", "nabla")),
            ]
            for args, where in cases:
                out = subprocess.run([exe, "--install"] + args, env=env, capture_output=True, text=True)
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertIn(where, out.stdout)
                with open(os.path.join(where, "kernel.json")) as f:
                    self.assertEqual(json.load(f)["argv"][0], os.path.realpath(exe))
                check_png(self, os.path.join(where, "logo-64x64.png"), 64)
            # make install DESTDIR=stage: the kernelspec names the final path, not the staged one.
            stage = os.path.join(t, "stage")
            os.makedirs(os.path.join(stage, "usr", "bin"))
            staged = os.path.join(stage, "usr", "bin", "nabla-kernel")
            shutil.copy(exe, staged)
            out = subprocess.run([staged, "--install", "--prefix", os.path.join(stage, "usr")],
                                 env=dict(env, DESTDIR=stage), capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            with open(os.path.join(stage, "usr", "share", "jupyter", "kernels", "nabla", "kernel.json")) as f:
                self.assertEqual(json.load(f)["argv"][0], "/usr/bin/nabla-kernel")
            bad = subprocess.run([exe, "--install", "--bogus"], capture_output=True, text=True)
            self.assertEqual(bad.returncode, 2)
            self.assertIn("unknown option", bad.stderr)

    def test_bad_connection_file_is_a_clear_error(self):
        exe = kutil.kernel_binary()
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            f.write('{"shell_port": "x"}')
            f.flush()
            out = subprocess.run([exe, "-f", f.name], capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 1)
        self.assertIn("shell_port", out.stderr)


if __name__ == "__main__":
    unittest.main()
