"""The register's rules: pure, no I/O."""
