"""The benchmark of the platform's quality bars (B1–B7): a national-size workload and the
measurements, each beside a ceiling measured in the same run."""
