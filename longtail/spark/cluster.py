"""A standalone Spark cluster on this machine: one master and its workers, each a JVM started with pyspark's
``bin/spark-class`` (pip's pyspark ships no ``sbin/start-*.sh``). For the tests, the scale bench and trying the
Spark engine without a real cluster; a production cluster is started by its own tooling and reached by its URL."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from longtail.spark.session import require_pyspark

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"


@dataclass
class StandaloneCluster:
    """``workers`` workers of ``cores`` cores and ``memory`` ("1g") each on 127.0.0.1; logs and the workers'
    scratch space under ``work_dir``. Use as a context manager, or ``start()`` and ``stop()``.

    ``master_url`` ("spark://127.0.0.1:<port>") is known once started; ``executor_memory`` is what an
    application may ask of each worker (the worker's memory less a margin for its own JVM).
    """

    work_dir: Path
    workers: int = 2
    cores: int = 1
    memory: str = "1g"
    host: str = "127.0.0.1"
    master_url: str = ""
    _processes: list[subprocess.Popen] = field(default_factory=list, repr=False)

    def start(self, timeout: float = 120.0) -> StandaloneCluster:
        """Start the master, then the workers; return once every worker has registered with the master.
        Raises ``RuntimeError`` naming the log to read when a process exits or the cluster is not up in
        ``timeout`` seconds."""
        require_pyspark()
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise RuntimeError("Spark needs Java 17: install it (apt-get install openjdk-17-jre-headless)")
        self.work_dir = Path(self.work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        port, web_port = _free_port(), _free_port()
        self.master_url = f"spark://{self.host}:{port}"
        master_log = self._launch(
            "master", MASTER_CLASS, "--host", self.host, "--port", str(port), "--webui-port", str(web_port)
        )
        _wait_for(lambda: _listening(self.host, port), timeout, self._processes, master_log)
        logs = []
        for index in range(self.workers):
            worker_dir = self.work_dir / f"worker-{index}"
            worker_dir.mkdir(exist_ok=True)
            logs.append(
                self._launch(
                    f"worker-{index}",
                    WORKER_CLASS,
                    self.master_url,
                    "--host",
                    self.host,
                    "--cores",
                    str(self.cores),
                    "--memory",
                    self.memory,
                    "--work-dir",
                    str(worker_dir),
                    "--webui-port",
                    str(_free_port()),
                )  # fmt: skip
            )
        for log in logs:
            _wait_for(lambda log=log: "Successfully registered with master" in log.read_text(), timeout,
                      self._processes, log)  # fmt: skip
        return self

    @property
    def executor_memory(self) -> str:
        """The executor heap that fits a worker of ``memory``: three quarters of it."""
        megabytes = _megabytes(self.memory)
        return f"{max(megabytes * 3 // 4, 450)}m"

    def spark_config(self) -> dict[str, str]:
        """The application settings that give each worker one executor using all its cores and memory."""
        return {"spark.executor.memory": self.executor_memory, "spark.executor.cores": str(self.cores),
                "spark.cores.max": str(self.cores * self.workers), "spark.driver.host": self.host,
                "spark.driver.bindAddress": self.host}  # fmt: skip

    def stop(self) -> None:
        """Stop the workers, then the master (SIGTERM, then SIGKILL after 10 s)."""
        for process in reversed(self._processes):
            process.terminate()
        for process in reversed(self._processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()

    def __enter__(self) -> StandaloneCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _launch(self, name: str, main_class: str, *args: str) -> Path:
        log = self.work_dir / f"{name}.log"
        environment = {**os.environ, "SPARK_HOME": spark_home(), "SPARK_LOG_DIR": str(self.work_dir),
                       "SPARK_WORKER_DIR": str(self.work_dir)}  # fmt: skip
        with log.open("w") as out:
            self._processes.append(
                subprocess.Popen(
                    [str(Path(spark_home()) / "bin" / "spark-class"), main_class, *args],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=environment,
                    start_new_session=True,
                )  # fmt: skip
            )
        return log


def spark_home() -> str:
    """The Spark distribution inside the installed pyspark package."""
    import pyspark

    return str(Path(pyspark.__file__).parent)


def _megabytes(memory: str) -> int:
    units = {"m": 1, "g": 1024}
    return int(float(memory[:-1]) * units[memory[-1].lower()])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def _wait_for(condition, timeout: float, processes: list[subprocess.Popen], log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if any(process.poll() is not None for process in processes):
            raise RuntimeError(f"a Spark process exited while the cluster started: see {log}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Spark cluster was not up after {timeout:.0f} s: see {log}")
        time.sleep(0.5)
