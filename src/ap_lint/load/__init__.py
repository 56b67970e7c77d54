"""Load: discover the register's files, read them as strict YAML with positions, validate their structure."""
