"""Helpers shared by the kernel tests: start a kernel, run code, collect IOPub by parent."""
import json
import os
import queue
import time

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel

FAKE = os.environ.get("NABLA_KERNEL_FAKE") == "1"
TIMEOUT = 20

# Code that differs between the real language and the protocol-only fake (tests/kernel/fake_lang.c).
if FAKE:
    CODE = {
        "set_state": "x = 5",
        "check_state": ("x", "5"),
        "long_loop": "spin()",
        "input": 'x = input("name? ")',
        "input_echo": "nabla\n",
        "live": ["live()"],
        "live_last": "step 200000",
        "slow_error": "pause()\nundefined_name",
    }
else:
    CODE = {
        "set_state": "x = 5",
        "check_state": ("x", "5"),
        "long_loop": "i = 0\nwhile True:\n    i += 1",
        "input": 'name = input("name? ")\nprint(name)',
        "input_echo": "nabla\n",
        # Ways the language may update a display in place, tried in order (see test_protocol).
        "live": [
            'd = display("step 0", display_id=True)\n'
            "for k in range(200000):\n"
            '    d.update("step " + str(k + 1))',
            "x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]])\n"
            "y = tensor([[0], [1], [1], [0]])\n"
            'model = Sequential([Dense(8, activation="tanh"), Dense(1, activation="sigmoid")])\n'
            'model.compile(optimizer=Adam(0.05), loss="binary_crossentropy")\n'
            "h = model.fit(x, y, epochs=3000, batch_size=4, verbose=0, live=True)",
        ],
        "live_last": None,
        "slow_error": "t0 = time()\nwhile time() - t0 < 0.3:\n    pass\nundefined_name",
    }


def kernel_spec_dir():
    return KernelSpecManager().get_kernel_spec("nabla").resource_dir


def kernel_binary():
    with open(os.path.join(kernel_spec_dir(), "kernel.json")) as f:
        return json.load(f)["argv"][0]


def start():
    return start_new_kernel(kernel_name="nabla", startup_timeout=30)


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def drain_iopub(kc, timeout=0.2):
    msgs = []
    while True:
        try:
            msgs.append(kc.get_iopub_msg(timeout=timeout))
        except queue.Empty:
            return msgs


def shell_reply(kc, msg_id, timeout=TIMEOUT):
    """The shell reply to msg_id (skipping stray replies, e.g. kernel_info from the ready loop)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no reply to %s" % msg_id)
        msg = kc.get_shell_msg(timeout=left)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def iopub_until_idle(kc, msg_id, timeout=TIMEOUT):
    """IOPub messages parented to msg_id, from busy up to and including idle."""
    out = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no idle for %s; got %s" % (msg_id, [m["msg_type"] for m in out]))
        msg = kc.get_iopub_msg(timeout=left)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        out.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return out


def run(kc, code, timeout=TIMEOUT, **kw):
    """Executes code; returns (reply, iopub messages from busy to idle)."""
    msg_id = kc.execute(code, **kw)
    reply = shell_reply(kc, msg_id, timeout)
    return reply, iopub_until_idle(kc, msg_id, timeout)


def of_type(msgs, msg_type):
    return [m for m in msgs if m["msg_type"] == msg_type]


def stdout_text(msgs):
    return "".join(m["content"]["text"] for m in of_type(msgs, "stream") if m["content"]["name"] == "stdout")
