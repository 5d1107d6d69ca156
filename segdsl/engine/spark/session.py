"""The process's one SparkSession, and Spark's errors as one-line messages.

Input: a master URL (`local[*]`, `spark://host:7077`, `yarn`, ...) and optional settings.
Output: a running `SparkSession` (started once per process and master: a JVM takes seconds to
start), or a `DataError` saying why Spark cannot start; `message(exc)` turns any error Spark
raises into one line without the JVM's stack trace.

Settings every session gets, so that Spark computes what DuckDB computes:
- `spark.sql.session.timeZone=UTC`: rules' times are naive; a session zone other than UTC
  would shift `TIMESTAMP` (with local time zone) values read from Parquet.
- `spark.sql.timestampType=TIMESTAMP_NTZ`: timestamp literals and inferred columns are naive
  (`TIMESTAMP_NTZ`), like DuckDB's `TIMESTAMP`; Parquet timestamps written without a zone are
  read as `TIMESTAMP_NTZ` anyway.
- the UI is off and nothing is logged (neither by the JVM nor by PySpark): the CLI prints its
  own progress, and an error reaches the user as one line.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading

from segdsl.engine.local import DataError

DEFAULT_MASTER = "local[*]"

_LOG4J = """\
rootLogger.level = off
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = off
"""

_lock = threading.Lock()
_session = None
_master: str | None = None


def session(master: str = DEFAULT_MASTER, shuffle_partitions: int | None = None):
    """The SparkSession for `master`, started on first use and reused afterwards.

    A different master stops the running session first: one JVM holds one SparkContext.
    """
    global _session, _master
    with _lock:
        if _session is not None and _master == master and _alive(_session):
            return _session
        if _session is not None:
            _session.stop()
            _session = None
        _session, _master = _start(master, shuffle_partitions), master
        return _session


def _alive(spark) -> bool:
    try:
        return not spark.sparkContext._jsc.sc().isStopped()
    except Exception:  # noqa: BLE001 - a dead gateway raises anything
        return False


def _start(master: str, shuffle_partitions: int | None):
    try:
        from pyspark import SparkConf, SparkContext
        from pyspark.java_gateway import launch_gateway
        from pyspark.sql import SparkSession
    except ImportError:
        raise DataError("the Spark engine needs PySpark, which is not installed",
                        "install it with: pip install 'segdsl[spark]' (and Java 17 or later)") from None
    java_home = os.environ.get("JAVA_HOME")
    if java_home and not os.access(os.path.join(java_home, "bin", "java"), os.X_OK):
        raise DataError(f"Spark cannot start: JAVA_HOME is {java_home}, which has no bin/java",
                        "point JAVA_HOME at a Java 17 (or later) installation, or unset it")
    if not java_home and shutil.which("java") is None:
        raise DataError("Spark cannot start: no java on the PATH",
                        "install Java 17 or later (Debian: apt-get install openjdk-17-jre-headless)")
    if shuffle_partitions is None:
        # Spark's default of 200 partitions is for clusters; a local run with a few cores
        # spends most of its time on empty tasks (adaptive execution merges them only later).
        shuffle_partitions = 2 * (os.cpu_count() or 1) if master.startswith("local") else 200
    conf = SparkConf().setMaster(master).setAppName("segdsl").setAll([
        ("spark.ui.enabled", "false"),
        ("spark.ui.showConsoleProgress", "false"),
        ("spark.sql.shuffle.partitions", str(shuffle_partitions)),
        ("spark.sql.session.timeZone", "UTC"),
        ("spark.sql.timestampType", "TIMESTAMP_NTZ"),
        # Spark 4's defaults, set because a cluster's configuration may change them: `SIZE(NULL)`
        # is NULL (not -1), and arithmetic raises instead of wrapping around.
        ("spark.sql.ansi.enabled", "true"),
        ("spark.sql.legacy.sizeOfNull", "false"),
        ("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{_log_config()}"),
    ])
    # The JVM's own messages (a warning about incubator modules on every start) go to a file,
    # whose last line explains a JVM that does not start.
    jvm_log = tempfile.NamedTemporaryFile("w+", prefix="segdsl-spark-jvm-", suffix=".log", delete=False)
    try:
        context = SparkContext(conf=conf, gateway=launch_gateway(conf, popen_kwargs={"stderr": jvm_log}))
        spark = SparkSession(context)
    except Exception as exc:  # noqa: BLE001 - PySpark raises plain RuntimeErrors when Java is missing
        jvm_log.seek(0)
        said = [line.strip() for line in jvm_log.read().splitlines() if line.strip()]
        reason = said[-1] if said else message(exc)
        raise DataError(f"Spark cannot start with master {master}: {reason}",
                        "the Spark engine needs Java 17 or later on the PATH (or JAVA_HOME set)") from None
    finally:
        os.unlink(jvm_log.name)  # the JVM keeps writing to it, but nothing is left behind
    spark.sparkContext.setLogLevel("OFF")
    _quiet_python_loggers()
    return spark


def _quiet_python_loggers() -> None:
    """PySpark logs every failed query with the JVM's stack trace; the error reaches the user
    as a one-line `DataError` instead."""
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # PySpark 3.x logs nothing of its own
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).disabled = True


def _log_config() -> str:
    """A log4j2 configuration that prints only errors (Spark's default prints every warning)."""
    path = os.path.join(tempfile.gettempdir(), "segdsl-spark-log4j2.properties")
    if not os.path.exists(path) or open(path, encoding="utf-8").read() != _LOG4J:
        with open(path, "w", encoding="utf-8") as out:
            out.write(_LOG4J)
    return path


def stop() -> None:
    """Stop the session (tests; the process's exit stops it too)."""
    global _session, _master
    with _lock:
        if _session is not None:
            _session.stop()
        _session, _master = None, None


_CLASS = re.compile(r"^(?:[a-z]+\.)+[A-Za-z]+(?:Exception|Error): ")
_STATE = re.compile(r"\s*SQLSTATE: \w+\.?$")


def message(exc: BaseException) -> str:
    """Spark's error on one line: the error class and its first sentence, no stack trace."""
    text = getattr(exc, "getMessage", None)
    raw = str(text() if callable(text) else exc)
    if hasattr(exc, "java_exception"):  # Py4JJavaError: the Java exception's own message
        try:
            raw = str(exc.java_exception.getMessage())
        except Exception:  # noqa: BLE001
            pass
    lines = [line.strip() for line in raw.splitlines() if line.strip() and not line.strip().startswith("at ")]
    if not lines:
        return type(exc).__name__
    first = _STATE.sub("", _CLASS.sub("", lines[0]))
    return first.rstrip(" .") or type(exc).__name__
