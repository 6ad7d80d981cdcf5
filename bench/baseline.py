"""gpusim's Python baseline: the course's weather simulation in Python, and the tools a user picks instead.

Run by `gpusim bench` (bench/python.go) with the workload on the command line.
It prints JSON lines on stdout, each as soon as it is known, so that a
death (the OOM killer, a signal) loses only the version running: first
{"python", "numpy", "cores", and the limits a failure names: "nproc",
"address_space"}, then for each version as it ends {"result":
its timing and sample mean and std, which bench checks against the exact
law, "modules": the tools' versions so far, "setup": their set-up so far}.
On stderr it writes a line as each version starts and ends ("gpusim-baseline:
start VERSION LANESxSTEPS on N lanes", "gpusim-baseline: end VERSION
LANESxSTEPS RESULT", RESULT the JSON of its result, run or skipped), which
bench says in its progress, the end with all the result's progress says. Versions of the recurrence
t' = Normal(anchor + p (t - anchor), sigma):

  loop          the course's pure Python loop, one npr.normal call per
                lane-step, on a sample of lanes (--loop-budget lane-steps;
                one lane of that many steps where a lane has more) scaled up
  joblib-lane   the course's joblib version: the pure Python loop as one
                task per lane, Parallel(n_jobs=cores), on a sample of lanes
                (--joblib-budget lane-steps, as the loop's) scaled up; each
                worker's global numpy state seeded at its first task of a
                call from --seed and its index k in the call ([seed, k],
                worker_lane), so its lanes are a prefix of its stream
                whatever the scheduling and the law check a fixed result
                per split of the lanes (the course's were unseeded)
  joblib-chunk  joblib as it pays: one task per core, each running the
                vector version on its share of the lanes
  matrix        the course's NumPy version, sims[:, i] = npr.normal(...) over a
                (lanes, steps) float64 matrix, on as many lanes as
                --matrix-bytes holds
  vector        the best plain NumPy loop: one float32 state vector updated in
                place per step with np.random.default_rng's float32 normals
  numba         Numba @njit(parallel=True), prange over lanes
  pyopencl      pyopencl.clrandom's Philox generator filling a float32 normal
                vector per step and an ElementwiseKernel update, on the OpenCL
                device named by --cl-device

The versions that run on every lane (vector, joblib-chunk, numba, pyopencl)
and the matrix (a Python step per column: 2^26 steps of one lane fit its
cap) have a time budget (--budget seconds a version, all its repetitions
together), as the loops have budgets of lane-steps: untimed pilot runs of
1, 2, 4, ... steps on the version's lanes (see plan) estimate its time, and
one over its repetition's share of the budget is timed on the steps that
fit, its result marked scaled with sample_steps the steps run, scaled up
to the workload as the loop's sample of lanes is; its mean and std are
those of the law at sample_steps. 2^22 steps of PyOpenCL took minutes.

A tool's one-off set-up (joblib's worker start, Numba's compile, the OpenCL
builds) runs once, before its first version, and is timed apart: "setup"
gives it by module, in no version's time (joblib reuses its workers, and
they are started again, untimed, before each joblib version should loky
have let them go). A
version whose module is not installed is reported as skipped, with the
Debian package that provides it; one whose module is installed but does not
import (a dependency missing) or set up (pyopencl without an OpenCL
platform) is skipped saying what failed, with no package, unless a limit
stopped it (below); so is one that cannot run the workload (the
matrix when one lane's row is over --matrix-bytes, one whose arrays take more
than --memory-bytes, any version that runs out of memory, "limit": "memory"),
saying why, with no package: the other versions still run. A version whose
module is installed but fails to import, set up or run of a limit (a thread
or worker that cannot start under ulimit -u, a mapping refused under
ulimit -v) is reported as failed ("failed": true), with the limit ("limit":
"threads" or "memory", which bench names with its value) and no package.
"""

import argparse
import errno
import importlib
import json
import os
import platform
import resource
import statistics
import sys
import time

import numpy as np
import numpy.random as npr


