#!/usr/bin/env bash
# bench/kernel.sh BUILD -- the Jupyter kernel's latency and memory next to ipykernel, measured
# in one run by the same raw-ZeroMQ client (signing with HMAC like jupyter_client):
#
#   start     launch of the process -> first kernel_info_reply   (median of START_RUNS launches)
#   1+1       execute_request "1+1" -> execute_reply AND idle seen (median and p99 of RT_RUNS)
#   memory    VmRSS of the idle kernel after the round trips
#
# Targets (DESIGN.md 8): under 30 ms, under 0.5 ms, under 15 MB. When sourced by bench/run.sh
# (bench_row defined) it prints only its table rows; run alone it prints a small table.
# NABLA_KERNEL=path benchmarks another kernel binary.
_kb_build=${1:-${BUILD:-build}}
_kb_kernel=${NABLA_KERNEL:-$_kb_build/nabla-kernel}
_kb_py=/usr/bin/python3

_kb_measure() {   # _kb_measure ARGV...: prints "start_ms median_ms p99_ms rss_mb"
  START_RUNS=${START_RUNS:-10} RT_RUNS=${RT_RUNS:-1000} "$_kb_py" - "$@" <<'PY'
import hashlib, hmac, json, os, socket, statistics, subprocess, sys, tempfile, time, uuid
import zmq

argv = sys.argv[1:]
key = uuid.uuid4().hex.encode()
ctx = zmq.Context.instance()

def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports

def message(msg_type, content):
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "bench",
              "session": "bench", "date": "2026-01-01T00:00:00.000000Z", "version": "5.3"}
    parts = [json.dumps(d).encode() for d in (header, {}, {}, content)]
    sig = hmac.new(key, b"".join(parts), hashlib.sha256).hexdigest().encode()
    return header["msg_id"], [b"<IDS|MSG>", sig] + parts

def parse(frames):
    i = frames.index(b"<IDS|MSG>")
    return json.loads(frames[i + 2]), json.loads(frames[i + 3]), json.loads(frames[i + 5])

class Kernel:
    def __init__(self):
        self.dir = tempfile.mkdtemp()
        names = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"]
        self.info = dict(zip(names, free_ports(5)), ip="127.0.0.1", transport="tcp",
                         signature_scheme="hmac-sha256", key=key.decode(), kernel_name="bench")
        self.path = os.path.join(self.dir, "kernel.json")
        with open(self.path, "w") as f:
            json.dump(self.info, f)

    def url(self, name):
        return "tcp://127.0.0.1:%d" % self.info[name]

    def launch(self):
        cmd = [a.replace("{connection_file}", self.path) for a in argv]
        self.shell = ctx.socket(zmq.DEALER)
        self.shell.linger = 0
        # Retry the connection every 1 ms (default 100 ms): the port opens when the kernel binds.
        self.shell.setsockopt(zmq.RECONNECT_IVL, 1)
        self.shell.connect(self.url("shell_port"))
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        msg_id, frames = message("kernel_info_request", {})
        self.shell.send_multipart(frames)   # queued by ZeroMQ until the kernel has bound
        if not self.shell.poll(60000):
            raise SystemExit("no kernel_info_reply from " + " ".join(cmd))
        parse(self.shell.recv_multipart())
        return (time.perf_counter() - t0) * 1e3

    def subscribe(self):
        self.iopub = ctx.socket(zmq.SUB)
        self.iopub.linger = 0
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.iopub.connect(self.url("iopub_port"))
        while True:   # the subscription is live once a kernel_info's status arrives
            msg_id, frames = message("kernel_info_request", {})
            self.shell.send_multipart(frames)
            self.shell.recv_multipart()
            if self.iopub.poll(200):
                break
        time.sleep(0.3)
        while self.iopub.poll(50):
            self.iopub.recv_multipart()

    def round_trip(self, code):
        msg_id, frames = message("execute_request", {"code": code, "silent": False,
            "store_history": True, "user_expressions": {}, "allow_stdin": False,
            "stop_on_error": True})
        t0 = time.perf_counter()
        self.shell.send_multipart(frames)
        got_reply = got_idle = False
        poller = zmq.Poller()
        poller.register(self.shell, zmq.POLLIN)
        poller.register(self.iopub, zmq.POLLIN)
        while not (got_reply and got_idle):
            for sock, _ in poller.poll(10000) or [(None, 0)]:
                if sock is None:
                    raise SystemExit("execute timed out")
                header, parent, content = parse(sock.recv_multipart())
                if parent.get("msg_id") != msg_id:
                    continue
                if sock is self.shell:
                    got_reply = True
                elif header["msg_type"] == "status" and content["execution_state"] == "idle":
                    got_idle = True
        return (time.perf_counter() - t0) * 1e3

    def rss_mb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        return float("nan")

    def stop(self):
        msg_id, frames = message("shutdown_request", {"restart": False})
        ctl = ctx.socket(zmq.DEALER)
        ctl.linger = 0
        ctl.connect(self.url("control_port"))
        ctl.send_multipart(frames)
        ctl.poll(3000)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for s in [ctl, self.shell] + ([self.iopub] if hasattr(self, "iopub") else []):
            s.close()

