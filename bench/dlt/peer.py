"""
The bench's peer: a tuned dlt pipeline loading the events source table into another database of the same
cluster, run by bench/dltPeer.ts in a venv of pinned versions. Settings: connectorx backend streaming Arrow
in chunks of 100,000 rows, incremental on updated_at, merge by delete-insert on the primary key id, parquet
files loaded through ADBC.

Usage: python peer.py <source_url> <destination_url> <table> <pipelines_dir>
Prints one JSON line on stdout: seconds of pipeline.run, CPU seconds of this process and its children
during it, and this process's peak RSS.
"""
import json
import resource
import sys
import time

import dlt
from dlt.sources.sql_database import sql_table


def main() -> None:
    source_url, destination_url, table, pipelines_dir = sys.argv[1:5]
    resource_ = sql_table(
        credentials=source_url,
        table=table,
        backend="connectorx",
        chunk_size=100_000,
        backend_kwargs={"return_type": "arrow_stream"},
        incremental=dlt.sources.incremental("updated_at"),
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key="id",
    )
    pipeline = dlt.pipeline(
        pipeline_name="bench_events_dlt",
        pipelines_dir=pipelines_dir,
        destination=dlt.destinations.postgres(credentials=destination_url),
        dataset_name="bench_dlt",
        progress="log" if "--progress" in sys.argv else None,
    )
    before = (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    started = time.perf_counter()
    info = pipeline.run(resource_, loader_file_format="parquet")
    seconds = time.perf_counter() - started
    after = (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    cpu = lambda a, b: (a.ru_utime - b.ru_utime) + (a.ru_stime - b.ru_stime)
    info.raise_on_failed_jobs()
    print(json.dumps({
        "seconds": seconds,
        "cpu_self_s": cpu(after[0], before[0]),
        "cpu_children_s": cpu(after[1], before[1]),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "dlt_version": dlt.__version__,
        "loaded_formats": sorted({
            job.job_file_info.file_format
            for package in info.load_packages
            for job in package.jobs["completed_jobs"]
            if job.job_file_info.table_name == table
        }),
    }), flush=True)


if __name__ == "__main__":
    main()