def moments(xs):
    xs = np.asarray(xs, dtype=np.float64)
    return float(xs.mean()), float(xs.std())


def one_lane(start, anchor, p, sigma, steps):
    t = start
    for _ in range(steps):
        t = npr.normal(anchor + p * (t - anchor), sigma)
    return t


def loop(lanes, steps, a):
    npr.seed(a.seed)
    return moments([one_lane(a.start, a.anchor, a.persistence, a.sigma, steps) for _ in range(lanes)])


def joblib_lane(lanes, steps, a):
    # As the course wrote it: one delayed call per lane, each worker process
    # drawing from its own global numpy state; that state seeded here, once
    # a call in each worker (worker_lane), where the course left it to the
    # entropy each worker process drew at its start.
    Parallel, delayed = MODULES["joblib"].Parallel, MODULES["joblib"].delayed
    import tempfile
    with tempfile.TemporaryDirectory(prefix="gpusim-joblib-") as claims:
        finals = Parallel(n_jobs=CORES)(delayed(worker_lane)(a.seed, claims, a.start, a.anchor, a.persistence, a.sigma, steps) for _ in range(lanes))
    return moments(finals)


# WORKER_SEEDED is the environment variable in which a joblib worker notes
# the call (its claims folder) it has seeded its numpy state for: it lives
# on in the worker process between tasks, where the task's own globals,
# pickled with it, do not.
WORKER_SEEDED = "GPUSIM_BASELINE_SEEDED"