starts = []
for i in range(int(os.environ["START_RUNS"])):
    k = Kernel()
    starts.append(k.launch())
    k.stop()
k = Kernel()
k.launch()
k.subscribe()
for _ in range(20):
    k.round_trip("1+1")   # warm-up
rts = sorted(k.round_trip("1+1") for _ in range(int(os.environ["RT_RUNS"])))
time.sleep(0.5)
rss = k.rss_mb()
k.stop()
p99 = rts[min(len(rts) - 1, int(round(0.99 * len(rts))) - 1)]
print("%.2f %.3f %.3f %.1f" % (statistics.median(starts), statistics.median(rts), p99, rss))
PY
}

_kb_run() {
  local kernel ours theirs
  kernel=$(realpath "$_kb_kernel")
  ours=$(_kb_measure "$kernel" -f "{connection_file}") || return 1
  theirs=$(START_RUNS=${IPY_START_RUNS:-5} RT_RUNS=${IPY_RT_RUNS:-300} \
           _kb_measure "$_kb_py" -m ipykernel_launcher -f "{connection_file}") || return 1
  read -r s1 m1 p1 r1 <<<"$ours"
  read -r s2 m2 p2 r2 <<<"$theirs"
  _kb_row "kernel start to first kernel_info_reply" "$s1 ms" "$s2 ms" \
          "$(awk -v a="$s1" -v b="$s2" 'BEGIN{printf "%.3f", a/b}')" "under 30 ms" \
          "$(awk -v a="$s1" 'BEGIN{print (a < 30) ? "yes" : "**no**"}')"
  _kb_row "kernel round trip \`1+1\` (reply and idle), median / p99" "$m1 / $p1 ms" "$m2 / $p2 ms" \
          "$(awk -v a="$m1" -v b="$m2" 'BEGIN{printf "%.3f", a/b}')" "under 0.5 ms" \
          "$(awk -v a="$m1" 'BEGIN{print (a < 0.5) ? "yes" : "**no**"}')"
  _kb_row "kernel resident memory, idle" "$r1 MB" "$r2 MB" \
          "$(awk -v a="$r1" -v b="$r2" 'BEGIN{printf "%.3f", a/b}')" "under 15 MB" \
          "$(awk -v a="$r1" 'BEGIN{print (a < 15) ? "yes" : "**no**"}')"
}

_kb_row() {   # WHAT NABLA IPYKERNEL RATIO TARGET MET
  if declare -F bench_row >/dev/null; then
    bench_row "$1" "$2" "ipykernel $($_kb_py -c 'import ipykernel; print(ipykernel.__version__)')" "$3" "$4" "$5" "$6"
  else
    printf '| %s | %s | %s | %s | %s | %s |\n' "$@"
  fi
}

if ! declare -F bench_row >/dev/null; then
  echo "| benchmark | nabla | ipykernel | nabla / ipykernel | target | met |"
  echo "|---|---|---|---|---|---|"
fi
if [ ! -x "$_kb_kernel" ]; then
  echo "bench/kernel.sh: $_kb_kernel is not built" >&2
elif ! "$_kb_py" -c 'import zmq, ipykernel' 2>/dev/null; then
  echo "bench/kernel.sh: needs python3-zmq and python3-ipykernel" >&2
else
  _kb_run || echo "bench/kernel.sh: measurement failed" >&2
fi
