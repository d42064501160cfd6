"""Same query, same loopback cluster shape, Ballista 55 vs datafusion-distributed 4.
Records wall time, and the files under each executor's work_dir during and after."""
import json, os, shutil, signal, subprocess, sys, threading, time

BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", "/tmp/engines"), "debug", "engine-probe")
BASE = "/tmp/bp"
TABLES = sys.argv[1]  # name=dir,...
SQL = sys.argv[2]
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
WAIT_CLEANUP = int(sys.argv[4]) if len(sys.argv) > 4 else 330
N = 3

def tree(d):
    n = b = 0
    for root, _, files in os.walk(d):
        for f in files:
            try:
                b += os.path.getsize(os.path.join(root, f)); n += 1
            except OSError:
                pass
    return n, b

class Poll(threading.Thread):
    def __init__(self, dirs):
        super().__init__(daemon=True); self.dirs = dirs; self.max_n = 0; self.max_b = 0; self.stop = False
    def run(self):
        while not self.stop:
            n = b = 0
            for d in self.dirs:
                x, y = tree(d); n += x; b += y
            self.max_n = max(self.max_n, n); self.max_b = max(self.max_b, b)
            time.sleep(0.05)

def client(args):
    t = time.time()
    p = subprocess.run([BIN] + args, capture_output=True, text=True)
    wall = time.time() - t
    if p.returncode != 0:
        return {"error": p.stderr[-600:], "wall": wall}
    out = json.loads(p.stdout.strip().splitlines()[-1]); out["wall"] = round(wall, 3)
    return out

def totals(dirs):
    n = b = 0
    for d in dirs:
        x, y = tree(d); n += x; b += y
    return {"files": n, "bytes": b}

def ballista():
    shutil.rmtree(BASE, ignore_errors=True); os.makedirs(BASE)
    logs = open(f"{BASE}/ballista.log", "w")
    sched = subprocess.Popen([BIN, "ballista-scheduler", "--bind-host", "127.0.0.1", "--bind-port", "50050"], stdout=logs, stderr=logs)
    time.sleep(3)
    dirs, execs = [], []
    for i in range(N):
        d = f"{BASE}/exec{i}"; os.makedirs(d); dirs.append(d)
        execs.append(subprocess.Popen([BIN, "ballista-executor", "--scheduler-host", "127.0.0.1", "--scheduler-port", "50050",
            "--bind-host", "127.0.0.1", "--external-host", "127.0.0.1", "--bind-port", str(50051 + 10 * i), "--bind-grpc-port", str(50052 + 10 * i),
            "--bind-health-port", str(50053 + 10 * i), "--work-dir", d], stdout=logs, stderr=logs))
    time.sleep(6)
    res = {"runs": []}
    for r in range(RUNS):
        poll = Poll(dirs); poll.start()
        out = client(["ballista-client", "df://127.0.0.1:50050", TABLES, SQL])
        poll.stop = True; poll.join()
        out["during_max_files"] = poll.max_n; out["during_max_bytes"] = poll.max_b
        out["after_0s"] = totals(dirs)
        time.sleep(1); out["after_1s"] = totals(dirs)
        res["runs"].append(out); print("ballista", out, flush=True)
    t = time.time()
    marks = {}
    while time.time() - t < WAIT_CLEANUP:
        time.sleep(10)
        marks[int(time.time() - t)] = totals(dirs)["files"]
    res["cleanup_timeline_files"] = marks
    # An executor killed mid-query: what stays on its disk.
    poll = Poll(dirs); poll.start()
    c = subprocess.Popen([BIN, "ballista-client", "df://127.0.0.1:50050", TABLES, SQL], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t = time.time()
    while tree(dirs[0])[0] == 0 and time.time() - t < 120:
        time.sleep(0.02)
    execs[0].send_signal(signal.SIGKILL); execs[0].wait()
    so, se = c.communicate(timeout=900)
    poll.stop = True; poll.join()
    res["killed"] = {"client_rc": c.returncode, "client_err": se[-300:] if c.returncode else "", "result": so.strip()[-200:],
                     "killed_dir_files_after": tree(dirs[0]), "others_after": totals(dirs[1:])}
    time.sleep(WAIT_CLEANUP)
    res["killed"]["killed_dir_files_after_wait"] = tree(dirs[0])
    res["killed"]["others_after_wait"] = totals(dirs[1:])
    for p in execs[1:] + [sched]:
        p.send_signal(signal.SIGTERM)
    for p in execs[1:] + [sched]:
        try: p.wait(timeout=30)
        except subprocess.TimeoutExpired: p.kill()
    res["after_graceful_shutdown"] = totals(dirs)
    return res

def distributed():
    shutil.rmtree(BASE, ignore_errors=True); os.makedirs(BASE)
    logs = open(f"{BASE}/dd.log", "w")
    dirs, ws = [], []
    for i in range(N):
        d = f"{BASE}/tmp{i}"; os.makedirs(d); dirs.append(d)
        env = dict(os.environ, TMPDIR=d)
        ws.append(subprocess.Popen([BIN, "dd-worker", str(51000 + i)], stdout=logs, stderr=logs, cwd=d, env=env))
    time.sleep(2)
    res = {"runs": []}
    for r in range(RUNS):
        poll = Poll(dirs); poll.start()
        out = client(["dd-client", ",".join(str(51000 + i) for i in range(N)), TABLES, SQL])
        poll.stop = True; poll.join()
        out["during_max_files"] = poll.max_n; out["during_max_bytes"] = poll.max_b
        out["after_0s"] = totals(dirs)
        res["runs"].append(out); print("distributed", out, flush=True)
    for p in ws: p.kill(); p.wait()
    return res

def local():
    res = {"runs": []}
    for r in range(RUNS):
        out = client(["local", TABLES, SQL]); res["runs"].append(out); print("local", out, flush=True)
    return res

which = os.environ.get("ENGINES", "local,distributed,ballista").split(",")
result = {}
for w in which:
    result[w] = {"local": local, "distributed": distributed, "ballista": ballista}[w]()
print(json.dumps(result))