def worker_lane(seed, claims, start, anchor, p, sigma, steps):
    """The course's one_lane in a joblib worker whose global numpy state is
    seeded, at its first task of a call, from the run's seed and the worker's
    index k in the call: the first k for which it creates claims/k. The
    lanes a worker runs are a prefix of its stream, [seed, k], whatever the
    scheduling: a sample's law check (bench.CheckLaw) then has a fixed
    result for each split of the lanes among the streams, and bench's
    bench_python test checks all of them at its seed. Unseeded, each
    worker drew from the entropy of its start, and the check, at 4 standard
    deviations, failed at random (z -4.91 once in CI). The guard costs a
    lookup a lane beside its steps' npr.normal calls."""
    if os.environ.get(WORKER_SEEDED) != claims:
        k = 0
        while True:
            try:
                os.close(os.open(os.path.join(claims, str(k)), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                break
            except FileExistsError:
                k += 1
        npr.seed([seed, k])
        os.environ[WORKER_SEEDED] = claims
    return one_lane(start, anchor, p, sigma, steps)


def joblib_chunk(lanes, steps, a):
    Parallel, delayed = MODULES["joblib"].Parallel, MODULES["joblib"].delayed
    shares = [lanes // CORES + (k < lanes % CORES) for k in range(CORES)]
    parts = Parallel(n_jobs=CORES)(delayed(vector_finals)(n, steps, a, [a.seed, k]) for k, n in enumerate(shares) if n > 0)
    return moments(np.concatenate(parts))


def matrix(lanes, steps, a):
    npr.seed(a.seed)
    sims = np.zeros((lanes, steps))
    sims[:, 0] = npr.normal(a.anchor + a.persistence * (a.start - a.anchor), a.sigma, size=lanes)
    for i in range(1, steps):
        sims[:, i] = npr.normal(a.anchor + a.persistence * (sims[:, i - 1] - a.anchor), a.sigma)
    return moments(sims[:, -1])


def vector(lanes, steps, a):
    return moments(vector_finals(lanes, steps, a, a.seed))


def vector_finals(lanes, steps, a, seed):
    # t = p*t + c + sigma*z, done in place so no step allocates.
    rng = np.random.default_rng(seed)
    p = np.float32(a.persistence)
    c = np.float32((1 - p) * np.float32(a.anchor))
    sigma = np.float32(a.sigma)
    t = np.full(lanes, a.start, dtype=np.float32)
    z = np.empty(lanes, dtype=np.float32)
    for _ in range(steps):
        rng.standard_normal(dtype=np.float32, out=z)
        z *= sigma
        t *= p
        t += c
        t += z
    return t


def joblib_start(a):
    # Start the worker processes, as the first Parallel call of a session
    # does, so the timing is of the work; the start-up is reported apart.
    Parallel, delayed = MODULES["joblib"].Parallel, MODULES["joblib"].delayed
    Parallel(n_jobs=CORES)(delayed(abs)(-i) for i in range(CORES))


def numba_kernel():
    nb = MODULES["numba"]

    @nb.njit(parallel=True)
    def run(lanes, steps, start, anchor, p, sigma, out):
        for i in nb.prange(lanes):
            t = start
            for _ in range(steps):
                t = anchor + p * (t - anchor) + sigma * np.random.standard_normal()
            out[i] = t

    return run


def numba_run(lanes, steps, a):
    out = np.empty(lanes)
    KERNELS["numba"](lanes, steps, a.start, a.anchor, a.persistence, a.sigma, out)
    return moments(out)


def numba_compile(a):
    KERNELS["numba"] = numba_kernel()
    KERNELS["numba"](1, 1, a.start, a.anchor, a.persistence, a.sigma, np.empty(1))


def cl_device(name):
    cl = MODULES["pyopencl"]
    devices = [d for p in cl.get_platforms() for d in p.get_devices()]
    if not devices:
        raise RuntimeError("no OpenCL device")
    for d in devices:
        if name and name in d.name:
            return d
    return devices[0]


def pyopencl_compile(a):
    cl = MODULES["pyopencl"]
    import pyopencl.array as cla
    import pyopencl.clrandom as clr
    from pyopencl.elementwise import ElementwiseKernel

    dev = cl_device(a.cl_device)
    ctx = cl.Context([dev])
    queue = cl.CommandQueue(ctx)
    update = ElementwiseKernel(ctx, "float *t, const float *z, float p, float c", "t[i] = p * t[i] + c + z[i]", "gpusim_update")
    gen = clr.PhiloxGenerator(ctx, seed=a.seed)
    KERNELS["pyopencl"] = (dev, queue, cla, gen, update)
    pyopencl_run(1, 1, a)  # builds the generator's and the update's kernels


def pyopencl_run(lanes, steps, a):
    dev, queue, cla, gen, update = KERNELS["pyopencl"]
    p = np.float32(a.persistence)
    c = np.float32((1 - p) * np.float32(a.anchor))
    t = cla.empty(queue, lanes, np.float32)
    t.fill(np.float32(a.start))
    z = cla.empty(queue, lanes, np.float32)
    for _ in range(steps):
        gen.fill_normal(z, sigma=a.sigma)
        update(t, z, p, c)
    return moments(t.get())


def plan(fn, lanes, steps, a, share):
    """The steps of the workload to time fn on so that a run takes at most
    share seconds (0: no bound): all of them where untimed pilot runs on 1,
    2, 4, ... steps say so, else as many as fit at the rate of the first
    pilot to take a twentieth of share. A pilot's time includes the run's
    fixed costs (its arrays, a dispatch), so the rate it gives is a
    pessimistic one, and the steps it plans end under share."""
    if not share:
        return steps
    k = 1
    while True:
        t0 = time.perf_counter()
        fn(lanes, k, a)
        spent = time.perf_counter() - t0
        if spent * steps / k <= share:
            return steps
        if spent >= share / 20 or k == steps:
            return max(1, min(steps, int(k * share / spent)))
        k = min(steps, 2 * k)


def timed(fn, lanes, steps, a):
    times, m = [], (0.0, 0.0)
    for _ in range(a.reps):
        t0 = time.perf_counter()
        m = fn(lanes, steps, a)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), m


# The versions: what runs each, the module it needs (the Debian package with
# it is in PACKAGES), and its one-off set-up, timed apart: Numba's compile,
# the OpenCL builds, joblib's worker start.
VERSIONS = {
    "loop": (loop, None, "pure Python loop, npr.normal per lane-step", None),
    "joblib-lane": (joblib_lane, "joblib", "joblib, one task per lane (the course), n_jobs = cores", joblib_start),
    "joblib-chunk": (joblib_chunk, "joblib", "joblib, one task per core running the NumPy vector version", joblib_start),
    "matrix": (matrix, None, "NumPy (lanes, steps) float64 matrix, npr.normal per column", None),
    "vector": (vector, None, "NumPy float32 vector, default_rng standard_normal per step, in place", None),
    "numba": (numba_run, "numba", "Numba @njit(parallel=True), prange over lanes, float64", numba_compile),
    "pyopencl": (pyopencl_run, "pyopencl", "PyOpenCL clrandom Philox normals + ElementwiseKernel update, float32", pyopencl_compile),
}
# The bytes each version's arrays take on n lanes of steps steps: the
# float64 matrix; the float32 state and normals (8 bytes a lane), and
# joblib-chunk's parts and their concatenation besides; Numba's float64
# finals; PyOpenCL's state and normals on the device and the finals read
# back. The loops hold a lane at a time.
NEEDS = {
    "loop": lambda n, steps: 0,
    "joblib-lane": lambda n, steps: 0,
    "joblib-chunk": lambda n, steps: 16 * n,
    "matrix": lambda n, steps: 8 * n * steps,
    "vector": lambda n, steps: 8 * n,
    "numba": lambda n, steps: 8 * n,
    "pyopencl": lambda n, steps: 12 * n,
}
# The versions on every lane and the matrix, whose time --budget bounds
# (see plan).
BOUNDED = ("joblib-chunk", "matrix", "vector", "numba", "pyopencl")
PACKAGES = {"joblib": "python3-joblib", "numba": "python3-numba", "pyopencl": "python3-pyopencl"}
MODULES = {}
KERNELS = {}
# The CPUs this process may run on (its affinity: taskset, a Slurm or
# container cpuset), as Go's runtime.NumCPU and Numba's thread pool count
# them: os.cpu_count() counts the machine's, so under taskset -c 0 on 2
# CPUs joblib started 2 workers on 1 CPU and the report said Numba used 2
# threads where it ran 1.
try:
    CORES = len(os.sched_getaffinity(0)) or 1
except (AttributeError, OSError):
    CORES = os.cpu_count() or 1


def load(module):
    """Imports module into MODULES; returns None, or a result's fields
    saying why it cannot: a failure where a limit stopped the import
    (classify: a library that could not be mapped under ulimit -v, a
    thread that could not start), else a skip naming the package that
    provides the module."""
    if module is None or module in MODULES:
        return None
    try:
        MODULES[module] = importlib.import_module(module)
    except Exception as e:  # an import can fail in many ways
        if classify(e):
            return failure(f"{module} does not import", e)
        if missing(module, e):
            return {"skipped": f"{module} is not installed ({type(e).__name__}: {e})", "package": PACKAGES[module]}
        # Installed but broken (a dependency missing or of the wrong
        # version): what failed, not a package that is there already.
        return {"skipped": f"{module} is installed but does not import ({type(e).__name__}: {e})", "package": ""}
    return None


def missing(module, e):
    """Whether exception e, of an import of module, says the module itself
    is not there (ModuleNotFoundError naming it), rather than that it is
    installed and failed as it imported (a dependency it could not import,
    an error in its own code)."""
    return isinstance(e, ModuleNotFoundError) and e.name is not None and (module == e.name or module.startswith(e.name + "."))


def classify(e):
    """The limit an exception is a symptom of: "threads" for a thread or
    process that could not start (threading's RuntimeError "can't start
    new thread", fork's or clone's EAGAIN: ulimit -u), "memory" for an
    allocation or mapping refused (MemoryError, ENOMEM, a shared object
    that cannot be mapped: ulimit -v), else ""."""
    text = str(e)
    if isinstance(e, RuntimeError) and "can't start new thread" in text:
        return "threads"
    if isinstance(e, OSError) and e.errno == errno.EAGAIN:
        return "threads"
    if isinstance(e, MemoryError) or (isinstance(e, OSError) and e.errno == errno.ENOMEM):
        return "memory"
    if "failed to map segment" in text or "Cannot allocate memory" in text:
        return "memory"
    return ""


def limits():
    """The soft limits bench names in a failure: the process limit (ulimit
    -u, RLIMIT_NPROC; 0 where there is none or it does not bind, as for
    root) and the address-space limit in bytes (ulimit -v, RLIMIT_AS; 0
    for none)."""
    def soft(which):
        try:
            v = resource.getrlimit(which)[0]
        except (OSError, ValueError):
            return 0
        return 0 if v == resource.RLIM_INFINITY else v
    nproc = 0 if os.getuid() == 0 else soft(resource.RLIMIT_NPROC)
    return {"nproc": nproc, "address_space": soft(resource.RLIMIT_AS)}


def failure(what, e):
    """A result's fields for a version that failed of exception e: failed,
    what happened and the limit it is a symptom of (classify), which bench
    names with its value and the fix; never a package to install."""
    r = {"skipped": f"{what} ({type(e).__name__}: {e})", "package": "", "failed": True}
    limit = classify(e)
    if limit:
        key = {"threads": "nproc", "memory": "address_space"}[limit]
        r.update(limit=limit, limit_value=limits()[key], workers=CORES)
    return r


SETUP = {}  # module: its set-up's seconds, or the exception it failed with


def size(n):
    """n bytes for people: 34.4 GB, 537 MB, 64 B."""
    for unit, div in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= div:
            return f"{n / div:.3g} {unit}"
    return f"{n} B"


def say(*words):
    """Writes a progress line on stderr, which bench forwards."""
    print("gpusim-baseline:", *words, file=sys.stderr, flush=True)


def emit(obj):
    """Writes obj as one JSON line on stdout, at once."""
    json.dump(obj, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()


def modules():
    """The tools' versions that imported, by Debian package."""
    versions = {m: getattr(MODULES[m], "__version__", "") for m in MODULES}
    if "pyopencl" in MODULES:
        versions["pyopencl"] = MODULES["pyopencl"].VERSION_TEXT
    return {PACKAGES[m]: v for m, v in versions.items()}


def version(name, sizes, a):
    fn, module, what, compile_fn = VERSIONS[name]
    r = {"method": name, "description": what, "lanes": a.lanes, "steps": a.steps}
    why = load(module)
    if why:
        r.update(why)
        return r
    n = min(a.lanes, sizes[name])
    if n == 0:
        # Not even one lane fits the cap: the version is not run rather
        # than run over it (a float64 matrix of one lane of 2^32 steps is
        # 34 GB, and its MemoryError ended every version after it).
        r.update(skipped=f"one lane of {a.steps} steps takes {size(8 * a.steps)}, over its cap of {size(a.matrix_bytes)}", package="")
        return r
    # Before the tool's set-up: a death in Numba's compile is numba's.
    say("start", name, f"{a.lanes}x{a.steps}", "on", n, "lanes")
    if compile_fn and module not in SETUP:
        t0 = time.perf_counter()
        try:
            compile_fn(a)
            SETUP[module] = time.perf_counter() - t0
        except Exception as e:  # pyopencl without an OpenCL device, a limit
            SETUP[module] = e
    if isinstance(SETUP.get(module), Exception):
        e = SETUP[module]
        if classify(e):
            r.update(failure(f"{module} could not set up", e))
        else:
            # Installed: what failed (pyopencl without an OpenCL
            # platform), not its package.
            r.update(skipped=f"{module} imports but cannot set up ({type(e).__name__}: {e})", package="")
        return r
    try:
        if module == "joblib":
            # Untimed: restarts the workers if loky let them go after
            # idling (300 s), so that no row's time pays a start; a few
            # ms otherwise.
            joblib_start(a)
    except Exception as e:
        r.update(failure("joblib could not start its workers", e))
        return r
    need = NEEDS[name](n, a.steps)
    if a.memory_bytes and need > a.memory_bytes:
        # Refused rather than allocated: an allocation the system grants
        # and cannot back has the script killed, every version with it.
        r.update(skipped=f"its arrays of {n} lanes take {size(need)}, more than the {size(a.memory_bytes)} of memory available", package="")
        return r
    # The loops' budgets of lane-steps bound their steps too: one lane of
    # 2^32 steps would take hours.
    steps = min(a.steps, {"loop": a.loop_budget, "joblib-lane": a.joblib_budget}.get(name, a.steps))
    try:
        if name in BOUNDED:
            steps = plan(fn, n, steps, a, a.budget / a.reps)
        secs, (mean, std) = timed(fn, n, steps, a)
    except MemoryError as e:
        # This version alone: the others, run or to run, stand.
        r.update(skipped=f"out of memory on {n} lanes of {a.steps} steps ({type(e).__name__}: {e})", package="",
                 limit="memory", limit_value=limits()["address_space"])
        return r
    except Exception as e:  # a thread or worker that could not start
        r.update(failure(f"{name} failed on {n} lanes", e))
        return r
    ns = secs * 1e9 / (n * steps)
    r.update(sample_lanes=n, sample_steps=steps, seconds=secs, ns_per_lane_step=ns, workload_seconds=ns * a.lanes * a.steps / 1e9,
             scaled=n < a.lanes or steps < a.steps, mean=mean, std=std)
    if module in ("joblib", "numba"):
        r["workers"] = CORES
    if module == "numba":
        # Numba's own pool, which NUMBA_NUM_THREADS sets: the report said
        # the cores under NUMBA_NUM_THREADS=1.
        try:
            r["workers"] = MODULES["numba"].get_num_threads()
        except Exception:
            pass
    if name == "pyopencl":
        r["device"] = KERNELS["pyopencl"][0].name.strip()
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", action="append", required=True, help="LANESxSTEPS, repeated for each workload")
    ap.add_argument("--start", type=float, default=75)
    ap.add_argument("--anchor", type=float, default=72)
    ap.add_argument("--persistence", type=float, default=0.5)
    ap.add_argument("--sigma", type=float, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--loop-budget", type=int, default=1_000_000, help="lane-steps of the pure Python loop")
    ap.add_argument("--matrix-bytes", type=int, default=512 << 20, help="size cap of the float64 matrix")
    ap.add_argument("--vector-lanes", type=int, default=0, help="lane cap of the vector version (0: none)")
    ap.add_argument("--tool-lanes", type=int, default=0, help="lane cap of joblib-chunk, numba and pyopencl (0: none)")
    ap.add_argument("--joblib-budget", type=int, default=200_000, help="lane-steps of joblib one task per lane")
    ap.add_argument("--memory-bytes", type=int, default=0, help="memory the arrays may take (0: not known)")
    ap.add_argument("--cl-device", default="", help="the OpenCL device whose name contains this (default: the first)")
    ap.add_argument("--only", default=",".join(VERSIONS))
    ap.add_argument("--budget", type=float, default=0, help="seconds of each of joblib-chunk, matrix, vector, numba and pyopencl, its repetitions together (0: none)")
    a = ap.parse_args()
    a.seed %= 2**32  # npr.seed takes 32 bits

    emit({"python": platform.python_version(), "numpy": np.__version__, "cores": CORES, **limits()})
    for w in a.workload:
        lanes, steps = w.split("x")
        a.lanes, a.steps = int(lanes), int(steps)
        cap = a.tool_lanes or a.lanes
        sizes = {
            "loop": max(1, a.loop_budget // a.steps),
            "joblib-lane": max(1, a.joblib_budget // a.steps),
            "joblib-chunk": cap,
            "matrix": a.matrix_bytes // (8 * a.steps),  # 0: not one lane fits
            "vector": a.vector_lanes or a.lanes,
            "numba": cap,
            "pyopencl": cap,
        }
        for name in a.only.split(","):
            r = version(name, sizes, a)
            say("end", name, w, json.dumps(r))
            setup = {m: s for m, s in SETUP.items() if not isinstance(s, Exception)}
            emit({"result": r, "modules": modules(), "setup": setup})


if __name__ == "__main__":
    main()
