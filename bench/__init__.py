"""The benchmark of ``quality.md`` (B1–B7): a national-size workload and the
measurements, each beside a ceiling measured in the same run."""
